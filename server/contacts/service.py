"""Logging contacts and activities; corrections, withdrawals, revisits, and the concern a worrying
contact raises (routed at once by server/concerns).

Rules:
- a contact is logged only on a household in the logger's scope whose watch-over has not ended;
- a resend with the same (author, client id) returns the stored contact and writes nothing;
- when: not in the future (5 minutes' clock skew allowed), not before the first day of the
  previous Asia/Tokyo month, and never in a month whose activity record is submitted;
- counts_as_visit is fixed at log time from the municipality's rule, for commissioners only
  (volunteers are not part of the national activity record);
- 相談・支援 items carry exactly one 分野 and one 内容, 連絡調整 items say with whom; both only
  on a commissioner's contact;
- "met" names only members who consent to watch-over; raising a concern is never blocked by consent;
- the author may correct or withdraw within 7 days (a 代理入力 entry: any coordinator of the
  municipality); a correction is a new row that supersedes the
  old one, nothing is deleted; every change is audited;
- 代理入力: a coordinator logs for a commissioner of their municipality: author = coordinator,
  owner = on_behalf_of = the commissioner, and the audit row says so.
"""
from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field

from sqlalchemy import bindparam, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from server import sealing
from server.activity.service import month_locked as submitted
from server.assignments.service import holds_role
from server.audit.actions import register
from server.audit.service import record
from server.concerns.service import raise_from_contact, withdraw_with_contact
from server.contacts.models import (
    CONTENTS,
    FIELDS,
    LIAISON_WITH,
    METHODS,
    OTHER_ACTIVITIES,
    OUTCOMES,
    SIGNS,
    URGENCY_FOR,
    Activity,
    ActivityItem,
    Contact,
    Revisit,
)
from server.db import read_before_write, utcnow
from server.errors import Invalid, NotFound
from server.households.models import Household, Person, WatchSettings
from server.households.rules import DEFAULT_SETTINGS
from server.i18n import N_, TOKYO
from server.idempotency import check_client_id
from server.rollups.hooks import contact_changed
from server.scope import Scope, household_clause, require_household
from server.sqlite_driver import DEFERRABLE
from server.users.models import User

register({
    "contact.logged": N_("Contact logged"),
    "contact.corrected": N_("Contact corrected"),
    "contact.withdrawn": N_("Contact withdrawn"),
    "activity.logged": N_("Activity logged"),
    "activity.withdrawn": N_("Activity withdrawn"),
})

EDIT_WINDOW = dt.timedelta(days=7)
SKEW = dt.timedelta(minutes=5)
MET_METHODS = {"visit", "phone", "greeting", "salon", "other"}
NOTE_LIMIT = 1000


@dataclass
class ContactInput:
    household_id: int
    client_id: str
    method: str
    outcome: str = "no_change"
    signs: list[str] = field(default_factory=list)
    note: str = ""
    occurred_at: dt.datetime | None = None
    duration: int | None = None
    met_person_ids: list[int] | None = None
    revisit_on: dt.date | None = None
    flag_concern: bool = False
    consults: list[tuple[str, str]] = field(default_factory=list)  # (分野, 内容)
    liaisons: list[str] = field(default_factory=list)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def previous_month_start(day: dt.date) -> dt.date:
    return (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)




async def month_locked(session: AsyncSession, owner_id: int, when: dt.datetime | dt.date) -> bool:
    """Whether the owner's activity record for the month of `when` is submitted (server/activity)."""
    return await submitted(session, owner_id, when)


async def check_when(session: AsyncSession, owner_id: int, when: dt.datetime, now: dt.datetime) -> str | None:
    """An error message when `when` is outside the back-dating window, else None."""
    if when > now + SKEW:
        return N_("The time cannot be in the future.")
    local = when.astimezone(TOKYO).date()
    if local < previous_month_start(now.astimezone(TOKYO).date()):
        return N_("You can only enter this month or last month.")
    if await month_locked(session, owner_id, when):
        return N_("That month's activity record is already submitted.")
    return None


