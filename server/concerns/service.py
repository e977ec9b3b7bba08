"""Raising concerns, routing them, and moving them through the transition table.

Rules:
- anyone who works a round or an inbox may raise a concern (volunteers, commissioners,
  professionals, coordinators); about a household in their scope, or about a resident who is not
  registered (casual watch-over: a place and a short description, in any neighbourhood of their
  own municipality);
- consent never blocks raising a concern; the concern records its basis: 法令 for suspected
  abuse (a report the law expects), 緊急 for an emergency, 本人同意 when a member consents to
  sharing, otherwise 福祉のため特に必要;
- a resend with the same (reporter, client id) returns the stored concern and writes nothing;
- the concern is routed at once (routing.py) and its response target set (targets.py);
- only professionals of the receiving organisation move it, and only along transitions.TABLE;
  the state is changed by a conditional UPDATE (two people acting at once: one wins, the other
  gets Conflict);
- a transfer moves the concern, its notes and its access to the new organisation, arriving as new;
- the reporter may complete their concern (details, category) while it is still new: it is re-routed;
- a death closes open concerns about the person quietly (no reply, no reminder).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server import sealing
from server.areas.models import Area, Organisation
from server.assignments.models import Assignment
from server.audit.actions import register
from server.audit.service import record
from server.concerns import routing, targets
from server.concerns.models import (
    CATEGORIES,
    TARGET_GROUPS,
    URGENCIES,
    Concern,
    ConcernEvent,
    ConcernRoute,
    ConcernSettings,
    Holiday,
)
from server.concerns.transitions import (
    CLOSING,
    NEEDS_REASON,
    OPEN,
    SYSTEM_ACTIONS,
    next_state,
)
from server.contacts.models import URGENCY_FOR, note_of
from server.db import utcnow
from server.errors import Conflict, Invalid, NotFound
from server.households.models import Household, Person
from server.households.rules import has_consent
from server.i18n import N_
from server.idempotency import add_unless_duplicate
from server.rollups.hooks import concern_changed, concern_keys
from server.scope import Scope, build_scope, require_household
from server.users.models import RoleGrant, User

register({
    "concern.raised": N_("Concern raised"),
    "concern.completed": N_("Concern details added by the reporter"),
    "concern.acknowledged": N_("Concern acknowledged"),
    "concern.started": N_("Concern in progress"),
    "concern.linked": N_("Concern linked to support"),
    "concern.watching": N_("Concern back to watch-over"),
    "concern.closed": N_("Concern closed"),
    "concern.transferred": N_("Concern transferred"),
    "concern.reopened": N_("Concern reopened"),
    "concern.noted": N_("Case note added"),
    "concern.replied": N_("Reply sent to the reporter"),
    "concern.viewed": N_("Concern viewed"),
    "concerns.listed": N_("Concerns listed"),
    "concern_route.saved": N_("Routing rule saved"),
    "concern_route.deleted": N_("Routing rule deleted"),
    "concern_settings.saved": N_("Response targets saved"),
})

RAISERS = ("volunteer", "commissioner", "professional", "coordinator")
TEXT_LIMIT = 1000
AUDIT_ACTION = {"acknowledge": "concern.acknowledged", "start": "concern.started", "link": "concern.linked",
                "watch": "concern.watching", "close": "concern.closed", "transfer": "concern.transferred",
                "reopen": "concern.reopened"}
# A contact's household types → the concern's target group (the activity record's 分野).
GROUP_OF_TYPE = {"elderly_alone": "elderly", "elderly_only": "elderly", "disability": "disability",
                 "single_parent": "children", "child_rearing": "children"}
FORM_ERROR = N_("The form was incomplete. Please reload the page and try again.")


def seal(text: str, column: str) -> bytes | None:
    return sealing.seal((text or "").strip(), f"concerns.{column}")


def unseal(blob: bytes | None, column: str) -> str:
    return sealing.unseal(blob, f"concerns.{column}") or ""


def _client_id(client_id: str | None) -> str:
    client_id = (client_id or "").strip()
    if not 8 <= len(client_id) <= 64 or not all(c.isalnum() or c in "-_:" for c in client_id):
        raise Invalid(fields={"client_id": FORM_ERROR})
    return client_id


async def _basis(session: AsyncSession, category: str, urgency: str, household: Household | None) -> str:
    if category == "abuse":
        return "statutory"
    if urgency == "emergency":
        return "emergency"
    if household is not None:
        for person in (await session.scalars(select(Person).where(
                Person.household_id == household.id, Person.merged_into_id.is_(None)))).all():
            if await has_consent(session, person, "share"):
                return "consent"
    return "welfare"


def _check(errors: dict, *, target_group: str, category: str, urgency: str, seen: str, done: str,
           seen_required: bool) -> None:
    if target_group not in TARGET_GROUPS:
        errors["target_group"] = N_("Choose who the concern is about.")
    if category not in CATEGORIES:
        errors["category"] = N_("Choose what the concern is about.")
    if urgency not in URGENCIES:
        errors["urgency"] = N_("Choose how urgent it is.")
    if seen_required and not (seen or "").strip():
        errors["seen"] = N_("Write what you saw or heard, in a few words.")
    if len(seen or "") > TEXT_LIMIT:
        errors["seen"] = N_("Please keep this under 1,000 characters.")
    if len(done or "") > TEXT_LIMIT:
        errors["done"] = N_("Please keep this under 1,000 characters.")


async def _place_area(session: AsyncSession, scope: Scope, area_id: int | None, errors: dict) -> Area | None:
    """An unregistered resident's neighbourhood: any neighbourhood of the reporter's municipality."""
    area = await session.get(Area, area_id) if area_id else None
    if area is None or area.level != "neighbourhood" or not (
            area.id in scope.areas or area.municipality_id in scope.municipalities):
        errors["area_id"] = N_("Choose the neighbourhood.")
        return None
    return area


async def _insert(session: AsyncSession, row: Concern) -> bool:
    """Insert, or False when a concurrent request stored the same (reporter, client id) or contact first."""
    return await add_unless_duplicate(session, row)


async def _stored(session: AsyncSession, reporter_id: int, client_id: str) -> Concern | None:
    return (await session.scalars(select(Concern).where(Concern.reporter_id == reporter_id,
                                                        Concern.client_id == client_id))).first()


async def raise_concern(session: AsyncSession, *, actor: User, client_id: str, target_group: str, category: str,
                        urgency: str, seen: str, done: str = "", household_id: int | None = None,
                        area_id: int | None = None, place: str = "", person_id: int | None = None,
                        scope: Scope | None = None, audit: bool = True,
                        formerly_assigned: bool = False) -> tuple[Concern, bool]:
    """Returns (concern, created). Callable with plain data (the page, the offline outbox, tests).

    formerly_assigned (the offline outbox only: concerns are never held): a household reassigned away
    from the reporter after they wrote the concern is still accepted if they were once assigned to
    it; the concern is routed, and the reporter gains no read access to the household."""
    scope = scope or await build_scope(session, actor)
    if not scope.has(*RAISERS):
        raise NotFound()
    client_id = _client_id(client_id)
    existing = await _stored(session, actor.id, client_id)
    if existing is not None:
        if household_id is not None and existing.household_id != household_id:
            raise Invalid(fields={"client_id": FORM_ERROR})
        return existing, False
    errors: dict[str, str] = {}
    household = None
    if household_id is not None:
        try:
            household = await require_household(session, scope, household_id)
        except NotFound:
            if not formerly_assigned:
                raise
            household = await _formerly_assigned(session, actor.id, household_id)
        area_id, municipality_id = household.area_id, household.municipality_id
        if person_id is not None:
            person = await session.get(Person, person_id)
            if person is None or person.household_id != household.id or person.merged_into_id is not None:
                errors["person_id"] = N_("Choose a member of this household.")
    else:
        if person_id is not None:
            errors["person_id"] = N_("Choose a member of this household.")
        area = await _place_area(session, scope, area_id, errors)
        municipality_id = area.municipality_id if area else None
        if not (place or "").strip():
            errors["place"] = N_("Say where, for example the street or a landmark.")
        elif len(place) > 200:
            errors["place"] = N_("Please keep this under 200 characters.")
    _check(errors, target_group=target_group, category=category, urgency=urgency, seen=seen, done=done,
           seen_required=True)
    if errors:
        raise Invalid(fields=errors)
    row, created = await _create(session, actor=actor, client_id=client_id, municipality_id=municipality_id,
                                 area_id=area_id, household=household, target_group=target_group, category=category,
                                 urgency=urgency, seen=seen, done=done, place=place, person_id=person_id)
    if created and audit:
        await record(session, action="concern.raised", actor_id=actor.id, municipality_id=municipality_id,
                     object_type="concern", object_id=row.id, ids=[household.id] if household else None)
    return row, created


async def _formerly_assigned(session: AsyncSession, user_id: int, household_id: int) -> Household:
    """The household if the person was assigned to it once (an ended assignment), else NotFound."""
    row = (await session.scalars(select(Household).join(Assignment, Assignment.household_id == Household.id).where(
        Household.id == household_id, Assignment.user_id == user_id, Assignment.valid_to.is_not(None)))).first()
    if row is None:
        raise NotFound()
    return row


async def _create(session: AsyncSession, *, actor: User, client_id: str, municipality_id: int, area_id: int,
                  household: Household | None, target_group: str, category: str, urgency: str, seen: str,
                  done: str = "", place: str = "", contact_id: int | None = None, holder_id: int | None = None,
                  signs: list[str] | None = None, person_id: int | None = None) -> tuple[Concern, bool]:
    org, route = await routing.resolve(session, municipality_id=municipality_id, area_id=area_id,
                                       target_group=target_group, category=category)
    now = utcnow()
    row = Concern(municipality_id=municipality_id, area_id=area_id, household_id=household.id if household else None,
                  person_id=person_id, contact_id=contact_id, reporter_id=actor.id, holder_id=holder_id or actor.id,
                  client_id=client_id,
                  target_group=target_group, category=category, urgency=urgency,
                  basis=await _basis(session, category, urgency, household), signs=sorted(set(signs or [])),
                  seen_sealed=seal(seen, "seen"), done_sealed=seal(done, "done"), place_sealed=seal(place, "place"),
                  organisation_id=org.id, route_id=route.id if route else None,
                  routed_by="route" if route else "fallback", state="new", arrived_at=now, created_at=now,
                  due_at=await targets.compute_due(session, municipality_id, urgency, now))
    if not await _insert(session, row):
        found = await _stored(session, actor.id, client_id)
        if found is None and contact_id is not None:
            found = (await session.scalars(select(Concern).where(Concern.contact_id == contact_id))).first()
        if found is None:
            raise Conflict()
        return found, False
    session.add(ConcernEvent(concern_id=row.id, kind="move", action="raise", to_state="new",
                             organisation_id=org.id, actor_id=actor.id, created_at=now))
    await session.flush()
    await concern_changed(session, row)
    return row, True


async def raise_from_contact(session: AsyncSession, *, actor: User, contact, household: Household,
                             audit: bool = True) -> tuple[Concern, bool]:
    """A 気になる / 要連絡 / 緊急 contact's "tell a professional": a real concern, routed at once.
    Category "other" until the reporter completes it; the target group follows the household."""
    found = (await session.scalars(select(Concern).where(Concern.contact_id == contact.id))).first()
    if found is not None:
        return found, False
    group = next((GROUP_OF_TYPE[t] for t in household.types or [] if t in GROUP_OF_TYPE), "other")
    row, created = await _create(session, actor=actor, client_id=f"contact-{contact.id}",
                                 municipality_id=household.municipality_id, area_id=household.area_id,
                                 household=household, target_group=group, category="other",
                                 urgency=URGENCY_FOR[contact.outcome], seen=note_of(contact), contact_id=contact.id,
                                 holder_id=contact.owner_id, signs=list(contact.signs or []))
    if created and audit:
        await record(session, action="concern.raised", actor_id=actor.id, municipality_id=household.municipality_id,
                     object_type="concern", object_id=row.id, ids=[household.id],
                     on_behalf_of_id=contact.on_behalf_of_id)
    return row, created


async def complete_concern(session: AsyncSession, *, actor: User, concern_id: int, target_group: str, category: str,
                           urgency: str, seen: str, done: str = "") -> Concern:
    """The reporter adds details while the concern is still new (未受付); it is routed again."""
    row = await session.get(Concern, concern_id)
    if row is None or actor.id not in (row.reporter_id, row.holder_id):
        raise NotFound()
    if row.state != "new":
        raise Invalid(fields={"state": N_("The organisation has already taken this concern; send them a message instead.")})
    errors: dict[str, str] = {}
    _check(errors, target_group=target_group, category=category, urgency=urgency, seen=seen, done=done,
           seen_required=row.contact_id is None)
    if errors:
        raise Invalid(fields=errors)
    household = await session.get(Household, row.household_id) if row.household_id else None
    before = concern_keys(row)
    row.target_group, row.category, row.urgency = target_group, category, urgency
    row.seen_sealed, row.done_sealed = seal(seen, "seen"), seal(done, "done")
    row.basis = await _basis(session, category, urgency, household)
    if row.routed_by != "transfer":
        org, route = await routing.resolve(session, municipality_id=row.municipality_id, area_id=row.area_id,
                                           target_group=target_group, category=category)
        if org.id != row.organisation_id:
            session.add(ConcernEvent(concern_id=row.id, kind="route", from_state="new", to_state="new",
                                     organisation_id=row.organisation_id, to_organisation_id=org.id, actor_id=actor.id))
            row.organisation_id, row.arrived_at = org.id, utcnow()
        row.route_id, row.routed_by = (route.id if route else None), ("route" if route else "fallback")
    row.due_at = await targets.compute_due(session, row.municipality_id, urgency, row.arrived_at)
    await concern_changed(session, row, before)
    await record(session, action="concern.completed", actor_id=actor.id, municipality_id=row.municipality_id,
                 object_type="concern", object_id=row.id)
    return row


# --- the receiving organisation --------------------------------------------------------------------

async def receiving(session: AsyncSession, scope: Scope, concern_id: int) -> Concern:
    """The concern, for a professional of the organisation holding it now; else NotFound."""
    row = await session.get(Concern, concern_id)
    if row is None or row.organisation_id not in scope.organisations or "professional" not in scope.roles:
        raise NotFound()
    return row


async def _is_professional_of(session: AsyncSession, user_id: int, organisation_id: int) -> bool:
    now = utcnow()
    return (await session.scalar(select(RoleGrant.id).where(
        RoleGrant.user_id == user_id, RoleGrant.role == "professional", RoleGrant.organisation_id == organisation_id,
        RoleGrant.valid_from <= now, (RoleGrant.valid_to.is_(None)) | (RoleGrant.valid_to > now)).limit(1))) is not None


async def move(session: AsyncSession, *, actor: User, concern_id: int, action: str, reason: str = "",
               message: str = "", to_organisation_id: int | None = None, assignee_id: int | None = None,
               scope: Scope | None = None, audit: bool = True) -> Concern:
    """One step of the transition table, by a professional of the receiving organisation."""
    scope = scope or await build_scope(session, actor)
    row = await receiving(session, scope, concern_id)
    if action in SYSTEM_ACTIONS:
        raise NotFound()
    new_state = next_state(row.state, action)
    errors: dict[str, str] = {}
    reason, message = (reason or "").strip(), (message or "").strip()
    if action in NEEDS_REASON and not reason:
        errors["reason"] = N_("Write the reason.")
    if action == "watch" and not message:
        errors["message"] = N_("Write your advice for the volunteer.")
    if len(reason) > TEXT_LIMIT or len(message) > TEXT_LIMIT:
        errors["message"] = N_("Please keep this under 1,000 characters.")
    target = None
    if action == "transfer":
        target = await session.get(Organisation, to_organisation_id) if to_organisation_id else None
        if target is None or target.municipality_id != row.municipality_id or target.id == row.organisation_id \
                or target.kind == "council":
            errors["to_organisation_id"] = N_("Choose another organisation of this municipality.")
    if assignee_id is not None and (action != "acknowledge"
                                    or not await _is_professional_of(session, assignee_id, row.organisation_id)):
        errors["assignee_id"] = N_("Choose a professional of your organisation.")
    if errors:
        raise Invalid(fields=errors)
    now = utcnow()
    values: dict = {"state": new_state}
    if action == "acknowledge":
        values.update(acknowledged_at=now, assignee_id=assignee_id)
    elif new_state in CLOSING:
        values["closed_at"] = now
    elif action == "reopen":
        values["closed_at"] = None
    if action == "transfer":
        values.update(organisation_id=target.id, arrived_at=now, acknowledged_at=None, assignee_id=None,
                      routed_by="transfer", route_id=None,
                      due_at=await targets.compute_due(session, row.municipality_id, row.urgency, now))
    from_org, from_state = row.organisation_id, row.state
    before = concern_keys(row)
    done = await session.execute(update(Concern).where(Concern.id == row.id, Concern.state == row.state,
                                                       Concern.organisation_id == from_org).values(**values))
    if done.rowcount != 1:
        raise Conflict()
    await session.refresh(row)
    await concern_changed(session, row, before)
    session.add(ConcernEvent(concern_id=row.id, kind="move", action=action, from_state=from_state, to_state=new_state,
                             organisation_id=from_org, to_organisation_id=target.id if target else None,
                             actor_id=actor.id, text_sealed=seal(reason, "event"), created_at=now))
    if message:
        _reply(session, row, actor, message, now)
    await session.flush()
    if audit:
        await record(session, action=AUDIT_ACTION[action], actor_id=actor.id, municipality_id=row.municipality_id,
                     object_type="concern", object_id=row.id, ids=[target.id] if target else None)
    return row


def _reply(session: AsyncSession, row: Concern, actor: User, message: str, now: dt.datetime) -> None:
    session.add(ConcernEvent(concern_id=row.id, kind="reply", organisation_id=row.organisation_id, actor_id=actor.id,
                             text_sealed=seal(message, "event"), created_at=now))
    row.last_reply_at = now


async def add_note(session: AsyncSession, *, actor: User, concern_id: int, text: str,
                   scope: Scope | None = None) -> ConcernEvent:
    """A dated case note, readable only inside the receiving organisation (and the next after a transfer)."""
    scope = scope or await build_scope(session, actor)
    row = await receiving(session, scope, concern_id)
    text = (text or "").strip()
    if not text or len(text) > TEXT_LIMIT:
        raise Invalid(fields={"note": N_("Write the note (up to 1,000 characters).")})
    event = ConcernEvent(concern_id=row.id, kind="note", organisation_id=row.organisation_id, actor_id=actor.id,
                         text_sealed=seal(text, "event"))
    session.add(event)
    await session.flush()
    await record(session, action="concern.noted", actor_id=actor.id, municipality_id=row.municipality_id,
                 object_type="concern", object_id=row.id)
    return event


async def reply(session: AsyncSession, *, actor: User, concern_id: int, text: str,
                scope: Scope | None = None, audit: bool = True) -> Concern:
    """A short message written for the reporter (never a case note)."""
    scope = scope or await build_scope(session, actor)
    row = await receiving(session, scope, concern_id)
    text = (text or "").strip()
    if not text or len(text) > TEXT_LIMIT:
        raise Invalid(fields={"message": N_("Write the message (up to 1,000 characters).")})
    _reply(session, row, actor, text, utcnow())
    await session.flush()
    if audit:
        await record(session, action="concern.replied", actor_id=actor.id, municipality_id=row.municipality_id,
                     object_type="concern", object_id=row.id)
    return row


async def mark_read(session: AsyncSession, row: Concern, user: User) -> None:
    if user.id == row.holder_id or user.id == row.reporter_id:
        row.holder_read_at = utcnow()


async def close_on_death(session: AsyncSession, *, household_id: int | None = None,
                         person_id: int | None = None) -> int:
    """The system closes open concerns about a person who died, or a household that ended by a death:
    対応終了, reason recorded, no reply and no reminder. Returns how many were closed."""
    clause = Concern.household_id == household_id if household_id is not None else Concern.person_id == person_id
    rows = (await session.scalars(select(Concern).where(clause, Concern.state.in_(OPEN)))).all()
    now = utcnow()
    for row in rows:
        from_state, before = row.state, concern_keys(row)
        row.state, row.closed_at = next_state(from_state, "close_on_death"), now
        await concern_changed(session, row, before)
        session.add(ConcernEvent(concern_id=row.id, kind="move", action="close_on_death", from_state=from_state,
                                 to_state=row.state, organisation_id=row.organisation_id, actor_id=None,
                                 text_sealed=seal("died", "event"), created_at=now))
    await session.flush()
    return len(rows)


async def withdraw_with_contact(session: AsyncSession, *, contact_id: int) -> None:
    """The contact that raised a concern was undone or withdrawn: a concern nobody has acknowledged
    yet is withdrawn with it; one already acknowledged stays (a professional is on it)."""
    row = (await session.scalars(select(Concern).where(Concern.contact_id == contact_id))).first()
    if row is None or row.state != "new":
        return
    now = utcnow()
    before = concern_keys(row)
    row.state, row.closed_at = next_state("new", "withdraw"), now
    await concern_changed(session, row, before)
    session.add(ConcernEvent(concern_id=row.id, kind="move", action="withdraw", from_state="new", to_state=row.state,
                             organisation_id=row.organisation_id, actor_id=row.reporter_id, created_at=now))
    await session.flush()


async def hand_over(session: AsyncSession, *, household_ids: list[int], from_user_id: int,
                    to_user_id: int | None) -> None:
    """A commissioner's handover: open concerns' replies go to the successor."""
    await session.execute(update(Concern).where(Concern.household_id.in_(household_ids), Concern.state.in_(OPEN),
                                                Concern.holder_id == from_user_id).values(holder_id=to_user_id))


# --- coordinators: the routing table and response targets -------------------------------------------

async def save_route(session: AsyncSession, *, actor: User, scope: Scope, municipality_id: int,
                     area_id: int | None, target_group: str | None, category: str | None,
                     organisation_id: int | None) -> ConcernRoute:
    """Add a routing row, or change the organisation of the row with the same key."""
    scope.require_coordinator_of(municipality_id)
    errors: dict[str, str] = {}
    if area_id is not None:
        area = await session.get(Area, area_id)
        if area is None or area.municipality_id != municipality_id or area.level not in ("district", "neighbourhood"):
            errors["area_id"] = N_("Choose a district or neighbourhood of this municipality.")
    if target_group is not None and target_group not in TARGET_GROUPS:
        errors["target_group"] = N_("Choose who the concern is about.")
    if category is not None and category not in CATEGORIES:
        errors["category"] = N_("Choose what the concern is about.")
    org = await session.get(Organisation, organisation_id) if organisation_id else None
    if org is None or org.municipality_id != municipality_id or org.kind == "council":
        errors["organisation_id"] = N_("Choose an organisation of this municipality.")
    if errors:
        raise Invalid(fields=errors)
    row = (await session.scalars(select(ConcernRoute).where(
        ConcernRoute.municipality_id == municipality_id,
        ConcernRoute.area_id.is_(None) if area_id is None else ConcernRoute.area_id == area_id,
        ConcernRoute.target_group.is_(None) if target_group is None else ConcernRoute.target_group == target_group,
        ConcernRoute.category.is_(None) if category is None else ConcernRoute.category == category))).first()
    if row is None:
        row = ConcernRoute(municipality_id=municipality_id, area_id=area_id, target_group=target_group,
                           category=category, organisation_id=org.id)
        session.add(row)
    else:
        row.organisation_id = org.id
    await session.flush()
    await record(session, action="concern_route.saved", actor_id=actor.id, municipality_id=municipality_id,
                 object_type="concern_route", object_id=row.id)
    return row


async def delete_route(session: AsyncSession, *, actor: User, scope: Scope, route_id: int) -> int:
    row = await session.get(ConcernRoute, route_id)
    if row is None or not scope.coordinates(row.municipality_id):
        raise NotFound()
    municipality_id = row.municipality_id
    await session.execute(update(Concern).where(Concern.route_id == row.id).values(route_id=None))
    await session.delete(row)
    await session.flush()
    await record(session, action="concern_route.deleted", actor_id=actor.id, municipality_id=municipality_id,
                 object_type="concern_route", object_id=route_id)
    return municipality_id


async def save_targets(session: AsyncSession, *, actor: User, scope: Scope, municipality_id: int,
                       emergency_minutes: int | None, soon_days: int | None, normal_days: int | None,
                       holidays: list[tuple[dt.date | None, str]],
                       open_days: list[tuple[dt.date | None, str]] = ()) -> ConcernSettings:
    """Response targets and the municipality's changes to the national calendar: its own closed
    days and the national days off on which it works (both lists are replaced as a whole)."""
    scope.require_coordinator_of(municipality_id)
    errors: dict[str, str] = {}
    if emergency_minutes is None or not 5 <= emergency_minutes <= 24 * 60:
        errors["emergency_minutes"] = N_("Enter minutes from 5 to 1,440.")
    for name, value in (("soon_days", soon_days), ("normal_days", normal_days)):
        if value is None or not 1 <= value <= 30:
            errors[name] = N_("Enter working days from 1 to 30.")
    for name, days in (("holidays", holidays), ("open_days", open_days)):
        if any(day is None for day, _n in days):
            errors[name] = N_("Write one day per line as YYYY-MM-DD, then its name.")
        elif len(days) > 400:
            errors[name] = N_("Too many days.")
    if not errors.get("open_days") and {d for d, _n in holidays} & {d for d, _n in open_days}:
        errors["open_days"] = N_("A day cannot be both closed and open.")
    if errors:
        raise Invalid(fields=errors)
    row = await session.get(ConcernSettings, municipality_id)
    if row is None:
        row = ConcernSettings(municipality_id=municipality_id)
        session.add(row)
    row.emergency_minutes, row.soon_days, row.normal_days = emergency_minutes, soon_days, normal_days

    await session.execute(delete(Holiday).where(Holiday.municipality_id == municipality_id))
    for is_open, days in ((False, holidays), (True, open_days)):
        for day, name in sorted({d: n for d, n in days}.items()):
            session.add(Holiday(municipality_id=municipality_id, day=day, name=(name or "")[:60], open=is_open))
    await session.flush()
    await record(session, action="concern_settings.saved", actor_id=actor.id, municipality_id=municipality_id,
                 object_type="municipality", object_id=municipality_id)
    return row
