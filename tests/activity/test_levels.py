"""The council (単位民児協), the municipality and the prefecture: who has submitted, reminders,
代理入力, compilation snapshots, and the exports in the national layout read back with openpyxl."""
from __future__ import annotations

import io

import openpyxl
import pytest
from sqlalchemy import func, select

from server import clock
from server.activity import compile as c
from server.activity import export, service
from server.activity.models import ActivityMonth, Adjustment, Compilation, Reminder
from server.audit.models import AuditEvent
from server.scope import build_scope
from tests.activity.builders import (
    day_of_last_month,
    last_month,
    log,
    period,
    submit,
    watched,
)
from tests.helpers import post_form, sign_in


async def count(db, model, *where) -> int:
    n = await db.scalar(select(func.count()).select_from(model).where(*where))
    await db.commit()
    return n


def workbook(body: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(body), data_only=True)


def rows_of(ws) -> dict[tuple[str, str], list]:
    """(区分, 項目) -> the values of the unit columns and the total, from the header row on."""
    lines = list(ws.iter_rows(values_only=True))
    start = next(i for i, line in enumerate(lines) if line[0] == "区分")
    return {(line[0], line[1] or ""): list(line[2:]) for line in lines[start + 1:]}


async def test_the_chair_sees_who_has_submitted_and_reminds_the_others(client, db, cast, sessionmaker, settings):
    h = await watched(db, cast)
    await log(db, cast.commissioner, h, when=day_of_last_month(4))
    await submit(db, cast.commissioner)
    await sign_in(client, sessionmaker, settings, cast.council_chair)
    page = await client.get(f"/council-record?month={period()}")
    assert page.status_code == 200
    assert page.text.count('data-status="submitted"') == 1 and page.text.count('data-status="missing"') == 2
    r = await post_form(client, "/council-record/remind", {"month": period(), "c": str(cast.orgs.council_a.id)})
    assert r.status_code == 303
    reminded = set((await db.scalars(select(Reminder.commissioner_id))).all())
    await db.commit()
    assert reminded == {cast.chief_child.id, cast.council_chair.id}
    event = (await db.scalars(select(AuditEvent).where(AuditEvent.action == "activity_record.reminded"))).one()
    await db.commit()
    assert sorted(event.ids) == sorted(reminded)
    # The reminded commissioner sees it on their month.
    await sign_in(client, sessionmaker, settings, cast.chief_child)
    mine = await client.get(f"/activity-record?month={period()}")
    assert "reminded you" in mine.text or "お知らせ" in mine.text
    # ... and on the round, through the notice fragment, until the month is submitted.
    notice = await client.get("/activity-record/notice")
    assert notice.status_code == 200 and f"/activity-record?month={period()}" in notice.text
    await submit(db, cast.chief_child)
    assert (await client.get("/activity-record/notice")).text.strip() == ""
    await sign_in(client, sessionmaker, settings, cast.commissioner_same_hood)  # not reminded
    assert (await client.get("/activity-record/notice")).text.strip() == ""


async def test_a_chair_of_another_council_and_other_roles_cannot_open_the_council(client, db, cast, sessionmaker,
                                                                                 settings):
    from server.areas.service import create_organisation
    from server.users.service import grant_role

    other = await create_organisation(db, actor=None, municipality_id=cast.city.id, kind="council",
                                      name="南地区民児協", area_ids=[cast.district_b.id], phone="000-200-0009")
    await grant_role(db, actor=cast.coordinator, user_id=cast.commissioner_same_hood.id, role="council_chair",
                     organisation_id=other.id)
    await db.commit()
    await sign_in(client, sessionmaker, settings, cast.commissioner_same_hood)
    r = await client.get(f"/council-record?month={period()}&c={cast.orgs.council_a.id}")
    assert r.status_code == 404
    r = await post_form(client, "/council-record/reopen", {"month": period(), "c": str(cast.orgs.council_a.id),
                                                           "commissioner": str(cast.commissioner.id), "reason": "x"})
    assert r.status_code == 404
    for someone in (cast.commissioner, cast.coordinator, cast.municipal_analyst):
        await sign_in(client, sessionmaker, settings, someone)
        assert (await client.get(f"/council-record?month={period()}")).status_code == 404


