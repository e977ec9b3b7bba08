"""The salon kinds of offline outbox entry: an attendance tap, a walk-in and a sign-up made on a
phone with no signal. Each calls the same service function as the session page; a cancelled
session or a person out of scope holds the entry for review, never drops it."""
from __future__ import annotations

from server.errors import Invalid, NotFound
from server.i18n import N_
from server.offline.registry import (
    Applied,
    Held,
    SyncContext,
    positive_id,
    register_kind,
)
from server.salons import attendance, signups
from server.salons.models import Salon, SalonSession

CANCELLED = "This session is cancelled."



def _held(exc: Invalid) -> Held:
    if exc.fields.get("session") == CANCELLED:
        return Held("cancelled", exc.fields)
    return Held("invalid", exc.fields)


async def _municipality(session, session_id: int) -> int | None:
    sess = await session.get(SalonSession, session_id)
    salon = await session.get(Salon, sess.salon_id) if sess is not None else None
    return salon.municipality_id if salon is not None else None


async def apply_attendance(session, ctx: SyncContext) -> Applied:
    d = ctx.data
    session_id = positive_id(d.get("session_id"))
    if session_id is None:
        raise Held("invalid", {"session_id": N_("The session is missing.")})
    noticed = d.get("noticed")
    try:
        row = await attendance.record_attendance(
            session, actor=ctx.actor, scope=ctx.scope, session_id=session_id, person_id=positive_id(d.get("person_id")),
            status=str(d.get("status") or "")[:16], noticed=noticed[:600] if isinstance(noticed, str) else None,
            client_id=ctx.client_id)
    except NotFound:
        raise Held("out_of_scope") from None
    except Invalid as exc:
        raise _held(exc) from None
    return Applied("salon_attendance", row.id, True, None, await _municipality(session, session_id))


async def apply_walk_in(session, ctx: SyncContext) -> Applied:
    d = ctx.data
    session_id = positive_id(d.get("session_id"))
    if session_id is None:
        raise Held("invalid", {"session_id": N_("The session is missing.")})
    try:
        row = await attendance.add_walk_in(
            session, actor=ctx.actor, scope=ctx.scope, session_id=session_id, person_id=positive_id(d.get("person_id")),
            name=str(d.get("name") or "")[:200], phone=str(d.get("phone") or "")[:40], client_id=ctx.client_id)
    except NotFound:
        raise Held("out_of_scope") from None
    except Invalid as exc:
        raise _held(exc) from None
    return Applied("salon_attendance", row.id, True, None, await _municipality(session, session_id))


async def apply_signup(session, ctx: SyncContext) -> Applied:
    d = ctx.data
    session_id = positive_id(d.get("session_id"))
    if session_id is None:
        raise Held("invalid", {"session_id": N_("The session is missing.")})
    try:
        row, created = await signups.sign_up(
            session, actor=ctx.actor, scope=ctx.scope, session_id=session_id, person_id=positive_id(d.get("person_id")),
            client_id=ctx.client_id, needs_transport=bool(d.get("needs_transport")))
    except NotFound:
        raise Held("out_of_scope") from None
    except Invalid as exc:
        raise _held(exc) from None
    return Applied("salon_signup", row.id, created, None, await _municipality(session, session_id))


register_kind("attendance", apply_attendance, label=N_("Salon attendance"))
register_kind("walk_in", apply_walk_in, label=N_("Salon walk-in"))
register_kind("signup", apply_signup, label=N_("Salon sign-up"))
