"""Writes of the activity record: adjustments, submission (snapshot and lock), the chair's reopening,
reminders and 代理入力, and each level's "compilation done".

Rules:
- a commissioner works on their own months; a month can be submitted once it has ended (Asia/Tokyo),
  so the current month is never locked;
- a submitted month refuses adjustments, and watch-over refuses contacts, corrections, withdrawals
  and activity entries dated in it (month_locked);
- only the chair of the commissioner's council reopens a submitted month, with a reason; the
  submission it undoes is stamped, never deleted, and the reopening is audited;
- 代理入力: the chair enters a paper booklet's figures for a member of their council; they are stored
  as adjustments marked proxy (the difference from what the app holds) and submitted at once;
  figures only, never contacts in households;
- each level (council chair, municipality: coordinators and municipal analysts, prefecture
  analysts) may mark its compilation done: a snapshot of its columns and total;
- every write validates first and writes its audit row in the same transaction (ids, never text).
"""
from __future__ import annotations

import calendar
import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server import clock
from server.activity import compile as c
from server.activity import queries
from server.activity.models import (
    ActivityMonth,
    Adjustment,
    Compilation,
    Reminder,
    Submission,
)
from server.areas.models import Area, Organisation
from server.audit.actions import register
from server.audit.service import record
from server.db import utcnow
from server.errors import Invalid, NotFound
from server.i18n import N_, TOKYO
from server.scope import Scope
from server.users.models import User

register({
    "activity_record.adjusted": N_("Activity record adjusted"),
    "activity_record.adjustment_withdrawn": N_("Activity record adjustment withdrawn"),
    "activity_record.submitted": N_("Activity record submitted"),
    "activity_record.reopened": N_("Activity record reopened by the council chair"),
    "activity_record.entered_for": N_("Activity record entered on a commissioner's behalf"),
    "activity_record.reminded": N_("Reminder to submit the activity record sent"),
    "activity_record.compiled": N_("Activity record compilation marked done"),
    "activity_record.exported": N_("Activity record exported"),
    "activity_record.entries_viewed": N_("Entries behind an activity-record figure viewed"),
})

REASON_LIMIT = 200
MAX_DELTA = 999
MAX_FIGURE = 9999
HISTORY_MONTHS = 24  # how far back a commissioner may open a month




def last_month() -> tuple[int, int]:
    t = clock.today_tokyo()
    return c.previous(t.year, t.month)


def ended(year: int, month: int) -> bool:
    t = clock.today_tokyo()
    return (year, month) < (t.year, t.month)


def check_period(year: int, month: int) -> None:
    """Within the last HISTORY_MONTHS months and not in the future, else 404."""
    t = clock.today_tokyo()
    n = (t.year - year) * 12 + t.month - month
    if not 0 <= n <= HISTORY_MONTHS:
        raise NotFound()


async def month_locked(session: AsyncSession, commissioner_id: int, when: dt.datetime | dt.date) -> bool:
    """Whether the commissioner's activity record for the Asia/Tokyo month of `when` is submitted.

    The watch-over service and offline sync call this before writing anything dated `when`. A month
    is submitted only after it ends, so the current month answers False without a query."""
    day = when.astimezone(TOKYO).date() if isinstance(when, dt.datetime) else when
    if not ended(day.year, day.month):
        return False
    status = await session.scalar(select(ActivityMonth.status).where(
        ActivityMonth.commissioner_id == commissioner_id, ActivityMonth.year == day.year,
        ActivityMonth.month == day.month))
    return status == "submitted"


async def month_row(session: AsyncSession, commissioner_id: int, year: int, month: int) -> ActivityMonth:
    """The commissioner's month, made on first use (idempotent under concurrency: UNIQUE)."""
    found = (await session.scalars(select(ActivityMonth).where(
        ActivityMonth.commissioner_id == commissioner_id, ActivityMonth.year == year, ActivityMonth.month == month))).first()
    if found is not None:
        return found
    start, end = clock.month_bounds(year, month)
    grant = await queries.council_of(session, commissioner_id, end - dt.timedelta(seconds=1)) \
        or await queries.council_of(session, commissioner_id, utcnow())
    row = ActivityMonth(commissioner_id=commissioner_id, year=year, month=month, status="open",
                        municipality_id=grant.municipality_id if grant else None,
                        council_id=grant.organisation_id if grant else None)
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:
        return (await session.scalars(select(ActivityMonth).where(
            ActivityMonth.commissioner_id == commissioner_id, ActivityMonth.year == year,
            ActivityMonth.month == month))).one()
    return row


