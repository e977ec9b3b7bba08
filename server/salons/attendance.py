"""Attendance on the phone: one tap per person (出席 / 欠席 / 連絡あり欠席), walk-ins, and the
気になったこと line that becomes a concern with one more tap.

Rules:
- whoever runs the salon takes attendance, for a session that is not cancelled and has started
  (Tokyo day); one row per (session, person), a second tap changes it;
- attendance of a registered person whose household is watched over records a サロン等で会った
  contact for the household where the municipality counts salon attendance (the watch-over
  setting `salon_counts_for_cadence`), once per (session, person); a later change to 欠席
  withdraws it;
- each change re-evaluates the absence follow-up (followup.py);
- 気になったこと is sealed like a contact's note; "raise a concern" logs a contact that flags a
  concern, which server/concerns routes at once to the receiving organisation.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server import sealing
from server.audit.actions import register
from server.audit.service import record
from server.contacts import service as contacts
from server.contacts.models import Contact
from server.db import utcnow
from server.errors import Invalid, NotFound
from server.households.models import Household, Person
from server.i18n import N_, TOKYO
from server.idempotency import add_unless_duplicate, check_client_id
from server.rollups import hooks as rollups
from server.salons import followup
from server.salons.access import require_session
from server.salons.models import (
    ATTENDANCE,
    Attendance,
    RosterMember,
    Salon,
    SalonSession,
    Signup,
)
from server.scope import Scope, require_person
from server.text import clean, normalise
from server.users.models import User

register({
    "salon.attendance_recorded": N_("Salon attendance recorded"),
    "salon.walk_in_added": N_("Walk-in added to a salon session"),
    "salon.concern_raised": N_("Concern raised from a salon"),
})

NOTICED_LIMIT = 500


def owner_role(scope: Scope) -> str:
    return "commissioner" if "commissioner" in scope.roles else "volunteer" if "volunteer" in scope.roles else "coordinator"


def noticed_of(row: Attendance) -> str:
    return sealing.unseal(row.noticed_sealed, "salons.noticed") or ""


async def _expected(session: AsyncSession, sess: SalonSession, salon: Salon, person_id: int) -> bool:
    """On the roster, or signed up for this session."""
    on_roster = await session.scalar(select(RosterMember.id).where(
        RosterMember.salon_id == salon.id, RosterMember.person_id == person_id, RosterMember.left_on.is_(None)))
    if on_roster:
        return True
    return bool(await session.scalar(select(Signup.id).where(
        Signup.session_id == sess.id, Signup.person_id == person_id, Signup.status != "cancelled")))


def _check_takeable(sess: SalonSession) -> None:
    if sess.status == "cancelled":
        raise Invalid(fields={"session": N_("This session is cancelled.")})
    if sess.starts_at.astimezone(TOKYO).date() > utcnow().astimezone(TOKYO).date():
        raise Invalid(fields={"session": N_("Attendance is taken on the day of the session.")})


async def _upsert(session: AsyncSession, sess: SalonSession, person_id: int, values: dict) -> Attendance:
    row = (await session.scalars(select(Attendance).where(Attendance.session_id == sess.id,
                                                          Attendance.person_id == person_id))).first()
    if row is None:
        row = Attendance(session_id=sess.id, person_id=person_id, **values)
        if not await add_unless_duplicate(session, row):  # taken at the same moment on another phone
            row = (await session.scalars(select(Attendance).where(Attendance.session_id == sess.id,
                                                                  Attendance.person_id == person_id))).one()
            for k, v in values.items():
                setattr(row, k, v)
    else:
        for k, v in values.items():
            setattr(row, k, v)
    await session.flush()
    return row


async def _sync_contact(session: AsyncSession, *, actor: User, scope: Scope, sess: SalonSession, row: Attendance) -> None:
    person = await session.get(Person, row.person_id)
    if row.status == "present" and row.contact_id is None and person.household_id is not None:
        contact, _ = await contacts.log_gathering_contact(
            session, actor=actor, owner_role=owner_role(scope), household_id=person.household_id,
            person_id=person.id, client_id=f"salon-{sess.id}-{person.id}-{actor.id}", occurred_at=sess.starts_at)
        row.contact_id = contact.id if contact else None
    elif row.status != "present" and row.contact_id is not None:
        contact = await session.get(Contact, row.contact_id)
        if contact is not None and contact.withdrawn_at is None:
            contact.withdrawn_at = utcnow()
            await session.flush()
            await rollups.contact_changed(session, area_id=(await session.get(Household, contact.household_id)).area_id,
                                          occurred_at=contact.occurred_at, method=contact.method,
                                          outcome=contact.outcome, n=-1)
            await contacts.refresh_last_contact(session, await session.get(Household, contact.household_id))
            await record(session, action="contact.withdrawn", actor_id=actor.id,
                         municipality_id=contact.municipality_id, object_type="contact", object_id=contact.id,
                         ids=contact.met_person_ids or None)
        row.contact_id = None
    await session.flush()


async def record_attendance(session: AsyncSession, *, actor: User, scope: Scope, session_id: int,
                            person_id: int | None, status: str, noticed: str | None = None,
                            client_id: str = "") -> Attendance:
    """One tap. Safe to replay: the same tap again changes nothing."""
    sess, salon = await require_session(session, scope, session_id)
    if person_id is None or not await _expected(session, sess, salon, person_id):
        raise NotFound()
    if status not in ATTENDANCE:
        raise Invalid(fields={"status": N_("Choose present, absent or absent with notice.")})
    if noticed is not None and len(noticed) > NOTICED_LIMIT:
        raise Invalid(fields={"noticed": N_("Please keep it under 500 characters.")})
    _check_takeable(sess)
    tracker = await rollups.SalonTracker.start(session, salon)
    values = {"status": status, "recorded_by": actor.id, "recorded_at": utcnow(), "client_id": (client_id or "")[:64]}
    if noticed is not None:
        values["noticed_sealed"] = sealing.seal(noticed.strip(), "salons.noticed") if noticed.strip() else None
    row = await _upsert(session, sess, person_id, values)
    sess.attendance_taken_at = sess.attendance_taken_at or utcnow()
    await _sync_contact(session, actor=actor, scope=scope, sess=sess, row=row)
    await followup.after_attendance(session, salon=salon, sess=sess, person_id=person_id, status=status,
                                    actor=actor)
    await tracker.done()
    await record(session, action="salon.attendance_recorded", actor_id=actor.id, municipality_id=salon.municipality_id,
                 object_type="salon_session", object_id=sess.id, ids=[person_id])
    return row


async def add_walk_in(session: AsyncSession, *, actor: User, scope: Scope, session_id: int, person_id: int | None = None,
                      name: str = "", phone: str = "", client_id: str = "") -> Attendance:
    """Someone who came without signing up: a registered person the organiser can see, or a
    name (and phone) kept as a guest. A resend with the same client id adds nobody twice."""
    client_id = check_client_id(client_id)
    sess, salon = await require_session(session, scope, session_id)
    stored = (await session.scalars(select(Attendance).where(Attendance.session_id == sess.id,
                                                             Attendance.client_id == client_id))).first()
    if stored is not None:
        return stored
    _check_takeable(sess)
    tracker = await rollups.SalonTracker.start(session, salon)
    if person_id is not None:
        person = await require_person(session, scope, person_id)
        if person.municipality_id != salon.municipality_id:
            raise NotFound()
    else:
        name, phone = clean(name, 100), clean(phone, 32)
        if not name:
            raise Invalid(fields={"name": N_("Enter the name.")})
        if phone and not all(c.isdigit() or c in "-+() " for c in phone):
            raise Invalid(fields={"phone": N_("Enter the phone number in digits.")})
        person = Person(municipality_id=salon.municipality_id, household_id=None, name=name, kana="", kana_norm="",
                        name_norm=normalise(name), phone=phone or None)
        session.add(person)
        await session.flush()
    row = await _upsert(session, sess, person.id, {"status": "present", "walk_in": True, "recorded_by": actor.id,
                                                   "recorded_at": utcnow(), "client_id": client_id})
    sess.attendance_taken_at = sess.attendance_taken_at or utcnow()
    await _sync_contact(session, actor=actor, scope=scope, sess=sess, row=row)
    await tracker.done()
    await record(session, action="salon.walk_in_added", actor_id=actor.id, municipality_id=salon.municipality_id,
                 object_type="salon_session", object_id=sess.id, ids=[person.id])
    return row


async def raise_concern(session: AsyncSession, *, actor: User, scope: Scope, attendance_id: int) -> Contact:
    """気になったこと → a routed concern (through a contact that flags it, urgency normal), with the
    noticed line as the contact's sealed note. Never blocked by consent; a second tap returns the first."""
    row = await session.get(Attendance, attendance_id)
    if row is None:
        raise NotFound()
    sess, salon = await require_session(session, scope, row.session_id)
    if row.concern_contact_id is not None:
        return await session.get(Contact, row.concern_contact_id)
    person = await session.get(Person, row.person_id)
    noticed = noticed_of(row)
    if not noticed:
        raise Invalid(fields={"noticed": N_("Write what you noticed first.")})
    if person.household_id is None:
        raise Invalid(fields={"noticed": N_("This guest is not registered: tell the coordinator by phone.")})
    when = min(sess.starts_at, utcnow())
    contact, _ = await contacts.log_gathering_contact(
        session, actor=actor, owner_role=owner_role(scope), household_id=person.household_id, person_id=person.id,
        client_id=f"salon-concern-{row.id}", occurred_at=when, outcome="watch", note=noticed, flag_concern=True)
    if contact is None:
        raise Invalid(fields={"noticed": N_("This household's watch-over has ended, or the session is too long ago.")})
    row.concern_contact_id = contact.id
    await record(session, action="salon.concern_raised", actor_id=actor.id, municipality_id=salon.municipality_id,
                 object_type="contact", object_id=contact.id, ids=[person.id])
    return contact
