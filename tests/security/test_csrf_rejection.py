"""CSRF: every state change needs the token, as the form field `_csrf_token` or the htmx header `x-csrftoken`."""
from __future__ import annotations

import re

from litestar import get
from litestar.response import Template
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from tests.helpers import csrf

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def concrete(path: str) -> str:
    """A path with its parameters filled: CSRF is checked before the handler looks at them."""
    return re.sub(r"\{[^}:]+(:[^}]+)?\}", lambda m: "1" if m.group(1) and "int" in m.group(1) else "x", path)


def unsafe_routes(app) -> list[tuple[str, str]]:
    found = []
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for method in sorted(set(route.methods) & UNSAFE):
                found.append((method, route.path))
    return found


async def test_a_post_without_the_token_is_refused_with_a_japanese_403(client):
    response = await client.post("/language", data={"locale": "en", "next": "/"}, follow_redirects=False)
    assert response.status_code == 403
    assert '<html lang="ja">' in response.text
    assert "できません" in response.text
    assert "Traceback" not in response.text
    assert "lang=" not in response.headers.get("set-cookie", "")  # nothing was done


async def test_a_post_with_a_wrong_token_is_refused(client):
    await csrf(client)
    for wrong in ("", "abc", "0" * 128):
        response = await client.post("/language", data={"_csrf_token": wrong, "locale": "en"}, follow_redirects=False)
        assert response.status_code == 403, wrong


async def test_a_token_signed_with_another_secret_is_refused(client):
    from litestar.middleware.csrf import generate_csrf_token

    forged = generate_csrf_token("another-secret-entirely-0123456789abcdef")
    client.cookies.set("csrftoken", forged)
    response = await client.post("/language", data={"_csrf_token": forged, "locale": "en"}, follow_redirects=False)
    assert response.status_code == 403


async def test_a_post_without_the_cookie_is_refused_even_with_a_valid_looking_token(client):
    token = await csrf(client)
    client.cookies.clear()
    response = await client.post("/language", data={"_csrf_token": token, "locale": "en"}, follow_redirects=False)
    assert response.status_code == 403


async def test_the_form_field_is_accepted(client):
    token = await csrf(client)
    response = await client.post("/language", data={"_csrf_token": token, "locale": "en", "next": "/"},
                                 follow_redirects=False)
    assert response.status_code == 303


async def test_the_htmx_header_is_accepted(client):
    token = await csrf(client)
    response = await client.post("/language", data={"locale": "en", "next": "/"},
                                 headers={"x-csrftoken": token, "hx-request": "true"}, follow_redirects=False)
    assert response.status_code == 303


async def test_a_refused_json_post_answers_json(client):
    response = await client.post("/language", json={"locale": "en"}, headers={"accept": "application/json"})
    assert response.status_code == 403
    assert "error" in response.json()


async def test_every_state_changing_route_refuses_a_request_without_the_token(app, client):
    routes = unsafe_routes(app)
    assert ("POST", "/language") in routes
    for method, path in routes:
        response = await client.request(method, concrete(path), data={"x": "1"}, follow_redirects=False)
        assert response.status_code == 403, f"{method} {path} answered {response.status_code} without a CSRF token"
        assert "Traceback" not in response.text


@get("/__test__/macro", opt={"access": "public"})
async def macro_page() -> Template:
    return Template(template_str='{% import "_macros/forms.html" as f %}{{ f.csrf() }}')


async def test_form_macros_carry_the_token_even_when_imported_without_context(app):
    app.register(macro_page)
    async with AsyncTestClient(app=app, base_url="http://localhost:8000") as web:
        await web.get("/__test__/macro")  # the first visit sets the cookie
        html = (await web.get("/__test__/macro")).text
        token = re.search(r'name="_csrf_token" value="([^"]+)"', html).group(1)
        assert token == web.cookies.get("csrftoken")
