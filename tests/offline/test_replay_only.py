"""Replay-only sign-in (issue 4): a person deactivated while entries waited on their phone signs in
once with a passkey that is still valid; the session reaches nothing but /sync, everything it
delivers is held for the coordinator, and it cannot be used twice. A passkey revoked as lost
cannot sign in at all."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update

from server.audit.models import AuditEvent
from server.auth.models import Passkey, WebSession
from server.concerns.models import Concern
from server.contacts.models import Contact
from server.offline.models import SyncEntry
from server.scope import build_scope
from server.users import service as users
from tests.auth.auth_builders import sign_in_with
from tests.auth.softkey import SoftKey
from tests.helpers import post_form, sign_in
from tests.offline.phone import Phone
from tests.watchover.builders import household


async def count(db, model, *where) -> int:
    await db.rollback()
    n = await db.scalar(select(func.count()).select_from(model).where(*where))
    await db.commit()
    return n


async def passkey_for(db, user) -> tuple[SoftKey, Passkey]:
    key = SoftKey()
    key.user_handle = user.webauthn_handle
    row = Passkey(user_id=user.id, credential_id=key.credential_id, public_key=key.cose_key(), sign_count=0,
                  name="phone")
    db.add(row)
    await db.commit()
    return key, row


async def waiting_then_deactivated(client, db, sessionmaker, settings, town):
    """The commissioner queued a visit and a concern; then the coordinator deactivated them."""
    h = await household(db, town)
    key, row = await passkey_for(db, town.comm)
    await sign_in(client, sessionmaker, settings, town.comm)
    phone = Phone(client)
    await phone.fetch_key()
    waiting = [phone.contact(h.id), phone.entry("concern", h.id, {
        "household_id": h.id, "target_group": "elderly", "category": "health", "urgency": "soon", "seen": "x"})]
    await users.deactivate_user(db, actor=town.coord, user_id=town.comm.id)
    await db.commit()
    client.cookies.clear()
    client.cookies.set("lang", "en")  # the messages below are asserted in English
    return h, key, row, phone, waiting


async def test_a_deactivated_person_replays_once_and_everything_is_held_for_the_coordinator(
        client, db, sessionmaker, settings, town):
    h, key, _row, phone, waiting = await waiting_then_deactivated(client, db, sessionmaker, settings, town)
    r = await sign_in_with(client, key)
    assert r.status_code == 200 and r.json()["redirect"] == "/sync/replay", r.text
    session_row = (await db.scalars(select(WebSession).where(WebSession.user_id == town.comm.id))).one()
    assert session_row.replay_only
    assert session_row.absolute_expires_at - session_row.created_at <= dt.timedelta(minutes=15)
    await db.commit()
    # Nothing but /sync is reachable, with a clear message.
    for path in ("/round", f"/households/{h.id}", "/home", "/concerns", "/settings", "/sync/review"):
        r = await client.get(path)
        assert r.status_code == 403, (path, r.status_code)
        assert "can only send the entries waiting on this phone" in r.text
    r = await post_form(client, f"/round/{h.id}/quick", {"client_id": "abcdefgh12345678"})
    assert r.status_code == 403
    page = await client.get("/sync/replay")
    assert page.status_code == 200 and "data-replay-only=\"1\"" in page.text
    assert 'href="/settings"' not in page.text  # no menu
    await phone.fetch_key()
    r = await phone.send(waiting)
    assert r.status_code == 200
    assert [(x["status"], x.get("reason")) for x in r.json()["results"]] == [("held", "access_ended")] * 2
    assert await count(db, Contact) == 0 and await count(db, Concern) == 0
    assert await count(db, AuditEvent, AuditEvent.action == "auth.replay_signed_in") == 1
    # Signing out ends it; a second replay-only sign-in is refused.
    assert (await post_form(client, "/signout")).status_code == 303
    client.cookies.clear()
    client.cookies.set("lang", "en")
    r = await sign_in_with(client, key)
    assert r.status_code == 400 and "already sent once" in r.json()["error"], r.text
    assert await count(db, WebSession, WebSession.user_id == town.comm.id) == 0
    # The coordinator reviews both.
    client.cookies.clear()
    await sign_in(client, sessionmaker, settings, town.coord)
    review = (await client.get("/sync/review")).text
    assert review.count('id="held-') == 2


async def test_the_replay_only_session_ends_at_its_short_absolute_limit(client, db, sessionmaker, settings, town):
    _h, key, _row, phone, waiting = await waiting_then_deactivated(client, db, sessionmaker, settings, town)
    assert (await sign_in_with(client, key)).status_code == 200
    await phone.fetch_key()
    await db.execute(update(WebSession).where(WebSession.user_id == town.comm.id).values(
        absolute_expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    await db.commit()
    r = await phone.send(waiting)
    assert r.status_code == 401
    assert await count(db, SyncEntry) == 0


async def test_a_passkey_revoked_as_lost_cannot_replay_at_all(client, db, sessionmaker, settings, town):
    from server.auth import service as auth_service

    _h, key, row, _phone, _waiting = await waiting_then_deactivated(client, db, sessionmaker, settings, town)
    # Before the deactivation took effect the person had reported the phone lost (from another device).
    await db.execute(update(Passkey).where(Passkey.id == row.id).values(
        revoked_at=dt.datetime.now(dt.UTC), revoked_reason="removed"))
    await db.commit()
    r = await sign_in_with(client, key)
    assert r.status_code == 400 and "removed" in r.json()["error"]
    assert await count(db, WebSession, WebSession.user_id == town.comm.id) == 0
    assert await count(db, AuditEvent, AuditEvent.action == "auth.replay_signed_in") == 0
    assert auth_service  # the same refusal as any removed passkey (auth.service._assert)


async def test_an_active_person_signs_in_as_usual_and_is_not_replay_only(client, db, sessionmaker, settings, town):
    key, _row = await passkey_for(db, town.comm)
    r = await sign_in_with(client, key)
    assert r.status_code == 200 and r.json()["redirect"] == "/home"
    assert (await client.get("/round")).status_code == 200
    row = (await db.scalars(select(WebSession).where(WebSession.user_id == town.comm.id))).one()
    assert not row.replay_only
    await db.commit()
    assert (await build_scope(db, town.comm)).roles
