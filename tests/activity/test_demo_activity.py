"""The issue's "done when", on the demo town: the 民生委員 persona opens last month, finds it tallied
from what was logged, adds one adjustment with a reason and submits; the chair sees who is missing;
the municipality downloads an XLSX with the national rows and the right totals."""
from __future__ import annotations

import io
import time

import openpyxl
from sqlalchemy import select

from server.activity import compile as c
from server.activity import queries, service
from server.activity.models import ActivityMonth
from server.demo.seed import seed_demo
from server.users.models import User
from tests.helpers import post_form, sign_in


async def test_done_when_on_the_demo_town(db, client, sessionmaker, settings):
    began = time.perf_counter()
    assert await seed_demo(db, if_empty=True)
    await db.commit()
    seeded_in = time.perf_counter() - began
    users = {u.display_name: u for u in (await db.scalars(select(User))).all()}
    sato, chair, analyst = users["佐藤 和子"], users["高橋 正男"], users["小林 健一"]
    y, m = service.last_month()
    period = f"{y}-{m:02d}"
    # Three months of activity: the two older ones submitted by everyone, last month tallied and open.
    older = c.previous(*c.previous(y, m))
    submitted = (await db.scalars(select(ActivityMonth).where(
        ActivityMonth.commissioner_id == sato.id, ActivityMonth.status == "submitted"))).all()
    assert {(r.year, r.month) for r in submitted} == {older, c.previous(y, m)}
    for r in submitted:
        assert 8 <= r.figures["visits"] <= 20 and 5 <= c.other_total(r.figures) <= 14
    live = (await queries.live_figures(db, [sato.id], y, m))[sato.id]
    await db.commit()
    assert live["visits"] >= 6 and live["days"] >= 5

    await sign_in(client, sessionmaker, settings, sato)
    page = await client.get(f"/activity-record?month={period}")
    assert page.status_code == 200 and f">{live['visits']}</a>" in page.text
    r = await post_form(client, "/activity-record/adjustments",
                        {"month": period, "item": "visits", "delta": "1", "reason": "紙の手帳に書いた訪問"})
    assert r.status_code == 303
    r = await post_form(client, "/activity-record/submit", {"month": period})
    assert r.status_code == 303
    row = (await db.scalars(select(ActivityMonth).where(ActivityMonth.commissioner_id == sato.id,
                                                         ActivityMonth.year == y, ActivityMonth.month == m))).one()
    await db.commit()
    assert row.status == "submitted" and row.figures["visits"] == live["visits"] + 1

    await sign_in(client, sessionmaker, settings, chair)
    council = await client.get(f"/council-record?month={period}")
    assert council.status_code == 200
    assert council.text.count('data-status="missing"') == 2  # the chair himself and one member
    assert "佐藤 和子" in council.text

    await sign_in(client, sessionmaker, settings, analyst)
    r = await client.get(f"/municipal-record/export?month={period}&format=xlsx")
    assert r.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).worksheets[0]
    lines = list(ws.iter_rows(values_only=True))
    head = next(i for i, line in enumerate(lines) if line[0] == "区分")
    assert lines[head][2:-1] == ("中央地区民生委員児童委員協議会", "青葉・川辺地区民生委員児童委員協議会")
    body = lines[head + 1:-1]
    assert len(body) == 31 and body[0][1] == "高齢者に関すること" and body[-1][0] == "活動日数"
    for line in body:
        assert line[-1] == sum(line[2:-1])
    visits = next(line for line in body if line[0] == "訪問回数")
    table = await service.table_for(db, scope=await service_scope(db, analyst), level="municipality", unit_id=None,
                                     months=[(y, m)], no_council_label="所属なし")
    assert visits[-1] == table.total["visits"] > 50
    assert seeded_in < 60, f"the demo took {seeded_in:.1f}s to seed"


async def service_scope(db, user):
    from server.scope import build_scope

    return await build_scope(db, user)
