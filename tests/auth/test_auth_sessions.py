"""Session limits, rotation, cookie flags and ending a session (server-side, in the database)."""
from __future__ import annotations

import datetime as dt

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update

from server.auth.models import WebSession
from server.auth.sessions import hash_token
from server.config import load
from server.db import utcnow
from server.users.models import RoleGrant, User
from tests.auth.auth_builders import make_person, make_town, registered, sign_in_with
from tests.helpers import post_json, sign_in


async def person(sessionmaker, role: str = "coordinator", extra_role: str | None = None) -> User:
    async with sessionmaker() as session:
        town = await make_town(session)
        user = await make_person(session, town, role=role, status="active")
        if extra_role:
            session.add(RoleGrant(user_id=user.id, role=extra_role, municipality_id=town.id))
        await session.commit()
    return user


async def session_row(sessionmaker, token: str) -> WebSession | None:
    async with sessionmaker() as session:
        return await session.get(WebSession, hash_token(token))


async def shift(sessionmaker, token: str, **values) -> None:
    async with sessionmaker() as session:
        await session.execute(update(WebSession).where(WebSession.id == hash_token(token)).values(**values))
        await session.commit()


async def status_of_home(client, **headers) -> int:
    return (await client.get("/home", headers=headers, follow_redirects=False)).status_code


@pytest.mark.parametrize("role, idle, absolute", [
    ("volunteer", 8 * 3600, 7 * 24 * 3600),
    ("commissioner", 8 * 3600, 7 * 24 * 3600),
    ("coordinator", 30 * 60, 12 * 3600),
    ("professional", 30 * 60, 12 * 3600),
])
async def test_field_roles_get_a_working_day_and_staff_roles_half_an_hour(client, sessionmaker, settings,
                                                                          role, idle, absolute):
    user = await person(sessionmaker, role)
    token = await sign_in(client, sessionmaker, settings, user)
    row = await session_row(sessionmaker, token)
    assert row.idle_seconds == idle
    assert abs((row.absolute_expires_at - row.created_at).total_seconds() - absolute) < 2


async def test_a_commissioner_who_is_also_a_coordinator_gets_staff_limits(client, sessionmaker, settings):
    user = await person(sessionmaker, "commissioner", extra_role="coordinator")
    row = await session_row(sessionmaker, await sign_in(client, sessionmaker, settings, user))
    assert row.idle_seconds == 30 * 60


async def test_a_staff_session_ends_after_30_idle_minutes(client, sessionmaker, settings):
    user = await person(sessionmaker, "coordinator")
    token = await sign_in(client, sessionmaker, settings, user)
    await shift(sessionmaker, token, last_seen_at=utcnow() - dt.timedelta(minutes=29))
    assert await status_of_home(client) == 200
    await shift(sessionmaker, token, last_seen_at=utcnow() - dt.timedelta(minutes=31))
    assert await status_of_home(client) == 303
    assert await status_of_home(client) == 303  # and it stays ended


async def test_a_field_session_survives_a_long_pause_but_not_a_whole_night(client, sessionmaker, settings):
    user = await person(sessionmaker, "volunteer")
    token = await sign_in(client, sessionmaker, settings, user)
    await shift(sessionmaker, token, last_seen_at=utcnow() - dt.timedelta(hours=7))
    assert await status_of_home(client) == 200
    await shift(sessionmaker, token, last_seen_at=utcnow() - dt.timedelta(hours=9))
    assert await status_of_home(client) == 303


