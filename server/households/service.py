"""Writes about households and residents, each in the caller's transaction with its audit row.

Rules:
- only coordinators of the household's municipality create and edit households and people,
  record status changes, merge records and change the municipality's watch-over rules;
- consent: the newest row per (person, purpose) decides; a withdrawal takes effect at once;
  with no row the municipality's model decides (explicit: no; presumed / opt-out: yes);
  sensitive data (要配慮個人情報) always needs an explicit, un-withdrawn consent, and its
  withdrawal erases the sealed health and disability fields in the same transaction;
- Person.watch_ok and Household.watch_ok are kept in step with consent here, so the round
  reads them without re-deriving consent;
- paused and ended households leave every round; a death closes the household's open
  revisits and open concerns quietly (no reminder is produced).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server import sealing
from server.areas.models import Area
from server.audit.actions import register
from server.audit.service import record
from server.clock import today_tokyo
from server.concerns.service import close_on_death
from server.contacts.models import METHODS, Contact, Revisit
from server.db import utcnow
from server.errors import Invalid, NotFound
from server.households.models import (
    CONSENT_METHODS,
    CONSENT_MODELS,
    END_REASONS,
    GIVERS,
    HOUSEHOLD_TYPES,
    PAUSE_REASONS,
    PURPOSES,
    Consent,
    Household,
    Person,
    StatusChange,
    WatchSettings,
)
from server.households.rules import (
    cadence as check_cadence,
)
from server.households.rules import (
    effective,
    has_consent,
    latest_consents,
    watch_settings,
)
from server.i18n import N_
from server.scope import Scope, require_household, require_person
from server.text import clean, normalise
from server.users.models import User

register({
    "household.created": N_("Household created"),
    "household.updated": N_("Household updated"),
    "household.status_changed": N_("Watch-over status changed"),
    "household.viewed": N_("Household viewed"),
    "household.sensitive_viewed": N_("Sensitive fields viewed"),
    "person.created": N_("Resident added"),
    "person.updated": N_("Resident updated"),
    "person.merged": N_("Two resident records merged"),
    "person.died": N_("Death recorded"),
    "person.viewers_viewed": N_("Who viewed a resident was checked"),
    "consent.recorded": N_("Consent recorded"),
    "consent.withdrawn": N_("Consent withdrawn"),
    "watch_settings.updated": N_("Watch-over rules changed"),
    "round.viewed": N_("Round viewed"),
    "search.viewed": N_("Resident search"),
    "roster.exported": N_("Roster exported"),
    "import.done": N_("Households imported from CSV"),
})

MAX_TAGS = 20
PHONE_RE = re.compile(r"^\+?[0-9()\- ]{3,20}$")





# --- municipality rules ------------------------------------------------------------------------

async def update_watch_settings(session: AsyncSession, *, actor: User, scope: Scope, municipality_id: int,
                                consent_watch: str, consent_share: str, consent_evacuation: str,
                                visit_methods: list[str], absent_counts: bool, salon_counts_for_cadence: bool,
                                term_end_month: int, term_end_day: int) -> WatchSettings:
    scope.require_coordinator_of(municipality_id)
    errors = {}
    for name, value in (("consent_watch", consent_watch), ("consent_share", consent_share),
                        ("consent_evacuation", consent_evacuation)):
        if value not in CONSENT_MODELS:
            errors[name] = N_("Choose one of the consent models.")
    if any(m not in METHODS for m in visit_methods):
        errors["visit_methods"] = N_("Choose from the listed contact methods.")
    try:
        dt.date(2027, term_end_month, term_end_day)
    except (TypeError, ValueError):
        errors["term_end"] = N_("Enter a real date.")
    if errors:
        raise Invalid(fields=errors)
    row = await session.get(WatchSettings, municipality_id)
    if row is None:
        row = WatchSettings(municipality_id=municipality_id)
        session.add(row)
    row.consent_watch, row.consent_share, row.consent_evacuation = consent_watch, consent_share, consent_evacuation
    row.visit_methods = sorted(set(visit_methods))
    row.absent_counts, row.salon_counts_for_cadence = absent_counts, salon_counts_for_cadence
    row.term_end_month, row.term_end_day = term_end_month, term_end_day
    row.updated_at, row.updated_by = utcnow(), actor.id
    await session.flush()
    # A changed consent model changes who is on a round: recompute the municipality at once.
    for person in (await session.scalars(select(Person).where(Person.municipality_id == municipality_id))).all():
        await _recompute_person(session, person, row)
    await _recompute_households(session, municipality_id=municipality_id)
    await record(session, action="watch_settings.updated", actor_id=actor.id, municipality_id=municipality_id,
                 object_type="municipality", object_id=municipality_id)
    return row


# --- validation helpers ------------------------------------------------------------------------

def _tags(values: list[str] | None, limit: int = MAX_TAGS) -> list[str]:
    out: list[str] = []
    for v in values or []:
        v = clean(v, 40)
        if v and v not in out:
            out.append(v)
    return out[:limit]


async def _neighbourhood(session: AsyncSession, scope: Scope, area_id: int | None, errors: dict) -> Area | None:
    area = await session.get(Area, area_id) if area_id else None
    if area is None or area.level != "neighbourhood" or not scope.coordinates(area.municipality_id):
        errors["area_id"] = N_("Choose a neighbourhood.")
        return None
    return area


@dataclass
class HouseholdInput:
    area_id: int | None
    address: str
    types: list[str]
    needs: list[str]
    cadence: str = "monthly"
    cadence_days: int | None = None
    lat: float | None = None
    lng: float | None = None
    notes: str = ""
    external_ref: str | None = None


async def _check_household(session: AsyncSession, scope: Scope, data: HouseholdInput) -> tuple[dict, Area | None]:
    errors: dict[str, str] = {}
    area = await _neighbourhood(session, scope, data.area_id, errors)
    if not clean(data.address, 200):
        errors["address"] = N_("Enter the address.")
    if any(t not in HOUSEHOLD_TYPES for t in data.types):
        errors["types"] = N_("Choose from the listed household types.")
    check_cadence(data.cadence, data.cadence_days, errors)
    if (data.lat is None) != (data.lng is None) or (
            data.lat is not None and not (-90 <= data.lat <= 90 and -180 <= data.lng <= 180)):
        errors["lat"] = N_("Enter both latitude and longitude, or neither.")
    if len(data.notes or "") > 4000:
        errors["notes"] = N_("Please keep notes under 4,000 characters.")
    return errors, area


async def create_household(session: AsyncSession, *, actor: User, scope: Scope, data: HouseholdInput,
                           audit: bool = True) -> Household:
    errors, area = await _check_household(session, scope, data)
    if errors:
        raise Invalid(fields=errors)
    assert area is not None
    cadence, days = check_cadence(data.cadence, data.cadence_days, {})
    address = clean(data.address, 200)
    row = Household(municipality_id=area.municipality_id, area_id=area.id, address=address,
                    address_norm=normalise(address), lat=data.lat, lng=data.lng,
                    types=sorted(set(data.types)), needs=_tags(data.needs), cadence=cadence, cadence_days=days,
                    notes_sealed=sealing.seal(data.notes.strip(), "households.notes"), created_by=actor.id,
                    external_ref=clean(data.external_ref, 64) or None, status="active", watch_ok=False)
    session.add(row)
    await session.flush()
    if audit:
        await record(session, action="household.created", actor_id=actor.id, municipality_id=row.municipality_id,
                     object_type="household", object_id=row.id)
    return row


async def update_household(session: AsyncSession, *, actor: User, scope: Scope, household_id: int,
                           data: HouseholdInput, keep_notes: bool = False) -> Household:
    row = await require_household(session, scope, household_id)
    scope.require_coordinator_of(row.municipality_id)
    errors, area = await _check_household(session, scope, data)
    if errors:
        raise Invalid(fields=errors)
    assert area is not None
    row.area_id, row.address = area.id, clean(data.address, 200)
    row.address_norm = normalise(row.address)
    row.lat, row.lng = data.lat, data.lng
    row.types, row.needs = sorted(set(data.types)), _tags(data.needs)
    row.cadence, row.cadence_days = check_cadence(data.cadence, data.cadence_days, {})
    if not keep_notes:
        row.notes_sealed = sealing.seal(data.notes.strip(), "households.notes")
    await session.flush()
    await record(session, action="household.updated", actor_id=actor.id, municipality_id=row.municipality_id,
                 object_type="household", object_id=row.id)
    return row


# --- people ------------------------------------------------------------------------------------

@dataclass
class PersonInput:
    name: str
    kana: str = ""
    birth_date: dt.date | None = None
    birth_year: int | None = None
    phone: str = ""
    emergency_contacts: list[dict] | None = None
    needs: list[str] | None = None
    evacuation_support: bool = False
    health: str = ""
    disability: str = ""
    notes: str = ""


def _check_person(data: PersonInput, sensitive_ok: bool) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not clean(data.name, 100):
        errors["name"] = N_("Enter the name.")
    if len(data.name or "") > 100 or len(data.kana or "") > 100:
        errors["name"] = N_("Please keep names under 100 characters.")
    this_year = today_tokyo().year
    if data.birth_date is not None and not (this_year - 125 <= data.birth_date.year <= this_year):
        errors["birth_date"] = N_("Enter a birth date in the past 125 years.")
    if data.birth_year is not None and not (this_year - 125 <= data.birth_year <= this_year):
        errors["birth_year"] = N_("Enter a birth year in the past 125 years.")
    if data.phone and not PHONE_RE.match(data.phone.strip()):
        errors["phone"] = N_("Enter a phone number with digits and hyphens.")
    for c in data.emergency_contacts or []:
        if c.get("phone") and not PHONE_RE.match(str(c["phone"]).strip()):
            errors["emergency_contacts"] = N_("Enter each emergency contact's phone with digits and hyphens.")
    if (data.health or data.disability) and not sensitive_ok:
        errors["health"] = N_("Health and disability information needs the person's explicit consent first.")
    for name in ("health", "disability", "notes"):
        if len(getattr(data, name) or "") > 4000:
            errors[name] = N_("Please keep this under 4,000 characters.")
    return errors


def _contacts_list(items: list[dict] | None) -> list[dict]:
    out = []
    for c in (items or [])[:5]:
        item = {k: clean(str(c.get(k) or ""), 100 if k != "phone" else 32) for k in ("name", "relation", "phone")}
        if any(item.values()):
            out.append(item)
    return out


def _apply_person(row: Person, data: PersonInput) -> None:
    row.name = clean(data.name, 100)
    row.kana = clean(data.kana, 100)
    row.kana_norm, row.name_norm = normalise(row.kana), normalise(row.name)
    row.birth_date = data.birth_date
    row.birth_year = data.birth_date.year if data.birth_date else data.birth_year
    row.phone = data.phone.strip() or None
    row.emergency_contacts = _contacts_list(data.emergency_contacts)
    row.needs = _tags(data.needs)
    row.evacuation_support = bool(data.evacuation_support)


async def add_person(session: AsyncSession, *, actor: User, scope: Scope, household_id: int | None,
                     municipality_id: int | None, data: PersonInput, audit: bool = True) -> Person:
    if household_id is not None:
        household = await require_household(session, scope, household_id)
        municipality_id = household.municipality_id
    scope.require_coordinator_of(municipality_id)
    errors = _check_person(data, sensitive_ok=False)
    if errors:
        raise Invalid(fields=errors)
    row = Person(municipality_id=municipality_id, household_id=household_id)
    _apply_person(row, data)
    row.notes_sealed = sealing.seal(data.notes.strip(), "persons.notes")
    session.add(row)
    await session.flush()
    await _recompute_person(session, row, await watch_settings(session, municipality_id))
    if household_id is not None:
        await _recompute_households(session, ids=[household_id])
    if audit:
        await record(session, action="person.created", actor_id=actor.id, municipality_id=municipality_id,
                     object_type="person", object_id=row.id, ids=[row.id])
    return row


async def update_person(session: AsyncSession, *, actor: User, scope: Scope, person_id: int, data: PersonInput,
                        sensitive: bool = False) -> Person:
    """Sensitive fields (health, disability, notes) change only when `sensitive` (the form that
    showed them, behind the step-up check) says so."""
    row = await require_person(session, scope, person_id)
    scope.require_coordinator_of(row.municipality_id)
    ok = await has_consent(session, row, "sensitive")
    errors = _check_person(data, sensitive_ok=ok or not sensitive)
    if errors:
        raise Invalid(fields=errors)
    _apply_person(row, data)
    if sensitive:
        row.health_sealed = sealing.seal(data.health.strip(), "persons.health")
        row.disability_sealed = sealing.seal(data.disability.strip(), "persons.disability")
        row.notes_sealed = sealing.seal(data.notes.strip(), "persons.notes")
    await session.flush()
    await record(session, action="person.updated", actor_id=actor.id, municipality_id=row.municipality_id,
                 object_type="person", object_id=row.id, ids=[row.id])
    return row


def sensitive_of(person: Person) -> dict[str, str]:
    return {"health": sealing.unseal(person.health_sealed, "persons.health") or "",
            "disability": sealing.unseal(person.disability_sealed, "persons.disability") or "",
            "notes": sealing.unseal(person.notes_sealed, "persons.notes") or ""}


def household_notes(household: Household) -> str:
    return sealing.unseal(household.notes_sealed, "households.notes") or ""


async def merge_persons(session: AsyncSession, *, actor: User, scope: Scope, keep_id: int, merge_id: int) -> Person:
    """Two records of the same resident become one: the kept record takes what it lacks from the
    other, consents and contacts' "met" lists move over, the other is marked merged."""
    if keep_id == merge_id:
        raise Invalid(fields={"merge_id": N_("Choose two different records.")})
    keep = await require_person(session, scope, keep_id)
    other = await require_person(session, scope, merge_id)
    scope.require_coordinator_of(keep.municipality_id)
    if other.municipality_id != keep.municipality_id:
        raise NotFound()
    for attr in ("kana", "kana_norm", "birth_date", "birth_year", "phone", "household_id",
                 "health_sealed", "disability_sealed", "notes_sealed", "deceased_on"):
        if not getattr(keep, attr) and getattr(other, attr):
            setattr(keep, attr, getattr(other, attr))
    keep.emergency_contacts = (keep.emergency_contacts or []) + [
        c for c in other.emergency_contacts or [] if c not in (keep.emergency_contacts or [])][:5]
    keep.needs = _tags((keep.needs or []) + (other.needs or []))
    keep.evacuation_support = keep.evacuation_support or other.evacuation_support
    await session.execute(update(Consent).where(Consent.person_id == other.id).values(person_id=keep.id))
    if other.household_id:
        for c in (await session.scalars(select(Contact).where(Contact.household_id == other.household_id))).all():
            if other.id in (c.met_person_ids or []):
                c.met_person_ids = sorted({keep.id if i == other.id else i for i in c.met_person_ids})
    old_household = other.household_id
    other.merged_into_id, other.household_id, other.watch_ok = keep.id, None, False
    await session.flush()
    await _recompute_person(session, keep, await watch_settings(session, keep.municipality_id))
    await _recompute_households(session, ids=[i for i in (keep.household_id, old_household) if i])
    await record(session, action="person.merged", actor_id=actor.id, municipality_id=keep.municipality_id,
                 object_type="person", object_id=keep.id, ids=[keep.id, other.id])
    return keep


