"""The step-up check, and a person's own passkeys on the settings page: list, add, remove."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from server.auth.models import Passkey, WebSession
from server.auth.sessions import hash_token
from server.db import utcnow
from server.users.models import User
from tests.auth.auth_builders import Browsers, actions, registered, sign_in_with
from tests.auth.softkey import SoftKey, b64
from tests.helpers import post_form, post_json


async def signed_in(client, sessionmaker):
    user, key = await registered(client, sessionmaker)
    assert (await sign_in_with(client, key)).status_code == 200
    return user, key


async def make_stale(sessionmaker, client) -> None:
    async with sessionmaker() as session:
        await session.execute(update(WebSession).values(verified_at=utcnow() - dt.timedelta(hours=2)))
        await session.commit()


async def test_settings_lists_the_persons_passkeys_in_japanese_and_english(client, sessionmaker, db):
    user, _key = await signed_in(client, sessionmaker)
    page = await client.get("/settings")
    assert page.status_code == 200
    assert "わたしのスマホ" in page.text and "最後に使った日時" in page.text
    assert "サインアウトすると、サーバー上のセッションもすぐに終了します" in page.text
    assert "これはあなたの唯一のパスキーです" in page.text  # removing the last one warns first
    await db.execute(update(User).where(User.id == user.id).values(locale="en"))
    await db.commit()
    page = await client.get("/settings")
    assert "Your passkeys" in page.text and "Last used" in page.text


async def test_adding_or_removing_a_passkey_needs_a_fresh_check(client, sessionmaker, db):
    user, _key = await signed_in(client, sessionmaker)
    await make_stale(sessionmaker, client)
    page = await client.get("/settings")
    assert "/stepup?next=/settings" in page.text and "data-passkey=\"add\"" not in page.text
    r = await post_json(client, "/settings/passkeys/options")
    assert r.status_code == 401 and r.json()["error"]
    passkey_id = (await db.scalars(select(Passkey.id).where(Passkey.user_id == user.id))).one()
    await db.rollback()
    assert (await post_form(client, f"/settings/passkeys/{passkey_id}/remove")).status_code == 401


async def test_step_up_with_the_persons_passkey_makes_the_session_fresh(client, sessionmaker, db):
    _user, key = await signed_in(client, sessionmaker)
    await make_stale(sessionmaker, client)
    options = (await post_json(client, "/stepup/options")).json()["publicKey"]
    assert [c["id"] for c in options["allowCredentials"]] == [b64(key.credential_id)]
    r = await post_json(client, "/stepup/verify", {"credential": key.get(options), "next": "/settings"})
    assert r.status_code == 200 and r.json() == {"redirect": "/settings"}
    token = client.cookies.get("tsunagu_session")
    row = await db.get(WebSession, hash_token(token))
    assert utcnow() - row.verified_at < dt.timedelta(minutes=1)
    assert "auth.stepup" in await actions(db)


async def test_step_up_refuses_someone_elses_passkey_and_missing_verification(client, sessionmaker):
    browsers = Browsers(client)
    _other_user, other_key = await registered(browsers.use("other"), sessionmaker)
    client = browsers.use("mine")
    _user, key = await signed_in(client, sessionmaker)
    await make_stale(sessionmaker, client)
    options = (await post_json(client, "/stepup/options")).json()["publicKey"]
    assert (await post_json(client, "/stepup/verify", {"credential": other_key.get(options)})).status_code == 400
    options = (await post_json(client, "/stepup/options")).json()["publicKey"]
    assert (await post_json(client, "/stepup/verify", {"credential": key.get(options, uv=False)})).status_code == 400
    assert (await post_json(client, "/settings/passkeys/options")).status_code == 401


async def test_a_second_passkey_can_be_added_and_the_first_is_excluded(client, sessionmaker, db):
    user, key = await signed_in(client, sessionmaker)
    options = (await post_json(client, "/settings/passkeys/options")).json()["publicKey"]
    assert [c["id"] for c in options["excludeCredentials"]] == [b64(key.credential_id)]
    tablet = SoftKey()
    r = await post_json(client, "/settings/passkeys/add", {"credential": tablet.create(options), "name": "タブレット"})
    assert r.status_code == 200, r.text
    names = (await db.scalars(select(Passkey.name).where(Passkey.user_id == user.id).order_by(Passkey.id))).all()
    assert names == ["わたしのスマホ", "タブレット"]
    await db.rollback()
    client.cookies.clear()
    assert (await sign_in_with(client, tablet)).status_code == 200


async def test_the_same_authenticator_cannot_be_registered_twice(client, sessionmaker):
    _user, key = await signed_in(client, sessionmaker)
    options = (await post_json(client, "/settings/passkeys/options")).json()["publicKey"]
    r = await post_json(client, "/settings/passkeys/add", {"credential": key.create(options)})
    assert r.status_code == 400 and r.json()["error"]


async def test_removing_a_passkey_revokes_it_and_signs_out_the_phone_that_used_it(client, sessionmaker, db):
    user, phone = await signed_in(client, sessionmaker)
    options = (await post_json(client, "/settings/passkeys/options")).json()["publicKey"]
    tablet = SoftKey()
    await post_json(client, "/settings/passkeys/add", {"credential": tablet.create(options)})
    phone_id = (await db.scalars(select(Passkey.id).where(Passkey.credential_id == phone.credential_id))).one()
    await db.rollback()

    browsers = Browsers(client)
    assert (await sign_in_with(browsers.use("lost phone"), phone)).status_code == 200
    assert (await sign_in_with(browsers.use("tablet"), tablet)).status_code == 200
    r = await post_form(client, f"/settings/passkeys/{phone_id}/remove")
    assert r.status_code == 303 and r.headers["location"] == "/settings?removed=1"
    assert (await client.get("/home")).status_code == 200
    assert (await browsers.use("lost phone").get("/home", follow_redirects=False)).status_code == 303
    assert "passkey.removed" in await actions(db)
    await db.rollback()
    client.cookies.clear()
    r = await sign_in_with(client, phone)
    assert r.status_code == 400 and "削除されています" in r.json()["error"]


async def test_removing_the_last_passkey_is_allowed_with_a_warning(client, sessionmaker):
    user, _key = await signed_in(client, sessionmaker)
    page = await client.get("/settings")
    passkey_id = int(page.text.split("/settings/passkeys/")[1].split("/remove")[0])
    r = await post_form(client, f"/settings/passkeys/{passkey_id}/remove")
    assert r.headers["location"] == "/settings?removed=last"
    page = await client.get("/settings?removed=last")
    assert "パスキーが一つもありません" in page.text


async def test_someone_elses_passkey_cannot_be_removed(client, sessionmaker, db):
    browsers = Browsers(client)
    other_user, _ = await registered(browsers.use("other"), sessionmaker)
    client = browsers.use("mine")
    await signed_in(client, sessionmaker)
    theirs = (await db.scalars(select(Passkey.id).where(Passkey.user_id == other_user.id))).one()
    await db.rollback()
    assert (await post_form(client, f"/settings/passkeys/{theirs}/remove")).status_code == 404
    assert (await post_form(client, "/settings/passkeys/999999/remove")).status_code == 404


async def test_settings_and_step_up_need_a_signed_in_person(client):
    assert (await client.get("/settings", follow_redirects=False)).headers["location"].startswith("/signin")
    assert (await client.get("/stepup", follow_redirects=False)).headers["location"].startswith("/signin")
    assert (await post_json(client, "/stepup/options")).status_code == 401
