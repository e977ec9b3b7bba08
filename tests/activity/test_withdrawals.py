"""Withdrawing an adjustment: a new row with the opposite delta and a reason (never a deletion),
once per adjustment, refused in a submitted month, audited; only the commissioner's own rows."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from server.activity import compile as c
from server.activity import queries, service
from server.activity.models import Adjustment
from server.audit.models import AuditEvent
from server.errors import Invalid, NotFound
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


async def adjust(db, user, item="visits", delta=2, content=None, reason="電話での相談"):
    y, m = last_month()
    row = await service.add_adjustment(db, actor=user, scope=await build_scope(db, user), year=y, month=m,
                                       item=item, content=content, delta=delta, reason=reason)
    await db.commit()
    return row


async def withdraw(db, user, adjustment_id, reason="二重に入力していました"):
    try:
        row = await service.withdraw_adjustment(db, actor=user, scope=await build_scope(db, user),
                                                adjustment_id=adjustment_id, reason=reason)
        await db.commit()
        return row
    except Exception:
        await db.commit()  # release SQLite's write lock; a refusal wrote nothing (counted below)
        raise


async def figures(db, user) -> dict:
    y, m = last_month()
    out = (await queries.live_figures(db, [user.id], y, m))[user.id]
    await db.commit()
    return out


async def test_a_withdrawal_is_a_row_with_the_opposite_delta_and_a_reason(db, cast):
    h = await watched(db, cast)
    await log(db, cast.commissioner, h, when=day_of_last_month(3))
    before = await figures(db, cast.commissioner)
    first = await adjust(db, cast.commissioner, item="field:elderly", content="content:health", delta=3)
    assert c.consult_total(await figures(db, cast.commissioner)) == 3
    back = await withdraw(db, cast.commissioner, first.id)
    assert back.delta == -3 and back.withdraws_id == first.id and back.item == "field:elderly"
    assert back.content == "content:health" and back.reason == "二重に入力していました"
    assert await figures(db, cast.commissioner) == before
    kept = await db.get(Adjustment, first.id)
    await db.commit()
    assert kept.delta == 3 and kept.reason == "電話での相談"  # the withdrawn row is kept as it was
    event = (await db.scalars(select(AuditEvent).where(
        AuditEvent.action == "activity_record.adjustment_withdrawn"))).one()
    await db.commit()
    assert event.actor_id == cast.commissioner.id and event.ids == [first.id, back.id]
    assert "二重" not in str(event.ids)
    # Not twice, not the withdrawal itself, not without a reason.
    with pytest.raises(Invalid):
        await withdraw(db, cast.commissioner, first.id)
    with pytest.raises(NotFound):
        await withdraw(db, cast.commissioner, back.id)
    second = await adjust(db, cast.commissioner, delta=1)
    with pytest.raises(Invalid) as exc:
        await withdraw(db, cast.commissioner, second.id, reason="  ")
    assert "reason" in exc.value.fields
    assert await count(db, Adjustment) == 3


async def test_a_withdrawal_cannot_take_a_figure_below_zero(db, cast):
    up = await adjust(db, cast.commissioner, delta=2)
    await adjust(db, cast.commissioner, delta=-2)
    with pytest.raises(Invalid):
        await withdraw(db, cast.commissioner, up.id)
    assert await count(db, Adjustment) == 2


async def test_a_submitted_month_refuses_a_withdrawal(db, cast):
    first = await adjust(db, cast.commissioner, delta=2)
    await submit(db, cast.commissioner)
    with pytest.raises(Invalid) as exc:
        await withdraw(db, cast.commissioner, first.id)
    assert "month" in exc.value.fields
    assert await count(db, Adjustment) == 1
    assert await count(db, AuditEvent, AuditEvent.action == "activity_record.adjustment_withdrawn") == 0


async def test_only_the_commissioner_withdraws_their_own_adjustments(db, cast, client, sessionmaker, settings):
    mine = await adjust(db, cast.commissioner, delta=2)
    for other in (cast.chief_child, cast.council_chair):
        with pytest.raises(NotFound):
            await withdraw(db, other, mine.id)
    with pytest.raises(NotFound):
        await withdraw(db, cast.commissioner, 999_999)
    # The chair's 代理入力 rows are not the commissioner's to withdraw.
    from server.activity import compile as cc

    y, m = last_month()
    chair = cast.council_chair
    await service.enter_for(db, actor=chair, scope=await build_scope(db, chair), council_id=cast.orgs.council_a.id,
                            commissioner_id=cast.chief_child.id, year=y, month=m,
                            figures=cc.empty() | {"visits": 4, "days": 2})
    await db.commit()
    proxy = (await db.scalars(select(Adjustment).where(Adjustment.proxy.is_(True)))).first()
    await db.commit()
    await sign_in(client, sessionmaker, settings, cast.chief_child)
    r = await post_form(client, "/activity-record/adjustments/withdraw",
                        {"month": period(), "adjustment": str(proxy.id), "reason": "x"})
    assert r.status_code == 404
    assert await count(db, Adjustment, Adjustment.withdraws_id.is_not(None)) == 0


async def test_withdrawing_through_the_page(client, db, cast, sessionmaker, settings):
    first = await adjust(db, cast.commissioner, delta=2)
    await sign_in(client, sessionmaker, settings, cast.commissioner)
    page = await client.get(f"/activity-record?month={period()}")
    assert 'action="/activity-record/adjustments/withdraw"' in page.text and f'value="{first.id}"' in page.text
    bad = await post_form(client, "/activity-record/adjustments/withdraw",
                          {"month": period(), "adjustment": str(first.id), "reason": ""})
    assert bad.status_code == 422 and await count(db, Adjustment) == 1
    for junk in ("", "abc", "-1", "99999999999"):
        r = await post_form(client, "/activity-record/adjustments/withdraw",
                            {"month": period(), "adjustment": junk, "reason": "x"})
        assert r.status_code == 404
    ok = await post_form(client, "/activity-record/adjustments/withdraw",
                         {"month": period(), "adjustment": str(first.id), "reason": "間違いでした"})
    assert ok.status_code == 303 and "withdrawn=1" in ok.headers["location"]
    page = await client.get(f"/activity-record?month={period()}")
    assert page.text.count('class="adjustment"') == 2
    assert "Withdrawn" in page.text or "取り消し済み" in page.text
    assert 'action="/activity-record/adjustments/withdraw"' not in page.text  # nothing left to withdraw


async def test_two_simultaneous_withdrawals_make_one_row(db, cast, sessionmaker):
    first = await adjust(db, cast.commissioner, delta=2)
    user_id = cast.commissioner.id

    async def once() -> str:
        async with sessionmaker() as s:
            from server.users.models import User

            user = await s.get(User, user_id)
            try:
                await service.withdraw_adjustment(s, actor=user, scope=await build_scope(s, user),
                                                  adjustment_id=first.id, reason="二重")
                await s.commit()
                return "withdrawn"
            except Invalid:
                await s.rollback()
                return "refused"

    results = await asyncio.gather(*[once() for _ in range(4)])
    assert results.count("withdrawn") == 1
    assert await count(db, Adjustment, Adjustment.withdraws_id == first.id) == 1