# --- consent -----------------------------------------------------------------------------------

async def _recompute_person(session: AsyncSession, person: Person, rules: WatchSettings) -> None:
    if person.merged_into_id is not None or person.deceased_on is not None:
        person.watch_ok = False
        return
    rows = await latest_consents(session, [person.id])
    person.watch_ok = effective(rules, "watch", rows.get((person.id, "watch")))


async def _recompute_households(session: AsyncSession, *, ids: list[int] | None = None,
                                municipality_id: int | None = None) -> None:
    """Household.watch_ok = at least one living, unmerged member consents to watch-over."""
    await session.flush()
    ok = select(func.count(Person.id)).where(Person.household_id == Household.id, Person.watch_ok.is_(True)) \
        .correlate(Household).scalar_subquery()
    stmt = update(Household).values(watch_ok=ok > 0)
    stmt = stmt.where(Household.id.in_(ids)) if ids is not None else stmt.where(Household.municipality_id == municipality_id)
    await session.execute(stmt.execution_options(synchronize_session="fetch"))


async def record_consent(session: AsyncSession, *, actor: User, scope: Scope, person_id: int, purpose: str,
                         given: bool, given_on: dt.date | None, given_by: str, method: str,
                         audit: bool = True) -> Consent:
    person = await require_person(session, scope, person_id)
    scope.require_coordinator_of(person.municipality_id)
    errors = {}
    if purpose not in PURPOSES:
        errors["purpose"] = N_("Choose what the consent is for.")
    if given_by not in GIVERS:
        errors["given_by"] = N_("Choose who gave it.")
    if method not in CONSENT_METHODS:
        errors["method"] = N_("Choose how it was given.")
    if given_on is None or given_on > today_tokyo() or given_on.year < 1990:
        errors["given_on"] = N_("Enter the date it was given (not in the future).")
    if errors:
        raise Invalid(fields=errors)
    row = Consent(person_id=person.id, purpose=purpose, given=given, given_on=given_on, given_by=given_by,
                  method=method, recorded_by=actor.id)
    session.add(row)
    await session.flush()
    await _after_consent(session, person, purpose)
    if audit:
        await record(session, action="consent.recorded", actor_id=actor.id, municipality_id=person.municipality_id,
                     object_type="consent", object_id=row.id, ids=[person.id])
    return row


