"""Reading casework: a household's casework page, a sheet (any version), a share as its reader may
see it, the coordinators' review list, conferences, a person's open actions, and the gap counts.

`gap_counts` and `GAP_CATEGORIES` are the console's entry points: pure reads, no audit, no scope
(the caller passes the areas it may show). Views that show residents write an audit row (ids only).
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server import clock, sealing
from server.areas.models import Area, Organisation
from server.audit.service import record
from server.casework import service
from server.casework.models import (
    GAP_CATEGORIES,
    CaseShare,
    CaseSheet,
    CaseSheetVersion,
    Conference,
    ConferenceAction,
    Gap,
    SupportMeeting,
    SupportMeetingMember,
)
from server.concerns.models import Concern
from server.errors import NotFound
from server.households.models import Household
from server.i18n import TOKYO
from server.scope import Scope, require_household
from server.users.models import RoleGrant, User

__all__ = ["GAP_CATEGORIES", "gap_counts"]


def _utc(day: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(day, dt.datetime):
        return day if day.tzinfo else day.replace(tzinfo=TOKYO)
    return dt.datetime(day.year, day.month, day.day, tzinfo=TOKYO)


async def gap_counts(session: AsyncSession, *, area_ids, start: dt.date | dt.datetime,
                     end: dt.date | dt.datetime) -> list[tuple[int, str, str, int]]:
    """(area_id, category, month "YYYY-MM" in Asia/Tokyo, count) of the gaps tagged in [start, end)
    on concerns about the given areas (neighbourhoods), sorted. Dates are Tokyo days."""
    ids = list(area_ids)
    if not ids:
        return []
    rows = (await session.execute(select(Gap.area_id, Gap.category, Gap.created_at).where(
        Gap.area_id.in_(ids), Gap.created_at >= _utc(start), Gap.created_at < _utc(end)))).all()
    counts = Counter((r.area_id, r.category, r.created_at.astimezone(TOKYO).strftime("%Y-%m")) for r in rows)
    return sorted((a, c, m, n) for (a, c, m), n in counts.items())


# --- households and sheets ---------------------------------------------------------------------------------

async def household_page(session: AsyncSession, *, actor: User, scope: Scope, household_id: int) -> dict:
    service._professional(scope)
    household = await require_household(session, scope, household_id)
    sheets = (await session.scalars(select(CaseSheet).where(
        CaseSheet.household_id == household.id, CaseSheet.organisation_id.in_(scope.organisations))
        .order_by(CaseSheet.id))).all()
    shares = (await session.scalars(select(CaseShare).where(
        CaseShare.household_id == household.id,
        or_(CaseShare.from_organisation_id.in_(scope.organisations),
            (CaseShare.to_organisation_id.in_(scope.organisations)) & CaseShare.revoked_at.is_(None)))
        .order_by(CaseShare.id.desc()))).all()
    conferences = [c for c in (await session.scalars(select(Conference).where(
        Conference.municipality_id == household.municipality_id).order_by(Conference.held_on.desc()))).all()
        if household.id in (c.household_ids or []) and _can_read_conference(c, scope)]
    concerns = (await session.scalars(select(Concern).where(
        Concern.household_id == household.id, Concern.organisation_id.in_(scope.organisations))
        .order_by(Concern.id.desc()))).all()
    await record(session, action="casework.household_viewed", actor_id=actor.id,
                 municipality_id=household.municipality_id, object_type="household", object_id=household.id)
    return {"household": household, "sheets": sheets, "shares": shares, "conferences": conferences,
            "concerns": concerns, "orgs": await orgs_of(session, household.municipality_id)}


async def orgs_of(session: AsyncSession, municipality_id: int) -> dict[int, Organisation]:
    return {o.id: o for o in (await session.scalars(select(Organisation).where(
        Organisation.municipality_id == municipality_id).order_by(Organisation.id))).all()}


@dataclass
class SheetView:
    sheet: CaseSheet
    version: CaseSheetVersion
    sections: dict[str, str]
    versions: list[tuple[CaseSheetVersion, User | None]]
    household: Household
    author: User | None


async def sheet_view(session: AsyncSession, *, actor: User, scope: Scope, sheet_id: int,
                     version: int | None = None, audit: bool = True) -> SheetView:
    sheet = await service.readable_sheet(session, scope, sheet_id)
    row = await service.sheet_version(session, sheet, version)
    versions = (await session.execute(select(CaseSheetVersion, User).outerjoin(
        User, User.id == CaseSheetVersion.author_id).where(CaseSheetVersion.sheet_id == sheet.id)
        .order_by(CaseSheetVersion.version.desc()))).all()
    if audit:
        await record(session, action="casework.sheet_viewed", actor_id=actor.id, municipality_id=sheet.municipality_id,
                     object_type="case_sheet", object_id=sheet.id, ids=[sheet.household_id])
    return SheetView(sheet=sheet, version=row, sections=service.unseal_json(row.sections_sealed, "sections", {}),
                     versions=[(v, u) for v, u in versions], household=await session.get(Household, sheet.household_id),
                     author=next((u for v, u in versions if v.version == row.version), None))


async def share_form(session: AsyncSession, scope: Scope, sheet: CaseSheet) -> dict:
    orgs = await orgs_of(session, sheet.municipality_id)
    meetings = (await session.scalars(select(SupportMeeting).where(
        SupportMeeting.municipality_id == sheet.municipality_id).order_by(SupportMeeting.id))).all()
    return {"targets": [o for o in orgs.values() if o.id != sheet.organisation_id and o.kind != "council"],
            "meetings": meetings, "notes": [(n, sealing.unseal(n.text_sealed, "concerns.event") or "")
                                            for n in await service.shareable_notes(session, sheet)],
            "consents": await service.household_consents(session, sheet.household_id)}


@dataclass
class ShareView:
    share: CaseShare
    role: str
    snapshot: dict
    reason: str
    orgs: dict[int, Organisation]
    sharer: User | None
    meeting: SupportMeeting | None


async def share_view(session: AsyncSession, *, actor: User, scope: Scope, share_id: int) -> ShareView:
    share = await session.get(CaseShare, share_id)
    if share is None:
        raise NotFound()
    role = service.share_role(share, scope)
    snapshot = service.unseal_json(share.snapshot_sealed, "snapshot", {}) if role != "reviewer" else {}
    await record(session, action="casework.share_viewed", actor_id=actor.id, municipality_id=share.municipality_id,
                 object_type="case_share", object_id=share.id, ids=[share.household_id])
    return ShareView(share=share, role=role, snapshot=snapshot, reason=service.unseal(share.reason_sealed, "reason"),
                     orgs=await orgs_of(session, share.municipality_id), sharer=await session.get(User, share.sharer_id),
                     meeting=await session.get(SupportMeeting, share.meeting_id) if share.meeting_id else None)


async def shares_page(session: AsyncSession, *, actor: User, scope: Scope) -> dict:
    return {"rows": await received(session, scope), "orgs": await orgs_of(session, actor.municipality_id or -1)}


async def received(session: AsyncSession, scope: Scope) -> list[CaseShare]:
    """Shares received by the person's organisations, not revoked."""
    if "professional" not in scope.roles or not scope.organisations:
        return []
    return list((await session.scalars(select(CaseShare).where(
        CaseShare.to_organisation_id.in_(scope.organisations), CaseShare.revoked_at.is_(None))
        .order_by(CaseShare.id.desc()).limit(100))).all())


