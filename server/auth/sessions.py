"""Server-side sessions and the `current` request dependency.

Rules:
- the cookie holds a random token; the table stores only its SHA-256 (a database copy cannot be replayed);
- a client-chosen or unknown id is never adopted: an unknown cookie is simply ignored;
- the id is rotated at sign-in (the pre-sign-in session is deleted), and sign-out ends it on the server;
- staff roles: idle 30 min / absolute 12 h; field roles: idle 8 h / absolute 7 days (settings);
- background requests (X-Tsunagu-Background: 1, sent by polling and sync) never extend the idle time;
- a deactivated person's sessions end at once (checked on every request, and deleted on deactivation),
  except their one replay-only session (auth.service.finish_signin), which reaches nothing but
  replay_rules.PATHS (anything else: 403 with ReplayOnly's message, from the access guard in
  server/access.py) and lasts replay_rules.LIFETIME.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass

from litestar import Response
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.models import WebSession
from server.config import Settings
from server.db import UTCDateTime, end_read_phase, utcnow
from server.errors import Forbidden, NotSignedIn, StepUpRequired
from server.i18n import negotiate, set_locale
from server.offline import replay as replay_rules
from server.scope import Scope, build_scope, live_grant, reached_column
from server.users.models import FIELD_ROLES, RoleGrant, User

ANON_LIFETIME = dt.timedelta(hours=2)
TOUCH_EVERY = dt.timedelta(seconds=60)
BACKGROUND_HEADER = "x-tsunagu-background"


class ReplayOnly(Forbidden):
    default = replay_rules.MSG_ONLY_SYNC


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def session_cookie(settings: Settings, token: str, max_age: int | None = None) -> Cookie:
    return Cookie(
        key=settings.session_cookie,
        value=token,
        path="/",
        httponly=True,
        secure=settings.https,
        samesite="lax",
        max_age=max_age,
    )


def clear_cookie(settings: Settings) -> Cookie:
    return Cookie(key=settings.session_cookie, value="", path="/", httponly=True,
                  secure=settings.https, samesite="lax", max_age=0)


@dataclass
class Current:
    """Who is asking, resolved once per request from the session cookie."""

    settings: Settings
    web_session: WebSession | None
    user: User | None
    scope: Scope | None
    locale: str
    # A deactivated person's one session that reaches nothing but /sync (read once, here: templates
    # must not touch the ORM row, which an error page sees detached after a rollback).
    replay_only: bool = False

    @property
    def signed_in(self) -> bool:
        return self.user is not None

    def require_user(self) -> User:
        if self.user is None:
            raise NotSignedIn()
        return self.user

    def require_scope(self) -> Scope:
        self.require_user()
        assert self.scope is not None
        return self.scope

    def fresh(self) -> bool:
        s = self.web_session
        if s is None or s.verified_at is None:
            return False
        return utcnow() - s.verified_at <= dt.timedelta(seconds=self.settings.stepup_window)

    def require_fresh(self) -> None:
        """The step-up check: a passkey touch within the last 60 minutes."""
        self.require_user()
        if not self.fresh():
            raise StepUpRequired()


async def limits_for(session: AsyncSession, settings: Settings, user_id: int) -> tuple[int, int]:
    """(idle, absolute) seconds: field limits only when every current role is a field role."""
    now = utcnow()
    roles = set((await session.scalars(
        select(RoleGrant.role).where(RoleGrant.user_id == user_id, RoleGrant.valid_from <= now,
                                     (RoleGrant.valid_to.is_(None)) | (RoleGrant.valid_to > now))
    )).all())
    roles.discard("council_chair")
    if roles and roles <= FIELD_ROLES:
        return settings.field_idle, settings.field_absolute
    return settings.staff_idle, settings.staff_absolute


async def start_anonymous(session: AsyncSession) -> tuple[str, WebSession]:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = WebSession(id=hash_token(token), user_id=None, created_at=now, last_seen_at=now,
                     absolute_expires_at=now + ANON_LIFETIME, idle_seconds=int(ANON_LIFETIME.total_seconds()))
    session.add(row)
    await session.flush()
    return token, row


async def start_signed_in(session: AsyncSession, settings: Settings, *, user: User, old: WebSession | None,
                          passkey_id: int | None, replay_only: bool = False) -> tuple[str, WebSession]:
    """Rotate: the pre-sign-in session is deleted, a new random id is issued."""
    if old is not None:
        await session.execute(delete(WebSession).where(WebSession.id == old.id))
    if replay_only:
        idle = absolute = int(replay_rules.LIFETIME.total_seconds())
    else:
        idle, absolute = await limits_for(session, settings, user.id)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = WebSession(id=hash_token(token), user_id=user.id, created_at=now, last_seen_at=now,
                     absolute_expires_at=now + dt.timedelta(seconds=absolute), idle_seconds=idle,
                     verified_at=now, passkey_id=passkey_id, locale=old.locale if old else None,
                     replay_only=replay_only)
    session.add(row)
    await session.flush()
    return token, row


async def end_session(session: AsyncSession, row: WebSession) -> None:
    await session.execute(delete(WebSession).where(WebSession.id == row.id))


async def end_all_for(session: AsyncSession, user_id: int) -> None:
    await session.execute(delete(WebSession).where(WebSession.user_id == user_id))


@dataclass(frozen=True, slots=True)
class Grant:
    """What build_scope reads of a live role grant (read with the session, see _session_user_grants)."""
    role: str
    municipality_id: int | None
    organisation_id: int | None
    chief_child: bool


def _expired(row: WebSession, now: dt.datetime) -> bool:
    return now >= row.absolute_expires_at or now - row.last_seen_at > dt.timedelta(seconds=row.idle_seconds)


# Built once per dialect: expression building costs more than the query.
_LOOKUP: dict[str, object] = {}


def _session_user_grants(dialect: str):
    stmt = _LOOKUP.get(dialect)
    if stmt is None:
        now = bindparam("now", type_=UTCDateTime)
        # The person's id as an uncorrelated scalar subquery, evaluated once: correlated to the
        # outer web_sessions row instead, SQLite's planner scanned every area grant (5 ms, not 0.1).
        user_id = select(WebSession.user_id).where(WebSession.id == bindparam("id")).scalar_subquery()
        # The live role grants as one JSON column too ([[role, municipality, organisation, chief_child]]):
        # one row back, and no ORM objects to build for them (that cost more than the query).
        if dialect == "sqlite":
            item, aggregate = func.json_array, func.json_group_array
        else:
            item, aggregate = func.json_build_array, func.json_agg
        grants = (select(aggregate(item(RoleGrant.role, RoleGrant.municipality_id, RoleGrant.organisation_id,
                                        RoleGrant.chief_child)))
                  .where(RoleGrant.user_id == user_id, *live_grant(RoleGrant, now)).scalar_subquery())
        stmt = _LOOKUP[dialect] = (
            select(WebSession, User, grants, reached_column(user_id, now, dialect))
            .outerjoin(User, User.id == WebSession.user_id)
            .where(WebSession.id == bindparam("id"))
        )
    return stmt


async def resolve(request: ASGIConnection, session: AsyncSession, settings: Settings) -> Current:
    token = request.cookies.get(settings.session_cookie)
    row: WebSession | None = None
    user: User | None = None
    now = utcnow()
    end: WebSession | None = None
    touch = False
    grants: list[Grant] = []
    reached: list | None = None
    if token:
        # The session, its person, their live role grants (one row per grant) and every area they
        # reach (a JSON column), in one query: this runs on every request.
        found = (await session.execute(_session_user_grants(session.bind.dialect.name),
                                       {"id": hash_token(token), "now": now})).first()
        if found:
            row, user, granted, reached = found
            granted = json.loads(granted) if isinstance(granted, str) else (granted or [])
            grants = [Grant(role, municipality_id, organisation_id, bool(chief_child))
                      for role, municipality_id, organisation_id, chief_child in granted if role is not None]
            reached = json.loads(reached) if isinstance(reached, str) else (reached or [])
            inactive = row.user_id is not None and (user is None or user.status != "active") and not (
                row.replay_only and user is not None and user.status == "deactivated")
            if _expired(row, now) or inactive:
                end, row, user = row, None, None
            elif user is not None and request.headers.get(BACKGROUND_HEADER) != "1" \
                    and now - row.last_seen_at >= TOUCH_EVERY:
                touch = True
    scope = await build_scope(session, user, grants=grants, reached=reached) if user is not None else None
    # On SQLite everything above ran in a deferred (read) transaction, so requests do not queue
    # behind each other's writes just to learn who is asking; close it before the handler, whose
    # own transaction then takes the write lock up front (BEGIN IMMEDIATE, see server/db.py).
    await end_read_phase(session)
    if end is not None:
        await end_session(session, end)
    if touch:
        await session.execute(update(WebSession).where(WebSession.id == row.id).values(last_seen_at=now))
        row.last_seen_at = now
    locale = negotiate(user.locale if user else None, request.cookies.get("lang"),
                       request.headers.get("accept-language"))
    set_locale(locale)
    request.state.locale_set = True
    replay_only = bool(row is not None and row.replay_only)
    current = Current(settings=settings, web_session=row, user=user, scope=scope, locale=locale,
                      replay_only=replay_only)
    request.state.current = current
    return current


async def ensure_anonymous(session: AsyncSession, current: Current, response: Response) -> WebSession:
    """A pre-sign-in session to bind WebAuthn challenges to this browser."""
    if current.web_session is not None:
        return current.web_session
    token, row = await start_anonymous(session)
    response.set_cookie(session_cookie(current.settings, token))
    current.web_session = row
    return row
