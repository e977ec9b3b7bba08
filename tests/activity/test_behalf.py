"""The entries behind each figure for whoever entered figures on a commissioner's behalf (代理入力):
the council chair who entered a paper booklet, a coordinator who logged contacts for a commissioner.
Exactly the commissioner and those enterers follow the links (for that month); anybody else: 404."""
from __future__ import annotations

import html
import re

from sqlalchemy import select

from server.activity import compile as c
from server.activity.models import ActivityMonth
from server.audit.models import AuditEvent
from tests.activity.builders import (
    day_of_last_month,
    last_month,
    log,
    period,
    submit,
    watched,
)
from tests.helpers import post_form, sign_in


def entry_links(text: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="(/activity-record/entries\?[^"]+)"', text)]


async def viewed(db, actor_id: int) -> list[AuditEvent]:
    rows = list((await db.scalars(select(AuditEvent).where(AuditEvent.action == "activity_record.entries_viewed",
                                                           AuditEvent.actor_id == actor_id))).all())
    await db.commit()
    return rows


async def test_the_chair_who_entered_a_paper_booklet_follows_every_figure_to_what_they_entered(
        client, db, cast, sessionmaker, settings):
    who = cast.chief_child
    council = str(cast.orgs.council_a.id)
    await sign_in(client, sessionmaker, settings, cast.council_chair)
    booklet = {k: "0" for k in c.KEYS} | {"month": period(), "c": council, "commissioner": str(who.id),
                                          "field:children": "2", "content:child_school": "2", "visits": "12",
                                          "other:events": "3", "liaison:agency": "1", "days": "9"}
    assert (await post_form(client, "/council-record/proxy", booklet)).status_code == 303
    # The council page leads to the month entered; that page links every figure to its entries.
    board = await client.get(f"/council-record?month={period()}")
    review_url = f"/council-record/proxy?month={period()}&c={council}&commissioner={who.id}"
    assert html.escape(review_url) in board.text
    review = await client.get(review_url)
    assert review.status_code == 200 and "Save and submit on their behalf" not in review.text  # read-only now
    links = entry_links(review.text)
    wanted = {"field:children", "content:child_school", "visits", "other:events", "liaison:agency", "days"}
    assert {re.search(r"item=([^&]+)", u).group(1) for u in links} == wanted
    assert all(f"of={who.id}" in u and f"month={period()}" in u for u in links)
    for url in links:  # every link can be followed by the chair, and is audited
        r = await client.get(url)
        assert r.status_code == 200 and 'id="adjustments"' in r.text
    visits = await client.get(f"/activity-record/entries?month={period()}&of={who.id}&item=visits")
    assert "+12" in visits.text and "/households/" not in visits.text  # figures only: no household
    events = await viewed(db, cast.council_chair.id)
    assert len(events) == len(links) + 1 and {e.on_behalf_of_id for e in events} == {who.id}
    assert {e.municipality_id for e in events} == {cast.city.id}
    # The commissioner sees the same entries on their own month.
    await sign_in(client, sessionmaker, settings, who)
    own = await client.get(f"/activity-record/entries?month={period()}&item=visits")
    assert own.status_code == 200 and "+12" in own.text
    # Nobody else: not another member, not a coordinator, not the municipality.
    for other in (cast.commissioner, cast.commissioner_same_hood, cast.coordinator, cast.coordinator_csw,
                  cast.municipal_analyst, cast.prefecture_analyst, cast.volunteer):
        await sign_in(client, sessionmaker, settings, other)
        for url in links[:2]:
            assert (await client.get(url)).status_code == 404, (other.display_name, url)
        assert (await client.get(f"/activity-record/behalf?month={period()}&of={who.id}")).status_code == 404
    assert len(await viewed(db, cast.coordinator.id)) == 0


async def test_the_chair_follows_nothing_for_a_month_or_member_they_did_not_enter(client, db, cast, sessionmaker,
                                                                                  settings):
    h = await watched(db, cast)
    await log(db, cast.commissioner, h, when=day_of_last_month(4))
    await submit(db, cast.commissioner)  # submitted by the commissioner, not entered by the chair
    council = str(cast.orgs.council_a.id)
    await sign_in(client, sessionmaker, settings, cast.council_chair)
    page = await client.get(f"/council-record/proxy?month={period()}&c={council}&commissioner={cast.commissioner.id}")
    assert page.status_code == 200 and entry_links(page.text) == []  # figures shown, but no links
    assert (await client.get(f"/activity-record/entries?month={period()}&of={cast.commissioner.id}&item=visits")
            ).status_code == 404
    # A booklet entered for one month opens that month only.
    booklet = {k: "0" for k in c.KEYS} | {"month": period(), "c": council, "commissioner": str(cast.chief_child.id),
                                          "visits": "3", "days": "2"}
    assert (await post_form(client, "/council-record/proxy", booklet)).status_code == 303
    y, m = c.previous(*last_month())
    before = f"{y}-{m:02d}"
    assert (await client.get(f"/activity-record/entries?month={before}&of={cast.chief_child.id}&item=visits")
            ).status_code == 404
    assert (await client.get(f"/activity-record/entries?month={period()}&of={cast.chief_child.id}&item=visits")
            ).status_code == 200


async def test_a_coordinator_who_logged_for_a_commissioner_follows_the_figures_to_those_entries(
        client, db, cast, sessionmaker, settings):
    h = await watched(db, cast)
    await log(db, cast.coordinator, h, when=day_of_last_month(7), on_behalf_of=cast.commissioner.id,
              consults=[("elderly", "health")])
    await log(db, cast.commissioner, h, when=day_of_last_month(8), method="exterior")
    await sign_in(client, sessionmaker, settings, cast.coordinator)
    whom = await client.get(f"/activity-record/behalf?month={period()}")
    assert whom.status_code == 200 and cast.commissioner.display_name in whom.text
    month = await client.get(f"/activity-record/behalf?month={period()}&of={cast.commissioner.id}")
    assert month.status_code == 200
    links = entry_links(month.text)
    items = {re.search(r"item=([^&]+)", u).group(1) for u in links}
    assert {"visits", "field:elderly", "content:health", "days"} <= items
    for url in links:
        assert (await client.get(url)).status_code == 200
    visits = await client.get(f"/activity-record/entries?month={period()}&of={cast.commissioner.id}&item=visits")
    assert visits.text.count("/households/") == 1  # theirs, not the commissioner's own contact
    events = await viewed(db, cast.coordinator.id)
    assert events and all(e.on_behalf_of_id == cast.commissioner.id for e in events)
    assert events[-1].ids == [h.id]
    # Another coordinator of the same city entered nothing: 404, and so for a commissioner of the council.
    for other in (cast.coordinator_csw, cast.chief_child, cast.council_chair, cast.coordinator_other_city):
        await sign_in(client, sessionmaker, settings, other)
        assert (await client.get(links[0])).status_code == 404
        assert (await client.get(f"/activity-record/behalf?month={period()}&of={cast.commissioner.id}")
                ).status_code == 404
    # The commissioner follows their own figures, both entries included.
    await sign_in(client, sessionmaker, settings, cast.commissioner)
    own = await client.get(f"/activity-record/entries?month={period()}&item=visits")
    assert own.status_code == 200 and own.text.count("/households/") == 2
    row = (await db.scalars(select(ActivityMonth))).first()
    await db.commit()
    assert row is None  # reading writes nothing but the audit rows