async def test_a_session_ends_at_its_absolute_limit_even_when_busy(client, sessionmaker, settings):
    user = await person(sessionmaker, "volunteer")
    token = await sign_in(client, sessionmaker, settings, user)
    await shift(sessionmaker, token, absolute_expires_at=utcnow() - dt.timedelta(seconds=1), last_seen_at=utcnow())
    r = await client.get("/home", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/signin")
    assert await status_of_home(client) == 303


async def test_background_requests_do_not_extend_the_idle_time(client, sessionmaker, settings):
    user = await person(sessionmaker, "coordinator")
    token = await sign_in(client, sessionmaker, settings, user)
    seen = utcnow() - dt.timedelta(minutes=10)
    await shift(sessionmaker, token, last_seen_at=seen)
    assert await status_of_home(client, **{"x-tsunagu-background": "1"}) == 200
    assert abs((await session_row(sessionmaker, token)).last_seen_at - seen) < dt.timedelta(seconds=1)
    assert await status_of_home(client) == 200
    assert (await session_row(sessionmaker, token)).last_seen_at > seen + dt.timedelta(minutes=9)


async def test_a_deactivated_persons_session_ends_on_the_next_request(client, sessionmaker, settings, db):
    user = await person(sessionmaker, "volunteer")
    await sign_in(client, sessionmaker, settings, user)
    assert await status_of_home(client) == 200
    await db.execute(update(User).where(User.id == user.id).values(status="deactivated"))
    await db.commit()
    assert await status_of_home(client) == 303
    assert (await client.get("/settings", follow_redirects=False)).status_code == 303


async def test_sign_out_ends_the_session_on_the_server(client, sessionmaker):
    _user, key = await registered(client, sessionmaker)
    assert (await sign_in_with(client, key)).status_code == 200
    token = client.cookies.get("tsunagu_session")
    r = await post_json(client, "/signout", headers={"accept": "text/html"})
    assert r.status_code == 303 and r.headers["location"] == "/signin"
    assert 'tsunagu_session=""' in r.headers["set-cookie"] or "Max-Age=0" in r.headers["set-cookie"]
    assert await session_row(sessionmaker, token) is None
    client.cookies.clear()
    client.cookies.set("tsunagu_session", token)
    assert await status_of_home(client) == 303


async def test_a_made_up_session_cookie_is_ignored(client):
    client.cookies.set("tsunagu_session", "chosen-by-an-attacker")
    assert await status_of_home(client) == 303
    r = await post_json(client, "/signin/options")
    assert r.status_code == 200
    issued = r.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    assert issued and issued != "chosen-by-an-attacker"


async def test_session_cookies_are_httponly_and_lax_on_plain_http_localhost(client):
    r = await post_json(client, "/signin/options")
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("tsunagu_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax") and "Path=/" in cookie
    assert "Secure" not in cookie


async def test_on_https_the_cookie_is_secure_with_the_host_prefix(database_url, tmp_path):
    from server.app import create_app

    settings = load({"TSUNAGU_DATABASE_URL": database_url, "TSUNAGU_ORIGIN": "https://tsunagu.example.jp",
                     "TSUNAGU_SECRET_KEY": "x" * 40, "TSUNAGU_AUDIT_HEAD_FILE": str(tmp_path / "heads")})
    async with AsyncTestClient(app=create_app(settings), base_url="https://tsunagu.example.jp") as client:
        await client.get("/signin")
        token = client.cookies.get("__Host-csrftoken")
        assert token
        r = await client.post("/signin/options", json={}, headers={"x-csrftoken": token, "accept": "application/json"})
        assert r.status_code == 200, r.text
        cookie = r.headers["set-cookie"]
        assert cookie.startswith("__Host-tsunagu=")
        assert "Secure" in cookie and "HttpOnly" in cookie and "Path=/" in cookie
        assert "Domain" not in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
        assert "max-age=63072000" in r.headers["strict-transport-security"]


async def test_sign_in_replaces_whatever_session_the_browser_had(client, sessionmaker, db):
    """Session fixation: an id handed to the victim before sign-in is worth nothing after it."""
    _user, key = await registered(client, sessionmaker)
    await post_json(client, "/signin/options")
    planted = client.cookies.get("tsunagu_session")
    assert await sign_in_with(client, key) is not None
    assert client.cookies.get("tsunagu_session") != planted
    rows = (await db.scalars(select(WebSession.id))).all()
    assert hash_token(planted) not in rows