async def test_the_chair_enters_a_paper_booklet_on_behalf_and_it_shows_as_such(client, db, cast, sessionmaker,
                                                                              settings):
    await sign_in(client, sessionmaker, settings, cast.council_chair)
    form = {k: "0" for k in c.KEYS} | {"month": period(), "c": str(cast.orgs.council_a.id),
                                       "commissioner": str(cast.chief_child.id)}
    unbalanced = form | {"field:children": "2", "content:child_school": "1", "visits": "5"}
    r = await post_form(client, "/council-record/proxy", unbalanced)
    assert r.status_code == 422
    assert await count(db, Adjustment) == 0 and await count(db, ActivityMonth, ActivityMonth.status == "submitted") == 0
    good = form | {"field:children": "2", "content:child_school": "1", "content:child_community": "1",
                   "visits": "12", "other:events": "3", "liaison:agency": "1", "days": "9"}
    r = await post_form(client, "/council-record/proxy", good)
    assert r.status_code == 303
    row = (await db.scalars(select(ActivityMonth))).one()
    await db.commit()
    assert row.status == "submitted" and row.proxy and row.submitted_by == cast.council_chair.id
    assert row.figures["visits"] == 12 and c.consult_total(row.figures) == 2 and row.figures["days"] == 9
    assert await count(db, Adjustment, Adjustment.proxy.is_(True)) == 7
    event = (await db.scalars(select(AuditEvent).where(AuditEvent.action == "activity_record.entered_for"))).one()
    await db.commit()
    assert event.on_behalf_of_id == cast.chief_child.id
    page = await client.get(f"/council-record?month={period()}")
    assert "Entered on their behalf" in page.text or "代理入力" in page.text
    # The proxy form offers only figures: no household, no contact.
    chooser = await client.get(f"/council-record/proxy?month={period()}")
    assert chooser.status_code == 200 and "/households/" not in chooser.text


async def test_each_level_sees_the_sum_of_the_level_below_and_marks_its_compilation(client, db, cast, sessionmaker,
                                                                                   settings):
    h = await watched(db, cast)
    h2 = await watched(db, cast, commissioner=cast.commissioner_same_hood, address="つなぐ町9-9")
    await log(db, cast.commissioner, h, when=day_of_last_month(4), consults=[("elderly", "home_welfare")])
    await log(db, cast.commissioner, h, when=day_of_last_month(5))
    await log(db, cast.commissioner_same_hood, h2, when=day_of_last_month(6))
    await submit(db, cast.commissioner)
    y, m = last_month()
    chair = await service.table_for(db, scope=await build_scope(db, cast.council_chair), level="council",
                                    unit_id=None, months=[(y, m)])
    city = await service.table_for(db, scope=await build_scope(db, cast.municipal_analyst), level="municipality",
                                   unit_id=None, months=[(y, m)], no_council_label="所属なし")
    pref = await service.table_for(db, scope=await build_scope(db, cast.prefecture_analyst), level="prefecture",
                                   unit_id=None, months=[(y, m)])
    council_col = next(col for col in city.columns if col.unit_id == cast.orgs.council_a.id)
    assert council_col.figures == chair.total and chair.total["visits"] == 2
    assert city.total["visits"] == 3  # the commissioner without a council has their own column
    city_col = next(col for col in pref.columns if col.unit_id == cast.city.id)
    assert city_col.figures == city.total and pref.total == c.add(*[col.figures for col in pref.columns])
    await db.commit()
    await sign_in(client, sessionmaker, settings, cast.municipal_analyst)
    page = await client.get(f"/municipal-record?month={period()}")
    assert page.status_code == 200 and "北地区民生委員児童委員協議会" in page.text and "つなぐ町" not in page.text
    r = await post_form(client, "/municipal-record/compile", {"month": period(), "u": str(cast.city.id)})
    assert r.status_code == 303
    snap = (await db.scalars(select(Compilation))).one()
    await db.commit()
    assert snap.level == "municipality" and snap.figures["total"]["visits"] == 3
    await sign_in(client, sessionmaker, settings, cast.coordinator_other_city)
    assert (await client.get(f"/municipal-record?month={period()}&u={cast.city.id}")).status_code == 404
    assert (await client.get(f"/municipal-record/export?month={period()}&u={cast.city.id}")).status_code == 404
    await sign_in(client, sessionmaker, settings, cast.prefecture_analyst)
    assert (await client.get(f"/prefecture-record?month={period()}")).status_code == 200


