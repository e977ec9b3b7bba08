"""Routes of the auth domain: sign-in, invitations, step-up, sign-out and the person's settings.

JSON endpoints (the WebAuthn ceremonies) take the CSRF token in the x-csrftoken header and
answer {"publicKey": ...}, {"redirect": ...} or {"error": "<message in the person's language>"}.
A refused passkey is answered, not raised, so the failure's audit row and the used-up
challenge are committed with the request.
"""
from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Response
from sqlalchemy.ext.asyncio import AsyncSession

from server import ratelimit
from server.auth import service
from server.auth.models import WebSession
from server.auth.sessions import Current, clear_cookie, session_cookie, start_anonymous
from server.config import Settings
from server.demo.service import demo_personas
from server.errors import DomainError, NotFound
from server.i18n import gettext as _
from server.rendering import page

PUBLIC = {"access": "public"}
SIGNED_IN = {"access": "signed_in"}


def safe_next(target: str | None, default: str = "/home") -> str:
    """Only same-site paths: never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def device_name(request: Request) -> str | None:
    """A first name for a new passkey from the browser's platform ("iPhone"), so the list reads well."""
    agent = request.headers.get("user-agent", "")
    for needle, name in (("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"),
                         ("Windows", "Windows"), ("Macintosh", "Mac"), ("CrOS", "Chromebook")):
        if needle in agent:
            return name
    return None


async def browser_session(db: AsyncSession, current: Current) -> tuple[WebSession, str | None]:
    """The session a challenge is bound to: the current one, or a new anonymous one (token to set)."""
    if current.web_session is not None:
        return current.web_session, None
    token, row = await start_anonymous(db)
    current.web_session = row
    return row, token


def json_answer(current: Current, body: dict, token: str | None = None, status: int = 200) -> Response:
    cookies = [session_cookie(current.settings, token)] if token else None
    return Response(body, status_code=status, cookies=cookies)


async def json_body(request: Request) -> dict[str, Any]:
    """Read the JSON body inside the handler, after the access checks: a signed-out caller gets
    401 rather than a complaint about their body; malformed JSON is a 400 with a message."""
    try:
        body = await request.json()
    except Exception:  # any undecodable body
        body = None
    if not isinstance(body, dict):
        raise DomainError()
    return body


def refused(exc: DomainError) -> Response:
    return Response({"error": _(exc.message)}, status_code=exc.status)


# --- sign-in / sign-out ----------------------------------------------------------------------------

@get("/signin", opt=PUBLIC)
async def signin_page(request: Request, db: AsyncSession, current: Current, settings: Settings,
                      next: str | None = None) -> Response:
    if current.signed_in:
        return Redirect(safe_next(next), status_code=303)
    personas: list[dict] = []
    if settings.demo:
        personas = await demo_personas(db)
    return page(request, "auth/signin.html", {"next": safe_next(next), "personas": personas})


@post("/signin/options", opt=PUBLIC, status_code=200)
async def signin_options(request: Request, db: AsyncSession, current: Current, settings: Settings) -> Response:
    ratelimit.hit("signin", client_ip(request))
    row, token = await browser_session(db, current)
    options = await service.begin_signin(db, settings, web_session=row)
    return json_answer(current, {"publicKey": options}, token)


@post("/signin/verify", opt=PUBLIC, status_code=200)
async def signin_verify(request: Request, db: AsyncSession, current: Current, settings: Settings) -> Response:
    ratelimit.hit("signin", client_ip(request))
    data = await json_body(request)
    if current.web_session is None:
        return refused(service.PasskeyFailed(service.MSG_CHALLENGE))
    try:
        done = await service.finish_signin(db, settings, web_session=current.web_session,
                                           credential=data.get("credential"))
    except service.PasskeyFailed as exc:
        return refused(exc)
    # A replay-only sign-in (access ended, entries waiting) reaches nothing but the page that sends them.
    target = "/sync/replay" if done.web_session.replay_only else safe_next(data.get("next"))
    return json_answer(current, {"redirect": target}, done.token)


@post("/signout", opt=PUBLIC)
async def signout(db: AsyncSession, current: Current, settings: Settings) -> Redirect:
    await service.sign_out(db, actor=current.user, web_session=current.web_session)
    # The phone's copies go too (js/offline.js submits this only once its outbox is empty or
    # the person chose to discard what was left).
    return Redirect("/signin", status_code=303, cookies=[clear_cookie(settings)],
                    headers={"Clear-Site-Data": '"cache", "storage"'})


# --- invitations -----------------------------------------------------------------------------------

