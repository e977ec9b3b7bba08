"""The front door: /, the home screen per role, and the language switch."""
from __future__ import annotations

from litestar import Request, get, post
from litestar.datastructures import Cookie
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Response
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.sessions import Current
from server.casework.queries import (
    open_actions,  # follow-up actions from case conferences (casework)
)
from server.concerns.queries import (
    unread_replies,  # replies the person has not read yet (concerns)
)
from server.contacts.routes import (
    round_response,  # 今日の見守り is their home screen (watch-over)
)
from server.i18n import LOCALES
from server.rendering import page
from server.users import service as users_service


@get("/", opt={"access": "public"})
async def index(current: Current) -> Redirect:
    return Redirect("/home" if current.signed_in else "/signin", status_code=303)


@get("/home", opt={"access": "signed_in"})
async def home(request: Request, db: AsyncSession, current: Current) -> Response:
    scope = current.require_scope()
    if scope.home_role in ("commissioner", "volunteer"):
        return await round_response(request, db, current)

    return page(request, "home/home.html", {"scope": scope, "role": scope.home_role,
                                            "unread_replies": await unread_replies(db, current.user),
                                            "my_actions": await open_actions(db, current.user)})


def _safe_next(target: str | None) -> str:
    # Only same-site paths: never an open redirect.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@post("/language", opt={"access": "public"})
async def set_language(
    db: AsyncSession,
    current: Current,
    data: dict[str, str] = Body(media_type=RequestEncodingType.URL_ENCODED),  # noqa: B008 - Litestar reads the body's encoding from this default
) -> Redirect:
    """Remembered per person when signed in, and in a cookie for the sign-in page."""
    locale = data.get("locale", "ja")
    if locale not in LOCALES:
        locale = "ja"
    if current.user is not None:
        await users_service.set_locale(db, actor=current.user, locale=locale)
    response = Redirect(_safe_next(data.get("next")), status_code=303)
    response.set_cookie(Cookie(key="lang", value=locale, path="/", max_age=365 * 24 * 3600,
                               samesite="lax", secure=current.settings.https, httponly=True))
    return response


ROUTES = [index, home, set_language]