def _require_commissioner(scope: Scope) -> None:
    scope.require("commissioner")


def _check_reason(reason: str | None, errors: dict[str, str]) -> str:
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = N_("Please give the reason.")
    elif len(reason) > REASON_LIMIT:
        errors["reason"] = N_("Please keep the reason under 200 characters.")
    return reason


async def add_adjustment(session: AsyncSession, *, actor: User, scope: Scope, year: int, month: int,
                         item: str, content: str | None, delta: int | None, reason: str) -> Adjustment:
    """One figure changed by `delta` for what happened off the app. A 相談・支援 adjustment names
    both its 分野 (item) and its 内容 (content), so the two breakdowns keep the same total."""
    _require_commissioner(scope)
    check_period(year, month)
    errors: dict[str, str] = {}
    if item not in c.KEYS or item in c.CONTENT_KEYS:
        errors["item"] = N_("Choose the figure to adjust.")
    elif item in c.FIELD_KEYS and content not in c.CONTENT_KEYS:
        errors["content"] = N_("A consultation needs its content as well as its field.")
    if item not in c.FIELD_KEYS:
        content = None
    if delta is None or delta == 0 or abs(delta) > MAX_DELTA:
        errors["delta"] = N_("Enter a number from -999 to 999, not 0.")
    reason = _check_reason(reason, errors)
    row = await month_row(session, actor.id, year, month)
    if row.status == "submitted":
        raise Invalid(fields={"month": N_("That month's activity record is already submitted.")})
    if not errors:
        figures = (await queries.live_figures(session, [actor.id], year, month, {actor.id: row}))[actor.id]
        after = c.apply(figures, [c.AdjustmentRow(item, delta, content)])
        if any(after[k] < 0 for k in (item, content) if k):
            errors["delta"] = N_("A figure cannot go below zero.")
        elif after["days"] > calendar.monthrange(year, month)[1]:
            errors["delta"] = N_("There are not that many days in the month.")
    if errors:
        raise Invalid(fields=errors)
    adj = Adjustment(month_id=row.id, item=item, content=content, delta=delta, reason=reason, author_id=actor.id)
    session.add(adj)
    await session.flush()
    await record(session, action="activity_record.adjusted", actor_id=actor.id, municipality_id=row.municipality_id,
                 object_type="activity_month", object_id=row.id, ids=[adj.id])
    return adj


async def withdraw_adjustment(session: AsyncSession, *, actor: User, scope: Scope, adjustment_id: int | None,
                              reason: str) -> Adjustment:
    """The commissioner withdraws one of their adjustments: a new row with the opposite delta and a
    reason, pointing at the one it withdraws (which is kept). Not the chair's 代理入力 rows, not a
    withdrawal, not twice (UNIQUE withdraws_id), not in a submitted month. Anything else: 404."""
    _require_commissioner(scope)
    original = await session.get(Adjustment, adjustment_id) if adjustment_id else None
    row = await session.get(ActivityMonth, original.month_id) if original is not None else None
    if original is None or row is None or row.commissioner_id != actor.id or original.author_id != actor.id \
            or original.proxy or original.withdraws_id is not None:
        raise NotFound()
    check_period(row.year, row.month)
    errors: dict[str, str] = {}
    reason = _check_reason(reason, errors)
    if errors:
        raise Invalid(fields=errors)
    if row.status == "submitted":
        raise Invalid(fields={"month": N_("That month's activity record is already submitted.")})
    taken = await session.scalar(select(Adjustment.id).where(Adjustment.withdraws_id == original.id))
    if taken is not None:
        raise Invalid(fields={"adjustment": N_("This adjustment is already withdrawn.")})
    undo = c.AdjustmentRow(original.item, -original.delta, original.content)
    figures = (await queries.live_figures(session, [actor.id], row.year, row.month, {actor.id: row}))[actor.id]
    after = c.apply(figures, [undo])
    if any(after[k] < 0 for k in (original.item, original.content) if k):
        raise Invalid(fields={"adjustment": N_("A figure cannot go below zero.")})
    if after["days"] > calendar.monthrange(row.year, row.month)[1]:
        raise Invalid(fields={"adjustment": N_("There are not that many days in the month.")})
    withdrawal = Adjustment(month_id=row.id, item=original.item, content=original.content, delta=-original.delta,
                            reason=reason, author_id=actor.id, withdraws_id=original.id)
    try:
        async with session.begin_nested():
            session.add(withdrawal)
            await session.flush()
    except IntegrityError:  # withdrawn at the same moment from another phone
        raise Invalid(fields={"adjustment": N_("This adjustment is already withdrawn.")}) from None
    # The month may have been submitted meanwhile: a submission takes the row's status first.
    locked = await session.execute(update(ActivityMonth).where(
        ActivityMonth.id == row.id, ActivityMonth.status == "open").values(status="open"))
    if locked.rowcount != 1:
        raise Invalid(fields={"month": N_("That month's activity record is already submitted.")})
    await record(session, action="activity_record.adjustment_withdrawn", actor_id=actor.id,
                 municipality_id=row.municipality_id, object_type="activity_month", object_id=row.id,
                 ids=[original.id, withdrawal.id])
    return withdrawal