async def _owner(session: AsyncSession, actor: User, scope: Scope, municipality_id: int,
                 on_behalf_of: int | None) -> tuple[int, str]:
    """(owner id, owner role): whose activity this is."""
    if on_behalf_of is not None and on_behalf_of != actor.id:
        if not scope.coordinates(municipality_id):
            raise NotFound()
        if not await holds_role(session, on_behalf_of, "commissioner", municipality_id):
            raise Invalid(fields={"on_behalf_of": N_("Choose a commissioner of this municipality.")})
        return on_behalf_of, "commissioner"
    if "commissioner" in scope.roles:
        return actor.id, "commissioner"
    if "volunteer" in scope.roles:
        return actor.id, "volunteer"
    return actor.id, "coordinator"


async def _validate(session: AsyncSession, data: ContactInput, household: Household, owner_id: int, owner_role: str,
                    now: dt.datetime, members: list[int] | None = None) -> tuple[dict, dt.datetime, list[int]]:
    errors: dict[str, str] = {}
    if data.method not in METHODS:
        errors["method"] = N_("Choose how you made contact.")
    if data.outcome not in OUTCOMES:
        errors["outcome"] = N_("Choose how it was.")
    if any(s not in SIGNS for s in data.signs) or len(data.signs) > len(SIGNS):
        errors["signs"] = N_("Choose from the listed signs.")
    if len(data.note or "") > NOTE_LIMIT:
        errors["note"] = N_("Please keep the note under 1,000 characters.")
    if data.duration is not None and not 0 <= data.duration <= 600:
        errors["duration"] = N_("Enter the minutes, from 0 to 600.")
    when = data.occurred_at or now
    if when.tzinfo is None:
        when = when.replace(tzinfo=TOKYO)
    problem = await check_when(session, owner_id, when, now)
    if problem:
        errors["occurred_at"] = problem
    if household.status == "ended":
        errors["household_id"] = N_("Watch-over of this household has ended.")
    if members is None:
        members = (await session.scalars(select(Person.id).where(
            Person.household_id == household.id, Person.watch_ok.is_(True)))).all()
    met = data.met_person_ids
    if met is None:
        met = list(members) if data.method in MET_METHODS else []
    if any(i not in members for i in met):
        errors["met_person_ids"] = N_("Choose from the members listed.")
    if met and data.method not in MET_METHODS:
        errors["met_person_ids"] = N_("Nobody was met with this contact method.")
    if data.revisit_on is not None:
        if data.method != "visit_absent":
            errors["revisit_on"] = N_("A revisit reminder is only for a visit when nobody was home.")
        elif not when.astimezone(TOKYO).date() <= data.revisit_on <= when.astimezone(TOKYO).date() + dt.timedelta(days=60):
            errors["revisit_on"] = N_("Choose a day within the next 60 days.")
    if (data.consults or data.liaisons) and owner_role != "commissioner":
        errors["consults"] = N_("Activity-record items are for commissioners' contacts.")
    if len(data.consults) > 10 or len(data.liaisons) > 10:
        errors["consults"] = N_("Too many items.")
    for f, c in data.consults:
        if f not in FIELDS or c not in CONTENTS:
            errors["consults"] = N_("Each consultation needs one field and one content from the lists.")
    if any(w not in LIAISON_WITH for w in data.liaisons):
        errors["liaisons"] = N_("Choose who the liaison was with.")
    if data.flag_concern and data.outcome not in URGENCY_FOR:
        errors["flag_concern"] = N_("A concern is flagged from 'something to watch', 'must tell' or 'emergency'.")
    return errors, when, sorted(set(met))


async def _existing(session: AsyncSession, author_id: int, client_id: str) -> Contact | None:
    return (await session.scalars(select(Contact).where(Contact.author_id == author_id,
                                                        Contact.client_id == client_id))).first()


_LOOKUPS: dict[tuple, object] = {}


@dataclass
class _Target:
    """What the quick log needs of the household, read as plain columns: building ORM objects cost
    more than the query (the ORM row is loaded only when a concern is raised from the contact)."""
    id: int
    municipality_id: int
    area_id: int
    status: str
    last_contact_at: dt.datetime | None


