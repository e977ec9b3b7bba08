"""Security headers and error pages on every kind of response.

Each kind of answer the app can give (a page, a redirect, the router's 404 and 405, a 400 from
bad input, a 422 form error, a 429, a 500, static files, JSON) carries the strict CSP with a fresh
nonce and the other headers; error pages are in the person's language and never show a traceback.
"""
from __future__ import annotations

import re
import secrets

import pytest
from litestar import get, post
from litestar.testing import AsyncTestClient

from server.config import load
from server.errors import Invalid, RateLimited
from server.users.models import RoleGrant, User

NONCE_ATTR = re.compile(r'nonce="([^"]+)"')


# --- test-only routes, registered on the real app ---------------------------------------------

@get("/__test__/boom", opt={"access": "public"})
async def boom() -> str:
    raise RuntimeError("a bug: this must never reach the person (Traceback sentinel)")


@post("/__test__/form", opt={"access": "public"})
async def bad_form() -> str:
    raise Invalid(fields={"name": "Please enter a name."})


@get("/__test__/limited", opt={"access": "public"})
async def limited() -> str:
    raise RateLimited(retry_after=42)


@get("/__test__/number/{n:int}", opt={"access": "public"})
async def number(n: int, page: int = 1) -> str:
    return str(n + page)


@pytest.fixture
async def web(app):
    for handler in (boom, bad_form, limited, number):
        app.register(handler)
    async with AsyncTestClient(app=app, base_url="http://localhost:8000") as client:
        yield client


async def someone(sessionmaker, role: str = "coordinator") -> User:
    async with sessionmaker() as session:
        user = User(display_name="試験 花子", status="active", webauthn_handle=secrets.token_bytes(32))
        session.add(user)
        await session.flush()
        session.add(RoleGrant(user_id=user.id, role=role))
        await session.commit()
        return user


async def signed_in(web, sessionmaker, settings):
    from tests.helpers import sign_in

    await sign_in(web, sessionmaker, settings, await someone(sessionmaker))
    return web


# --- the checks ---------------------------------------------------------------------------------

def assert_strict_csp(response) -> str:
    policy = response.headers.get("content-security-policy", "")
    assert policy, f"no CSP on {response.request.method} {response.request.url} ({response.status_code})"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    nonce = re.fullmatch(r"'self' 'nonce-([A-Za-z0-9_-]{16,})'", directives["script-src"]).group(1)
    assert directives["style-src"] == f"'self' 'nonce-{nonce}'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] in ("same-origin", "strict-origin-when-cross-origin", "no-referrer")
    assert "camera=()" in response.headers["permissions-policy"]
    assert "strict-transport-security" not in response.headers  # plain-http localhost
    if response.headers.get("content-type", "").startswith("text/html"):
        attrs = set(NONCE_ATTR.findall(response.text))
        assert attrs <= {nonce}, "every nonce= attribute in the page must be this response's nonce"
        assert "<script>" not in response.text and " style=" not in response.text
        assert "Traceback" not in response.text
    return nonce


KINDS = [
    # (what, method, url, kwargs, status)
    ("a redirect", "get", "/", {}, 303),
    ("a JSON answer", "get", "/healthz", {}, 200),
    ("a static file", "get", "/static/css/app.css", {}, 200),
    ("the router's 404", "get", "/no-such-page", {}, 404),
    ("a 404 under static", "get", "/static/no-such-file.css", {}, 404),
    ("the router's 405", "delete", "/", {}, 405),
    ("a 400 from bad input", "get", "/__test__/number/1?page=abc", {}, 400),
    ("a 404 from a bad path parameter", "get", "/__test__/number/abc", {}, 404),
    ("a 429", "get", "/__test__/limited", {}, 429),
    ("a 500", "get", "/__test__/boom", {}, 500),
    ("a JSON 404", "get", "/no-such-page", {"headers": {"accept": "application/json"}}, 404),
    ("a JSON 500", "get", "/__test__/boom", {"headers": {"accept": "application/json"}}, 500),
    ("a refused POST (no CSRF token)", "post", "/language", {"data": {"locale": "en"}}, 403),
]


@pytest.mark.parametrize(("what", "method", "url", "kwargs", "status"), KINDS, ids=[k[0] for k in KINDS])
async def test_every_kind_of_response_carries_the_strict_csp_and_headers(web, what, method, url, kwargs, status):
    response = await getattr(web, method)(url, follow_redirects=False, **kwargs)
    assert response.status_code == status, what
    assert_strict_csp(response)


async def test_a_422_form_error_carries_the_csp_and_the_message(web):
    from tests.helpers import post_form

    response = await post_form(web, "/__test__/form", {"name": ""})
    assert response.status_code == 422
    nonce = assert_strict_csp(response)
    assert f'nonce="{nonce}"' in response.text
    assert "入力内容を確認してください" in response.text or "確認" in response.text


async def test_a_signed_in_page_carries_the_csp_a_matching_nonce_and_no_store(web, sessionmaker, settings):
    await signed_in(web, sessionmaker, settings)
    response = await web.get("/home")
    assert response.status_code == 200
    nonce = assert_strict_csp(response)
    assert NONCE_ATTR.findall(response.text), "the page loads its scripts and styles with the nonce"
    assert set(NONCE_ATTR.findall(response.text)) == {nonce}
    assert "no-store" in response.headers["cache-control"]


