"""Routes of the demo domain: sign in as a persona (TSUNAGU_DEMO=1 only; otherwise 404)."""
from __future__ import annotations

from litestar import Request, post
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.sessions import Current, session_cookie
from server.config import Settings
from server.demo.service import sign_in_as_persona
from server.errors import NotFound


@post("/demo/signin", opt={"access": "public"})
async def demo_signin(request: Request, db: AsyncSession, current: Current, settings: Settings) -> Redirect:
    if not settings.demo:
        raise NotFound()
    form = await request.form()
    try:
        user_id = int(form.get("user_id", ""))
    except ValueError:
        raise NotFound() from None
    token = await sign_in_as_persona(db, settings, user_id=user_id, old=current.web_session)
    return Redirect("/home", status_code=303, cookies=[session_cookie(settings, token)])


ROUTES = [demo_signin]
