"""Casework writes: sheets and their versions, collaboration sheets (shares), 支援会議 bodies,
case conferences and their follow-up actions, and 制度外ニーズ tags.

Who may (domain.md: professionals receive concerns, act and hold case conferences; coordinators
run the network):
- sheets, shares, conferences and gap tags are written by professionals, for households their
  organisation works with (the scope gate: households of their organisation's concerns);
  the sheet belongs to the writer's organisation and only its professionals read it;
- 支援会議 bodies (who is a member) are kept by the municipality's coordinators, who also review
  every 緊急 share afterwards;
- a share is refused (Invalid, with the reason) unless its basis holds *now*:
  本人同意: every living member of the household consents to sharing with professionals (the
  consent service's rule, so a withdrawn consent refuses); 支援会議: both organisations are members
  of that body; 緊急: a reason is written (the share lands in the coordinators' review list);
  法令: the law is named;
- a conference action's owner is one of its participants; the owner (or a professional of the
  organising organisation) completes it.
"""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server import sealing
from server.areas.models import Organisation
from server.audit.actions import register
from server.audit.service import record
from server.casework.models import (
    BASES,
    CONFERENCE_KINDS,
    GAP_CATEGORIES,
    SECTIONS,
    SHEET_KINDS,
    CaseShare,
    CaseSheet,
    CaseSheetVersion,
    Conference,
    ConferenceAction,
    Gap,
    SupportMeeting,
    SupportMeetingMember,
)
from server.clock import today_tokyo
from server.concerns.models import Concern, ConcernEvent
from server.db import utcnow
from server.errors import Conflict, Invalid, NotFound
from server.households.models import Person
from server.households.rules import has_consent
from server.i18n import N_
from server.idempotency import add_unless_duplicate
from server.rollups import hooks as rollups
from server.scope import Scope, require_household
from server.users.models import User

register({
    "casework.sheet_saved": N_("Casework sheet saved"),
    "casework.sheet_viewed": N_("Casework sheet viewed"),
    "casework.household_viewed": N_("Casework of a household viewed"),
    "casework.shared": N_("Collaboration sheet shared"),
    "casework.share_viewed": N_("Collaboration sheet viewed"),
    "casework.share_revoked": N_("Collaboration sheet revoked"),
    "casework.share_reviewed": N_("Emergency share reviewed"),
    "casework.reviews_listed": N_("Emergency shares listed for review"),
    "casework.meeting_saved": N_("Support meeting saved"),
    "casework.conference_saved": N_("Case conference recorded"),
    "casework.conference_viewed": N_("Case conference viewed"),
    "casework.action_added": N_("Follow-up action added"),
    "casework.action_completed": N_("Follow-up action completed"),
    "casework.gap_tagged": N_("Need outside the system recorded"),
    "casework.gaps_viewed": N_("Needs outside the system listed"),
    "casework.gaps_exported": N_("Needs outside the system exported"),
})

SECTION_LIMIT = 2000
TEXT_LIMIT = 4000
LINE_LIMIT = 120


def seal(text: str | None, column: str) -> bytes | None:
    return sealing.seal((text or "").strip(), f"casework.{column}")


def unseal(blob: bytes | None, column: str) -> str:
    return sealing.unseal(blob, f"casework.{column}") or ""


def seal_json(value: object, column: str) -> bytes | None:
    return sealing.seal(json.dumps(value, ensure_ascii=False), f"casework.{column}")


def unseal_json(blob: bytes | None, column: str, default: object) -> object:
    text = sealing.unseal(blob, f"casework.{column}")
    return json.loads(text) if text else default




def _professional(scope: Scope) -> None:
    if "professional" not in scope.roles or not scope.organisations:
        raise NotFound()


# --- sheets ------------------------------------------------------------------------------------------

async def readable_sheet(session: AsyncSession, scope: Scope, sheet_id: int) -> CaseSheet:
    """A sheet, for a professional of the organisation that owns it; else NotFound."""
    _professional(scope)
    sheet = await session.get(CaseSheet, sheet_id)
    if sheet is None or sheet.organisation_id not in scope.organisations:
        raise NotFound()
    return sheet


