"""The 429 from the sign-in and invitation limits: Retry-After, the strict CSP, the person's language."""
from __future__ import annotations

import pytest

from server import ratelimit
from tests.helpers import post_json
from tests.security.test_headers_and_errors import assert_strict_csp


@pytest.fixture
def low_limit(app):
    ratelimit.configure(2)
    yield 2
    ratelimit.configure(20)


async def test_the_invitation_page_answers_429_in_japanese_with_the_csp(client, low_limit):
    for _ in range(low_limit):
        assert (await client.get("/invite/no-such-token-000000000000")).status_code < 429
    response = await client.get("/invite/no-such-token-000000000000")
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) >= 1
    nonce = assert_strict_csp(response)
    assert f'nonce="{nonce}"' in response.text
    assert '<html lang="ja">' in response.text
    assert "Too many" not in response.text
    assert "Traceback" not in response.text


async def test_the_429_page_is_english_for_an_english_reader(client, low_limit):
    client.cookies.set("lang", "en")
    for _ in range(low_limit + 1):
        response = await client.get("/invite/no-such-token-000000000000")
    assert response.status_code == 429
    assert '<html lang="en">' in response.text and "Too many attempts" in response.text


async def test_the_sign_in_api_answers_429_as_json_with_retry_after_and_the_csp(client, low_limit):
    statuses = [(await post_json(client, "/signin/options")).status_code for _ in range(low_limit + 1)]
    assert statuses[-1] == 429, statuses
    response = await post_json(client, "/signin/options")
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) >= 1
    assert response.json()["error"]
    assert_strict_csp(response)


async def test_the_limit_is_per_bucket(client, low_limit):
    for _ in range(low_limit + 1):
        await client.get("/invite/no-such-token-000000000000")
    # The invitation bucket is full; signing in is counted separately.
    assert (await post_json(client, "/signin/options")).status_code != 429
