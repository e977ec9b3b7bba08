"""Keeping the rollups in step with the writes, in the same transaction.

Every hook is ONE statement: a multi-row INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n
that adds a delta to the area's row and to each of its ancestors' rows (the ancestors are read by
the statement itself from `areas`, so the caller passes only the area id). SQLite (3.24+) and
PostgreSQL both accept it. The contact hook is the quick log's only extra cost: one prepared
statement, built once at import, 8 rows (4 levels × method and outcome).

Concerns and salons are kept by difference: the service takes the row's keys before a change and
after it, and `apply_diff` writes the difference (so a re-categorised, transferred or reopened
concern moves its counts rather than adding to them). The same key functions drive the rebuild,
so "incremental == from scratch" is what tests/console/test_rollups.py checks against raw rows.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from server.i18n import TOKYO
from server.salons.models import Attendance, Followup, SalonSession
from server.sqlite_driver import DEFERRABLE

# Upper bounds (hours) of the duration histogram's buckets: log-spaced, the last one open.
BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
CLOSING = ("linked", "watching", "closed")

Key = tuple[int, str, str]  # (month, measure, dim)

# The area and its ancestors (parent, municipality, prefecture), without repeats or NULLs.
_ANCESTORS = """(SELECT id AS anc FROM areas WHERE id = :area
      UNION SELECT parent_id FROM areas WHERE id = :area
      UNION SELECT municipality_id FROM areas WHERE id = :area
      UNION SELECT prefecture_id FROM areas WHERE id = :area) AS a"""
_UPSERT = " ON CONFLICT (area_id, month, measure, dim) DO UPDATE SET n = rollup_counts.n + excluded.n"

# DEFERRABLE: nothing reads what these statements return, so the embedded driver may send them
# with the request's next statement (server/sqlite_driver.py).
CONTACT_SQL = text(
    "INSERT " + DEFERRABLE + " INTO rollup_counts (area_id, month, measure, dim, n) "
    "SELECT a.anc, CAST(:month AS INTEGER), m.measure, m.dim, CAST(:n AS INTEGER) FROM " + _ANCESTORS + ", "
    "(SELECT 'contacts.method' AS measure, CAST(:method AS VARCHAR(32)) AS dim "
    "UNION ALL SELECT 'contacts.outcome', CAST(:outcome AS VARCHAR(32))) AS m "
    "WHERE a.anc IS NOT NULL" + _UPSERT)


def month_of(when: dt.datetime | dt.date) -> int:
    if isinstance(when, dt.datetime):
        when = when.astimezone(TOKYO)
    return when.year * 100 + when.month


def bucket(hours: float) -> str:
    for i, upper in enumerate(BUCKETS):
        if hours < upper:
            return f"b{i:02d}"
    return f"b{len(BUCKETS):02d}"


def bucket_upper(dim: str) -> float:
    """The bucket's upper bound in hours (infinity for the open last bucket)."""
    i = int(dim[1:])
    return BUCKETS[i] if i < len(BUCKETS) else float("inf")


async def contact_changed(session: AsyncSession, *, area_id: int, occurred_at: dt.datetime, method: str,
                          outcome: str, n: int = 1) -> None:
    """+1 when a contact is logged, -1 when it is withdrawn or superseded by a correction."""
    await session.execute(CONTACT_SQL, {"area": area_id, "month": month_of(occurred_at), "method": method,
                                        "outcome": outcome, "n": n})


async def apply(session: AsyncSession, area_id: int, deltas: Counter) -> None:
    """Add deltas {(month, measure, dim): n} to the area and its ancestors, in one statement."""
    items = [(k, v) for k, v in sorted(deltas.items()) if v]
    if not items:
        return
    params: dict = {"area": area_id}
    rows = []
    for i, ((month, measure, dim), n) in enumerate(items):
        rows.append(f"SELECT CAST(:m{i} AS INTEGER) AS month, CAST(:s{i} AS VARCHAR(32)) AS measure, "
                    f"CAST(:d{i} AS VARCHAR(32)) AS dim, CAST(:n{i} AS INTEGER) AS n")
        params.update({f"m{i}": month, f"s{i}": measure, f"d{i}": dim, f"n{i}": n})
    stmt = text("INSERT " + DEFERRABLE + " INTO rollup_counts (area_id, month, measure, dim, n) "
                "SELECT a.anc, v.month, v.measure, v.dim, v.n FROM " + _ANCESTORS + ", ("
                + " UNION ALL ".join(rows) + ") AS v WHERE a.anc IS NOT NULL" + _UPSERT)
    await session.execute(stmt, params)