async def review_list(session: AsyncSession, *, actor: User, scope: Scope, municipality_id: int) -> dict:
    """緊急 shares of the municipality: not yet reviewed first."""
    scope.require_coordinator_of(municipality_id)
    rows = (await session.scalars(select(CaseShare).where(
        CaseShare.municipality_id == municipality_id, CaseShare.basis == "emergency")
        .order_by(CaseShare.reviewed_at.is_not(None), CaseShare.id.desc()).limit(200))).all()
    users = {u.id: u for u in (await session.scalars(select(User).where(
        User.id.in_({r.sharer_id for r in rows} or {-1})))).all()}
    await record(session, action="casework.reviews_listed", actor_id=actor.id, municipality_id=municipality_id,
                 object_type="municipality", object_id=municipality_id, ids=sorted({r.household_id for r in rows}) or None)
    return {"rows": [(r, users.get(r.sharer_id), service.unseal(r.reason_sealed, "reason")) for r in rows],
            "orgs": await orgs_of(session, municipality_id)}


async def meetings_page(session: AsyncSession, municipality_id: int) -> dict:
    meetings = (await session.scalars(select(SupportMeeting).where(
        SupportMeeting.municipality_id == municipality_id).order_by(SupportMeeting.id))).all()
    members: dict[int, set[int]] = {}
    for m in (await session.scalars(select(SupportMeetingMember).where(
            SupportMeetingMember.meeting_id.in_([m.id for m in meetings] or [-1])))).all():
        members.setdefault(m.meeting_id, set()).add(m.organisation_id)
    orgs = await orgs_of(session, municipality_id)
    return {"meetings": meetings, "members": members, "orgs": orgs, "municipality_id": municipality_id,
            "candidates": [o for o in orgs.values() if o.kind != "council"]}