async def withdraw_consent(session: AsyncSession, *, actor: User, scope: Scope, person_id: int,
                           purpose: str) -> Consent:
    """Takes effect at once: the person leaves rounds (watch), sensitive fields are erased (sensitive)."""
    person = await require_person(session, scope, person_id)
    scope.require_coordinator_of(person.municipality_id)
    row = (await latest_consents(session, [person.id])).get((person.id, purpose))
    if row is None or row.withdrawn_at is not None or not row.given:
        raise Invalid(fields={"purpose": N_("There is no consent to withdraw.")})
    row.withdrawn_at, row.withdrawn_by = utcnow(), actor.id
    await session.flush()
    await _after_consent(session, person, purpose)
    await record(session, action="consent.withdrawn", actor_id=actor.id, municipality_id=person.municipality_id,
                 object_type="consent", object_id=row.id, ids=[person.id])
    return row


async def _after_consent(session: AsyncSession, person: Person, purpose: str) -> None:
    if purpose == "watch":
        await _recompute_person(session, person, await watch_settings(session, person.municipality_id))
        if person.household_id:
            await _recompute_households(session, ids=[person.household_id])
    elif purpose == "sensitive" and not await has_consent(session, person, "sensitive"):
        person.health_sealed = person.disability_sealed = None


# --- status ------------------------------------------------------------------------------------