async def _submit(session: AsyncSession, row: ActivityMonth, figures: dict[str, int], by: User, proxy: bool) -> None:
    problems = c.problems(figures, row.year, row.month)
    if problems:
        raise Invalid(fields={"figures": {
            "breakdowns": N_("The consultations by field and by content must add up to the same total."),
            "negative": N_("A figure cannot go below zero."),
            "days": N_("There are not that many days in the month."),
        }[problems[0]]})
    now = utcnow()
    # Conditional update: of two simultaneous submissions only one changes the row.
    done = await session.execute(update(ActivityMonth).where(
        ActivityMonth.id == row.id, ActivityMonth.status == "open").values(
        status="submitted", submitted_at=now, submitted_by=by.id, proxy=proxy, figures=figures))
    if done.rowcount != 1:
        raise Invalid(fields={"month": N_("That month's activity record is already submitted.")})
    session.add(Submission(month_id=row.id, figures=figures, submitted_at=now, submitted_by=by.id, proxy=proxy))
    await session.flush()
    await session.refresh(row)


async def submit_month(session: AsyncSession, *, actor: User, scope: Scope, year: int, month: int) -> ActivityMonth:
    """The commissioner submits an ended month: a snapshot is stored and the month is locked.
    A second submission (a double tap) finds it submitted and changes nothing."""
    _require_commissioner(scope)
    check_period(year, month)
    if not ended(year, month):
        raise Invalid(fields={"month": N_("A month can be submitted once it has ended.")})
    row = await month_row(session, actor.id, year, month)
    if row.status == "submitted":
        return row
    figures = (await queries.live_figures(session, [actor.id], year, month, {actor.id: row}))[actor.id]
    await _submit(session, row, figures, actor, proxy=False)
    await record(session, action="activity_record.submitted", actor_id=actor.id, municipality_id=row.municipality_id,
                 object_type="activity_month", object_id=row.id)
    return row


async def _chaired_member(session: AsyncSession, scope: Scope, council_id: int | None, commissioner_id: int,
                          year: int, month: int) -> Organisation:
    """The council, when the actor chairs it and the commissioner belongs to it in that month; else 404."""
    if council_id is None or council_id not in scope.chaired_councils:
        raise NotFound()
    council = await session.get(Organisation, council_id)
    if council is None or council.kind != "council":
        raise NotFound()
    members = await queries.commissioners(session, year, month, council_id=council_id)
    if commissioner_id not in {m.user_id for m in members}:
        raise NotFound()
    return council