async def meeting_of(session: AsyncSession, scope: Scope, meeting_id: int) -> SupportMeeting:
    """A 支援会議 body of a municipality the person coordinates, else NotFound."""
    row = await session.get(SupportMeeting, meeting_id)
    if row is None or not scope.coordinates(row.municipality_id):
        raise NotFound()
    return row


async def meeting_edit(session: AsyncSession, scope: Scope, meeting_id: int) -> dict:
    """The meetings page opened on one body, its form filled with what is stored."""
    row = await meeting_of(session, scope, meeting_id)
    ctx = await meetings_page(session, row.municipality_id)
    return {**ctx, "values": {"name": row.name, "law": row.law,
                              "member_ids": sorted(ctx["members"].get(row.id, set()))}, "editing": row.id}


# --- conferences and actions -------------------------------------------------------------------------------

async def conferences_page(session: AsyncSession, *, actor: User, scope: Scope) -> dict:
    """The conferences the person may read in their municipalities, and their own open actions."""
    rows = await conferences(session, scope, scope.municipalities | ({actor.municipality_id} - {None}))
    return {"rows": rows, "actions": await open_actions(session, actor)}


async def conference_form(session: AsyncSession, *, actor: User, scope: Scope, household_id: int | None) -> dict:
    """What the new-conference form offers: the household's concerns (when it is about one, whose
    casework page this is read through, and audited as such), the municipality's 支援会議 bodies and
    the people who may take part."""
    household = await require_household(session, scope, household_id) if household_id is not None else None
    municipality_id = household.municipality_id if household else actor.municipality_id
    if municipality_id is None:
        raise NotFound()
    concerns = []
    if household is not None:
        concerns = (await household_page(session, actor=actor, scope=scope, household_id=household.id))["concerns"]
    return {"household": household, "concerns": concerns,
            "meetings": (await meetings_page(session, municipality_id))["meetings"],
            "people": await candidates(session, municipality_id)}

def _can_read_conference(row: Conference, scope: Scope) -> bool:
    try:
        service.conference_role(row, scope)
    except NotFound:
        return False
    return True


async def conferences(session: AsyncSession, scope: Scope, municipality_ids: set[int]) -> list[Conference]:
    rows = (await session.scalars(select(Conference).where(Conference.municipality_id.in_(municipality_ids or {-1}))
                                  .order_by(Conference.held_on.desc(), Conference.id.desc()).limit(500))).all()
    return [r for r in rows if _can_read_conference(r, scope)][:100]


async def candidates(session: AsyncSession, municipality_id: int) -> list[User]:
    """Who may be a participant: active professionals, coordinators and commissioners of the municipality."""
    now = service.utcnow()
    return list((await session.scalars(select(User).join(RoleGrant, RoleGrant.user_id == User.id).where(
        User.municipality_id == municipality_id, User.status == "active",
        RoleGrant.role.in_(("professional", "coordinator", "commissioner")), RoleGrant.valid_from <= now,
        or_(RoleGrant.valid_to.is_(None), RoleGrant.valid_to > now)).order_by(User.id))).unique().all())[:300]


@dataclass
class ConferenceView:
    conference: Conference
    role: str
    outside: str
    minutes: str
    decisions: str
    participants: list[User]
    actions: list[tuple[ConferenceAction, User | None, str, bool]]
    households: list[Household]
    org: Organisation | None
    meeting: SupportMeeting | None
    concerns: list[Concern] = field(default_factory=list)


async def conference_view(session: AsyncSession, *, actor: User, scope: Scope, conference_id: int) -> ConferenceView:
    row = await session.get(Conference, conference_id)
    if row is None:
        raise NotFound()
    role = service.conference_role(row, scope)
    people = {u.id: u for u in (await session.scalars(select(User).where(
        User.id.in_(row.participant_ids or [-1])))).all()}
    today = clock.today_tokyo()
    actions = (await session.scalars(select(ConferenceAction).where(ConferenceAction.conference_id == row.id)
                                     .order_by(ConferenceAction.due_on, ConferenceAction.id))).all()
    households = (await session.scalars(select(Household).where(Household.id.in_(row.household_ids or [-1])))).all()
    await record(session, action="casework.conference_viewed", actor_id=actor.id, municipality_id=row.municipality_id,
                 object_type="conference", object_id=row.id, ids=row.household_ids or None)
    return ConferenceView(
        conference=row, role=role, outside=service.unseal(row.outside_sealed, "outside"),
        minutes=service.unseal(row.minutes_sealed, "minutes"), decisions=service.unseal(row.decisions_sealed, "decisions"),
        participants=[people[i] for i in row.participant_ids if i in people],
        actions=[(a, people.get(a.owner_id), service.unseal(a.text_sealed, "action"),
                  a.done_at is None and a.due_on < today) for a in actions],
        households=list(households), org=await session.get(Organisation, row.organisation_id),
        meeting=await session.get(SupportMeeting, row.meeting_id) if row.meeting_id else None,
        concerns=list((await session.scalars(select(Concern).where(Concern.id.in_(row.concern_ids or [-1])))).all()))


