"""Reading concerns: the inbox, a concern's page (what each reader may see), unread replies, the
routing table and the alert count. Views that show residents write an audit row (ids only).

Who sees what (the concern's scope):
- "org": professionals of the organisation holding it now: everything, case notes included
  (notes written before a transfer travel with the concern);
- "coordinator": the municipality's coordinators: the concern and its replies, no case notes;
- "reporter": whoever raised it, or holds it after a handover: status and replies only.
Anyone else: NotFound (a professional of another organisation, the previous one after a transfer).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.areas.models import Area, Organisation
from server.audit.service import record
from server.concerns.models import (
    URGENCY_RANK,
    Concern,
    ConcernEvent,
    ConcernRoute,
    ConcernSettings,
    Holiday,
)
from server.concerns.service import mark_read, unseal
from server.concerns.targets import DEFAULTS
from server.concerns.transitions import OPEN, actions_from, reporter_status
from server.db import utcnow
from server.errors import NotFound
from server.households.models import Household
from server.scope import Scope, household_clause, require_household
from server.users.models import RoleGrant, User

LIST_LIMIT = 200


@dataclass
class Entry:
    concern: Concern
    org: Organisation | None
    area: Area | None
    overdue: bool
    unread: bool = False
    household: Household | None = None


async def raise_form(session: AsyncSession, scope: Scope, household_id: int | None) -> dict:
    """What the raise form offers: the household it is about, or (about someone not registered)
    the neighbourhoods the person works in or coordinates."""
    household = await require_household(session, scope, household_id) if household_id else None
    areas = []
    if household is None:
        areas = list((await session.scalars(select(Area).where(
            Area.level == "neighbourhood",
            (Area.id.in_(scope.areas)) | (Area.municipality_id.in_(scope.municipalities))).order_by(Area.id))).all())
    return {"household": household, "areas": areas}


def _urgency_order():
    return case(URGENCY_RANK, value=Concern.urgency)


def is_overdue(row: Concern, now: dt.datetime) -> bool:
    return row.state == "new" and row.due_at < now


def is_unread(row: Concern) -> bool:
    return row.last_reply_at is not None and (row.holder_read_at is None or row.holder_read_at < row.last_reply_at)


async def _entries(session: AsyncSession, rows: list[Concern], *, with_households: bool) -> list[Entry]:
    orgs = {o.id: o for o in (await session.scalars(select(Organisation).where(
        Organisation.id.in_({r.organisation_id for r in rows})))).all()} if rows else {}
    areas = {a.id: a for a in (await session.scalars(select(Area).where(
        Area.id.in_({r.area_id for r in rows})))).all()} if rows else {}
    households = {}
    hids = {r.household_id for r in rows if r.household_id}
    if with_households and hids:
        households = {h.id: h for h in (await session.scalars(select(Household).where(Household.id.in_(hids)))).all()}
    now = utcnow()
    return [Entry(r, orgs.get(r.organisation_id), areas.get(r.area_id), is_overdue(r, now), is_unread(r),
                  households.get(r.household_id)) for r in rows]


async def inbox(session: AsyncSession, *, actor: User, scope: Scope) -> dict:
    """Professionals: their organisations' concerns, open first by urgency then age (oldest first),
    overdue ones marked; coordinators: the municipality's open concerns; everyone: their own."""
    mine_rows = (await session.scalars(select(Concern).where(
        or_(Concern.reporter_id == actor.id, Concern.holder_id == actor.id))
        .order_by(Concern.created_at.desc()).limit(LIST_LIMIT))).all()
    org_open, org_closed, municipal = [], [], []
    if scope.organisations and "professional" in scope.roles:
        org_open = (await session.scalars(select(Concern).where(
            Concern.organisation_id.in_(scope.organisations), Concern.state.in_(OPEN))
            .order_by(_urgency_order(), Concern.arrived_at, Concern.id).limit(LIST_LIMIT))).all()
        since = utcnow() - dt.timedelta(days=30)
        org_closed = (await session.scalars(select(Concern).where(
            Concern.organisation_id.in_(scope.organisations), Concern.state.not_in(OPEN), Concern.closed_at >= since)
            .order_by(Concern.closed_at.desc()).limit(50))).all()
    if scope.coordinated:
        municipal = (await session.scalars(select(Concern).where(
            Concern.municipality_id.in_(scope.coordinated), Concern.state.in_(OPEN))
            .order_by(_urgency_order(), Concern.arrived_at, Concern.id).limit(LIST_LIMIT))).all()
    view = {
        "mine": await _entries(session, list(mine_rows), with_households=True),
        "org_open": await _entries(session, list(org_open), with_households=True),
        "org_closed": await _entries(session, list(org_closed), with_households=True),
        "municipal": await _entries(session, list(municipal), with_households=True),
    }
    shown = {e.household.id for key in view for e in view[key] if e.household}
    if shown:
        await record(session, action="concerns.listed", actor_id=actor.id, municipality_id=actor.municipality_id,
                     object_type="user", object_id=actor.id, ids=sorted(shown))
    return view


async def _in_scope(session: AsyncSession, scope: Scope, household_id: int) -> bool:
    return (await session.scalar(select(Household.id).where(
        Household.id == household_id, await household_clause(session, scope, one=True)))) is not None


def reader_role(row: Concern, scope: Scope, user: User) -> str:
    if "professional" in scope.roles and row.organisation_id in scope.organisations:
        return "org"
    if scope.coordinates(row.municipality_id):
        return "coordinator"
    if user.id in (row.reporter_id, row.holder_id):
        return "reporter"
    raise NotFound()