@pytest.mark.calendar
async def test_the_municipal_export_has_the_national_rows_and_the_right_totals(client, db, cast, sessionmaker,
                                                                              settings):
    h = await watched(db, cast)
    await log(db, cast.commissioner, h, when=day_of_last_month(4), consults=[("elderly", "daily_support")],
              liaisons=["commissioners"])
    await log(db, cast.commissioner, h, when=day_of_last_month(9), method="exterior")
    await sign_in(client, sessionmaker, settings, cast.municipal_analyst)
    r = await client.get(f"/municipal-record/export?month={period()}&format=xlsx")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    wb = workbook(r.content)
    ws = wb[wb.sheetnames[0]]
    assert ws.title.startswith("令和")
    rows = rows_of(ws)
    items = [key for key in rows]
    assert [i for s, i in items[:4]] == export.FIELD_JA
    assert [i for s, i in items[4:18]] == export.CONTENT_JA
    assert items[18] == ("相談・支援件数", "計") and [i for s, i in items[19:25]] == export.OTHER_JA
    assert [s for s, i in items[25:31]] == ["その他の活動件数", "訪問回数", "連絡調整回数", "連絡調整回数",
                                             "連絡調整回数", "活動日数"]
    assert rows[("訪問回数", "")][-1] == 2 and rows[("相談・支援件数", "計")][-1] == 1
    assert rows[("相談・支援件数（内容別）", "日常的な支援")][-1] == 1
    assert rows[("連絡調整回数", "うち民生委員・児童委員")][-1] == 1 and rows[("活動日数", "")][-1] == 2
    for line in list(rows.values())[:-1]:  # every row's total column is the sum of the unit columns
        assert line[-1] == sum(line[:-1])
    assert any("令和" in str(v) for line in ws.iter_rows(max_row=3, values_only=True) for v in line if v)
    assert await count(db, AuditEvent, AuditEvent.action == "activity_record.exported") == 1
    csv = await client.get(f"/municipal-record/export?month={period()}&format=csv")
    assert csv.content.startswith(b"\xef\xbb\xbf") and "日常的な支援" in csv.content.decode("utf-8-sig")


@pytest.mark.calendar
async def test_the_fiscal_year_export_has_a_sheet_per_month_and_a_year_total(client, db, cast, sessionmaker, settings):
    h = await watched(db, cast)
    await log(db, cast.commissioner, h, when=day_of_last_month(4))
    y, m = last_month()
    fy = c.fiscal_year(y, m)
    await sign_in(client, sessionmaker, settings, cast.council_chair)
    r = await client.get(f"/council-record/export?month=FY{fy}&format=xlsx")
    assert r.status_code == 200
    wb = workbook(r.content)
    today = clock.today_tokyo()
    months = [mm for mm in c.fiscal_months(fy) if mm <= (today.year, today.month)]
    assert wb.sheetnames[-1] == "年度計" and len(wb.sheetnames) == len(months) + 1
    year_total = rows_of(wb["年度計"])
    month_sheets = [rows_of(wb[name]) for name in wb.sheetnames[:-1]]
    for key, line in year_total.items():
        if key[0] == "提出状況":
            continue
        assert line[-1] == sum(sheet[key][-1] for sheet in month_sheets)
    assert year_total[("訪問回数", "")][-1] == 1


@pytest.mark.parametrize("month", ["2026-13", "junk", "FY1999", "1990-01"])
async def test_a_bad_period_is_last_month_or_not_found_never_500(client, db, cast, sessionmaker, settings, month):
    await sign_in(client, sessionmaker, settings, cast.municipal_analyst)
    for path in ("/municipal-record", "/municipal-record/export"):
        r = await client.get(f"{path}?month={month}")
        assert r.status_code in (200, 404)


@pytest.mark.calendar
async def test_a_commissioner_appointed_after_the_month_is_not_listed_for_it(client, db, cast, sessionmaker,
                                                                            settings):
    """Only commissioners whose commissioner grant overlapped the month are columns (and counted as
    "not submitted"); someone appointed this month appears from this month on."""
    from server.users.service import add_active_user

    newcomer = await add_active_user(db, actor=cast.coordinator, display_name="新任 四郎", role="commissioner",
                                     municipality_id=cast.city.id, area_ids=[cast.hood_a1.id],
                                     organisation_id=cast.orgs.council_a.id)  # appointed now, after last month
    await db.commit()
    y, m = last_month()
    chair_scope = await build_scope(db, cast.council_chair)
    council = await service.table_for(db, scope=chair_scope, level="council", unit_id=None, months=[(y, m)])
    assert newcomer.id not in {col.unit_id for col in council.columns}
    assert {col.unit_id for col in council.columns} == {cast.commissioner.id, cast.chief_child.id,
                                                         cast.council_chair.id}
    city = await service.table_for(db, scope=await build_scope(db, cast.municipal_analyst), level="municipality",
                                   unit_id=None, months=[(y, m)], no_council_label="所属なし")
    council_col = next(col for col in city.columns if col.unit_id == cast.orgs.council_a.id)
    assert council_col.expected == 3
    today = clock.today_tokyo()
    this_month = await service.table_for(db, scope=chair_scope, level="council", unit_id=None,
                                         months=[(today.year, today.month)])
    assert newcomer.id in {col.unit_id for col in this_month.columns}
    await db.commit()
    await sign_in(client, sessionmaker, settings, cast.council_chair)
    page = await client.get(f"/council-record?month={period()}")
    assert "新任 四郎" not in page.text and page.text.count('data-status="missing"') == 3
    r = await post_form(client, "/council-record/remind", {"month": period(), "c": str(cast.orgs.council_a.id),
                                                           "commissioner": str(newcomer.id)})
    assert r.status_code == 404  # not a member in that month
    r = await post_form(client, "/council-record/remind", {"month": period(), "c": str(cast.orgs.council_a.id)})
    assert r.status_code == 303
    reminded = set((await db.scalars(select(Reminder.commissioner_id))).all())
    await db.commit()
    assert newcomer.id not in reminded and len(reminded) == 3


