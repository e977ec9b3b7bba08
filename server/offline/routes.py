"""Routes of the offline domain: the manifest, the service worker, the offline pages, the round
bundle, the sync key, POST /sync, and the review list of held entries."""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache

from litestar import Request, get, post
from litestar.response import Redirect, Response
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.sessions import Current
from server.config import WEB
from server.contacts import labels as contact_labels
from server.contacts.models import METHODS, OUTCOMES, SIGNS
from server.errors import DomainError, Invalid
from server.i18n import gettext as _
from server.offline import bundle, keys, service, views
from server.rendering import csrf_token, page, static_url
from server.scope import Scope

PUBLIC = {"access": "public"}
SIGNED_IN = {"access": "signed_in"}
FIELD = {"access": ("volunteer", "commissioner")}
REVIEWERS = {"access": ("volunteer", "commissioner", "coordinator")}

SHELL_ASSETS = ("css/app.css", "css/watchover.css", "css/offline.css", "vendor/htmx.min.js", "js/app.js",
                "js/watchover.js", "js/offline.js", "js/offline-round.js", "icons/icon.svg", "icons/icon-192.png")
SHELL_PAGES = ("/offline", "/offline/round")


def _json(body: dict, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type="application/json")


# --- installable: the manifest and the install guidance ------------------------------------------

@get("/manifest.webmanifest", opt=PUBLIC)
async def manifest(current: Current) -> Response:
    body = {
        "name": _("Tsunagu: community watch-over"),
        "short_name": _("Tsunagu"),
        "description": _("Log visits and tell a professional when something is wrong, also with no signal."),
        "lang": current.locale,
        "start_url": "/home",
        "scope": "/",
        "id": "/home",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#1d5c4d",
        "icons": [
            {"src": static_url("icons/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": static_url("icons/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {"src": static_url("icons/icon-maskable-512.png"), "sizes": "512x512", "type": "image/png",
             "purpose": "maskable"},
            {"src": static_url("icons/icon.svg"), "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
        ],
    }
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/manifest+json",
                     headers={"cache-control": "no-cache"})


@get("/install", opt=PUBLIC)
async def install_page(request: Request, current: Current) -> Response:
    return page(request, "offline/install.html", {})


# --- the service worker, served from the root so that its scope is the whole app ---------------

@lru_cache(maxsize=1)
def worker_source() -> str:
    precache = [static_url(a) for a in SHELL_ASSETS] + list(SHELL_PAGES)
    source = (WEB / "sw.js").read_text(encoding="utf-8")
    version = hashlib.sha256((source + json.dumps(precache)).encode()).hexdigest()[:12]
    return source.replace('"__VERSION__"', json.dumps(version)).replace('["__PRECACHE__"]', json.dumps(precache))


@get("/sw.js", opt=PUBLIC)
async def service_worker() -> Response:
    return Response(worker_source(), media_type="text/javascript; charset=utf-8",
                    headers={"cache-control": "no-cache"})


@get("/offline", opt=PUBLIC)
async def offline_page(request: Request, current: Current) -> Response:
    """What the worker shows for a page it has no copy of. Holds nothing personal."""
    return page(request, "offline/offline.html", {})


@get("/offline/round", opt=PUBLIC)
async def offline_round(request: Request, current: Current) -> Response:
    """The round's shell: no resident in it. The phone fills it from its encrypted bundle."""
    return page(request, "offline/round.html", {"methods": METHODS, "outcomes": OUTCOMES, "signs": SIGNS,
                                                "L": contact_labels})


@get("/offline/bundle", opt=FIELD)
async def round_bundle(db: AsyncSession, current: Current, gate: Scope) -> Response:
    body = await bundle.round_bundle(db, actor=current.user, scope=gate,
                                     session_expires_at=current.web_session.absolute_expires_at)
    return _json(body)


# --- the outbox's endpoint --------------------------------------------------------------------------

@get("/sync/key", opt=PUBLIC)
async def sync_key(request: Request, db: AsyncSession, current: Current) -> Response:
    """The public key phones seal entries to, and a CSRF token for the replay (a cached page's may be stale).

    Signed out, it answers 200 {"signed_out": true} rather than 401: the phone polls this in the
    background, and a 401 would be logged as an error in the browser's console on every page
    left open after its session ended (the phone keeps its outbox and asks to sign in)."""
    if not current.signed_in:
        return _json({"signed_out": True})
    key = await keys.current_key(db)
    return _json({"kid": key.kid, "jwk": json.loads(key.public_jwk), "user_id": current.user.id,
                  "csrf": csrf_token({"request": request})})


async def _body(request: Request) -> dict:
    try:
        body = await request.json()
    except Exception:  # any undecodable body
        body = None
    if not isinstance(body, dict):
        raise DomainError()
    return body


@post("/sync", opt=SIGNED_IN, status_code=200)
async def sync(request: Request, db: AsyncSession, current: Current, gate: Scope) -> Response:
    entries = service.parse_batch(await _body(request))
    # Access ended (term over, every role grant expired) while entries waited: they are still
    # taken, and all held for the coordinator's review.
    # A deactivated person's replay-only sign-in (server/offline/replay.py): the same.
    results = await service.sync_batch(db, actor=current.user, scope=gate, entries=entries,
                                       replay_only=not gate.roles or current.replay_only)
    return _json({"results": results})


@get("/sync/replay", opt=SIGNED_IN)
async def replay_page(request: Request, current: Current) -> Response:
    """Where a replay-only sign-in lands: js/offline.js sends what waits on the phone, then signs out.
    Also reachable by anyone signed in (it only sends their own outbox)."""
    return page(request, "offline/replay.html", {"replay_only": current.replay_only})


@post("/sync/discarded", opt=SIGNED_IN, status_code=200)
async def sync_discarded(request: Request, db: AsyncSession, current: Current) -> Response:
    entries = service.parse_batch(await _body(request))
    count = await service.record_discarded(db, actor=current.user, entries=entries)
    return _json({"discarded": count})


# --- the review list ------------------------------------------------------------------------------

@get("/sync/review", opt=REVIEWERS)
async def review_page(request: Request, db: AsyncSession, current: Current, gate: Scope,
                      done: str | None = None) -> Response:
    items = await views.review_list(db, actor=current.user, scope=gate)
    return page(request, "offline/review.html", {"items": items, "done": done, "L": contact_labels})


@post("/sync/review/{entry_id:int}/retry", opt=REVIEWERS)
async def review_retry(request: Request, db: AsyncSession, current: Current, gate: Scope, entry_id: int) -> Response:
    try:
        await service.retry_entry(db, actor=current.user, scope=gate, entry_id=entry_id)
    except Invalid:
        # Nothing was written (the attempt ran in a savepoint): say so on the list.
        return Redirect("/sync/review?done=still_held", status_code=303)
    return Redirect("/sync/review?done=stored", status_code=303)


@post("/sync/review/{entry_id:int}/dismiss", opt=REVIEWERS)
async def review_dismiss(db: AsyncSession, current: Current, gate: Scope, entry_id: int) -> Redirect:
    await service.dismiss_entry(db, actor=current.user, scope=gate, entry_id=entry_id)
    return Redirect("/sync/review?done=dismissed", status_code=303)


ROUTES = [manifest, install_page, service_worker, offline_page, offline_round, round_bundle, sync_key, sync,
          replay_page, sync_discarded, review_page, review_retry, review_dismiss]
