"""Real passkey ceremonies against the app, with a software authenticator (no browser)."""
from __future__ import annotations

from sqlalchemy import select

from server.auth.models import Invitation, Passkey, WebSession
from server.auth.sessions import hash_token
from server.users.models import User
from tests.auth.auth_builders import actions, invited, register
from tests.auth.softkey import SoftKey
from tests.helpers import post_json


async def test_an_invited_person_registers_a_passkey_and_lands_on_home(client, sessionmaker, db):
    user, token = await invited(sessionmaker)
    page = await client.get(f"/invite/{token}")
    assert page.status_code == 200
    assert "山田 花子" in page.text and "パスキー" in page.text
    key = SoftKey()
    r = await register(client, token, key)
    assert r.status_code == 200, r.text
    assert r.json() == {"redirect": "/home"}
    home = await client.get("/home")
    assert home.status_code == 200
    assert "山田 花子" in home.text

    stored = (await db.scalars(select(Passkey).where(Passkey.user_id == user.id))).one()
    assert stored.credential_id == key.credential_id
    assert stored.name == "わたしのスマホ"
    assert stored.transports == ["internal", "hybrid"]
    assert stored.backup_eligible and stored.backed_up
    assert (await db.get(User, user.id)).status == "active"
    inv = (await db.scalars(select(Invitation).where(Invitation.user_id == user.id))).one()
    assert inv.used_at is not None
    assert {"invitation.used", "passkey.added", "auth.signed_in"} <= set(await actions(db))


async def test_the_registration_options_require_a_discoverable_verified_credential(client, sessionmaker):
    _user, token = await invited(sessionmaker)
    options = (await post_json(client, f"/invite/{token}/options")).json()["publicKey"]
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["rp"] == {"id": "localhost", "name": "Tsunagu"}


async def test_a_registered_person_signs_in_and_out_with_the_passkey(client, sessionmaker, db):
    user, token = await invited(sessionmaker)
    key = SoftKey()
    assert (await register(client, token, key)).status_code == 200
    r = await client.post("/signout", data={"_csrf_token": client.cookies.get("csrftoken")},
                          follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/signin"
    assert (await client.get("/home", follow_redirects=False)).status_code == 303

    options = (await post_json(client, "/signin/options")).json()["publicKey"]
    assert options["allowCredentials"] == []
    assert options["userVerification"] == "required"
    r = await post_json(client, "/signin/verify", {"credential": key.get(options)})
    assert r.status_code == 200, r.text
    assert (await client.get("/home")).status_code == 200
    stored = (await db.scalars(select(Passkey).where(Passkey.user_id == user.id))).one()
    assert stored.sign_count == 1 and stored.last_used_at is not None
    assert (await actions(db)).count("auth.signed_out") == 1


async def test_sign_in_rotates_the_session_id_so_the_old_cookie_is_useless(client, sessionmaker, db):
    _user, token = await invited(sessionmaker)
    key = SoftKey()
    await register(client, token, key)
    await post_json(client, "/signout", headers={"accept": "text/html"})
    client.cookies.delete("tsunagu_session")

    options = (await post_json(client, "/signin/options")).json()["publicKey"]
    before = client.cookies.get("tsunagu_session")
    assert before
    r = await post_json(client, "/signin/verify", {"credential": key.get(options)})
    assert r.status_code == 200
    after = client.cookies.get("tsunagu_session")
    assert after and after != before
    assert await db.get(WebSession, hash_token(before)) is None
    await db.rollback()  # SQLite: every transaction here is BEGIN IMMEDIATE, so release the lock

    client.cookies.clear()
    client.cookies.set("tsunagu_session", before)
    assert (await client.get("/home", follow_redirects=False)).status_code == 303
    client.cookies.clear()
    client.cookies.set("tsunagu_session", after)
    assert (await client.get("/home", follow_redirects=False)).status_code == 200


async def test_the_sign_in_page_offers_the_passkey_button_and_autofill(client):
    page = await client.get("/signin")
    assert page.status_code == 200
    assert "パスキーでサインイン" in page.text
    assert "この端末の指紋・顔認証・画面ロックでサインインします" in page.text
    assert 'autocomplete="username webauthn"' in page.text
    assert 'data-options-url="/signin/options"' in page.text and "js/passkeys.js" in page.text


async def test_demo_personas_appear_on_the_sign_in_page_only_in_demo_mode(client, db, settings, database_url, tmp_path):
    from litestar.testing import AsyncTestClient

    from server.app import create_app
    from server.config import load
    from server.demo.seed import seed_demo

    await seed_demo(db, if_empty=True)
    await db.commit()
    assert settings.demo
    page = await client.get("/signin")
    assert "/demo/signin" in page.text and "民生委員" in page.text
    plain = load({"TSUNAGU_DATABASE_URL": database_url, "TSUNAGU_AUDIT_HEAD_FILE": str(tmp_path / "h"),
                  "TSUNAGU_SECRET_KEY": "y" * 40})
    async with AsyncTestClient(app=create_app(plain), base_url="http://localhost:8000") as other:
        assert "/demo/signin" not in (await other.get("/signin")).text


async def test_sign_in_returns_to_the_page_that_asked_for_it_but_never_off_site(client, sessionmaker):
    from tests.auth.auth_builders import registered

    _user, key = await registered(client, sessionmaker)
    for target, expected in (("/settings", "/settings"), ("//evil.example/x", "/home"), ("https://evil.example", "/home")):
        client.cookies.clear()
        options = (await post_json(client, "/signin/options")).json()["publicKey"]
        r = await post_json(client, "/signin/verify", {"credential": key.get(options), "next": target})
        assert r.json() == {"redirect": expected}
    assert (await client.get("/signin", follow_redirects=False)).headers["location"] == "/home"