async def test_the_prefecture_reads_a_compiled_municipality_from_its_snapshot(db, cast):
    """Once a municipality marks its compilation done, the prefecture shows that snapshot (no
    recomputation from contacts); a municipality that has not is compiled live."""
    from sqlalchemy import event

    from server.activity.models import Compilation
    from server.areas.models import Area
    from server.areas.service import create_area
    from server.users.service import add_active_user
    from tests.activity.builders import appointed_long_ago

    district = (await db.scalars(select(Area).where(Area.parent_id == cast.other_city.id))).first()
    hood = await create_area(db, actor=None, parent_id=district.id, level="neighbourhood", name="となり二丁目")
    neighbour = await add_active_user(db, actor=None, display_name="隣町 委員", role="commissioner",
                                      municipality_id=cast.other_city.id, area_ids=[hood.id])
    await db.commit()
    await appointed_long_ago(db)
    h = await watched(db, cast)
    await log(db, cast.commissioner, h, when=day_of_last_month(4), consults=[("elderly", "health")])
    await log(db, cast.commissioner, h, when=day_of_last_month(5))
    y, m = last_month()
    analyst = await build_scope(db, cast.municipal_analyst)
    snap = await service.compile_level(db, actor=cast.municipal_analyst, scope=analyst, level="municipality",
                                       unit_id=cast.city.id, year=y, month=m)
    await db.commit()
    assert snap.figures["total"]["visits"] == 2
    # After the compilation: one more contact in the city (the month is still open), and one next door.
    await log(db, cast.commissioner, h, when=day_of_last_month(6))
    from server.contacts.models import Contact
    db.add(Contact(municipality_id=cast.other_city.id, household_id=h.id, author_id=neighbour.id,
                   owner_id=neighbour.id, owner_role="commissioner", client_id="next-door-1", method="visit",
                   outcome="no_change", signs=[], met_person_ids=[], occurred_at=day_of_last_month(9),
                   counts_as_visit=True, counts_for_cadence=True))
    await db.commit()
    statements: list[str] = []

    def seen(_conn, _cursor, statement, parameters, *_args):
        # The values, whichever parameter style the driver uses (SQLite: named, PostgreSQL: positional).
        values = parameters.values() if isinstance(parameters, dict) else (parameters or ())
        statements.append((statement, list(values)))

    engine = db.bind.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        pref = await service.table_for(db, scope=await build_scope(db, cast.prefecture_analyst), level="prefecture",
                                       unit_id=None, months=[(y, m)])
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    city = next(col for col in pref.columns if col.unit_id == cast.city.id)
    other = next(col for col in pref.columns if col.unit_id == cast.other_city.id)
    assert city.figures == c.normalised(snap.figures["total"]) and city.figures["visits"] == 2  # not 3: the snapshot
    assert city.compiled_at is not None and city.expected == 4 and city.submitted == 0
    assert other.compiled_at is None and other.figures["visits"] == 1 and other.expected == 1  # live
    assert pref.total == c.add(city.figures, other.figures)
    # Contacts were read for the live municipality only: its commissioner, not the city's.
    contact_reads = [params for sql, params in statements if "FROM contacts" in sql]
    assert contact_reads and all(neighbour.id in p and cast.commissioner.id not in p for p in contact_reads)
    await db.commit()
    # Compiling again takes the latest snapshot.
    await service.compile_level(db, actor=cast.municipal_analyst, scope=analyst, level="municipality",
                                unit_id=cast.city.id, year=y, month=m)
    await db.commit()
    pref = await service.table_for(db, scope=await build_scope(db, cast.prefecture_analyst), level="prefecture",
                                   unit_id=None, months=[(y, m)])
    assert next(col for col in pref.columns if col.unit_id == cast.city.id).figures["visits"] == 3
    assert await count(db, Compilation) == 2
