"""Passkey ceremonies, invitations and sign-out: every auth write, each with its audit row.

Rules:
- an invitation is valid while unused, not cancelled, not expired (72 h) and its person not
  deactivated; registering consumes it with one conditional UPDATE, so it works exactly once;
- every ceremony's challenge is consumed before anything else is checked, so a failed
  attempt cannot be retried with the same challenge;
- a refused ceremony raises PasskeyFailed AFTER recording auth.signin_failed: the caller
  commits (the handler returns the error instead of raising), so the failure stays audited
  and the challenge stays used;
- signing in rotates the session id (sessions.start_signed_in deletes the pre-sign-in row);
- a deactivated person whose passkey is still valid may sign in ONCE (per deactivation) in
  replay-only mode: the session reaches nothing but /sync (server/offline/replay.py), lasts
  15 minutes, and everything it delivers is held for the coordinator (server/offline). A revoked
  passkey (a phone reported lost, or replaced by a re-invitation) cannot sign in at all.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.audit.models import AuditEvent
from server.audit.service import record
from server.auth import webauthn as wa
from server.auth.invitations import hash_token
from server.auth.models import Invitation, Passkey, WebSession
from server.auth.sessions import end_session, start_signed_in
from server.config import Settings
from server.db import utcnow
from server.errors import DomainError, NotFound
from server.i18n import N_
from server.i18n import gettext as _
from server.offline import replay as replay_rules
from server.users.models import User

MSG_FAILED = N_("Your passkey could not be checked. Please try again.")
MSG_NO_UV = N_("Your phone did not confirm that it is you (fingerprint, face or screen lock). "
               "Please turn on a screen lock and try again.")
MSG_CHALLENGE = N_("The request took too long or was already used. Please try again.")
MSG_UNKNOWN = N_("This passkey is not registered with Tsunagu, or it has been removed. "
                 "If you have a new phone, ask your coordinator for a new invitation link.")
MSG_INACTIVE = N_("This account is not active. Please contact your coordinator.")
MSG_COUNTER = N_("This passkey was refused because it may have been copied. Please contact your coordinator.")
MSG_INVITE_EXPIRED = N_("This invitation link has expired. Please ask your coordinator at the council "
                        "of social welfare for a new link.")
MSG_INVITE_USED = N_("This invitation link has already been used. Please ask your coordinator at the "
                     "council of social welfare for a new link.")
MSG_INVITE_UNKNOWN = N_("This invitation link is not valid. Please check the link, or ask your coordinator "
                        "for a new one.")

REASONS = {"invalid": MSG_FAILED, "no_uv": MSG_NO_UV, "challenge": MSG_CHALLENGE, "counter": MSG_COUNTER}


class PasskeyFailed(DomainError):
    status = 400
    default = MSG_FAILED


class InvitationGone(DomainError):
    """Used, cancelled or expired: 410, a friendly page asking them to contact their coordinator."""

    status = 410
    default = MSG_INVITE_EXPIRED


@dataclass
class SignedIn:
    token: str
    web_session: WebSession
    user: User


# --- invitations -------------------------------------------------------------------------------

async def open_invitation(session: AsyncSession, *, token: str) -> tuple[Invitation, User]:
    """The invitation behind a link, or NotFound / InvitationGone with a message for the person."""
    inv = await session.scalar(select(Invitation).where(Invitation.token_hash == hash_token(token)))
    if inv is None:
        raise NotFound(MSG_INVITE_UNKNOWN)
    user = await session.get(User, inv.user_id)
    if inv.used_at is not None:
        raise InvitationGone(MSG_INVITE_USED)
    if inv.cancelled_at is not None or inv.expires_at <= utcnow() or user is None or user.status == "deactivated":
        raise InvitationGone(MSG_INVITE_EXPIRED)
    return inv, user


async def _live_passkeys(session: AsyncSession, user_id: int) -> list[Passkey]:
    return list((await session.scalars(
        select(Passkey).where(Passkey.user_id == user_id, Passkey.revoked_at.is_(None)).order_by(Passkey.id)
    )).all())


async def begin_registration(session: AsyncSession, settings: Settings, *, token: str,
                             web_session: WebSession) -> dict:
    inv, user = await open_invitation(session, token=token)
    challenge = await wa.new_challenge(session, settings, purpose="register", session_id=web_session.id,
                                       user_id=user.id, invitation_id=inv.id)
    return wa.registration_options(settings, user, await _live_passkeys(session, user.id), challenge)


async def _store_passkey(session: AsyncSession, settings: Settings, *, user: User, credential: dict,
                         challenge: bytes, name: str | None) -> Passkey:
    verified = wa.verify_registration(settings, credential, challenge)
    if await session.scalar(select(Passkey.id).where(Passkey.credential_id == verified.credential_id)):
        raise wa.WebAuthnFailed("credential already registered")
    count = await session.scalar(select(func.count()).select_from(Passkey).where(Passkey.user_id == user.id))
    passkey = Passkey(user_id=user.id, credential_id=verified.credential_id,
                      public_key=verified.credential_public_key, sign_count=verified.sign_count,
                      transports=wa.transports_of(credential), backup_eligible=wa.is_multi_device(verified),
                      backed_up=bool(verified.credential_backed_up),
                      name=clean_name(name) or _("Passkey %(num)s", num=(count or 0) + 1),
                      created_at=utcnow(), last_used_at=utcnow())
    session.add(passkey)
    await session.flush()
    await record(session, action="passkey.added", actor_id=user.id, municipality_id=user.municipality_id,
                 object_type="passkey", object_id=passkey.id)
    return passkey


def clean_name(name: object) -> str:
    return " ".join(str(name).split())[:60] if isinstance(name, str) else ""


async def finish_registration(session: AsyncSession, settings: Settings, *, token: str, web_session: WebSession,
                              credential: dict, name: str | None = None) -> SignedIn:
    """Invitation -> first (or recovery) passkey -> active person, signed in on this browser."""
    inv, user = await open_invitation(session, token=token)
    try:
        row = await wa.consume_challenge(session, value=wa.challenge_of(credential), purpose="register",
                                         session_id=web_session.id)
        if row.invitation_id != inv.id:
            raise wa.WebAuthnFailed("challenge belongs to another invitation", "challenge")
        passkey = await _store_passkey(session, settings, user=user, credential=credential,
                                       challenge=row.challenge, name=name)
    except wa.WebAuthnFailed as exc:
        await _failed(session, user=user)
        raise PasskeyFailed(REASONS[exc.reason]) from exc
    used = await session.execute(
        update(Invitation)
        .where(Invitation.id == inv.id, Invitation.used_at.is_(None), Invitation.cancelled_at.is_(None),
               Invitation.expires_at > utcnow())
        .values(used_at=utcnow()).execution_options(synchronize_session=False))
    if used.rowcount != 1:
        # Someone used the link a moment ago: raising rolls back the passkey just added.
        raise InvitationGone(MSG_INVITE_USED)
    if user.status == "invited":
        user.status = "active"
    await record(session, action="invitation.used", actor_id=user.id, municipality_id=user.municipality_id,
                 object_type="user", object_id=user.id, ids=[inv.id])
    return await _sign_in(session, settings, user=user, old=web_session, passkey=passkey)


# --- sign-in and step-up -------------------------------------------------------------------------

async def _failed(session: AsyncSession, *, user: User | None, passkey: Passkey | None = None) -> None:
    await record(session, action="auth.signin_failed", actor_id=user.id if user else None,
                 municipality_id=user.municipality_id if user else None,
                 object_type="passkey" if passkey else None, object_id=passkey.id if passkey else None)


async def begin_signin(session: AsyncSession, settings: Settings, *, web_session: WebSession) -> dict:
    challenge = await wa.new_challenge(session, settings, purpose="signin", session_id=web_session.id)
    return wa.authentication_options(settings, challenge)


async def _replay_used(session: AsyncSession, user: User) -> bool:
    """Whether the deactivated person already had their one replay-only sign-in."""
    since = user.deactivated_at
    query = select(AuditEvent.id).where(AuditEvent.action == replay_rules.ACTION, AuditEvent.actor_id == user.id)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    return await session.scalar(query.limit(1)) is not None


async def _assert(session: AsyncSession, settings: Settings, *, credential: object, purpose: str,
                  web_session: WebSession, user_id: int | None = None,
                  allow_replay: bool = False) -> tuple[Passkey, User]:
    """Shared by sign-in and step-up: challenge, credential, person, signature, sign count."""
    user: User | None = None
    passkey: Passkey | None = None
    try:
        row = await wa.consume_challenge(session, value=wa.challenge_of(credential), purpose=purpose,
                                         session_id=web_session.id)
        passkey = await session.scalar(select(Passkey).where(Passkey.credential_id == wa.credential_id_of(credential)))
        if passkey is None or passkey.revoked_at is not None or (user_id is not None and passkey.user_id != user_id):
            await _failed(session, user=None)
            raise PasskeyFailed(MSG_UNKNOWN)
        user = await session.get(User, passkey.user_id)
        replay = allow_replay and user is not None and user.status == "deactivated"
        if replay and await _replay_used(session, user):
            await _failed(session, user=user, passkey=passkey)
            raise PasskeyFailed(replay_rules.MSG_USED)
        if user is None or (user.status != "active" and not replay):
            await _failed(session, user=user, passkey=passkey)
            raise PasskeyFailed(MSG_INACTIVE)
        handle = (credential.get("response") or {}).get("userHandle")  # type: ignore[union-attr]
        if handle and wa.b64url_decode(handle) != user.webauthn_handle:
            raise wa.WebAuthnFailed("user handle does not match")
        verified = wa.verify_authentication(settings, credential, row.challenge, passkey)  # type: ignore[arg-type]
        if not await wa.advance_sign_count(session, passkey, verified.new_sign_count,
                                           bool(verified.credential_backed_up)):
            raise wa.WebAuthnFailed("sign count did not move forward", "counter")
    except wa.WebAuthnFailed as exc:
        await _failed(session, user=user, passkey=passkey)
        raise PasskeyFailed(REASONS[exc.reason]) from exc
    return passkey, user


async def _sign_in(session: AsyncSession, settings: Settings, *, user: User, old: WebSession | None,
                   passkey: Passkey) -> SignedIn:
    token, row = await start_signed_in(session, settings, user=user, old=old, passkey_id=passkey.id)
    await record(session, action="auth.signed_in", actor_id=user.id, municipality_id=user.municipality_id,
                 object_type="passkey", object_id=passkey.id)
    return SignedIn(token=token, web_session=row, user=user)


async def finish_signin(session: AsyncSession, settings: Settings, *, web_session: WebSession,
                        credential: object) -> SignedIn:
    passkey, user = await _assert(session, settings, credential=credential, purpose="signin",
                                  web_session=web_session, allow_replay=True)
    if user.status == "deactivated":
        token, row = await start_signed_in(session, settings, user=user, old=web_session, passkey_id=passkey.id,
                                           replay_only=True)
        await record(session, action=replay_rules.ACTION, actor_id=user.id,
                     municipality_id=user.municipality_id, object_type="passkey", object_id=passkey.id)
        return SignedIn(token=token, web_session=row, user=user)
    return await _sign_in(session, settings, user=user, old=web_session, passkey=passkey)


async def begin_stepup(session: AsyncSession, settings: Settings, *, actor: User, web_session: WebSession) -> dict:
    challenge = await wa.new_challenge(session, settings, purpose="stepup", session_id=web_session.id,
                                       user_id=actor.id)
    return wa.authentication_options(settings, challenge, allow=await _live_passkeys(session, actor.id))


async def verify_stepup(session: AsyncSession, settings: Settings, *, actor: User, web_session: WebSession,
                        credential: object) -> None:
    """A fresh passkey touch: opens full records, notes and exports for settings.stepup_window."""
    passkey, _user = await _assert(session, settings, credential=credential, purpose="stepup",
                                   web_session=web_session, user_id=actor.id)
    web_session.verified_at = utcnow()
    web_session.passkey_id = passkey.id
    await session.flush()
    await record(session, action="auth.stepup", actor_id=actor.id, municipality_id=actor.municipality_id,
                 object_type="passkey", object_id=passkey.id)


# --- the person's own passkeys -------------------------------------------------------------------

async def list_passkeys(session: AsyncSession, *, actor: User) -> list[Passkey]:
    return await _live_passkeys(session, actor.id)


async def begin_add_passkey(session: AsyncSession, settings: Settings, *, actor: User,
                            web_session: WebSession) -> dict:
    challenge = await wa.new_challenge(session, settings, purpose="register", session_id=web_session.id,
                                       user_id=actor.id)
    return wa.registration_options(settings, actor, await _live_passkeys(session, actor.id), challenge)


async def add_passkey(session: AsyncSession, settings: Settings, *, actor: User, web_session: WebSession,
                      credential: object, name: str | None = None) -> Passkey:
    """Another phone or tablet for a signed-in person (the handler checks the step-up first)."""
    try:
        row = await wa.consume_challenge(session, value=wa.challenge_of(credential), purpose="register",
                                         session_id=web_session.id)
        if row.user_id != actor.id or row.invitation_id is not None:
            raise wa.WebAuthnFailed("challenge belongs to someone else", "challenge")
        return await _store_passkey(session, settings, user=actor, credential=credential,  # type: ignore[arg-type]
                                    challenge=row.challenge, name=name)
    except wa.WebAuthnFailed as exc:
        await _failed(session, user=actor)
        raise PasskeyFailed(REASONS[exc.reason]) from exc


async def remove_passkey(session: AsyncSession, *, actor: User, passkey_id: int,
                         keep_session: WebSession | None = None) -> bool:
    """Revokes one of the person's passkeys and ends other sessions signed in with it (a lost phone).

    Removing the last one is allowed (the page warns first); returns True when none is left.
    """
    passkey = await session.get(Passkey, passkey_id)
    if passkey is None or passkey.user_id != actor.id or passkey.revoked_at is not None:
        raise NotFound()
    passkey.revoked_at = utcnow()
    passkey.revoked_reason = "removed"
    ended = delete(WebSession).where(WebSession.passkey_id == passkey.id)
    if keep_session is not None:
        ended = ended.where(WebSession.id != keep_session.id)
    await session.execute(ended.execution_options(synchronize_session=False))
    await session.flush()
    await record(session, action="passkey.removed", actor_id=actor.id, municipality_id=actor.municipality_id,
                 object_type="passkey", object_id=passkey.id)
    return not await _live_passkeys(session, actor.id)


async def sign_out(session: AsyncSession, *, actor: User | None, web_session: WebSession | None) -> None:
    """Ends the session on the server; the cookie alone is worth nothing afterwards."""
    if web_session is None:
        return
    await end_session(session, web_session)
    if actor is not None:
        await record(session, action="auth.signed_out", actor_id=actor.id, municipality_id=actor.municipality_id,
                     object_type="user", object_id=actor.id)