@dataclass
class OpenAction:
    action: ConferenceAction
    text: str
    overdue: bool


async def open_actions(session: AsyncSession, user: User) -> list[OpenAction]:
    """The person's open follow-up actions, soonest due first (their home screen shows these)."""
    today = clock.today_tokyo()
    rows = (await session.scalars(select(ConferenceAction).where(
        ConferenceAction.owner_id == user.id, ConferenceAction.done_at.is_(None))
        .order_by(ConferenceAction.due_on, ConferenceAction.id).limit(50))).all()
    return [OpenAction(r, service.unseal(r.text_sealed, "action"), r.due_on < today) for r in rows]


# --- 制度外ニーズ page --------------------------------------------------------------------------------------

def periods(start: dt.date, end: dt.date, by: str) -> list[str]:
    """Month keys "YYYY-MM", or quarter keys "YYYY-Qn" (fiscal quarters: Q1 = April-June)."""
    out, y, m = [], start.year, start.month
    while (y, m) < (end.year, end.month) or (y, m) == (end.year, end.month) and end.day > 1:
        key = f"{y}-{m:02d}" if by == "month" else quarter_of(f"{y}-{m:02d}")
        if key not in out:
            out.append(key)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def quarter_of(month: str) -> str:
    y, m = int(month[:4]), int(month[5:7])
    fy = y if m >= 4 else y - 1
    return f"FY{fy}-Q{(m - 4) % 12 // 3 + 1}"


async def gaps_report(session: AsyncSession, *, scope: Scope, municipality_id: int, start: dt.date, end: dt.date,
                      by: str) -> dict:
    """Counts by category × district and by category × period, and the one-line entries."""
    areas = {a.id: a for a in (await session.scalars(select(Area).where(Area.municipality_id == municipality_id))).all()}
    hoods = [a.id for a in areas.values() if a.level == "neighbourhood"]
    rows = await gap_counts(session, area_ids=hoods, start=start, end=end)
    keys = periods(start, end, by)
    by_area: Counter = Counter()
    by_period: Counter = Counter()
    for area_id, category, month, n in rows:
        district = areas[area_id].parent_id if areas[area_id].parent_id in areas else area_id
        by_area[(category, district)] += n
        by_period[(category, month if by == "month" else quarter_of(month))] += n
    districts = [a for a in areas.values() if a.level == "district"]
    entries = (await session.execute(select(Gap, Concern.category).join(Concern, Concern.id == Gap.concern_id).where(
        Gap.municipality_id == municipality_id, Gap.created_at >= _utc(start), Gap.created_at < _utc(end))
        .order_by(Gap.created_at.desc()).limit(500))).all()
    return {"categories": GAP_CATEGORIES, "districts": sorted(districts, key=lambda a: a.id), "by_area": by_area,
            "periods": keys, "by_period": by_period, "total": sum(n for *_k, n in rows), "areas": areas, "rows": rows,
            "entries": [(g, service.unseal(g.line_sealed, "gap")) for g, _c in entries]}


async def gaps_page(session: AsyncSession, *, actor: User, scope: Scope, municipality_id: int, start: dt.date,
                    end: dt.date, by: str) -> dict:
    """The 制度外ニーズ page: gaps_report, and the audit row of its being listed."""
    view = await gaps_report(session, scope=scope, municipality_id=municipality_id, start=start, end=end, by=by)
    await record(session, action="casework.gaps_viewed", actor_id=actor.id, municipality_id=municipality_id,
                 object_type="municipality", object_id=municipality_id)
    return view


async def gap_concern(session: AsyncSession, scope: Scope, concern_id: int) -> Concern:
    """The concern a gap is tagged on: one held by the person's organisation, else NotFound."""
    concern = await session.get(Concern, concern_id)
    if concern is None or concern.organisation_id not in scope.organisations:
        raise NotFound()
    return concern