async def reopen_month(session: AsyncSession, *, actor: User, scope: Scope, council_id: int | None,
                       commissioner_id: int | None, year: int, month: int, reason: str) -> ActivityMonth:
    check_period(year, month)
    council = await _chaired_member(session, scope, council_id, commissioner_id or 0, year, month)
    errors: dict[str, str] = {}
    reason = _check_reason(reason, errors)
    if errors:
        raise Invalid(fields=errors)
    row = await month_row(session, commissioner_id, year, month)
    now = utcnow()
    done = await session.execute(update(ActivityMonth).where(
        ActivityMonth.id == row.id, ActivityMonth.status == "submitted").values(status="open"))
    if done.rowcount != 1:
        raise Invalid(fields={"month": N_("This month is not submitted.")})
    latest = (await session.scalars(select(Submission).where(Submission.month_id == row.id)
                                    .order_by(Submission.id.desc()))).first()
    if latest is not None:
        latest.reopened_at, latest.reopened_by, latest.reopen_reason = now, actor.id, reason
    await session.flush()
    await session.refresh(row)
    await record(session, action="activity_record.reopened", actor_id=actor.id, municipality_id=council.municipality_id,
                 object_type="activity_month", object_id=row.id, on_behalf_of_id=commissioner_id)
    return row


async def enter_for(session: AsyncSession, *, actor: User, scope: Scope, council_id: int | None,
                    commissioner_id: int | None, year: int, month: int, figures: dict[str, int | None]) -> ActivityMonth:
    """代理入力: a paper booklet's monthly figures entered by the chair, submitted at once."""
    check_period(year, month)
    council = await _chaired_member(session, scope, council_id, commissioner_id or 0, year, month)
    errors: dict[str, str] = {}
    wanted = c.empty()
    for k in c.KEYS:
        v = figures.get(k)
        if v is None or not 0 <= v <= MAX_FIGURE:
            errors[k] = N_("Enter a number from 0 to 9999.")
        else:
            wanted[k] = v
    if not ended(year, month):
        errors["month"] = N_("A month can be submitted once it has ended.")
    if errors:
        raise Invalid(fields=errors)
    if c.consult_total(wanted) != c.content_total(wanted):
        raise Invalid(fields={"figures": N_("The consultations by field and by content must add up to the same total.")})
    if wanted["days"] > calendar.monthrange(year, month)[1]:
        raise Invalid(fields={"days": N_("There are not that many days in the month.")})
    row = await month_row(session, commissioner_id, year, month)
    if row.status == "submitted":
        raise Invalid(fields={"month": N_("That month's activity record is already submitted.")})
    held = (await queries.live_figures(session, [commissioner_id], year, month, {commissioner_id: row}))[commissioner_id]
    for k in c.KEYS:
        if wanted[k] != held[k]:
            session.add(Adjustment(month_id=row.id, item=k, delta=wanted[k] - held[k], reason="proxy", proxy=True,
                                   author_id=actor.id))
    await session.flush()
    await _submit(session, row, wanted, actor, proxy=True)
    await record(session, action="activity_record.entered_for", actor_id=actor.id,
                 municipality_id=council.municipality_id, object_type="activity_month", object_id=row.id,
                 on_behalf_of_id=commissioner_id)
    return row


async def send_reminders(session: AsyncSession, *, actor: User, scope: Scope, council_id: int | None, year: int,
                         month: int, commissioner_id: int | None = None) -> list[int]:
    """The chair reminds the members who have not submitted (or one of them); returns who was reminded."""
    check_period(year, month)
    if council_id is None or council_id not in scope.chaired_councils:
        raise NotFound()
    council = await session.get(Organisation, council_id)
    if council is None:
        raise NotFound()
    members = await queries.commissioners(session, year, month, council_id=council_id)
    months = await queries.months_of(session, [m.user_id for m in members], year, month)
    missing = [m.user_id for m in members
               if m.user_id not in months or months[m.user_id].status != "submitted"]
    if commissioner_id is not None:
        if commissioner_id not in {m.user_id for m in members}:
            raise NotFound()
        missing = [i for i in missing if i == commissioner_id]
    if not missing:
        raise Invalid(fields={"month": N_("Everyone has submitted; nobody to remind.")})
    now = utcnow()
    for i in missing:
        session.add(Reminder(council_id=council_id, commissioner_id=i, year=year, month=month, sent_by=actor.id,
                             sent_at=now))
    await session.flush()
    await record(session, action="activity_record.reminded", actor_id=actor.id,
                 municipality_id=council.municipality_id, object_type="council", object_id=council_id, ids=missing)
    return missing


