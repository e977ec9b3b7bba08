"""Declared access is the rule: one guard, registered app-wide, reads each handler's
opt={"access": ...} and decides before the handler runs.

A handler declares one of:
- "public": anyone (sign-in, health, static files, the service worker, the public sign-up page);
- "signed_in": anyone signed in;
- a tuple of roles (server/users/models.py ROLES): someone holding at least one of them now.

The rules, in order (tests/security/test_authorization.py walks them on every route):
1. a handler declaring nothing, or nothing known, is refused with 404 and logged: a programming
   error, caught before it ships by tests/security/test_access.py, and never a 500;
2. a replay-only session (server/offline/replay.py) reaches nothing but replay.PATHS: 403;
3. signed out: NotSignedIn (a page asked for by GET goes to /signin; htmx, JSON and POSTs get 401);
4. signed in without any of the roles: 404, as the scope gate answers (we do not confirm what exists).

Within the roles, which households, salons or municipalities a person reaches is still the scope
gate's business (server/scope.py): handlers take it as the `gate` dependency, built here once the
guard has let the person in, and pass it to the services and views.
"""
from __future__ import annotations

import logging

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.sessions import Current, ReplayOnly, resolve
from server.db import begin_read_phase
from server.deps import discard_request_session, request_session
from server.errors import DomainError, NotFound, NotSignedIn
from server.offline import replay as replay_rules
from server.scope import Scope
from server.users.models import ROLES

log = logging.getLogger("tsunagu")

PUBLIC = "public"
SIGNED_IN = "signed_in"
# The dependencies that need to know who is asking: a public handler taking one is read for too.
_ASKS_WHO = ("current", "gate")


def declared(handler: BaseRouteHandler) -> str | tuple[str, ...] | None:
    """The handler's declared access, or None when it declares nothing the guard knows."""
    access = handler.opt.get("access")
    if access is None and _litestars_own_options(handler):
        return PUBLIC
    if access in (PUBLIC, SIGNED_IN):
        return access
    if isinstance(access, tuple) and access and set(access) <= set(ROLES):
        return access
    return None


def _litestars_own_options(handler: BaseRouteHandler) -> bool:
    # Litestar answers OPTIONS on every path itself (the Allow header, nothing else); it cannot
    # carry our opt. Only that handler, recognised by its origin, is let through undeclared.
    return handler.fn.__qualname__.startswith("HTTPRoute.create_options_handler.")


async def who_is_asking(connection: ASGIConnection, session: AsyncSession) -> Current:
    """Who is asking, read once per request with the request's own session; a replay-only
    session is stopped here, wherever it knocks."""
    # Resolving only reads: start it as a read transaction (see server/db.py).
    await begin_read_phase(session)
    current = await resolve(connection, session, connection.app.state.settings)
    if current.replay_only and (connection.scope["method"], connection.scope["path"]) not in replay_rules.PATHS:
        raise ReplayOnly()
    return current


async def access_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    access = declared(handler)
    if access is None:
        log.error("refused %s %s: its handler %s declares no known opt['access']",
                  connection.scope["method"], connection.scope["path"], handler.handler_name)
        raise NotFound()
    if access == PUBLIC and not any(name in handler.parsed_fn_signature.parameters for name in _ASKS_WHO):
        return  # nobody to check and nobody to read (static files, health, the public sign-up page)
    try:
        current = await who_is_asking(connection, request_session(connection))
        if access == PUBLIC:
            return
        if current.user is None:
            raise NotSignedIn()
        if access != SIGNED_IN:
            current.require_scope().require(*access)
    except DomainError:
        # Refused: what resolving wrote (a session ended or touched) is rolled back, as it was
        # when handlers refused by themselves.
        await discard_request_session(connection)
        raise


async def provide_current(request: Request, db: AsyncSession) -> Current:
    """Who is asking, as the guard read it. Takes `db` so that provide_db takes over the session
    the guard read with, and commits it with the request."""
    current = request.state.get("current")
    if current is None:  # asked for by some dependency of a public handler the guard did not read for
        current = await who_is_asking(request, db)
    return current


def provide_gate(current: Current) -> Scope:
    """The scope gate of who is asking, after the guard checked the handler's roles."""
    return current.require_scope()