def _sections(values: dict[str, str]) -> dict[str, str]:
    cleaned = {k: (values.get(k) or "").strip() for k in SECTIONS}
    errors = {f"s_{k}": N_("Please keep each section under 2,000 characters.")
              for k, v in cleaned.items() if len(v) > SECTION_LIMIT}
    if not any(cleaned.values()):
        errors["sections"] = N_("Write at least one section.")
    if errors:
        raise Invalid(fields=errors)
    return {k: v for k, v in cleaned.items() if v}


async def _organisation_for(session: AsyncSession, scope: Scope, household_id: int, concern: Concern | None) -> int:
    """The writer's organisation that works with the household (the one holding the concern first)."""
    if concern is not None:
        return concern.organisation_id
    held = (await session.scalars(select(Concern.organisation_id).where(
        Concern.household_id == household_id, Concern.organisation_id.in_(scope.organisations))
        .order_by(Concern.id.desc()).limit(1))).first()
    return held or min(scope.organisations)


async def start_sheet(session: AsyncSession, *, actor: User, scope: Scope, household_id: int, kind: str,
                      sections: dict[str, str], concern_id: int | None = None, audit: bool = True) -> CaseSheet:
    """A new intake or assessment sheet with its version 1, from a household page or a concern."""
    _professional(scope)
    household = await require_household(session, scope, household_id)
    concern = None
    if concern_id is not None:
        concern = await session.get(Concern, concern_id)
        if concern is None or concern.organisation_id not in scope.organisations or concern.household_id != household.id:
            raise NotFound()
    if kind not in SHEET_KINDS:
        raise Invalid(fields={"kind": N_("Choose the kind of sheet.")})
    clean = _sections(sections)
    now = utcnow()
    sheet = CaseSheet(municipality_id=household.municipality_id, household_id=household.id,
                      organisation_id=await _organisation_for(session, scope, household.id, concern),
                      concern_id=concern.id if concern else None, kind=kind, version=1, created_by=actor.id,
                      created_at=now, updated_at=now)
    session.add(sheet)
    await session.flush()
    session.add(CaseSheetVersion(sheet_id=sheet.id, version=1, sections_sealed=seal_json(clean, "sections"),
                                 author_id=actor.id, created_at=now))
    await session.flush()
    if audit:
        await record(session, action="casework.sheet_saved", actor_id=actor.id, municipality_id=sheet.municipality_id,
                     object_type="case_sheet", object_id=sheet.id, ids=[household.id])
    return sheet


async def save_sheet(session: AsyncSession, *, actor: User, scope: Scope, sheet_id: int, base_version: int | None,
                     sections: dict[str, str], audit: bool = True) -> CaseSheetVersion:
    """A new version; the previous ones stay readable. Saving over a version someone else has
    replaced meanwhile is a Conflict (the conditional UPDATE lets exactly one of two saves win)."""
    sheet = await readable_sheet(session, scope, sheet_id)
    clean = _sections(sections)
    if base_version != sheet.version:
        raise Conflict()
    now = utcnow()
    done = await session.execute(update(CaseSheet).where(CaseSheet.id == sheet.id, CaseSheet.version == base_version)
                                 .values(version=base_version + 1, updated_at=now))
    if done.rowcount != 1:
        raise Conflict()
    await session.refresh(sheet)
    row = CaseSheetVersion(sheet_id=sheet.id, version=base_version + 1, sections_sealed=seal_json(clean, "sections"),
                           author_id=actor.id, created_at=now)
    session.add(row)
    await session.flush()
    if audit:
        await record(session, action="casework.sheet_saved", actor_id=actor.id, municipality_id=sheet.municipality_id,
                     object_type="case_sheet", object_id=sheet.id, ids=[sheet.household_id])
    return row


async def sheet_version(session: AsyncSession, sheet: CaseSheet, version: int | None = None) -> CaseSheetVersion:
    row = (await session.scalars(select(CaseSheetVersion).where(
        CaseSheetVersion.sheet_id == sheet.id, CaseSheetVersion.version == (version or sheet.version)))).first()
    if row is None:
        raise NotFound()
    return row


# --- collaboration sheets (shares) ---------------------------------------------------------------------

CONSENT_MISSING = N_("Sharing under consent is refused: not every member of the household has consented to "
                     "sharing with professionals, or a consent was withdrawn. Record the consent first, or "
                     "choose another legal basis.")