@dataclass
class Detail:
    concern: Concern
    role: str
    org: Organisation
    area: Area | None
    household: Household | None
    seen: str
    done: str
    place: str
    replies: list[tuple[ConcernEvent, User | None]]
    notes: list[tuple[ConcernEvent, User | None, str]] = field(default_factory=list)
    moves: list[tuple[ConcernEvent, User | None, str]] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    transfer_to: list[Organisation] = field(default_factory=list)
    colleagues: list[User] = field(default_factory=list)
    orgs: dict[int, Organisation] = field(default_factory=dict)
    overdue: bool = False
    status: str = ""


async def detail(session: AsyncSession, *, actor: User, scope: Scope, concern_id: int) -> Detail:
    row = await session.get(Concern, concern_id)
    if row is None:
        raise NotFound()
    role = reader_role(row, scope, actor)
    events = (await session.execute(select(ConcernEvent, User).outerjoin(User, User.id == ConcernEvent.actor_id)
                                    .where(ConcernEvent.concern_id == row.id).order_by(ConcernEvent.id))).all()
    orgs = {o.id: o for o in (await session.scalars(select(Organisation).where(
        Organisation.municipality_id == row.municipality_id).order_by(Organisation.id))).all()}
    household = await session.get(Household, row.household_id) if row.household_id else None
    if household is not None and role == "reporter" and not await _in_scope(session, scope, household.id):
        # A reporter whose household was reassigned away (e.g. an offline concern routed on
        # arrival) sees the concern's status and replies, not the household.
        household = None
    out = Detail(concern=row, role=role, org=orgs.get(row.organisation_id) or await session.get(Organisation,
                                                                                                row.organisation_id),
                 area=await session.get(Area, row.area_id), household=household,
                 seen=unseal(row.seen_sealed, "seen"), done=unseal(row.done_sealed, "done"),
                 place=unseal(row.place_sealed, "place"),
                 replies=[(e, u) for e, u in events if e.kind == "reply"], orgs=orgs,
                 overdue=is_overdue(row, utcnow()), status=reporter_status(row.state))
    if role == "org":
        out.notes = [(e, u, unseal(e.text_sealed, "event")) for e, u in events if e.kind == "note"]
        out.actions = actions_from(row.state)
        out.transfer_to = [o for o in orgs.values() if o.id != row.organisation_id and o.kind != "council"]
        now = utcnow()
        out.colleagues = list((await session.scalars(select(User).join(RoleGrant, RoleGrant.user_id == User.id).where(
            RoleGrant.role == "professional", RoleGrant.organisation_id == row.organisation_id,
            RoleGrant.valid_from <= now, or_(RoleGrant.valid_to.is_(None), RoleGrant.valid_to > now),
            User.status == "active").order_by(User.id))).unique().all())
    if role in ("org", "coordinator"):
        out.moves = [(e, u, unseal(e.text_sealed, "event")) for e, u in events if e.kind in ("move", "route")]
    if role == "reporter" or actor.id in (row.reporter_id, row.holder_id):
        await mark_read(session, row, actor)
    await record(session, action="concern.viewed", actor_id=actor.id, municipality_id=row.municipality_id,
                 object_type="concern", object_id=row.id, ids=[row.household_id] if row.household_id else None)
    return out


def reply_text(event: ConcernEvent) -> str:
    return unseal(event.text_sealed, "event")


async def unread_replies(session: AsyncSession, user: User) -> list[Concern]:
    """The reporter's concerns with a reply they have not opened yet (their home shows these)."""
    return list((await session.scalars(select(Concern).where(
        or_(Concern.reporter_id == user.id, Concern.holder_id == user.id), Concern.last_reply_at.is_not(None),
        or_(Concern.holder_read_at.is_(None), Concern.holder_read_at < Concern.last_reply_at))
        .order_by(Concern.last_reply_at.desc()).limit(20))).all())


async def urgent_count(session: AsyncSession, organisation_ids: set[int] | list[int]) -> int:
    """New 緊急 concerns waiting in these organisations' inboxes (a number, never personal data)."""
    if not organisation_ids:
        return 0
    return (await session.scalar(select(func.count(Concern.id)).where(
        Concern.organisation_id.in_(list(organisation_ids)), Concern.urgency == "emergency",
        Concern.state == "new"))) or 0


async def routing_table(session: AsyncSession, municipality_id: int) -> dict:
    routes = (await session.scalars(select(ConcernRoute).where(ConcernRoute.municipality_id == municipality_id)
                                    .order_by(ConcernRoute.area_id.is_not(None), ConcernRoute.area_id,
                                              ConcernRoute.target_group, ConcernRoute.category))).all()
    orgs = {o.id: o for o in (await session.scalars(select(Organisation).where(
        Organisation.municipality_id == municipality_id).order_by(Organisation.id))).all()}
    areas = {a.id: a for a in (await session.scalars(select(Area).where(
        Area.municipality_id == municipality_id, Area.level.in_(("district", "neighbourhood"))).order_by(Area.id))).all()}
    settings = await session.get(ConcernSettings, municipality_id)
    holidays = (await session.scalars(select(Holiday).where(Holiday.municipality_id == municipality_id)
                                      .order_by(Holiday.day))).all()
    return {"routes": routes, "orgs": orgs, "areas": areas, "municipality_id": municipality_id,
            "targets": {k: getattr(settings, k) for k in DEFAULTS} if settings else dict(DEFAULTS),
            "holidays": "\n".join(f"{h.day.isoformat()} {h.name}" for h in holidays if not h.open),
            "open_days": "\n".join(f"{h.day.isoformat()} {h.name}" for h in holidays if h.open)}