async def apply_diff(session: AsyncSession, area_id: int, before: Counter, after: Counter) -> None:
    delta = Counter(after)
    delta.subtract(before)
    await apply(session, area_id, delta)


# --- concerns -------------------------------------------------------------------------------------

def concern_keys(row) -> Counter:  # a server.concerns.models.Concern
    """What one concern contributes: raised (by group, category, urgency, current status) in the
    month it was raised; acknowledged (time from arrival, met/missed target, by urgency) in the
    month of acknowledgement; closed (time from raising, by urgency) in the month it closed."""
    k: Counter = Counter()
    if row is None:
        return k
    m = month_of(row.created_at)
    k[(m, "concerns.group", row.target_group)] += 1
    k[(m, "concerns.category", row.category)] += 1
    k[(m, "concerns.urgency", row.urgency)] += 1
    k[(m, "concerns.status", row.state)] += 1
    if row.acknowledged_at is not None:
        ma = month_of(row.acknowledged_at)
        hours = (row.acknowledged_at - row.arrived_at).total_seconds() / 3600
        k[(ma, "concerns.ack_hours", f"{row.urgency}:{bucket(hours)}")] += 1
        k[(ma, "concerns.ack_target", f"{row.urgency}:{'met' if row.acknowledged_at <= row.due_at else 'missed'}")] += 1
    if row.closed_at is not None and row.state in CLOSING:
        hours = (row.closed_at - row.created_at).total_seconds() / 3600
        k[(month_of(row.closed_at), "concerns.close_hours", f"{row.urgency}:{bucket(hours)}")] += 1
    return k


async def concern_changed(session: AsyncSession, row, before: Counter | None = None) -> None:
    """After a concern was written: apply (its keys now) - (its keys before the change)."""
    await session.flush()
    await apply_diff(session, row.area_id, before or Counter(), concern_keys(row))


# --- casework: needs outside the system (制度外ニーズ) ---------------------------------------------------

def gap_keys(row) -> Counter:  # a server.casework.models.Gap (or a row of its columns)
    """One gap tag: +1 to its category in the (Tokyo) month it was tagged, at the concern's area."""
    return Counter({(month_of(row.created_at), "casework.gaps", row.category): 1})


# --- salons ---------------------------------------------------------------------------------------

async def salon_keys(session: AsyncSession, salon_id: int) -> Counter:
    """What one salon contributes: sessions held / cancelled, attendance by status (month of the
    session), absence follow-ups by state (month opened). Small: a salon has tens of sessions a year."""
    k: Counter = Counter()
    sessions = (await session.execute(select(SalonSession.id, SalonSession.starts_at, SalonSession.status,
                                             SalonSession.attendance_taken_at)
                                      .where(SalonSession.salon_id == salon_id))).all()
    month = {}
    for sid, starts, status, taken in sessions:
        month[sid] = m = month_of(starts)
        if status == "cancelled":
            k[(m, "salons.sessions", "cancelled")] += 1
        elif taken is not None:
            k[(m, "salons.sessions", "held")] += 1
    if month:
        counts = (await session.execute(select(Attendance.session_id, Attendance.status, func.count())
                                        .join(SalonSession, SalonSession.id == Attendance.session_id)
                                        .where(SalonSession.salon_id == salon_id)
                                        .group_by(Attendance.session_id, Attendance.status))).all()
        for sid, status, n in counts:
            k[(month[sid], "salons.attendance", status)] += n
    for opened, outcome, closed in (await session.execute(select(Followup.opened_at, Followup.outcome, Followup.closed_at)
                                                          .where(Followup.salon_id == salon_id))).all():
        state = "open" if closed is None else ("came_back" if outcome == "came_back" else "followed")
        k[(month_of(opened), "salons.followups", state)] += 1
    return k


class SalonTracker:
    """`before = await SalonTracker.start(session, salon)`, write, `await before.done()`."""

    def __init__(self, session: AsyncSession, salon, before: Counter) -> None:
        self.session, self.salon, self.before = session, salon, before

    @classmethod
    async def start(cls, session: AsyncSession, salon) -> SalonTracker:
        await session.flush()
        return cls(session, salon, await salon_keys(session, salon.id))

    async def done(self) -> None:
        await self.session.flush()
        await apply_diff(self.session, self.salon.area_id, self.before, await salon_keys(self.session, self.salon.id))
