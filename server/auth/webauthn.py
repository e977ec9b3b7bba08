"""A thin adapter over py_webauthn 3: options, verification, one-time challenges, sign counts.

Rules the library leaves to us:
- user verification is required in the options AND enforced at verification;
- a challenge is bound to the browser's session, used once (deleted as it is read), and
  expires after settings.challenge_seconds;
- the stored sign count only moves forward, by an atomic conditional UPDATE, so two
  replays racing each other cannot both pass.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
from typing import Any

import webauthn
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from server.auth.models import Challenge, Passkey
from server.config import Settings
from server.db import utcnow
from server.users.models import User

TIMEOUT_MS = 180_000  # older hands: three minutes to find the fingerprint sensor
TRANSPORTS = {t.value for t in AuthenticatorTransport}


class WebAuthnFailed(Exception):
    """Anything wrong with a browser's WebAuthn answer; the caller turns it into a 4xx.

    reason: "invalid" (malformed, tampered, wrong origin or signature), "no_uv" (no fingerprint,
    face or screen lock), "challenge" (unknown, used or expired), "counter" (sign count went back).
    """

    def __init__(self, detail: str, reason: str = "invalid") -> None:
        super().__init__(detail)
        self.reason = reason


def _refused(exc: Exception) -> WebAuthnFailed:
    text = str(exc)
    if "verification is required" in text:
        return WebAuthnFailed(text, "no_uv")
    if "sign count" in text:
        return WebAuthnFailed(text, "counter")
    return WebAuthnFailed(text)


def b64url_decode(value: str) -> bytes:
    if not isinstance(value, str):
        raise WebAuthnFailed("not a string")
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except ValueError as exc:
        raise WebAuthnFailed("bad base64url") from exc


def _descriptors(passkeys: list[Passkey]) -> list[PublicKeyCredentialDescriptor]:
    return [PublicKeyCredentialDescriptor(
        id=p.credential_id,
        transports=[AuthenticatorTransport(t) for t in (p.transports or []) if t in TRANSPORTS] or None,
    ) for p in passkeys]


def registration_options(settings: Settings, user: User, existing: list[Passkey], challenge: bytes) -> dict:
    """A discoverable credential with user verification; the person's other passkeys are excluded."""
    options = webauthn.generate_registration_options(
        rp_id=settings.rp_id, rp_name=settings.rp_name, user_id=user.webauthn_handle,
        user_name=user.display_name, user_display_name=user.display_name, challenge=challenge,
        timeout=TIMEOUT_MS, exclude_credentials=_descriptors(existing),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, require_resident_key=True,
            user_verification=UserVerificationRequirement.REQUIRED),
    )
    return json.loads(webauthn.options_to_json(options))


def authentication_options(settings: Settings, challenge: bytes, allow: list[Passkey] | None = None) -> dict:
    """Empty allow list (discoverable sign-in) unless a known person is confirming (step-up)."""
    options = webauthn.generate_authentication_options(
        rp_id=settings.rp_id, challenge=challenge, timeout=TIMEOUT_MS,
        allow_credentials=_descriptors(allow or []),
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return json.loads(webauthn.options_to_json(options))


def verify_registration(settings: Settings, credential: dict, challenge: bytes) -> Any:
    try:
        return webauthn.verify_registration_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=settings.rp_id,
            expected_origin=settings.origin, require_user_verification=True)
    except Exception as exc:  # every library or parsing failure means "refused"
        raise _refused(exc) from exc


def verify_authentication(settings: Settings, credential: dict, challenge: bytes, passkey: Passkey) -> Any:
    try:
        return webauthn.verify_authentication_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=settings.rp_id,
            expected_origin=settings.origin, credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count, require_user_verification=True)
    except Exception as exc:
        raise _refused(exc) from exc


def is_multi_device(verified: Any) -> bool:
    return verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE


def transports_of(credential: dict) -> list[str]:
    raw = (credential.get("response") or {}).get("transports") or []
    return [t for t in raw if isinstance(t, str) and t in TRANSPORTS] if isinstance(raw, list) else []


def credential_id_of(credential: Any) -> bytes:
    if not isinstance(credential, dict):
        raise WebAuthnFailed("credential is not an object")
    return b64url_decode(credential.get("rawId") or credential.get("id"))


def challenge_of(credential: Any) -> bytes:
    """The challenge the browser signed over, read (unverified) from clientDataJSON to find our row."""
    if not isinstance(credential, dict) or not isinstance(credential.get("response"), dict):
        raise WebAuthnFailed("credential has no response")
    try:
        client_data = json.loads(b64url_decode(credential["response"].get("clientDataJSON")))
        return b64url_decode(client_data["challenge"])
    except (ValueError, KeyError, TypeError) as exc:
        raise WebAuthnFailed("clientDataJSON is malformed") from exc


async def new_challenge(session: AsyncSession, settings: Settings, *, purpose: str, session_id: str,
                        user_id: int | None = None, invitation_id: int | None = None) -> bytes:
    now = utcnow()
    await session.execute(delete(Challenge).where(Challenge.expires_at <= now))
    value = secrets.token_bytes(32)
    session.add(Challenge(challenge=value, purpose=purpose, session_id=session_id, user_id=user_id,
                          invitation_id=invitation_id,
                          expires_at=now + dt.timedelta(seconds=settings.challenge_seconds)))
    await session.flush()
    return value


async def consume_challenge(session: AsyncSession, *, value: bytes, purpose: str, session_id: str) -> Challenge:
    """Deleted as it is read: a second use finds nothing. Another browser's challenge is not ours."""
    row = (await session.execute(
        delete(Challenge)
        .where(Challenge.challenge == value, Challenge.purpose == purpose, Challenge.session_id == session_id)
        .returning(Challenge.id, Challenge.user_id, Challenge.invitation_id, Challenge.expires_at,
                   Challenge.challenge)
    )).first()
    if row is None:
        raise WebAuthnFailed("unknown or used challenge", "challenge")
    expires_at = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=dt.UTC)
    if expires_at <= utcnow():
        raise WebAuthnFailed("challenge expired", "challenge")
    return Challenge(id=row.id, user_id=row.user_id, invitation_id=row.invitation_id,
                     expires_at=expires_at, challenge=row.challenge, purpose=purpose, session_id=session_id)


async def advance_sign_count(session: AsyncSession, passkey: Passkey, new_count: int, backed_up: bool) -> bool:
    """Only forward: `sign_count < :new` in the UPDATE itself. 0 -> 0 (authenticators without a counter) is allowed."""
    now = utcnow()
    stmt = update(Passkey).where(Passkey.id == passkey.id, Passkey.revoked_at.is_(None))
    if new_count == 0:
        stmt = stmt.where(Passkey.sign_count == 0)
    else:
        stmt = stmt.where(Passkey.sign_count < new_count)
    result = await session.execute(stmt.values(sign_count=new_count, last_used_at=now, backed_up=backed_up)
                                   .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    passkey.sign_count, passkey.last_used_at, passkey.backed_up = new_count, now, backed_up
    return True