async def change_status(session: AsyncSession, *, actor: User, scope: Scope, household_id: int, status: str,
                        reason: str | None, since: dt.date | None, expected_return: dt.date | None = None,
                        person_id: int | None = None) -> Household:
    household = await require_household(session, scope, household_id)
    scope.require_coordinator_of(household.municipality_id)
    errors = {}
    if status not in ("active", "paused", "ended"):
        errors["status"] = N_("Choose a status.")
    elif status == "paused" and reason not in PAUSE_REASONS:
        errors["reason"] = N_("Choose why watch-over is paused.")
    elif status == "ended" and reason not in END_REASONS:
        errors["reason"] = N_("Choose why watch-over ended.")
    if since is None or since > today_tokyo() + dt.timedelta(days=366) or since.year < 1990:
        errors["since"] = N_("Enter the date.")
    if expected_return is not None and (status != "paused" or (since and expected_return < since)):
        errors["expected_return"] = N_("The expected return must be after the start, and only for a pause.")
    members = (await session.scalars(select(Person).where(Person.household_id == household.id))).all()
    if person_id is not None and person_id not in {m.id for m in members}:
        errors["person_id"] = N_("Choose a member of this household.")
    if errors:
        raise Invalid(fields=errors)
    household.status = status
    household.status_reason = reason if status != "active" else None
    household.status_since = since
    household.expected_return = expected_return if status == "paused" else None
    session.add(StatusChange(household_id=household.id, status=status, reason=household.status_reason, since=since,
                             expected_return=household.expected_return, person_id=person_id, recorded_by=actor.id))
    died: list[int] = []
    if status == "ended" and reason == "died":
        for m in members:
            if person_id is None or m.id == person_id:
                m.deceased_on = m.deceased_on or since
                m.watch_ok = False
                died.append(m.id)
    if status == "ended":
        await close_open_items(session, household.id, "died" if reason == "died" else "ended")
    await session.flush()
    await _recompute_households(session, ids=[household.id])
    await record(session, action="household.status_changed", actor_id=actor.id,
                 municipality_id=household.municipality_id, object_type="household", object_id=household.id,
                 ids=died or None)
    return household


