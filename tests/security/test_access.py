"""The access guard (server/access.py): every handler declares who may use it, and the one guard
registered on the app decides before the handler runs.

The routes below are test-only and check nothing themselves, so whatever refuses them is the
guard: signed out goes to sign-in (401 for htmx, JSON and POSTs), a replay-only session gets 403,
a person without the route's roles 404, and a handler that declares nothing known is refused (404,
logged), never run and never a 500."""
from __future__ import annotations

import logging

import pytest
from litestar import get, post
from litestar.routes import HTTPRoute

from server.access import PUBLIC, declared
from server.auth.sessions import start_signed_in
from tests.helpers import csrf, post_form, sign_in

REACHED: list[str] = []


@get("/__access__/coordinators", opt={"access": ("coordinator",)})
async def coordinators_only() -> str:
    REACHED.append("coordinators")
    return "reached"


@post("/__access__/coordinators", opt={"access": ("coordinator",)}, status_code=200)
async def coordinators_post() -> str:
    REACHED.append("coordinators post")
    return "reached"


@get("/__access__/signed-in", opt={"access": "signed_in"})
async def anyone_signed_in() -> str:
    REACHED.append("signed in")
    return "reached"


@get("/__access__/undeclared")
async def undeclared() -> str:
    REACHED.append("undeclared")
    return "reached"


@get("/__access__/unknown-role", opt={"access": ("wizard",)})
async def unknown_role() -> str:
    REACHED.append("unknown role")
    return "reached"


@post("/__access__/json", opt={"access": "signed_in"}, status_code=200)
async def json_body(data: dict) -> str:
    REACHED.append("json")
    return "reached"


@pytest.fixture
async def web(app, client):
    for handler in (coordinators_only, coordinators_post, anyone_signed_in, undeclared, unknown_role, json_body):
        app.register(handler)
    REACHED.clear()
    return client


def all_handlers(app):
    for route in app.routes:
        for handler in getattr(route, "route_handlers", None) or [route.route_handler]:
            yield route, handler


# --- every handler declares --------------------------------------------------------------------------

def test_every_route_handler_of_the_app_declares_a_known_access(app):
    unknown = [f"{sorted(h.http_methods) if isinstance(r, HTTPRoute) else ''} {r.path}: {h.opt.get('access')!r}"
               for r, h in all_handlers(app) if declared(h) is None]
    assert unknown == [], "declare opt={'access': 'public' | 'signed_in' | (roles...)} on: " + ", ".join(unknown)
    # Only Litestar's own OPTIONS answers go undeclared (they carry no data, and no opt of ours).
    silent = {h.fn.__qualname__ for _r, h in all_handlers(app) if "access" not in h.opt}
    assert silent == {"HTTPRoute.create_options_handler.<locals>.options_handler"}


def test_sign_in_health_static_files_and_the_service_worker_are_declared_public(app):
    access = {(r.path, m): declared(h) for r, h in all_handlers(app) for m in h.http_methods}
    for path, method in (("/signin", "GET"), ("/signin/verify", "POST"), ("/healthz", "GET"),
                         ("/static/{file_path:path}", "GET"), ("/static/{file_path:path}", "HEAD"),
                         ("/sw.js", "GET"), ("/manifest.webmanifest", "GET"), ("/join/{join_token:str}", "GET")):
        assert access[(path, method)] == PUBLIC, (path, method)
    assert access[("/home", "GET")] == "signed_in"


def test_a_handler_without_a_known_access_is_not_declared():
    assert declared(undeclared) is None and declared(unknown_role) is None
    assert declared(coordinators_only) == ("coordinator",) and declared(anyone_signed_in) == "signed_in"


# --- the three outcomes, before the handler runs ------------------------------------------------------

async def test_signed_out_goes_to_sign_in_or_gets_401_for_htmx_json_and_posts(web):
    r = await web.get("/__access__/coordinators?x=1", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/signin?next=/__access__/coordinators%3Fx%3D1"
    assert (await web.get("/__access__/signed-in", headers={"hx-request": "true"})).status_code == 401
    r = await web.get("/__access__/signed-in", headers={"accept": "application/json"})
    assert r.status_code == 401 and "error" in r.json()
    assert (await post_form(web, "/__access__/coordinators")).status_code == 401
    assert REACHED == []


async def test_a_replay_only_session_gets_403_on_anything_but_the_replay(web, cast, sessionmaker, settings):
    async with sessionmaker() as session:
        token, _row = await start_signed_in(session, settings, user=cast.deactivated, old=None, passkey_id=None,
                                            replay_only=True)
        await session.commit()
    web.cookies.set(settings.session_cookie, token)
    for path in ("/__access__/signed-in", "/__access__/coordinators"):
        r = await web.get(path, follow_redirects=False)
        assert r.status_code == 403, (path, r.status_code)
        assert "この端末に残っている記録を担当者に送ること" in r.text  # ReplayOnly's message
    assert (await web.get("/sync/replay")).status_code == 200  # what it is for
    assert REACHED == []


async def test_a_person_without_the_routes_roles_gets_404_and_one_with_them_gets_in(web, cast, sessionmaker,
                                                                                   settings):
    await sign_in(web, sessionmaker, settings, cast.volunteer)
    assert (await web.get("/__access__/coordinators")).status_code == 404
    assert (await post_form(web, "/__access__/coordinators")).status_code == 404
    assert REACHED == []
    assert (await web.get("/__access__/signed-in")).text == "reached"
    web.cookies.clear()
    await sign_in(web, sessionmaker, settings, cast.coordinator)
    assert (await web.get("/__access__/coordinators")).text == "reached"
    assert (await post_form(web, "/__access__/coordinators")).text == "reached"
    assert REACHED == ["signed in", "coordinators", "coordinators post"]


async def test_a_handler_declaring_nothing_known_is_refused_and_logged_never_run(web, cast, sessionmaker, settings,
                                                                                caplog):
    await sign_in(web, sessionmaker, settings, cast.coordinator)
    with caplog.at_level(logging.ERROR, logger="tsunagu"):
        for path in ("/__access__/undeclared", "/__access__/unknown-role"):
            r = await web.get(path)
            assert r.status_code == 404, (path, r.status_code)
            assert "Traceback" not in r.text
    assert REACHED == []
    assert sum("declares no known opt['access']" in m for m in caplog.messages) == 2, caplog.messages


async def test_a_request_refused_after_the_guard_leaves_no_connection_open(web, app, cast, sessionmaker, settings):
    """The guard opened the request's session; Litestar refuses the body before the handler takes it."""
    await sign_in(web, sessionmaker, settings, cast.volunteer)
    token = await csrf(web)
    r = await web.post("/__access__/json", content=b"{not json", headers={"x-csrftoken": token,
                                                                          "content-type": "application/json"})
    assert r.status_code == 400
    assert REACHED == []
    assert app.state.engine.pool.checkedout() == 0
    r = await web.post("/__access__/json", json={"a": 1}, headers={"x-csrftoken": token})
    assert r.status_code == 200 and REACHED == ["json"]
    assert app.state.engine.pool.checkedout() == 0