# --- the levels ------------------------------------------------------------------------------------

async def council_for(session: AsyncSession, scope: Scope, council_id: int | None) -> Organisation:
    """The council the chair asks for (their first when none is named); 404 outside their chairs."""
    if council_id is None and scope.chaired_councils:
        council_id = min(scope.chaired_councils)
    if council_id is None or council_id not in scope.chaired_councils:
        raise NotFound()
    council = await session.get(Organisation, council_id)
    if council is None or council.kind != "council":
        raise NotFound()
    return council


async def municipality_for(session: AsyncSession, scope: Scope, municipality_id: int | None) -> Area:
    allowed = scope.coordinated | scope.analysed_municipalities
    if municipality_id is None and allowed:
        municipality_id = min(allowed)
    if municipality_id is None or municipality_id not in allowed:
        raise NotFound()
    area = await session.get(Area, municipality_id)
    if area is None or area.level != "municipality":
        raise NotFound()
    return area


async def prefecture_for(session: AsyncSession, scope: Scope, prefecture_id: int | None) -> Area:
    if prefecture_id is None and scope.analysed_prefectures:
        prefecture_id = min(scope.analysed_prefectures)
    if prefecture_id is None or prefecture_id not in scope.analysed_prefectures:
        raise NotFound()
    area = await session.get(Area, prefecture_id)
    if area is None or area.level != "prefecture":
        raise NotFound()
    return area


async def table_for(session: AsyncSession, *, scope: Scope, level: str, unit_id: int | None,
                    months: list[tuple[int, int]], no_council_label: str = "-") -> queries.Table:
    """The level's table after the scope check: council (chair), municipality, prefecture."""
    for y, m in months:
        if (y, m) > c.month_of(clock.today_tokyo()):
            raise NotFound()
    if level == "council":
        return await queries.council_table(session, await council_for(session, scope, unit_id), months)
    if level == "municipality":
        return await queries.municipality_table(session, await municipality_for(session, scope, unit_id), months,
                                                no_council_label)
    if level == "prefecture":
        return await queries.prefecture_table(session, await prefecture_for(session, scope, unit_id), months)
    raise NotFound()


async def unit_municipality(session: AsyncSession, level: str, unit_id: int) -> int | None:
    if level == "council":
        org = await session.get(Organisation, unit_id)
        return org.municipality_id if org else None
    if level == "municipality":
        return unit_id
    return None


async def compile_level(session: AsyncSession, *, actor: User, scope: Scope, level: str, unit_id: int | None,
                        year: int, month: int) -> Compilation:
    """Mark a level's compilation done: a snapshot of its columns and total as they stand."""
    check_period(year, month)
    if not ended(year, month):
        raise Invalid(fields={"month": N_("A month can be compiled once it has ended.")})
    table = await table_for(session, scope=scope, level=level, unit_id=unit_id, months=[(year, month)])
    unit = {"council": (await council_for(session, scope, unit_id)).id if level == "council" else None,
            "municipality": (await municipality_for(session, scope, unit_id)).id if level == "municipality" else None,
            "prefecture": (await prefecture_for(session, scope, unit_id)).id if level == "prefecture" else None}[level]
    row = Compilation(level=level, unit_id=unit, year=year, month=month, compiled_by=actor.id, compiled_at=utcnow(),
                      figures=queries.snapshot(table))
    session.add(row)
    await session.flush()
    await record(session, action="activity_record.compiled", actor_id=actor.id,
                 municipality_id=await unit_municipality(session, level, unit), object_type=f"{level}_compilation",
                 object_id=row.id, ids=[unit])
    return row


async def latest_compilation(session: AsyncSession, level: str, unit_id: int, year: int, month: int) -> Compilation | None:
    return (await session.scalars(select(Compilation).where(
        Compilation.level == level, Compilation.unit_id == unit_id, Compilation.year == year,
        Compilation.month == month).order_by(Compilation.id.desc()))).first()


async def record_export(session: AsyncSession, *, actor: User, level: str, unit_id: int, period: str) -> None:
    await record(session, action="activity_record.exported", actor_id=actor.id,
                 municipality_id=await unit_municipality(session, level, unit_id),
                 object_type=f"{level}_export", object_id=unit_id)