async def close_open_items(session: AsyncSession, household_id: int, reason: str) -> None:
    """Quietly: nothing open remains to remind anyone (a death must not produce reminders)."""
    now = utcnow()
    await session.execute(update(Revisit).where(Revisit.household_id == household_id, Revisit.closed_at.is_(None))
                          .values(closed_at=now, closed_reason=reason))
    if reason == "died":
        await close_on_death(session, household_id=household_id)


async def record_death(session: AsyncSession, *, actor: User, scope: Scope, person_id: int,
                       on: dt.date | None) -> Person:
    """One member died: they leave every list; the last living member's death ends the household."""
    person = await require_person(session, scope, person_id)
    scope.require_coordinator_of(person.municipality_id)
    if on is None or on > today_tokyo():
        raise Invalid(fields={"on": N_("Enter the date (not in the future).")})
    person.deceased_on, person.watch_ok = on, False
    await session.flush()
    await close_on_death(session, person_id=person.id)
    if person.household_id:
        living = (await session.scalar(select(func.count(Person.id)).where(
            Person.household_id == person.household_id, Person.deceased_on.is_(None),
            Person.merged_into_id.is_(None)))) or 0
        if living == 0:
            await change_status(session, actor=actor, scope=scope, household_id=person.household_id,
                                status="ended", reason="died", since=on, person_id=person.id)
            return person
        await _recompute_households(session, ids=[person.household_id])
    await record(session, action="person.died", actor_id=actor.id, municipality_id=person.municipality_id,
                 object_type="person", object_id=person.id, ids=[person.id])
    return person

