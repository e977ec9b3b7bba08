"""POST /sync: every entry ends stored, duplicate or held; nothing is lost or applied twice."""
from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import func, select

from server.audit.models import AuditEvent
from server.concerns.models import Concern
from server.contacts.models import Contact
from server.households import service as households
from server.offline import keys
from server.offline.models import SyncEntry, SyncKey
from server.scope import build_scope
from tests.helpers import csrf, post_form, sign_in
from tests.offline.phone import Phone
from tests.watchover.builders import household


async def count(db, model, *where) -> int:
    await db.rollback()
    n = await db.scalar(select(func.count()).select_from(model).where(*where))
    await db.commit()
    return n


async def test_an_entry_is_stored_once_and_its_replay_is_a_duplicate(client, db, sessionmaker, settings, town):
    h = await household(db, town)
    await sign_in(client, sessionmaker, settings, town.comm)
    phone = Phone(client)
    await phone.fetch_key()
    entry = phone.contact(h.id, note="鍵の話をした", outcome="watch", signs=["mail_piling"])
    r = await phone.send([entry])
    assert r.status_code == 200
    assert r.json()["results"] == [{"client_id": entry["client_id"], "status": "stored"}]
    r = await phone.send([entry, entry])
    assert [x["status"] for x in r.json()["results"]] == ["duplicate", "duplicate"]
    assert await count(db, Contact) == 1
    contact = (await db.scalars(select(Contact))).one()
    assert contact.author_id == town.comm.id and contact.client_id == entry["client_id"]
    assert contact.outcome == "watch" and contact.signs == ["mail_piling"] and contact.counts_as_visit
    contact_id = contact.id
    # The same service function wrote its audit row; the ledger keeps no content for a stored entry.
    assert await count(db, AuditEvent, AuditEvent.action == "contact.logged") == 1
    ledger = (await db.scalars(select(SyncEntry))).one()
    assert ledger.status == "stored" and ledger.payload_sealed is None and ledger.object_id == contact_id


async def test_an_entry_saved_online_then_replayed_by_the_phone_is_a_duplicate(client, db, sessionmaker, settings, town):
    h = await household(db, town)
    await sign_in(client, sessionmaker, settings, town.vol)
    phone = Phone(client)
    await phone.fetch_key()
    entry = phone.contact(h.id)
    # The quick log reached the server but its answer was lost; the phone queued the same client id.
    r = await post_form(client, f"/round/{h.id}/quick", {"client_id": entry["client_id"]})
    assert r.status_code == 303
    r = await phone.send([entry])
    assert r.json()["results"][0]["status"] == "duplicate"
    assert await count(db, Contact) == 1


async def test_entries_replay_in_order_so_a_concern_finds_its_visit(client, db, sessionmaker, settings, town):
    h = await household(db, town)
    await sign_in(client, sessionmaker, settings, town.comm)
    phone = Phone(client)
    await phone.fetch_key()
    visit = phone.contact(h.id, outcome="notify")
    flag = phone.entry("concern_flag", h.id, {"contact_client_id": visit["client_id"]})
    r = await phone.send([visit, flag])
    assert [x["status"] for x in r.json()["results"]] == ["stored", "stored"]
    stored = (await db.scalars(select(Concern))).one()  # routed at once (server/concerns)
    assert stored.urgency == "soon" and stored.reporter_id == town.comm.id


