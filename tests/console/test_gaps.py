"""The console's "needs outside the system" (制度外ニーズ) figure: casework gap tags by category and by
area, exact for a coordinator, published ("<10") for a prefecture analyst; a tag made through the
casework page moves the figure at once."""
from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest
from sqlalchemy import select

from server.areas.models import Area
from server.casework.queries import GAP_CATEGORIES, gap_counts
from server.concerns.models import Concern
from server.i18n import TOKYO
from server.users.models import RoleGrant
from tests.helpers import post_form, sign_in


def this_fy() -> tuple[int, dt.date, dt.date]:
    today = dt.datetime.now(TOKYO).date()
    fy = today.year if today.month >= 4 else today.year - 1
    return fy, dt.date(fy, 4, 1), dt.date(fy + 1, 4, 1)


async def busiest_fy(db, city: Area, areas: dict[str, Area]) -> int:
    """This fiscal year or the last, whichever holds more of the demo's gaps (it spreads them over
    the last eight months, so early in April nearly all of them are in the year that just ended)."""
    fy = this_fy()[0]
    counts = {y: sum((await raw(db, city, areas, fy=y)).values()) for y in (fy, fy - 1)}
    return max(counts, key=counts.get)


async def raw(db, area: Area, areas: dict[str, Area], fy: int | None = None) -> Counter:
    """A fiscal year's gaps under `area` (this one by default), by category, from the raw rows."""
    _fy, start, end = this_fy() if fy is None else (fy, dt.date(fy, 4, 1), dt.date(fy + 1, 4, 1))
    under = [a.id for a in areas.values() if area.id in (a.id, a.parent_id, a.municipality_id, a.prefecture_id)]
    out: Counter = Counter()
    for _a, category, _m, n in await gap_counts(db, area_ids=under, start=start, end=end):
        out[category] += n
    return out


def gaps_total_row(html: str) -> list[str]:
    """The cells of the gaps figure's Total row: one per category, then the total."""
    block = re.search(r'<div class="figure" id="casework\.gaps">(.*?)</table>', html, re.DOTALL)
    assert block, "no gaps figure on the page"
    row = re.findall(r'<tr class="total">(.*?)</tr>', block[1], re.DOTALL)[-1]
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)]


def headline_gaps(html: str, name: str) -> str:
    """The last column (needs outside the system) of an area's row in the table of sub-areas."""
    table = re.search(r'<section id="areas".*?</table>', html, re.DOTALL)[0]
    row = re.search(r'<th scope="row">(?:<a [^>]*>)?' + re.escape(name) + r"(?:</a>)?</th>(.*?)</tr>", table, re.DOTALL)
    return re.findall(r"<td[^>]*>(.*?)</td>", row[1], re.DOTALL)[-1].strip()


async def test_coordinator_sees_exact_gaps_by_category_and_area(client, sessionmaker, settings, town, db):
    users, areas = town
    city = areas["みどり市"]
    fy = await busiest_fy(db, city, areas)
    expected = await raw(db, city, areas, fy=fy)
    # The demo tags about a dozen gaps over the last eight months: whatever the date, one of the two
    # fiscal years holds at least half of them (measured: 8 to 12 across the calendar sweep).
    assert sum(expected.values()) >= 6
    districts = [a for a in areas.values() if a.parent_id == city.id]
    by_district = {d.name: sum((await raw(db, d, areas, fy=fy)).values()) for d in districts}
    assert any(by_district.values())
    await db.commit()  # release SQLite's write lock (every transaction is BEGIN IMMEDIATE)
    await sign_in(client, sessionmaker, settings, users["社協コーディネーター"])
    page = await client.get(f"/console?area={city.id}&period=FY{fy}")
    assert page.status_code == 200
    assert "制度外ニーズ（分野別）" in page.text and "身元保証・緊急連絡先" in page.text
    cells = gaps_total_row(page.text)
    assert cells == [f"{expected[c]:,}" for c in GAP_CATEGORIES] + [f"{sum(expected.values()):,}"]
    # By area: each district's row in the table of sub-areas, and the city's own total.
    for name, n in by_district.items():
        assert headline_gaps(page.text, name) == f"{n:,}"
    assert headline_gaps(page.text, city.name) == f"{sum(expected.values()):,}"


async def test_prefecture_analyst_sees_small_gap_counts_hidden(client, sessionmaker, settings, town, db):
    users, areas = town
    fy = await busiest_fy(db, areas["みどり市"], areas)
    district, small = None, Counter()
    for d in (a for a in areas.values() if a.parent_id == areas["みどり市"].id):
        counts = await raw(db, d, areas, fy=fy)
        if any(1 <= counts[c] <= 9 for c in GAP_CATEGORIES):
            district, small = d, counts
            break
    assert small, "the demo should have a district with a few gaps"
    await db.commit()
    await sign_in(client, sessionmaker, settings, users["県職員"])
    page = await client.get(f"/console?area={district.id}&period=FY{fy}")
    assert page.status_code == 200
    cells = gaps_total_row(page.text)
    for c, cell in zip(GAP_CATEGORIES, cells, strict=False):
        if 1 <= small[c] <= 9:
            assert cell == "&lt;10", (c, cell)
        elif cell != "&lt;10":  # a shown cell is the true count (secondary suppression may hide others)
            assert cell == f"{small[c]:,}", (c, cell)
    assert "/console/records" not in page.text


async def test_a_gap_tagged_through_casework_moves_the_figure(client, sessionmaker, settings, town, db):
    users, areas = town
    city = areas["みどり市"]
    csw = users["CSW"]
    month = dt.datetime.now(TOKYO).strftime("%Y-%m")
    before = await raw(db, city, areas)
    orgs = (await db.scalars(select(RoleGrant.organisation_id).where(
        RoleGrant.user_id == csw.id, RoleGrant.role == "professional", RoleGrant.valid_to.is_(None)))).all()
    concern_id = await db.scalar(select(Concern.id).where(Concern.organisation_id.in_(orgs),
                                                          Concern.municipality_id == city.id).order_by(Concern.id))
    assert concern_id is not None
    await db.commit()
    await sign_in(client, sessionmaker, settings, csw)
    # Tag the first category not yet on the concern, through the casework form.
    for category in GAP_CATEGORIES:
        r = await post_form(client, f"/casework/concerns/{concern_id}/gaps", {"category": category, "line": "制度の対象外"})
        if r.status_code == 303:
            break
    else:
        pytest.fail("no free category to tag")
    async with sessionmaker() as s:
        after = await raw(s, city, areas)
    assert after - before == Counter({category: 1})
    client.cookies.clear()
    await sign_in(client, sessionmaker, settings, users["社協コーディネーター"])
    page = await client.get(f"/console?area={city.id}&period={month}")
    cells = gaps_total_row(page.text)
    async with sessionmaker() as s:
        first = dt.datetime.now(TOKYO).date().replace(day=1)
        under = [a.id for a in areas.values() if city.id in (a.id, a.municipality_id)]
        month_counts = Counter()
        for _a, c, _m, n in await gap_counts(s, area_ids=under, start=first,
                                             end=(first + dt.timedelta(days=32)).replace(day=1)):
            month_counts[c] += n
    assert month_counts[category] >= 1
    assert cells[GAP_CATEGORIES.index(category)] == f"{month_counts[category]:,}"