NOT_MEMBER = N_("Sharing under the support meeting is refused: the receiving organisation is not a member of "
                "this support meeting.")
SHARER_NOT_MEMBER = N_("Sharing under the support meeting is refused: your organisation is not a member of "
                       "this support meeting.")


async def household_consents(session: AsyncSession, household_id: int) -> bool:
    """本人同意 holds when every living, unmerged member consents to sharing with professionals now."""
    people = (await session.scalars(select(Person).where(
        Person.household_id == household_id, Person.merged_into_id.is_(None), Person.deceased_on.is_(None)))).all()
    if not people:
        return False
    for person in people:
        if not await has_consent(session, person, "share"):
            return False
    return True


async def shareable_notes(session: AsyncSession, sheet: CaseSheet) -> list[ConcernEvent]:
    """Case notes the sheet's organisation may read about the household (concerns it holds now)."""
    return list((await session.scalars(select(ConcernEvent).join(Concern, Concern.id == ConcernEvent.concern_id).where(
        Concern.household_id == sheet.household_id, Concern.organisation_id == sheet.organisation_id,
        ConcernEvent.kind == "note").order_by(ConcernEvent.id))).all())


async def share_sheet(session: AsyncSession, *, actor: User, scope: Scope, sheet_id: int, to_organisation_id: int | None,
                      basis: str, sections: list[str], note_ids: list[int], meeting_id: int | None = None,
                      law: str = "", reason: str = "", audit: bool = True) -> CaseShare:
    sheet = await readable_sheet(session, scope, sheet_id)
    errors: dict[str, str] = {}
    target = await session.get(Organisation, to_organisation_id) if to_organisation_id else None
    if target is None or target.municipality_id != sheet.municipality_id or target.id == sheet.organisation_id \
            or target.kind == "council":
        errors["to_organisation_id"] = N_("Choose another organisation of this municipality.")
    chosen = [s for s in SECTIONS if s in set(sections)]
    if len(chosen) != len(set(sections)):
        errors["sections"] = N_("Choose sections of the sheet.")
    notes = {n.id: n for n in await shareable_notes(session, sheet)}
    if any(i not in notes for i in note_ids):
        errors["note_ids"] = N_("Choose case notes of this household.")
    if not chosen and not note_ids:
        errors["sections"] = N_("Choose at least one section or note to share.")
    law, reason = (law or "").strip(), (reason or "").strip()
    meeting = None
    if basis not in BASES:
        errors["basis"] = N_("Choose the legal basis for sharing.")
    elif basis == "statutory" and not law:
        errors["law"] = N_("Name the law that requires this report.")
    elif basis == "emergency" and not reason:
        errors["reason"] = N_("Write why this is an emergency.")
    elif basis == "meeting":
        meeting = await session.get(SupportMeeting, meeting_id) if meeting_id else None
        if meeting is None or meeting.municipality_id != sheet.municipality_id:
            errors["meeting_id"] = N_("Choose the support meeting.")
        elif target is not None and "to_organisation_id" not in errors:
            members = set((await session.scalars(select(SupportMeetingMember.organisation_id).where(
                SupportMeetingMember.meeting_id == meeting.id))).all())
            if target.id not in members:
                errors["basis"] = NOT_MEMBER
            elif sheet.organisation_id not in members:
                errors["basis"] = SHARER_NOT_MEMBER
    elif basis == "consent" and not await household_consents(session, sheet.household_id):
        errors["basis"] = CONSENT_MISSING
    if len(law) > 120 or len(reason) > 1000:
        errors["law" if len(law) > 120 else "reason"] = N_("This is too long.")
    if errors:
        raise Invalid(fields=errors)
    version = await sheet_version(session, sheet)
    texts = unseal_json(version.sections_sealed, "sections", {})
    snapshot = {"kind": sheet.kind, "version": sheet.version,
                "sections": {k: texts.get(k, "") for k in chosen},
                "notes": [{"at": notes[i].created_at.isoformat(),
                           "text": sealing.unseal(notes[i].text_sealed, "concerns.event") or ""} for i in note_ids]}
    row = CaseShare(municipality_id=sheet.municipality_id, household_id=sheet.household_id, sheet_id=sheet.id,
                    sheet_version=sheet.version, from_organisation_id=sheet.organisation_id, to_organisation_id=target.id,
                    sharer_id=actor.id, basis=basis, meeting_id=meeting.id if meeting else None,
                    law=law if basis == "statutory" else None,
                    reason_sealed=seal(reason, "reason") if basis == "emergency" else None,
                    sections=chosen, note_ids=list(note_ids), snapshot_sealed=seal_json(snapshot, "snapshot"))
    session.add(row)
    await session.flush()
    if audit:
        await record(session, action="casework.shared", actor_id=actor.id, municipality_id=row.municipality_id,
                     object_type="case_share", object_id=row.id, ids=[row.household_id, target.id])
    return row


