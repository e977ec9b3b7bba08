"""create_app(): plugins, error handlers, and the route table grouped by domain.

Each domain's routes.py lists its handlers in ROUTES, in reading order; this file is the
one place that says which domains the app serves.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging

from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.di import Provide
from litestar.plugins.htmx import HTMXPlugin
from litestar.static_files import create_static_files_router

from server import clock, ratelimit, sealing
from server.access import access_guard, provide_current, provide_gate
from server.activity import routes as activity_routes
from server.areas import routes as areas_routes
from server.assignments import routes as assignments_routes
from server.audit import routes as audit_routes
from server.audit import service as audit_service
from server.auth import routes as auth_routes
from server.casework import routes as casework_routes
from server.concerns import routes as concerns_routes
from server.config import WEB, Settings, load
from server.console import routes as console_routes
from server.contacts import routes as contacts_routes
from server.db import make_engine, make_sessionmaker
from server.demo import routes as demo_routes
from server.deps import close_unclaimed_session, provide_db, provide_settings
from server.errors import EXCEPTION_HANDLERS
from server.health import healthz
from server.home import routes as home_routes
from server.households import routes as households_routes
from server.offline import routes as offline_routes
from server.rendering import remember_request, template_config
from server.salons import routes as salons_routes
from server.security import make_hook
from server.users import routes as users_routes

log = logging.getLogger("tsunagu")

ROUTE_GROUPS = [
    [healthz],
    home_routes.ROUTES,  # /, /home, /language
    auth_routes.ROUTES,  # /signin, /signout, /invite/{token}, /stepup, /settings, passkeys
    users_routes.ROUTES,  # /people: invite, roles, deactivate (coordinators)
    areas_routes.ROUTES,  # /areas, /organisations (coordinators)
    audit_routes.ROUTES,  # /audit (coordinators)
    demo_routes.ROUTES,  # /demo/signin (TSUNAGU_DEMO=1 only)
    households_routes.ROUTES,  # /households, /persons, /search, /watch-settings (watch-over)
    assignments_routes.ROUTES,  # /households/{id}/assignments, /handover (watch-over)
    contacts_routes.ROUTES,  # /round, /contacts, /activity (watch-over)
    concerns_routes.ROUTES,  # /concerns: raise, inbox, transitions, notes, replies, routing, alert
    activity_routes.ROUTES,  # /activity-record, /council-record, /municipal-record, /prefecture-record
    salons_routes.ROUTES,  # /salons, /join/{token} (salons and round-tables)
    casework_routes.ROUTES,  # /casework: sheets, collaboration sheets, conferences, 制度外ニーズ
    offline_routes.ROUTES,  # /manifest.webmanifest, /sw.js, /offline, /install, /sync (offline)
    console_routes.ROUTES,  # /console: areas × periods, records behind a count, exports (console)
]


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or load()
    engine = make_engine(settings.database_url)
    audit_service.configure(settings.secret_key)
    ratelimit.configure(settings.rate_limit_per_minute)
    sealing.configure(settings.data_key)
    if settings.pinned_now is not None:
        clock.pin(settings.pinned_now, settings.pinned_since)

    async def on_startup(app: Litestar) -> None:
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        app.state.settings = settings
        app.state.head_writer = asyncio.create_task(_write_heads_periodically(app))

    async def on_shutdown(app: Litestar) -> None:
        task = app.state.get("head_writer")
        if task:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(Exception):
            await _write_heads_once(app)
        await engine.dispose()

    handlers = [h for group in ROUTE_GROUPS for h in group]
    handlers.append(create_static_files_router(path="/static", directories=[WEB / "static"],
                                               cache_control=None, include_in_schema=False,
                                               name="static", opt={"access": "public"}))
    csrf = CSRFConfig(
        secret=settings.secret_key,
        cookie_name=settings.csrf_cookie,
        cookie_secure=settings.https,
        cookie_samesite="lax",
        cookie_path="/",
        header_name="x-csrftoken",
        # The public health check carries no state change; everything else is protected.
        exclude=["/healthz"],
    )
    return Litestar(
        route_handlers=handlers,
        dependencies={
            "db": Provide(provide_db),
            "settings": Provide(provide_settings, sync_to_thread=False),
            "current": Provide(provide_current),
            "gate": Provide(provide_gate, sync_to_thread=False),
        },
        # Every handler's declared opt={"access": ...} is enforced here, before it runs (server/access.py).
        guards=[access_guard],
        middleware=[close_unclaimed_session],
        csrf_config=csrf,
        template_config=template_config(settings),
        plugins=[HTMXPlugin()],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        before_send=[make_hook(https=settings.https)],
        before_request=remember_request,  # lets macros imported without context find the CSRF token
        on_startup=[on_startup],
        on_shutdown=[on_shutdown],
        openapi_config=None,
        debug=False,
        request_max_body_size=20 * 1024 * 1024,
    )


async def _write_heads_once(app: Litestar) -> None:
    async with app.state.sessionmaker() as session:
        await audit_service.write_heads(session, app.state.settings.audit_head_file)


async def _write_heads_periodically(app: Litestar, every: float = 60.0) -> None:
    """Chain heads go outside the database every minute, so truncating the newest rows is caught."""
    while True:
        await asyncio.sleep(every)
        try:
            await _write_heads_once(app)
        except Exception:  # keep serving; verify will report a stale head file
            log.exception("could not write audit heads")