async def test_a_paused_household_holds_the_entry_for_the_author_and_the_coordinator(client, db, sessionmaker,
                                                                                     settings, town):
    h = await household(db, town)
    other = await household(db, town, address="港町9-9-9")
    await sign_in(client, sessionmaker, settings, town.comm)
    phone = Phone(client)
    await phone.fetch_key()
    first, held, last = phone.contact(other.id), phone.contact(h.id, note="留守がち"), phone.contact(other.id)
    coord_scope = await build_scope(db, town.coord)
    await households.change_status(db, actor=town.coord, scope=coord_scope, household_id=h.id, status="paused",
                                   reason="hospital", since=dt.date.today())
    await db.commit()
    r = await phone.send([first, held, last])
    assert [x["status"] for x in r.json()["results"]] == ["stored", "held", "stored"]
    assert r.json()["results"][1]["reason"] == "paused"
    assert await count(db, Contact) == 2  # nothing half-written for the held one
    row = (await db.scalars(select(SyncEntry).where(SyncEntry.status == "held"))).one()
    assert row.payload_sealed and "留守がち".encode() not in row.payload_sealed  # sealed at rest
    assert row.municipality_id == town.municipality.id
    await db.commit()
    # A replay of a held entry is answered "held" again, and not held twice.
    r = await phone.send([held])
    assert r.json()["results"][0] == {"client_id": held["client_id"], "status": "held", "reason": "paused"}
    assert await count(db, SyncEntry) == 3
    assert await count(db, AuditEvent, AuditEvent.action == "sync.held") == 1
    # The author sees it in the review list...
    page = await client.get("/sync/review")
    assert page.status_code == 200 and f"held-{row.id}" in page.text and "港町1-2-3" in page.text
    # ...the coordinator too; the other municipality's coordinator cannot even open it.
    await sign_in(client, sessionmaker, settings, town.coord)
    assert f"held-{row.id}" in (await client.get("/sync/review")).text
    await sign_in(client, sessionmaker, settings, town.coord2)
    assert f"held-{row.id}" not in (await client.get("/sync/review")).text
    assert (await post_form(client, f"/sync/review/{row.id}/dismiss")).status_code == 404
    # Once the household is resumed, the author tries again and it is stored, once.
    await households.change_status(db, actor=town.coord, scope=coord_scope, household_id=h.id, status="active",
                                   reason=None, since=dt.date.today())
    await db.commit()
    await sign_in(client, sessionmaker, settings, town.comm)
    r = await post_form(client, f"/sync/review/{row.id}/retry")
    assert r.status_code == 303 and r.headers["location"] == "/sync/review?done=stored"
    assert await count(db, Contact) == 3
    await db.refresh(row)
    assert row.status == "resolved" and row.resolution == "stored" and row.payload_sealed is None
    stored = await db.get(Contact, row.object_id)
    assert stored.client_id == held["client_id"]
    await db.commit()
    assert "held-" not in (await client.get("/sync/review")).text


async def test_reassigned_household_and_invalid_input_are_held_not_dropped(client, db, sessionmaker, settings, town):
    h = await household(db, town, commissioner="comm2", volunteers=())
    mine = await household(db, town)
    await sign_in(client, sessionmaker, settings, town.comm)
    phone = Phone(client)
    await phone.fetch_key()
    foreign = phone.contact(h.id)
    bad = phone.contact(mine.id, method="teleport")
    r = await phone.send([foreign, bad])
    assert [(x["status"], x.get("reason")) for x in r.json()["results"]] == [("held", "out_of_scope"),
                                                                            ("held", "invalid")]
    # The coordinator dismisses one (recorded another way).
    held = (await db.scalars(select(SyncEntry).where(SyncEntry.client_id == bad["client_id"]))).one()
    await db.commit()
    await sign_in(client, sessionmaker, settings, town.coord)
    r = await post_form(client, f"/sync/review/{held.id}/dismiss")
    assert r.status_code == 303
    await db.refresh(held)
    assert held.status == "resolved" and held.resolution == "dismissed" and held.resolved_by_id == town.coord.id


async def test_keys_rotate_retired_keys_decrypt_for_a_while_then_entries_are_held_unreadable(client, db, sessionmaker,
                                                                                            settings, town):
    h = await household(db, town)
    await sign_in(client, sessionmaker, settings, town.comm)
    phone = Phone(client)
    old = await phone.fetch_key()
    sealed_to_old = phone.contact(h.id)
    late = phone.contact(h.id)
    await keys.rotate(db, retain_days=30)
    await db.commit()
    new = await phone.fetch_key()
    assert new["kid"] != old["kid"]
    r = await phone.send([sealed_to_old])
    assert r.json()["results"][0]["status"] == "stored"
    # After the retention period the old key is refused: the entry waits, unreadable, never dropped.
    await db.rollback()
    retired = (await db.scalars(select(SyncKey).where(SyncKey.kid == old["kid"]))).one()
    retired.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    await db.commit()
    await db.rollback()
    r = await phone.send([late])
    assert r.json()["results"][0] == {"client_id": late["client_id"], "status": "held", "reason": "unreadable"}
    # A tampered envelope (moved to another client id) does not open either.
    moved = dict(phone.contact(h.id), client_id="x" * 32)
    r = await phone.send([moved])
    assert r.json()["results"][0]["reason"] == "unreadable"
    assert await count(db, Contact) == 1


async def test_sync_needs_a_session_and_a_wellformed_batch(client, db, sessionmaker, settings, town):
    token = await csrf(client)
    r = await client.post("/sync", json={"entries": []}, headers={"x-csrftoken": token, "accept": "application/json"})
    assert r.status_code == 401 and r.json()["error"]
    await sign_in(client, sessionmaker, settings, town.comm)
    for body in ({"entries": []}, {"entries": [{"kind": "contact"}]}, {"entries": "x"}, [1, 2]):
        r = await client.post("/sync", json=body, headers={"x-csrftoken": token, "accept": "application/json"})
        assert r.status_code in (400, 422), (body, r.status_code)
    r = await client.post("/sync", json={"entries": [{"client_id": "a" * 16, "kind": "contact"}] * 101},
                          headers={"x-csrftoken": token, "accept": "application/json"})
    assert r.status_code == 422