def share_role(share: CaseShare, scope: Scope) -> str:
    """"sharer" (a professional of the sharing organisation), "recipient" (of the receiving one, while
    not revoked) or "reviewer" (a coordinator, for a 緊急 share: the metadata and the reason only)."""
    professional = "professional" in scope.roles
    if professional and share.from_organisation_id in scope.organisations:
        return "sharer"
    if professional and share.to_organisation_id in scope.organisations and share.revoked_at is None:
        return "recipient"
    if share.basis == "emergency" and scope.coordinates(share.municipality_id):
        return "reviewer"
    raise NotFound()


async def revoke_share(session: AsyncSession, *, actor: User, scope: Scope, share_id: int) -> CaseShare:
    share = await session.get(CaseShare, share_id)
    if share is None or share_role(share, scope) != "sharer":
        raise NotFound()
    if share.revoked_at is None:
        share.revoked_at, share.revoked_by = utcnow(), actor.id
        await session.flush()
        await record(session, action="casework.share_revoked", actor_id=actor.id, municipality_id=share.municipality_id,
                     object_type="case_share", object_id=share.id, ids=[share.household_id, share.to_organisation_id])
    return share


async def review_share(session: AsyncSession, *, actor: User, scope: Scope, share_id: int) -> CaseShare:
    share = await session.get(CaseShare, share_id)
    if share is None or share.basis != "emergency" or not scope.coordinates(share.municipality_id):
        raise NotFound()
    if share.reviewed_at is None:
        share.reviewed_at, share.reviewed_by = utcnow(), actor.id
        await session.flush()
        await record(session, action="casework.share_reviewed", actor_id=actor.id,
                     municipality_id=share.municipality_id, object_type="case_share", object_id=share.id)
    return share


# --- 支援会議 bodies (coordinators) --------------------------------------------------------------------

async def save_meeting(session: AsyncSession, *, actor: User, scope: Scope, municipality_id: int,
                       meeting_id: int | None, name: str, law: str, member_ids: list[int],
                       audit: bool = True) -> SupportMeeting:
    """Create a 支援会議 body, or replace its name, law and member organisations."""
    scope.require_coordinator_of(municipality_id)
    row = None
    if meeting_id is not None:
        row = await session.get(SupportMeeting, meeting_id)
        if row is None or row.municipality_id != municipality_id:
            raise NotFound()
    name, law = (name or "").strip(), (law or "").strip()
    errors: dict[str, str] = {}
    if not name or len(name) > 120:
        errors["name"] = N_("Write the name of the support meeting.")
    if not law or len(law) > 120:
        errors["law"] = N_("Name the law the support meeting is set up under.")
    orgs = set((await session.scalars(select(Organisation.id).where(
        Organisation.id.in_(member_ids or [-1]), Organisation.municipality_id == municipality_id,
        Organisation.kind != "council"))).all())
    if len(set(member_ids)) < 2 or orgs != set(member_ids):
        errors["member_ids"] = N_("Choose at least two member organisations of this municipality.")
    if errors:
        raise Invalid(fields=errors)
    if row is None:
        row = SupportMeeting(municipality_id=municipality_id, name=name, law=law, created_by=actor.id)
        session.add(row)
        await session.flush()
    row.name, row.law = name, law

    await session.execute(delete(SupportMeetingMember).where(SupportMeetingMember.meeting_id == row.id))
    for org_id in sorted(orgs):
        session.add(SupportMeetingMember(meeting_id=row.id, organisation_id=org_id))
    await session.flush()
    if audit:
        await record(session, action="casework.meeting_saved", actor_id=actor.id, municipality_id=municipality_id,
                     object_type="support_meeting", object_id=row.id, ids=sorted(orgs))
    return row