def _log_lookup(clause, dialect: str):
    """The quick log's one read, built once per scope clause (building costs more than running)."""
    key = (clause, dialect)
    stmt = _LOOKUPS.get(key)
    if stmt is None:
        stored = select(Contact.id).where(Contact.author_id == bindparam("author_id"),
                                          Contact.client_id == bindparam("client_id")).scalar_subquery()
        open_revisit = exists().where(Revisit.household_id == Household.id, Revisit.closed_at.is_(None))
        # ... and, in the same round trip, the consenting members and the municipality's rules.
        aggregate = func.json_group_array if dialect == "sqlite" else func.json_agg
        consenting = select(aggregate(Person.id)).where(
            Person.household_id == Household.id, Person.watch_ok.is_(True)).scalar_subquery()
        stmt = (select(Household.id, Household.municipality_id, Household.area_id, Household.status,
                       Household.last_contact_at, stored, open_revisit, consenting, WatchSettings.municipality_id,
                       WatchSettings.visit_methods, WatchSettings.absent_counts,
                       WatchSettings.salon_counts_for_cadence)
                .outerjoin(WatchSettings, WatchSettings.municipality_id == Household.municipality_id)
                .where(Household.id == bindparam("household_id"), clause))
        if len(_LOOKUPS) > 5000:
            _LOOKUPS.clear()
        _LOOKUPS[key] = stmt
    return stmt


async def log_contact(session: AsyncSession, *, actor: User, scope: Scope, data: ContactInput,
                      on_behalf_of: int | None = None, audit: bool = True) -> tuple[Contact, bool]:
    """Returns (contact, created). A resend of the same client id returns the stored contact."""
    # One query: the household through the scope gate, a contact already stored under this client
    # id (a resend), and whether the household has an open revisit to close.
    wanted = (data.client_id or "").strip()[:64]
    clause = await household_clause(session, scope, one=True)
    # SQLite: this read still runs in the request's read phase, so the write lock is held only for
    # the writes (a quick log then holds it for two thread round trips instead of six; with twenty
    # phones logging at once the lock, not the CPU, set the pace). What it reads may be a few
    # milliseconds old when the writes start, as if the tap had come that much earlier; a resend
    # racing this one still stores once (the unique client id).
    await read_before_write(session)
    found = (await session.execute(_log_lookup(clause, session.bind.dialect.name),
                                   {"author_id": actor.id, "client_id": wanted, "household_id": data.household_id})).first()
    if found is None:
        raise NotFound()
    household = _Target(*found[:5])
    existing_id, has_open_revisit, members_json, settings_id, visit_methods, absent_counts, salon_counts = found[5:]
    members = [i for i in (json.loads(members_json) if isinstance(members_json, str) else members_json or [])
               if i is not None]
    client_id = check_client_id(data.client_id)
    if existing_id is not None:
        existing = await session.get(Contact, existing_id)
        if existing.household_id != household.id:
            raise Invalid(fields={"client_id": N_("The form was incomplete. Please reload the page and try again.")})
        return existing, False
    owner_id, owner_role = await _owner(session, actor, scope, household.municipality_id, on_behalf_of)
    now = utcnow()
    errors, when, met = await _validate(session, data, household, owner_id, owner_role, now, members)
    if errors:
        raise Invalid(fields=errors)
    if settings_id is None:  # the municipality kept the documented defaults
        visit_methods, absent_counts, salon_counts = (DEFAULT_SETTINGS["visit_methods"], DEFAULT_SETTINGS["absent_counts"],
                                                      DEFAULT_SETTINGS["salon_counts_for_cadence"])
    counts = owner_role == "commissioner" and data.method in visit_methods and (
        data.method != "visit_absent" or absent_counts)
    values = dict(municipality_id=household.municipality_id, household_id=household.id, author_id=actor.id,
                  owner_id=owner_id, on_behalf_of_id=owner_id if owner_id != actor.id else None,
                  owner_role=owner_role, client_id=client_id, method=data.method, outcome=data.outcome,
                  signs=sorted(set(data.signs)), note_sealed=sealing.seal((data.note or "").strip(), "contacts.note"),
                  occurred_at=when, duration_minutes=data.duration, met_person_ids=met, counts_as_visit=counts,
                  counts_for_cadence=data.method != "salon" or salon_counts, created_at=now)
    try:
        if session.bind.dialect.name == "sqlite":  # BEGIN IMMEDIATE already serialises writers
            row = await _insert_contact(session, values)
        else:
            async with session.begin_nested():
                row = await _insert_contact(session, values)
    except IntegrityError:
        found = await _existing(session, actor.id, client_id)
        if found is None:
            raise
        return found, False
    await contact_changed(session, area_id=household.area_id, occurred_at=when, method=row.method, outcome=row.outcome)
    await _after_log(session, actor, row, household, data, close_revisits=bool(has_open_revisit), audit=audit)
    if audit:
        await record(session, action="contact.logged", actor_id=actor.id, municipality_id=household.municipality_id,
                     object_type="contact", object_id=row.id, ids=met or None, on_behalf_of_id=row.on_behalf_of_id)
    return row, True


