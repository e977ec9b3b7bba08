"""Sign-ups: capacity, waitlist, cancellation with promotion in order, and the public page.

Rules:
- every create carries a client-made id; UNIQUE (author_key, client_id) makes a resend (or an
  outbox replay) return the stored sign-up;
- the session row is locked (SELECT ... FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE
  already serialises writers) before the confirmed places are counted, so two people can never
  take the last place: the later one is waitlisted;
- a cancellation promotes the first waitlisted sign-up (lowest position), under the same lock;
- the public page needs no account: name and phone only, a honeypot field, a rate limit per
  address (in the route), and an audit row with no actor;
- a person signed up twice for one session keeps the first live sign-up.
Callable with plain data (the offline outbox replays these functions).
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.audit.actions import register
from server.audit.service import record
from server.db import utcnow
from server.errors import Invalid, NotFound
from server.households.models import Person
from server.i18n import N_
from server.idempotency import check_client_id
from server.salons.access import require_session, runs
from server.salons.models import RosterMember, Salon, SalonSession, Signup
from server.scope import Scope, require_person
from server.text import clean
from server.users.models import User

register({
    "salon.signed_up": N_("Signed up for a salon session"),
    "salon.signed_up_public": N_("Signed up on a public salon page"),
    "salon.public_spam": N_("Public sign-up refused (honeypot)"),
    "salon.signup_cancelled": N_("Salon sign-up cancelled"),
    "salon.waitlist_promoted": N_("Promoted from the waitlist"),
})


async def _locked(session: AsyncSession, session_id: int) -> SalonSession:
    row = (await session.scalars(select(SalonSession).where(SalonSession.id == session_id).with_for_update()
                                 .execution_options(populate_existing=True))).first()
    if row is None:
        raise NotFound()
    return row


async def confirmed_count(session: AsyncSession, session_id: int) -> int:
    return await session.scalar(select(func.count()).select_from(Signup).where(
        Signup.session_id == session_id, Signup.status == "confirmed")) or 0


async def _place(session: AsyncSession, sess: SalonSession, row: Signup) -> Signup:
    """Under the session's lock: confirmed while places remain, else waitlisted; position = arrival order."""
    row.position = (await session.scalar(select(func.max(Signup.position)).where(Signup.session_id == sess.id)) or 0) + 1
    row.status = "confirmed" if await confirmed_count(session, sess.id) < sess.capacity else "waitlisted"
    session.add(row)
    await session.flush()
    return row


def _open_for_signup(sess: SalonSession) -> None:
    if sess.status == "cancelled":
        raise Invalid(fields={"session": N_("This session is cancelled.")})
    if sess.ends_at <= utcnow():
        raise Invalid(fields={"session": N_("This session is over.")})


async def sign_up(session: AsyncSession, *, actor: User, scope: Scope, session_id: int, person_id: int | None,
                  client_id: str, needs_transport: bool = False) -> tuple[Signup, bool]:
    """An organiser (for a roster member), or a volunteer, commissioner or coordinator (for a
    resident they can see) signs a person up. Returns (sign-up, created)."""
    client_id = check_client_id(client_id)
    author_key = f"u{actor.id}"
    sess, salon = await require_session(session, scope, session_id, run=False)
    if person_id is None:
        raise Invalid(fields={"person_id": N_("Choose who to sign up.")})
    on_roster = await session.scalar(select(RosterMember.id).where(
        RosterMember.salon_id == salon.id, RosterMember.person_id == person_id, RosterMember.left_on.is_(None)))
    if not (on_roster and await runs(session, scope, salon)):
        person = await require_person(session, scope, person_id)
        if person.municipality_id != salon.municipality_id:
            raise NotFound()
    sess = await _locked(session, sess.id)
    stored = (await session.scalars(select(Signup).where(Signup.author_key == author_key,
                                                         Signup.client_id == client_id))).first()
    if stored is not None:
        if stored.session_id != sess.id:
            raise Invalid(fields={"client_id": N_("The form was incomplete. Please reload the page and try again.")})
        return stored, False
    live = (await session.scalars(select(Signup).where(Signup.session_id == sess.id, Signup.person_id == person_id,
                                                       Signup.status != "cancelled"))).first()
    if live is not None:
        return live, False
    _open_for_signup(sess)
    row = await _place(session, sess, Signup(session_id=sess.id, person_id=person_id, needs_transport=needs_transport,
                                             signed_up_by=actor.id, author_key=author_key, client_id=client_id))
    await record(session, action="salon.signed_up", actor_id=actor.id, municipality_id=salon.municipality_id,
                 object_type="salon_signup", object_id=row.id, ids=[person_id])
    return row, True