async def test_every_signed_in_answer_is_no_store(web, sessionmaker, settings):
    await signed_in(web, sessionmaker, settings)
    for url in ("/home", "/", "/no-such-page", "/__test__/boom"):
        response = await web.get(url, follow_redirects=False)
        assert "no-store" in response.headers["cache-control"], url


async def test_static_files_are_cached_but_keep_the_csp(web):
    response = await web.get("/static/css/app.css")
    assert "immutable" in response.headers["cache-control"]
    assert_strict_csp(response)


async def test_the_nonce_differs_on_every_response(web):
    nonces = set()
    for _ in range(5):
        response = await web.get("/no-such-page")
        nonce = assert_strict_csp(response)
        assert set(NONCE_ATTR.findall(response.text)) == {nonce}
        nonces.add(nonce)
    assert len(nonces) == 5


async def test_hsts_only_on_an_https_origin(database_url, tmp_path):
    from server.app import create_app

    settings = load({
        "TSUNAGU_DATABASE_URL": database_url,
        "TSUNAGU_SECRET_KEY": "x" * 40,
        "TSUNAGU_ORIGIN": "https://tsunagu.example.jp",
        "TSUNAGU_AUDIT_HEAD_FILE": str(tmp_path / "heads.log"),
    })
    async with AsyncTestClient(app=create_app(settings), base_url="https://tsunagu.example.jp") as client:
        for url in ("/healthz", "/no-such-page", "/static/css/app.css"):
            response = await client.get(url)
            assert "max-age=" in response.headers["strict-transport-security"], url
            assert "unsafe-inline" not in response.headers["content-security-policy"]
        # The CSRF cookie is Secure and host-only on https.
        cookie = response.headers.get("set-cookie", "")
        if cookie:
            assert "__Host-" in cookie and "Secure" in cookie


# --- error pages: the person's language, never a traceback ---------------------------------------

ERRORS = [
    ("/no-such-page", {}, 404, "ページが見つかりません", "Page not found"),
    ("/__test__/boom", {}, 500, "問題", "Something went wrong"),
    ("/__test__/limited", {}, 429, "", "Too many attempts"),
]


@pytest.mark.parametrize(("url", "kwargs", "status", "ja", "en"), ERRORS)
async def test_error_pages_are_japanese_by_default_and_english_on_request(web, url, kwargs, status, ja, en):
    japanese = await web.get(url, **kwargs)
    assert japanese.status_code == status
    assert '<html lang="ja">' in japanese.text
    assert en not in japanese.text
    if ja:
        assert ja in japanese.text
    assert "Traceback" not in japanese.text and "RuntimeError" not in japanese.text

    web.cookies.set("lang", "en")
    english = await web.get(url, **kwargs)
    assert english.status_code == status
    assert '<html lang="en">' in english.text
    assert en in english.text
    assert "Traceback" not in english.text and "RuntimeError" not in english.text


async def test_the_browser_language_is_used_when_nothing_was_chosen(web):
    response = await web.get("/no-such-page", headers={"accept-language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in response.text


async def test_a_500_says_nothing_about_the_bug_and_logs_it(web, caplog):
    response = await web.get("/__test__/boom")
    assert response.status_code == 500
    assert "sentinel" not in response.text and "Traceback" not in response.text
    assert any("sentinel" in (r.exc_text or str(r.exc_info) or "") or r.exc_info for r in caplog.records)


async def test_a_500_as_json_has_no_traceback(web):
    response = await web.get("/__test__/boom", headers={"accept": "application/json"})
    assert response.status_code == 500
    assert set(response.json()) == {"error", "fields"}
    assert "sentinel" not in response.text


async def test_the_429_keeps_retry_after_and_is_japanese(web):
    response = await web.get("/__test__/limited")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "42"
    assert "しばらく" in response.text or "回数" in response.text
    assert_strict_csp(response)


async def test_the_405_keeps_its_allow_header(web):
    response = await web.delete("/")
    assert response.status_code == 405
    assert "GET" in response.headers["allow"]


async def test_the_language_switch_on_an_error_page_works(web):
    # The router's 404 answers before the CSRF middleware: the page must still carry a usable token.
    page = await web.get("/no-such-page")
    token = re.search(r'name="_csrf_token" value="([^"]*)"', page.text).group(1)
    assert token
    response = await web.post("/language", data={"_csrf_token": token, "locale": "en", "next": "/"},
                              follow_redirects=False)
    assert response.status_code == 303


async def test_the_language_switch_on_a_refused_post_page_works(web):
    page = await web.post("/language", data={"locale": "en"})
    assert page.status_code == 403
    token = re.search(r'name="_csrf_token" value="([^"]*)"', page.text).group(1)
    response = await web.post("/language", data={"_csrf_token": token, "locale": "en", "next": "/"},
                              follow_redirects=False)
    assert response.status_code == 303


async def test_a_real_form_error_is_a_422_page_with_the_csp(client, cast, sessionmaker, settings):
    from tests.helpers import post_form, sign_in

    await sign_in(client, sessionmaker, settings, cast.coordinator)
    response = await post_form(client, "/people", {"display_name": "", "role": ""})
    assert response.status_code == 422
    nonce = assert_strict_csp(response)
    assert set(NONCE_ATTR.findall(response.text)) == {nonce}
    assert '<html lang="ja">' in response.text
    assert "no-store" in response.headers["cache-control"]