_CONTACT_COLUMNS = tuple(c.key for c in Contact.__table__.c if c.key != "id")
_INSERT_CONTACT = insert(Contact.__table__).returning(Contact.__table__.c.id)
_SET_LAST_CONTACT = (update(Household.__table__).prefix_with(DEFERRABLE).where(Household.__table__.c.id == bindparam("hid"))
                     .values(last_contact_at=bindparam("at", type_=Household.__table__.c.last_contact_at.type)))


async def _insert_contact(session: AsyncSession, values: dict) -> Contact:
    """One INSERT ... RETURNING, then the row joins the session as a clean persistent object.
    Why not session.add + flush: on the quick log the ORM's unit of work cost more than SQLite
    did. Every column is given, so nothing on the object is left expired (no lazy load later)."""
    full = {key: values.get(key) for key in _CONTACT_COLUMNS}
    new_id = (await session.execute(_INSERT_CONTACT, full)).scalar_one()
    row = Contact(id=new_id, **full)
    make_transient_to_detached(row)
    session.add(row)
    return row


async def _after_log(session: AsyncSession, actor: User, row: Contact, household: Household | _Target, data: ContactInput, *,
                     close_revisits: bool = True, audit: bool = True) -> None:
    for f, c in data.consults:
        session.add(ActivityItem(contact_id=row.id, kind="consult", field=f, content=c))
    for w in data.liaisons:
        session.add(ActivityItem(contact_id=row.id, kind="liaison", liaison_with=w))
    # Any later contact answers an open revisit; a new 不在 may set a new one.
    if close_revisits:
        await session.execute(update(Revisit).where(Revisit.household_id == household.id, Revisit.closed_at.is_(None))
                              .values(closed_at=row.created_at, closed_reason="contact"))
    if data.revisit_on is not None:
        session.add(Revisit(household_id=household.id, contact_id=row.id, user_id=row.owner_id, due_on=data.revisit_on))
    if data.flag_concern:
        loaded = household if isinstance(household, Household) else await session.get(Household, household.id)
        await raise_from_contact(session, actor=actor, contact=row, household=loaded, audit=audit)
    if row.counts_for_cadence and (household.last_contact_at is None or row.occurred_at > household.last_contact_at):
        # A Core UPDATE, and a loaded object told without marking it dirty (no flush needed).
        await session.execute(_SET_LAST_CONTACT, {"hid": household.id, "at": row.occurred_at})
        household.last_contact_at = row.occurred_at
        loaded = household if isinstance(household, Household) else \
            session.sync_session.identity_map.get(identity_key(Household, household.id))
        if loaded is not None:
            set_committed_value(loaded, "last_contact_at", row.occurred_at)
    await session.flush()


def may_edit(row: Contact, actor: User, scope: Scope) -> bool:
    """The author; for an entry made on a commissioner's behalf (代理入力), also the other
    coordinators of the municipality (the office corrects its own clerical entries)."""
    return row.author_id == actor.id or (row.on_behalf_of_id is not None and scope.coordinates(row.municipality_id))


async def _editable(session: AsyncSession, actor: User, scope: Scope, contact_id: int) -> tuple[Contact, Household]:
    row = await session.get(Contact, contact_id)
    if row is None or not may_edit(row, actor, scope):
        raise NotFound()
    household = await require_household(session, scope, row.household_id)
    if row.superseded_at is not None or row.withdrawn_at is not None:
        raise Invalid(fields={"contact": N_("This entry was already corrected or withdrawn.")})
    if utcnow() - row.created_at > EDIT_WINDOW:
        raise Invalid(fields={"contact": N_("Entries can be changed for 7 days only.")})
    if row.owner_role == "commissioner" and await month_locked(session, row.owner_id, row.occurred_at):
        raise Invalid(fields={"contact": N_("That month's activity record is already submitted.")})
    return row, household


async def refresh_last_contact(session: AsyncSession, household: Household) -> None:
    household.last_contact_at = await session.scalar(select(func.max(Contact.occurred_at)).where(
        Contact.household_id == household.id, Contact.superseded_at.is_(None), Contact.withdrawn_at.is_(None),
        Contact.counts_for_cadence.is_(True)))