@get("/invite/{token:str}", opt=PUBLIC)
async def invite_page(request: Request, db: AsyncSession, current: Current, token: str) -> Response:
    ratelimit.hit("invite", client_ip(request))
    try:
        _inv, user = await service.open_invitation(db, token=token)
    except (NotFound, service.InvitationGone) as exc:
        return page(request, "auth/invite_gone.html", {"message": _(exc.message), "status": exc.status},
                    status=exc.status)
    return page(request, "auth/invite.html", {"person": user, "token": token})


@post("/invite/{token:str}/options", opt=PUBLIC, status_code=200)
async def invite_options(request: Request, db: AsyncSession, current: Current, settings: Settings,
                         token: str) -> Response:
    ratelimit.hit("invite", client_ip(request))
    row, cookie_token = await browser_session(db, current)
    options = await service.begin_registration(db, settings, token=token, web_session=row)
    return json_answer(current, {"publicKey": options}, cookie_token)


@post("/invite/{token:str}/register", opt=PUBLIC, status_code=200)
async def invite_register(request: Request, db: AsyncSession, current: Current, settings: Settings,
                          token: str) -> Response:
    ratelimit.hit("invite", client_ip(request))
    data = await json_body(request)
    if current.web_session is None:
        return refused(service.PasskeyFailed(service.MSG_CHALLENGE))
    try:
        done = await service.finish_registration(
            db, settings, token=token, web_session=current.web_session, credential=data.get("credential"),
            name=data.get("name") or device_name(request))
    except service.PasskeyFailed as exc:
        return refused(exc)
    return json_answer(current, {"redirect": "/home"}, done.token)


# --- step-up (a fresh passkey check) -------------------------------------------------------------

@get("/stepup", opt=SIGNED_IN)
async def stepup_page(request: Request, current: Current, next: str | None = None) -> Response:
    current.require_user()
    return page(request, "auth/stepup.html", {"next": safe_next(next)})


@post("/stepup/options", opt=SIGNED_IN, status_code=200)
async def stepup_options(db: AsyncSession, current: Current, settings: Settings) -> Response:
    user = current.require_user()
    options = await service.begin_stepup(db, settings, actor=user, web_session=current.web_session)
    return json_answer(current, {"publicKey": options})


@post("/stepup/verify", opt=SIGNED_IN, status_code=200)
async def stepup_verify(request: Request, db: AsyncSession, current: Current, settings: Settings) -> Response:
    user = current.require_user()
    ratelimit.hit("signin", client_ip(request))
    data = await json_body(request)
    try:
        await service.verify_stepup(db, settings, actor=user, web_session=current.web_session,
                                    credential=data.get("credential"))
    except service.PasskeyFailed as exc:
        return refused(exc)
    return json_answer(current, {"redirect": safe_next(data.get("next"))})


# --- settings: language and the person's passkeys ------------------------------------------------

@get("/settings", opt=SIGNED_IN)
async def settings_page(request: Request, db: AsyncSession, current: Current, removed: str | None = None,
                        added: str | None = None) -> Response:
    user = current.require_user()
    passkeys = await service.list_passkeys(db, actor=user)
    return page(request, "auth/settings.html", {
        "passkeys": passkeys, "fresh": current.fresh(), "removed": removed, "added": added,
    })


@post("/settings/passkeys/options", opt=SIGNED_IN, status_code=200)
async def passkey_options(db: AsyncSession, current: Current, settings: Settings) -> Response:
    user = current.require_user()
    current.require_fresh()
    options = await service.begin_add_passkey(db, settings, actor=user, web_session=current.web_session)
    return json_answer(current, {"publicKey": options})


@post("/settings/passkeys/add", opt=SIGNED_IN, status_code=200)
async def passkey_add(request: Request, db: AsyncSession, current: Current, settings: Settings) -> Response:
    user = current.require_user()
    current.require_fresh()
    data = await json_body(request)
    try:
        await service.add_passkey(db, settings, actor=user, web_session=current.web_session,
                                  credential=data.get("credential"), name=data.get("name") or device_name(request))
    except service.PasskeyFailed as exc:
        return refused(exc)
    return json_answer(current, {"redirect": "/settings?added=1"})


@post("/settings/passkeys/{passkey_id:int}/remove", opt=SIGNED_IN)
async def passkey_remove(db: AsyncSession, current: Current, passkey_id: int) -> Redirect:
    user = current.require_user()
    current.require_fresh()
    none_left = await service.remove_passkey(db, actor=user, passkey_id=passkey_id,
                                             keep_session=current.web_session)
    return Redirect(f"/settings?removed={'last' if none_left else '1'}", status_code=303)


ROUTES = [
    signin_page, signin_options, signin_verify, signout,
    invite_page, invite_options, invite_register,
    stepup_page, stepup_options, stepup_verify,
    settings_page, passkey_options, passkey_add, passkey_remove,
]