# --- case conferences and follow-up actions ---------------------------------------------------------------

async def _municipality_users(session: AsyncSession, municipality_id: int, ids: list[int]) -> set[int]:
    if not ids:
        return set()
    return set((await session.scalars(select(User.id).where(
        User.id.in_(ids), User.municipality_id == municipality_id, User.status == "active"))).all())


def _action_errors(errors: dict, n: int, text: str, owner_id: int | None, due_on: dt.date | None,
                   participants: set[int]) -> None:
    if not text or len(text) > 1000:
        errors[f"action_{n}"] = N_("Write the action (up to 1,000 characters).")
    if owner_id not in participants:
        errors[f"owner_{n}"] = N_("Choose who does it, among the participants.")
    if due_on is None or due_on.year < 2000 or due_on.year > 2100:
        errors[f"due_{n}"] = N_("Enter the due date.")


async def record_conference(session: AsyncSession, *, actor: User, scope: Scope, kind: str, held_on: dt.date | None,
                            participant_ids: list[int], outside: str, household_ids: list[int],
                            concern_ids: list[int], minutes: str, decisions: str,
                            actions: list[tuple[str, int | None, dt.date | None]], meeting_id: int | None = None,
                            audit: bool = True) -> Conference:
    """A conference organised by the writer's organisation, with its follow-up actions."""
    _professional(scope)
    errors: dict[str, str] = {}
    if kind not in CONFERENCE_KINDS:
        errors["kind"] = N_("Choose the kind of conference.")
    if held_on is None or held_on.year < 2000 or held_on > today_tokyo() + dt.timedelta(days=366):
        errors["held_on"] = N_("Enter the date of the conference.")
    households = [await require_household(session, scope, hid) for hid in dict.fromkeys(household_ids)]
    municipality_id = households[0].municipality_id if households else actor.municipality_id
    if municipality_id is None:
        raise NotFound()
    concerns = []
    for cid in dict.fromkeys(concern_ids):
        concern = await session.get(Concern, cid)
        if concern is None or concern.organisation_id not in scope.organisations:
            raise NotFound()
        concerns.append(concern)
    organiser = await _organisation_for(session, scope, households[0].id, concerns[0] if concerns else None) \
        if households else min(scope.organisations)
    meeting = None
    if kind == "support_meeting":
        meeting = await session.get(SupportMeeting, meeting_id) if meeting_id else None
        members = set((await session.scalars(select(SupportMeetingMember.organisation_id).where(
            SupportMeetingMember.meeting_id == meeting.id))).all()) if meeting else set()
        if meeting is None or meeting.municipality_id != municipality_id or organiser not in members:
            errors["meeting_id"] = N_("Choose a support meeting your organisation is a member of.")
    wanted = set(participant_ids) | {actor.id}
    participants = await _municipality_users(session, municipality_id, sorted(wanted))
    if participants != wanted:
        errors["participant_ids"] = N_("Choose participants of this municipality.")
    if len(outside) > 1000 or len(minutes) > TEXT_LIMIT or len(decisions) > TEXT_LIMIT:
        errors["minutes"] = N_("This is too long.")
    if not (minutes or "").strip() and not (decisions or "").strip():
        errors["minutes"] = N_("Write the minutes or the decisions.")
    cleaned = []
    for n, (text, owner_id, due_on) in enumerate(actions, start=1):
        text = (text or "").strip()
        if not text and owner_id is None and due_on is None:
            continue
        _action_errors(errors, n, text, owner_id, due_on, participants)
        cleaned.append((text, owner_id, due_on))
    if errors:
        raise Invalid(fields=errors)
    row = Conference(municipality_id=municipality_id, organisation_id=organiser, kind=kind,
                     meeting_id=meeting.id if meeting else None, held_on=held_on, participant_ids=sorted(participants),
                     household_ids=[h.id for h in households], concern_ids=[c.id for c in concerns],
                     outside_sealed=seal(outside, "outside"), minutes_sealed=seal(minutes, "minutes"),
                     decisions_sealed=seal(decisions, "decisions"), created_by=actor.id)
    session.add(row)
    await session.flush()
    for text, owner_id, due_on in cleaned:
        session.add(ConferenceAction(conference_id=row.id, owner_id=owner_id, due_on=due_on,
                                     text_sealed=seal(text, "action")))
    await session.flush()
    if audit:
        await record(session, action="casework.conference_saved", actor_id=actor.id, municipality_id=municipality_id,
                     object_type="conference", object_id=row.id, ids=row.household_ids or None)
    return row