async def withdraw_contact(session: AsyncSession, *, actor: User, scope: Scope, contact_id: int) -> Contact:
    """The undo of a quick log, and the author's withdrawal within 7 days."""
    row, household = await _editable(session, actor, scope, contact_id)
    now = utcnow()
    row.withdrawn_at = now
    await contact_changed(session, area_id=household.area_id, occurred_at=row.occurred_at, method=row.method,
                          outcome=row.outcome, n=-1)
    await session.execute(update(Revisit).where(Revisit.contact_id == row.id, Revisit.closed_at.is_(None))
                          .values(closed_at=now, closed_reason="withdrawn"))
    await withdraw_with_contact(session, contact_id=row.id)
    await session.flush()
    await refresh_last_contact(session, household)
    await record(session, action="contact.withdrawn", actor_id=actor.id, municipality_id=row.municipality_id,
                 object_type="contact", object_id=row.id, ids=row.met_person_ids or None,
                 on_behalf_of_id=row.on_behalf_of_id)
    return row


async def correct_contact(session: AsyncSession, *, actor: User, scope: Scope, contact_id: int,
                          data: ContactInput) -> Contact:
    """A correction is a new row (corrects_id) that supersedes the old; the old stays readable."""
    old, household = await _editable(session, actor, scope, contact_id)
    data.household_id = household.id
    data.client_id = data.client_id or f"corr-{uuid.uuid4().hex}"
    # The new row is validated and written first: an invalid correction leaves the old row untouched.
    new, created = await log_contact(session, actor=actor, scope=scope, data=data, on_behalf_of=old.on_behalf_of_id,
                                     audit=False)
    if not created:
        raise Invalid(fields={"client_id": N_("The form was incomplete. Please reload the page and try again.")})
    new.corrects_id = old.id
    old.superseded_at = new.created_at
    await contact_changed(session, area_id=household.area_id, occurred_at=old.occurred_at, method=old.method,
                          outcome=old.outcome, n=-1)
    await session.execute(update(Revisit).where(Revisit.contact_id == old.id, Revisit.closed_at.is_(None))
                          .values(closed_at=old.superseded_at, closed_reason="withdrawn"))
    # The old contact's concern stays linked to it: what was decided then is kept as made.
    await session.flush()
    await refresh_last_contact(session, household)
    await record(session, action="contact.corrected", actor_id=actor.id, municipality_id=new.municipality_id,
                 object_type="contact", object_id=new.id, ids=[old.id], on_behalf_of_id=new.on_behalf_of_id)
    return new


async def log_activity(session: AsyncSession, *, actor: User, scope: Scope, client_id: str, kind: str,
                       occurred_on: dt.date | None, on_behalf_of: int | None = None,
                       municipality_id: int | None = None) -> tuple[Activity, bool]:
    """A stand-alone その他の活動 entry, or an activity day without a resident ("day")."""
    client_id = check_client_id(client_id)
    found = (await session.scalars(select(Activity).where(Activity.author_id == actor.id,
                                                          Activity.client_id == client_id))).first()
    if found is not None:
        return found, False
    municipality_id = municipality_id or actor.municipality_id
    if on_behalf_of is not None and on_behalf_of != actor.id:
        owner_id, _role = await _owner(session, actor, scope, municipality_id, on_behalf_of)
    else:
        if "commissioner" not in scope.roles:
            raise NotFound()
        owner_id = actor.id
    errors = {}
    if kind not in OTHER_ACTIVITIES and kind != "day":
        errors["kind"] = N_("Choose the kind of activity.")
    now = utcnow()
    if occurred_on is None:
        errors["occurred_on"] = N_("Enter the date.")
    else:
        problem = await check_when(session, owner_id, dt.datetime.combine(occurred_on, dt.time(12), tzinfo=TOKYO)
                                   if occurred_on != now.astimezone(TOKYO).date() else now, now)
        if problem:
            errors["occurred_on"] = problem
    if errors:
        raise Invalid(fields=errors)
    row = Activity(municipality_id=municipality_id, author_id=actor.id, owner_id=owner_id,
                   on_behalf_of_id=owner_id if owner_id != actor.id else None, client_id=client_id, kind=kind,
                   occurred_on=occurred_on)
    session.add(row)
    await session.flush()
    await record(session, action="activity.logged", actor_id=actor.id, municipality_id=municipality_id,
                 object_type="activity", object_id=row.id, on_behalf_of_id=row.on_behalf_of_id)
    return row, True


