"""Passkeys, invitations, one-time challenges and server-side sessions."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, JSONList, UTCDateTime, utcnow


class Passkey(Base):
    __tablename__ = "passkeys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    credential_id: Mapped[bytes] = mapped_column(LargeBinary(1024), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(2048))
    # Only ever moves forward, by an atomic conditional UPDATE (a cloned authenticator shows up as a step back).
    sign_count: Mapped[int] = mapped_column(Integer, default=0)
    transports: Mapped[list | None] = mapped_column(JSONList(200))
    backup_eligible: Mapped[bool] = mapped_column(Boolean, default=False)
    backed_up: Mapped[bool] = mapped_column(Boolean, default=False)
    name: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(24))


class Invitation(Base):
    """A one-time link: only the SHA-256 of the token is stored; single use, 72 hours."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Challenge(Base):
    """A WebAuthn challenge: consumed by DELETE ... RETURNING, so it can be used once; 5 minutes."""

    __tablename__ = "webauthn_challenges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    challenge: Mapped[bytes] = mapped_column(LargeBinary(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(16))  # register | signin | stepup
    session_id: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id"))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class WebSession(Base):
    """A server-side session; the cookie holds a random token, the table only its SHA-256."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    absolute_expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    idle_seconds: Mapped[int] = mapped_column(Integer)
    # When a passkey (or a demo sign-in) last verified the person: the step-up check reads this.
    verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    passkey_id: Mapped[int | None] = mapped_column(ForeignKey("passkeys.id"))
    locale: Mapped[str | None] = mapped_column(String(8))
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # A deactivated person's one sign-in that reaches nothing but /sync (server/offline):
    # everything it delivers is held for the coordinator's review.
    replay_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
