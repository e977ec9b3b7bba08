"""Routes of the concerns domain: raise (from a contact, a household or about an unregistered
resident), the inbox, a concern's page, its transitions, case notes and replies, the routing
table and response targets (coordinators), and the small 緊急 alert endpoint every page polls."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import uuid

from litestar import Request, get, post
from litestar.response import Redirect, Response
from sqlalchemy.ext.asyncio import AsyncSession

from server import clock
from server.auth.sessions import Current
from server.concerns import labels, queries, service
from server.concerns import offline as _offline  # noqa: F401 - registers the `concern` outbox kind
from server.concerns.models import CATEGORIES, TARGET_GROUPS, URGENCIES
from server.concerns.transitions import reporter_status
from server.errors import Invalid
from server.forms import date, form, integer, municipality_of, text
from server.i18n import gettext as _
from server.rendering import page
from server.scope import Scope

RAISERS = {"access": service.RAISERS}
PROFESSIONAL = {"access": ("professional",)}
COORDINATOR = {"access": ("coordinator",)}
MOVES = ("acknowledge", "start", "link", "watch", "close", "transfer", "reopen")
ALERT_TOKEN_HOURS = 24


def _codes() -> dict:
    return {"L": labels, "groups": TARGET_GROUPS, "categories": CATEGORIES, "urgencies": URGENCIES,
            "status_of": reporter_status}


# --- raising -----------------------------------------------------------------------------------------

async def _form_context(db: AsyncSession, gate: Scope, household_id: int | None) -> dict:
    return {**await queries.raise_form(db, gate, household_id), **_codes()}


@get("/concerns/new", opt=RAISERS)
async def new_page(request: Request, db: AsyncSession, gate: Scope, household_id: int | None = None) -> Response:
    ctx = await _form_context(db, gate, household_id)
    values = {"client_id": uuid.uuid4().hex, "urgency": "normal", "target_group": "elderly", "category": "other"}
    return page(request, "concerns/new.html", {**ctx, "values": values, "errors": {}})


@post("/concerns", opt=RAISERS)
async def create(request: Request, db: AsyncSession, current: Current, gate: Scope) -> Response:
    data = await form(request)
    household_id = integer(text(data, "household_id", 12), 1) if text(data, "household_id", 12) else None
    area_id = integer(text(data, "area_id", 12), 1) if text(data, "area_id", 12) else None
    try:
        concern, _created = await service.raise_concern(
            db, actor=current.user, scope=gate, client_id=text(data, "client_id", 64),
            household_id=household_id, area_id=area_id, place=text(data, "place", 400),
            target_group=text(data, "target_group", 32), category=text(data, "category", 32),
            urgency=text(data, "urgency", 32), seen=text(data, "seen", 2000), done=text(data, "done", 2000))
    except Invalid as exc:
        ctx = await _form_context(db, gate, household_id)
        values = {k: data.get(k) for k in data}
        return page(request, "concerns/new.html", {**ctx, "values": values, "errors": exc.fields}, status=422)
    return Redirect(f"/concerns/{concern.id}?raised=1", status_code=303)


@post("/concerns/{concern_id:int}/complete", opt=RAISERS)
async def complete(request: Request, db: AsyncSession, current: Current, gate: Scope, concern_id: int) -> Response:
    """The reporter adds details to a concern raised from a contact while it is still new."""
    data = await form(request)
    try:
        await service.complete_concern(db, actor=current.user, concern_id=concern_id,
                                       target_group=text(data, "target_group", 32), category=text(data, "category", 32),
                                       urgency=text(data, "urgency", 32), seen=text(data, "seen", 2000),
                                       done=text(data, "done", 2000))
    except Invalid as exc:
        return await _detail_page(request, db, current, gate, concern_id, errors=exc.fields, status=422)
    return Redirect(f"/concerns/{concern_id}?completed=1", status_code=303)


# --- reading -----------------------------------------------------------------------------------------

@get("/concerns", opt=RAISERS)
async def inbox_page(request: Request, db: AsyncSession, current: Current, gate: Scope) -> Response:
    view = await queries.inbox(db, actor=current.user, scope=gate)
    return page(request, "concerns/inbox.html", {"view": view, "scope": gate, **_codes()})


async def _detail_page(request: Request, db: AsyncSession, current: Current, gate: Scope, concern_id: int, *,
                       errors: dict | None = None, status: int = 200) -> Response:
    view = await queries.detail(db, actor=current.user, scope=gate, concern_id=concern_id)
    return page(request, "concerns/detail.html", {
        "view": view, "errors": errors or {}, "reply_text": queries.reply_text,
        "raised": request.query_params.get("raised") == "1", **_codes()}, status=status)


@get("/concerns/{concern_id:int}", opt=RAISERS)
async def detail_page(request: Request, db: AsyncSession, current: Current, gate: Scope, concern_id: int) -> Response:
    return await _detail_page(request, db, current, gate, concern_id)


# --- the receiving organisation -------------------------------------------------------------------------

def _mover(action: str):
    @post(f"/concerns/{{concern_id:int}}/{action}", opt=PROFESSIONAL, name=f"concern_{action}")
    async def handler(request: Request, db: AsyncSession, current: Current, gate: Scope, concern_id: int) -> Response:
        data = await form(request)
        to_org = text(data, "to_organisation_id", 12)
        assignee = text(data, "assignee_id", 12)
        try:
            await service.move(db, actor=current.user, scope=gate, concern_id=concern_id,
                               action=action, reason=text(data, "reason", 2000), message=text(data, "message", 2000),
                               to_organisation_id=integer(to_org, 1) if to_org else None,
                               assignee_id=integer(assignee, 1) if assignee else None)
        except Invalid as exc:
            return await _detail_page(request, db, current, gate, concern_id, errors=exc.fields, status=422)
        if action == "transfer":  # the concern has left this inbox (and this organisation's access)
            return Redirect("/concerns?transferred=1", status_code=303)
        return Redirect(f"/concerns/{concern_id}", status_code=303)

    handler.__name__ = f"concern_{action}"
    return handler


MOVE_ROUTES = [_mover(a) for a in MOVES]


@post("/concerns/{concern_id:int}/notes", opt=PROFESSIONAL)
async def note_create(request: Request, db: AsyncSession, current: Current, gate: Scope, concern_id: int) -> Response:
    data = await form(request)
    try:
        await service.add_note(db, actor=current.user, scope=gate, concern_id=concern_id, text=text(data, "note", 2000))
    except Invalid as exc:
        return await _detail_page(request, db, current, gate, concern_id, errors=exc.fields, status=422)
    return Redirect(f"/concerns/{concern_id}#notes", status_code=303)


@post("/concerns/{concern_id:int}/replies", opt=PROFESSIONAL)
async def reply_create(request: Request, db: AsyncSession, current: Current, gate: Scope, concern_id: int) -> Response:
    data = await form(request)
    try:
        await service.reply(db, actor=current.user, scope=gate, concern_id=concern_id, text=text(data, "message", 2000))
    except Invalid as exc:
        return await _detail_page(request, db, current, gate, concern_id, errors=exc.fields, status=422)
    return Redirect(f"/concerns/{concern_id}#replies", status_code=303)


# --- 緊急 noticed: the alert every signed-in page of a professional polls ---------------------------------

def alert_token(secret: str, organisation_ids: set[int], now: float | None = None) -> str:
    """Names only organisation ids and an expiry, signed: it lets a page whose session has expired keep
    asking for the count of 緊急 concerns (a number, never personal data)."""
    expires = int((now or clock.timestamp()) + ALERT_TOKEN_HOURS * 3600)
    body = f"{'-'.join(str(i) for i in sorted(organisation_ids))}.{expires}"
    sig = hmac.new(secret.encode(), f"concern-alert:{body}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"{body}.{sig}"


def read_alert_token(secret: str, token: str, now: float | None = None) -> set[int]:
    try:
        orgs, expires, sig = token.split(".")
        want = hmac.new(secret.encode(), f"concern-alert:{orgs}.{expires}".encode(), hashlib.sha256).hexdigest()[:32]
        if not hmac.compare_digest(want, sig) or int(expires) < (now or clock.timestamp()):
            return set()
        return {int(i) for i in orgs.split("-") if i}
    except (ValueError, AttributeError):
        return set()


@get("/concerns/alert", opt={"access": "public"})
async def alert(db: AsyncSession, current: Current, t: str = "") -> dict:
    secret = current.settings.secret_key
    scope = current.scope if current.signed_in else None
    if scope is not None and "professional" in scope.roles and scope.organisations:
        n = await queries.urgent_count(db, scope.organisations)
        return {"count": n, "signed_in": True, "token": alert_token(secret, scope.organisations), "href": "/concerns",
                "message": _("%(n)s emergency concerns are waiting. Please look now.", n=n) if n else ""}
    orgs = read_alert_token(secret, t[:200]) if not current.signed_in else set()
    n = await queries.urgent_count(db, orgs)
    return {"count": n, "signed_in": current.signed_in, "href": "/signin",
            "message": _("Emergency: %(n)s — please sign in.", n=n) if n else ""}


# --- coordinators: routing table and response targets -------------------------------------------------

@get("/concerns/routes", opt=COORDINATOR)
async def routes_page(request: Request, db: AsyncSession, gate: Scope, m: int | None = None) -> Response:
    ctx = await queries.routing_table(db, municipality_of(gate, m))
    return page(request, "concerns/routes.html", {**ctx, "errors": {}, **_codes()})


def _optional(data, name: str) -> str | None:
    value = text(data, name, 32)
    return value or None


@post("/concerns/routes", opt=COORDINATOR)
async def route_save(request: Request, db: AsyncSession, current: Current, gate: Scope) -> Response:
    data = await form(request)
    municipality_id = municipality_of(gate, text(data, "m", 12) or None)
    area = text(data, "area_id", 12)
    try:
        await service.save_route(db, actor=current.user, scope=gate, municipality_id=municipality_id,
                                 area_id=integer(area, 1) if area else None, target_group=_optional(data, "target_group"),
                                 category=_optional(data, "category"),
                                 organisation_id=integer(text(data, "organisation_id", 12), 1))
    except Invalid as exc:
        ctx = await queries.routing_table(db, municipality_id)
        return page(request, "concerns/routes.html", {**ctx, "errors": exc.fields, **_codes()}, status=422)
    return Redirect(f"/concerns/routes?m={municipality_id}&saved=1", status_code=303)


@post("/concerns/routes/{route_id:int}/delete", opt=COORDINATOR)
async def route_delete(db: AsyncSession, current: Current, gate: Scope, route_id: int) -> Redirect:
    municipality_id = await service.delete_route(db, actor=current.user, scope=gate, route_id=route_id)
    return Redirect(f"/concerns/routes?m={municipality_id}", status_code=303)


def _holidays(value: str) -> list[tuple[dt.date | None, str]]:
    rows = []
    for line in value.splitlines()[:500]:
        line = line.strip()
        if line:
            day, _sep, name = line.partition(" ")
            rows.append((date(day), name.strip()))
    return rows


@post("/concerns/targets", opt=COORDINATOR)
async def targets_save(request: Request, db: AsyncSession, current: Current, gate: Scope) -> Response:
    data = await form(request)
    municipality_id = municipality_of(gate, text(data, "m", 12) or None)
    try:
        await service.save_targets(db, actor=current.user, scope=gate, municipality_id=municipality_id,
                                   emergency_minutes=integer(text(data, "emergency_minutes", 8), 0, 100000),
                                   soon_days=integer(text(data, "soon_days", 8), 0, 1000),
                                   normal_days=integer(text(data, "normal_days", 8), 0, 1000),
                                   holidays=_holidays(text(data, "holidays", 40000)),
                                   open_days=_holidays(text(data, "open_days", 40000)))
    except Invalid as exc:
        ctx = await queries.routing_table(db, municipality_id)
        return page(request, "concerns/routes.html", {**ctx, "errors": exc.fields, **_codes()}, status=422)
    return Redirect(f"/concerns/routes?m={municipality_id}&saved=1", status_code=303)


ROUTES = [inbox_page, new_page, create, alert, routes_page, route_save, route_delete, targets_save, detail_page,
          complete, *MOVE_ROUTES, note_create, reply_create]
