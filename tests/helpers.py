"""Shared test helpers: sign a person in without a browser, read the CSRF token, post forms."""
from __future__ import annotations

from server.auth.sessions import start_signed_in


async def sign_in(client, sessionmaker, settings, user) -> str:
    """Start a real server-side session for `user` (as a passkey sign-in would) and set its cookie."""
    async with sessionmaker() as session:
        token, _row = await start_signed_in(session, settings, user=user, old=None, passkey_id=None)
        await session.commit()
    # No domain: httpx files a cookie set for "localhost" under "localhost.local" and would never send it.
    client.cookies.set(settings.session_cookie, token)
    return token


async def csrf(client) -> str:
    """Fetch a page so the CSRF cookie is set, and return the token to send back."""
    if not client.cookies.get("csrftoken"):
        await client.get("/signin")
    return client.cookies.get("csrftoken")


async def post_form(client, url: str, data: dict | None = None, **kwargs):
    token = await csrf(client)
    body = dict(data or {})
    body["_csrf_token"] = token
    return await client.post(url, data=body, follow_redirects=False, **kwargs)


async def post_json(client, url: str, payload: dict | None = None, **kwargs):
    token = await csrf(client)
    headers = {"x-csrftoken": token, "accept": "application/json"} | kwargs.pop("headers", {})
    return await client.post(url, json=payload or {}, headers=headers, follow_redirects=False, **kwargs)