async def withdraw_activity(session: AsyncSession, *, actor: User, activity_id: int) -> Activity:
    row = await session.get(Activity, activity_id)
    if row is None or row.author_id != actor.id or row.withdrawn_at is not None:
        raise NotFound()
    if utcnow() - row.created_at > EDIT_WINDOW:
        raise Invalid(fields={"activity": N_("Entries can be changed for 7 days only.")})
    if await month_locked(session, row.owner_id, row.occurred_on):
        raise Invalid(fields={"activity": N_("That month's activity record is already submitted.")})
    row.withdrawn_at = utcnow()
    await record(session, action="activity.withdrawn", actor_id=actor.id, municipality_id=row.municipality_id,
                 object_type="activity", object_id=row.id)
    return row


async def flag_concern(session: AsyncSession, *, actor: User, scope: Scope, contact_id: int):
    """"Flag a concern" offered right after a 気になる / 要連絡 / 緊急 contact was saved: a real concern,
    routed at once (server/concerns). Never blocked by consent; a second request returns the same one."""
    row = await session.get(Contact, contact_id)
    if row is None or row.author_id != actor.id:
        raise NotFound()
    household = await require_household(session, scope, row.household_id)
    if row.outcome not in URGENCY_FOR or row.withdrawn_at is not None or row.superseded_at is not None:
        raise Invalid(fields={"flag_concern": N_("A concern is flagged from 'something to watch', 'must tell' or 'emergency'.")})
    concern, _created = await raise_from_contact(session, actor=actor, contact=row, household=household)
    return concern


async def log_gathering_contact(session: AsyncSession, *, actor: User, owner_role: str, household_id: int,
                                person_id: int, client_id: str, occurred_at: dt.datetime, outcome: str = "no_change",
                                note: str = "", flag_concern: bool = False) -> tuple[Contact | None, bool]:
    """A サロン等で会った contact recorded by whoever ran the gathering (a salon organiser), who
    need not be assigned to the household: the caller has already checked the person is on a
    gathering the actor runs. Returns (None, False) when there is nothing to record: the
    household's watch-over has ended, the day is outside the back-dating window, or (for plain
    attendance) the municipality does not count salon attendance. Raising a concern is never
    blocked by consent; "met" names the person only when they consent to watch-over."""
    client_id = check_client_id(client_id)
    found = await _existing(session, actor.id, client_id)
    if found is not None:
        return found, False
    household = await session.get(Household, household_id)
    person = await session.get(Person, person_id)
    if household is None or person is None or person.household_id != household.id or household.status == "ended":
        return None, False
    rules = (await session.get(WatchSettings, household.municipality_id)) or WatchSettings(
        municipality_id=household.municipality_id, **DEFAULT_SETTINGS)
    if not flag_concern and not (rules.salon_counts_for_cadence and person.watch_ok):
        return None, False
    now = utcnow()
    if await check_when(session, actor.id, occurred_at, now):
        return None, False
    counts = owner_role == "commissioner" and "salon" in rules.visit_methods
    row = Contact(municipality_id=household.municipality_id, household_id=household.id, author_id=actor.id,
                  owner_id=actor.id, owner_role=owner_role, client_id=client_id, method="salon",
                  outcome=outcome if outcome in OUTCOMES else "no_change", signs=[],
                  note_sealed=sealing.seal((note or "").strip()[:NOTE_LIMIT], "contacts.note"), occurred_at=occurred_at,
                  met_person_ids=[person.id] if person.watch_ok else [], counts_as_visit=counts,
                  counts_for_cadence=rules.salon_counts_for_cadence, created_at=now)
    session.add(row)
    await session.flush()
    await contact_changed(session, area_id=household.area_id, occurred_at=occurred_at, method="salon",
                          outcome=row.outcome)
    data = ContactInput(household_id=household.id, client_id=client_id, method="salon", outcome=row.outcome,
                        flag_concern=flag_concern and row.outcome in URGENCY_FOR)
    await _after_log(session, actor, row, household, data, close_revisits=False)
    await record(session, action="contact.logged", actor_id=actor.id, municipality_id=household.municipality_id,
                 object_type="contact", object_id=row.id, ids=row.met_person_ids or None)
    return row, True