def conference_role(row: Conference, scope: Scope) -> str:
    """"organiser" (a professional of the organising organisation), "participant", else NotFound."""
    if "professional" in scope.roles and row.organisation_id in scope.organisations:
        return "organiser"
    if scope.user_id in (row.participant_ids or []) and scope.roles:
        return "participant"
    raise NotFound()


async def add_action(session: AsyncSession, *, actor: User, scope: Scope, conference_id: int, text: str,
                     owner_id: int | None, due_on: dt.date | None) -> ConferenceAction:
    row = await session.get(Conference, conference_id)
    if row is None or conference_role(row, scope) != "organiser":
        raise NotFound()
    errors: dict[str, str] = {}
    text = (text or "").strip()
    _action_errors(errors, 1, text, owner_id, due_on, set(row.participant_ids or []))
    if errors:
        raise Invalid(fields=errors)
    action = ConferenceAction(conference_id=row.id, owner_id=owner_id, due_on=due_on, text_sealed=seal(text, "action"))
    session.add(action)
    await session.flush()
    await record(session, action="casework.action_added", actor_id=actor.id, municipality_id=row.municipality_id,
                 object_type="conference", object_id=row.id, ids=[action.id])
    return action


async def complete_action(session: AsyncSession, *, actor: User, scope: Scope, action_id: int) -> ConferenceAction:
    action = await session.get(ConferenceAction, action_id)
    row = await session.get(Conference, action.conference_id) if action else None
    if row is None:
        raise NotFound()
    role = conference_role(row, scope)
    if role != "organiser" and action.owner_id != actor.id:
        raise NotFound()
    if action.done_at is None:
        action.done_at, action.done_by = utcnow(), actor.id
        await session.flush()
        await record(session, action="casework.action_completed", actor_id=actor.id,
                     municipality_id=row.municipality_id, object_type="conference", object_id=row.id, ids=[action.id])
    return action


async def _insert_once(session: AsyncSession, row: Gap) -> bool:
    """Insert, or False when the same (concern, category) is stored already, also by a concurrent
    request (UNIQUE (concern_id, category) decides; on SQLite BEGIN IMMEDIATE serialises writers)."""
    exists = (await session.scalars(select(Gap.id).where(Gap.concern_id == row.concern_id,
                                                         Gap.category == row.category))).first()
    if exists is not None:
        return False
    return await add_unless_duplicate(session, row)


# --- 制度外ニーズ ------------------------------------------------------------------------------------------

async def tag_gap(session: AsyncSession, *, actor: User, scope: Scope, concern_id: int, category: str, line: str,
                  audit: bool = True) -> Gap:
    """A professional of the organisation holding the concern names what no scheme covered."""
    _professional(scope)
    concern = await session.get(Concern, concern_id)
    if concern is None or concern.organisation_id not in scope.organisations:
        raise NotFound()
    line = " ".join((line or "").split())
    errors: dict[str, str] = {}
    if category not in GAP_CATEGORIES:
        errors["category"] = N_("Choose the kind of need.")
    if not line or len(line) > LINE_LIMIT:
        errors["line"] = N_("Describe the need in one line (up to 120 characters).")
    if errors:
        raise Invalid(fields=errors)
    row = Gap(municipality_id=concern.municipality_id, area_id=concern.area_id, concern_id=concern.id,
              organisation_id=concern.organisation_id, category=category, line_sealed=seal(line, "gap"),
              tagged_by=actor.id, created_at=utcnow())
    if not await _insert_once(session, row):
        raise Invalid(fields={"category": N_("This need is already recorded for this concern.")})
    # The console's "needs outside the system" figure (rollup_counts), in the same transaction.
    await rollups.apply(session, row.area_id, rollups.gap_keys(row))
    if audit:
        await record(session, action="casework.gap_tagged", actor_id=actor.id, municipality_id=row.municipality_id,
                     object_type="concern", object_id=concern.id, ids=[row.id])
    return row