async def sign_up_public(session: AsyncSession, *, join_token: str, name: str, phone: str, client_id: str,
                         needs_transport: bool = False, honeypot: str = "") -> Signup | None:
    """The public page: no account. A filled honeypot stores nothing (and is audited); the
    answer looks the same, so a bot learns nothing. Returns None for a honeypot hit."""
    sess = (await session.scalars(select(SalonSession).where(SalonSession.join_token == join_token,
                                                             SalonSession.public_signup.is_(True)))).first()
    if not join_token or sess is None:
        raise NotFound()
    salon = await session.get(Salon, sess.salon_id)
    if honeypot:
        await record(session, action="salon.public_spam", actor_id=None, municipality_id=salon.municipality_id,
                     object_type="salon_session", object_id=sess.id)
        return None
    client_id = check_client_id(client_id)
    name, phone = clean(name, 100), clean(phone, 32)
    errors = {}
    if not name:
        errors["name"] = N_("Enter your name.")
    digits = [c for c in phone if c.isdigit()]
    if not 9 <= len(digits) <= 15 or not all(c.isdigit() or c in "-+() " for c in phone):
        errors["phone"] = N_("Enter a phone number we can call, in digits.")
    if errors:
        raise Invalid(fields=errors)
    sess = await _locked(session, sess.id)
    stored = (await session.scalars(select(Signup).where(Signup.author_key == "public",
                                                         Signup.client_id == client_id))).first()
    if stored is not None:
        return stored
    _open_for_signup(sess)
    row = await _place(session, sess, Signup(session_id=sess.id, public_name=name, public_phone=phone,
                                             needs_transport=needs_transport, author_key="public", client_id=client_id))
    await record(session, action="salon.signed_up_public", actor_id=None, municipality_id=salon.municipality_id,
                 object_type="salon_signup", object_id=row.id)
    return row


async def cancel_signup(session: AsyncSession, *, actor: User, scope: Scope, signup_id: int) -> tuple[Signup, Signup | None]:
    """The one who signed them up, or whoever runs the salon. Returns (cancelled, promoted or None)."""
    row = await session.get(Signup, signup_id)
    if row is None:
        raise NotFound()
    sess, salon = await require_session(session, scope, row.session_id, run=False)
    if row.signed_up_by != actor.id and not await runs(session, scope, salon):
        raise NotFound()
    sess = await _locked(session, sess.id)
    await session.refresh(row)
    if row.status == "cancelled":
        return row, None
    was_confirmed = row.status == "confirmed"
    row.status, row.cancelled_at = "cancelled", utcnow()
    await session.flush()
    promoted = None
    if was_confirmed and await confirmed_count(session, sess.id) < sess.capacity:
        promoted = (await session.scalars(select(Signup).where(Signup.session_id == sess.id,
                                                               Signup.status == "waitlisted")
                                          .order_by(Signup.position).limit(1))).first()
        if promoted is not None:
            promoted.status, promoted.promoted_at = "confirmed", utcnow()
            await session.flush()
    await record(session, action="salon.signup_cancelled", actor_id=actor.id, municipality_id=salon.municipality_id,
                 object_type="salon_signup", object_id=row.id, ids=[row.person_id] if row.person_id else None)
    if promoted is not None:
        await record(session, action="salon.waitlist_promoted", actor_id=actor.id,
                     municipality_id=salon.municipality_id, object_type="salon_signup", object_id=promoted.id,
                     ids=[promoted.person_id] if promoted.person_id else None)
    return row, promoted


async def person_names(session: AsyncSession, ids: list[int]) -> dict[int, Person]:
    if not ids:
        return {}
    return {p.id: p for p in (await session.scalars(select(Person).where(Person.id.in_(ids)))).all()}