async def test_discarded_entries_reach_the_server_as_counts(client, db, sessionmaker, settings, town):
    h = await household(db, town)
    await sign_in(client, sessionmaker, settings, town.vol)
    phone = Phone(client)
    await phone.fetch_key()
    entries = [phone.contact(h.id) for _ in range(3)]
    token = await csrf(client)
    metas = [{k: e[k] for k in ("client_id", "kind", "household_id", "client_at")} for e in entries]
    r = await client.post("/sync/discarded", json={"entries": metas}, headers={"x-csrftoken": token,
                                                                              "accept": "application/json"})
    assert r.status_code == 200 and r.json() == {"discarded": 3}
    event = (await db.scalars(select(AuditEvent).where(AuditEvent.action == "sync.discarded"))).one()
    assert event.actor_id == town.vol.id and len(event.ids) == 3
    await db.commit()
    # A discarded entry that turns up later is not stored.
    r = await phone.send([entries[0]])
    assert r.json()["results"][0]["status"] == "discarded"
    assert await count(db, Contact) == 0


async def test_a_thousand_entries_with_duplicates_reordering_and_dropped_replies_store_exactly_a_thousand(
        client, db, sessionmaker, settings, town):
    homes = [await household(db, town, address=f"港町{i}-1", volunteers=()) for i in range(10)]
    await sign_in(client, sessionmaker, settings, town.comm)
    phone = Phone(client)
    await phone.fetch_key()
    rng = random.Random(4)
    for i in range(1000):
        phone.contact(homes[i % 10].id)
    outbox = list(phone.outbox)
    rounds = 0
    while outbox:
        rounds += 1
        batch = outbox[:100]
        if rng.random() < 0.3:
            rng.shuffle(batch)  # reordering
        batch = batch + rng.sample(batch, min(10, len(batch)))  # duplicates inside the batch
        batch = batch[:100]
        r = await phone.send(batch)
        assert r.status_code == 200
        if rng.random() < 0.25:
            continue  # the reply was lost: the phone keeps everything and sends it again
        done = {x["client_id"] for x in r.json()["results"] if x["status"] in ("stored", "duplicate")}
        outbox = [e for e in outbox if e["client_id"] not in done]
    assert rounds > 10
    assert await count(db, Contact) == 1000
    assert await count(db, SyncEntry, SyncEntry.status == "stored") == 1000
    assert await count(db, AuditEvent, AuditEvent.action == "contact.logged") == 1000


async def test_entries_from_a_person_whose_term_ended_are_taken_and_held_for_the_coordinator(
        client, db, sessionmaker, settings, town):
    from server.users.models import RoleGrant

    h = await household(db, town)
    await sign_in(client, sessionmaker, settings, town.comm)
    phone = Phone(client)
    await phone.fetch_key()
    waiting = [phone.contact(h.id), phone.contact(h.id)]
    for grant in (await db.scalars(select(RoleGrant).where(RoleGrant.user_id == town.comm.id))).all():
        grant.valid_to = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)  # 30 November came
    await db.commit()
    assert (await client.get("/round")).status_code == 404  # nothing but /sync is reachable
    r = await phone.send(waiting)
    assert [(x["status"], x.get("reason")) for x in r.json()["results"]] == [("held", "access_ended")] * 2
    assert await count(db, Contact) == 0
    await sign_in(client, sessionmaker, settings, town.coord)
    page = (await client.get("/sync/review")).text
    assert page.count('id="held-') == 2 and "港町1-2-3" in page


async def test_a_phone_whose_passkey_was_removed_as_lost_cannot_replay(client, db, sessionmaker, settings, town):
    from server.auth import service as auth_service
    from server.auth.models import Passkey
    from server.auth.sessions import start_signed_in

    h = await household(db, town)
    lost = Passkey(user_id=town.comm.id, credential_id=b"lost-phone", public_key=b"pk", name="lost phone")
    db.add(lost)
    await db.commit()
    async with sessionmaker() as s:
        token, _ = await start_signed_in(s, settings, user=town.comm, old=None, passkey_id=lost.id)
        await s.commit()
    client.cookies.set(settings.session_cookie, token)
    phone = Phone(client)
    await phone.fetch_key()
    entry = phone.contact(h.id)
    # From another phone, the person removes the lost phone's passkey.
    await auth_service.remove_passkey(db, actor=town.comm, passkey_id=lost.id)
    await db.commit()
    r = await phone.send([entry])
    assert r.status_code == 401
    assert await count(db, Contact) == 0 and await count(db, SyncEntry) == 0
