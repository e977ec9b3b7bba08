"""The concern and salon kinds of outbox entry (registered by server/concerns and server/salons):
each is stored once however often it is resent; a concern is routed on arrival whatever happened
meanwhile; a salon entry for a cancelled session or out of scope is held, never dropped."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from server.audit.models import AuditEvent
from server.concerns.models import Concern
from server.households import service as households
from server.households.models import Person
from server.offline.models import SyncEntry
from server.salons import service as salons
from server.salons.models import Attendance, Signup
from server.scope import build_scope
from tests.helpers import sign_in
from tests.offline.phone import Phone
from tests.salons.builders import future_session, make_salon, on_roster, past_session
from tests.watchover.builders import household


async def count(db, model, *where) -> int:
    await db.rollback()
    n = await db.scalar(select(func.count()).select_from(model).where(*where))
    await db.commit()
    return n


def concern(phone: Phone, household_id: int | None, **data) -> dict:
    return phone.entry("concern", household_id, {"household_id": household_id, "target_group": "elderly",
                                                 "category": "health", "urgency": "soon",
                                                 "seen": "足を引きずっていた", **data})


async def regular(db, town, salon):
    h = await household(db, town)
    person = (await db.scalars(select(Person).where(Person.household_id == h.id))).first()
    await on_roster(db, town, salon, person.id)
    return person


async def test_a_concern_is_stored_once_however_often_it_is_resent(client, db, sessionmaker, settings, town):
    h = await household(db, town)
    await sign_in(client, sessionmaker, settings, town.comm)
    phone = Phone(client)
    await phone.fetch_key()
    entry = concern(phone, h.id)
    r = await phone.send([entry])
    assert r.json()["results"] == [{"client_id": entry["client_id"], "status": "stored"}]
    r = await phone.send([entry, entry])
    assert [x["status"] for x in r.json()["results"]] == ["duplicate", "duplicate"]
    row = (await db.scalars(select(Concern))).one()
    assert row.client_id == entry["client_id"] and row.reporter_id == town.comm.id
    assert row.household_id == h.id and row.urgency == "soon" and row.category == "health"
    await db.commit()
    assert await count(db, AuditEvent, AuditEvent.action == "concern.raised") == 1
    ledger = (await db.scalars(select(SyncEntry))).one()
    assert ledger.status == "stored" and ledger.object_type == "concern" and ledger.object_id == row.id
    await db.commit()


async def test_a_concern_for_a_household_paused_meanwhile_is_still_stored_and_routed(client, db, sessionmaker,
                                                                                   settings, town):
    h = await household(db, town)
    await sign_in(client, sessionmaker, settings, town.comm)
    phone = Phone(client)
    await phone.fetch_key()
    entry = concern(phone, h.id)
    visit = phone.contact(h.id)
    await households.change_status(db, actor=town.coord, scope=await build_scope(db, town.coord), household_id=h.id,
                                   status="paused", reason="hospital", since=dt.date.today())
    await db.commit()
    r = await phone.send([visit, entry])
    # The visit waits for review (paused); the concern is routed on arrival all the same.
    assert [x["status"] for x in r.json()["results"]] == ["held", "stored"]
    row = (await db.scalars(select(Concern))).one()
    assert row.household_id == h.id and row.client_id == entry["client_id"]
    assert row.organisation_id is not None  # routed (to the town's one-stop hub)
    await db.commit()


async def test_an_unstorable_concern_is_held_for_review_never_dropped(client, db, sessionmaker, settings, town):
    h = await household(db, town)
    await sign_in(client, sessionmaker, settings, town.comm)
    phone = Phone(client)
    await phone.fetch_key()
    entry = concern(phone, h.id, seen="")  # what was seen is required
    r = await phone.send([entry])
    assert r.json()["results"][0] == {"client_id": entry["client_id"], "status": "held", "reason": "failed"}
    assert await count(db, Concern) == 0
    held = (await db.scalars(select(SyncEntry))).one()
    assert held.status == "held" and held.kind == "concern" and held.payload_sealed
    await db.commit()
    assert f"held-{held.id}" in (await client.get("/sync/review")).text
    r = await phone.send([entry])
    assert r.json()["results"][0]["status"] == "held"
    assert await count(db, SyncEntry) == 1


async def test_attendance_and_sign_up_are_stored_once_on_resend(client, db, sessionmaker, settings, town):
    salon = await make_salon(db, town)
    person = await regular(db, town, salon)
    today_s = await past_session(db, town, salon, 0)
    later = await future_session(db, town, salon)
    await sign_in(client, sessionmaker, settings, town.vol_same)
    phone = Phone(client)
    await phone.fetch_key()
    tap = phone.entry("attendance", None, {"session_id": today_s.id, "person_id": person.id, "status": "present"})
    signup = phone.entry("signup", None, {"session_id": later.id, "person_id": person.id})
    walk_in = phone.entry("walk_in", None, {"session_id": today_s.id, "name": "飛び入り 花子"})
    r = await phone.send([tap, signup, walk_in])
    assert [x["status"] for x in r.json()["results"]] == ["stored", "stored", "stored"]
    r = await phone.send([walk_in, signup, tap])
    assert [x["status"] for x in r.json()["results"]] == ["duplicate"] * 3
    rows = (await db.scalars(select(Attendance).where(Attendance.session_id == today_s.id))).all()
    assert sorted((a.person_id == person.id, a.status, a.walk_in) for a in rows) == [
        (False, "present", True), (True, "present", False)]
    assert (await db.scalars(select(Signup))).one().person_id == person.id
    await db.commit()
    assert await count(db, AuditEvent, AuditEvent.action == "salon.attendance_recorded") == 1
    assert await count(db, AuditEvent, AuditEvent.action == "salon.signed_up") == 1
    assert await count(db, AuditEvent, AuditEvent.action == "salon.walk_in_added") == 1
    assert await count(db, SyncEntry, SyncEntry.status == "stored") == 3


async def test_a_cancelled_session_or_out_of_scope_holds_attendance_and_sign_up(client, db, sessionmaker,
                                                                               settings, town):
    salon = await make_salon(db, town)
    person = await regular(db, town, salon)
    today_s = await past_session(db, town, salon, 0)
    later = await future_session(db, town, salon)
    await sign_in(client, sessionmaker, settings, town.vol_same)
    phone = Phone(client)
    await phone.fetch_key()
    tap = phone.entry("attendance", None, {"session_id": today_s.id, "person_id": person.id, "status": "present"})
    signup = phone.entry("signup", None, {"session_id": later.id, "person_id": person.id})
    scope = await build_scope(db, town.coord)
    await salons.cancel_session(db, actor=town.coord, scope=scope, session_id=today_s.id)
    await salons.cancel_session(db, actor=town.coord, scope=scope, session_id=later.id)
    await db.commit()
    r = await phone.send([tap, signup])
    assert [(x["status"], x["reason"]) for x in r.json()["results"]] == [("held", "cancelled"), ("held", "cancelled")]
    assert await count(db, Attendance) == 0 and await count(db, Signup) == 0
    # Someone who does not run the salon and cannot see the person: held as out of scope.
    await sign_in(client, sessionmaker, settings, town.vol_west)
    other = Phone(client)
    await other.fetch_key()
    stray = other.entry("attendance", None, {"session_id": today_s.id, "person_id": person.id, "status": "present"})
    r = await other.send([stray])
    assert r.json()["results"][0] == {"client_id": stray["client_id"], "status": "held", "reason": "out_of_scope"}
    held = (await db.scalars(select(SyncEntry).where(SyncEntry.status == "held"))).all()
    assert len(held) == 3 and all(h.payload_sealed for h in held)
    assert {h.municipality_id for h in held} == {town.municipality.id}
    await db.commit()
    assert await count(db, AuditEvent, AuditEvent.action == "sync.held") == 3
    # The coordinator sees all three to review.
    await sign_in(client, sessionmaker, settings, town.coord)
    page = (await client.get("/sync/review")).text
    assert all(f"held-{h.id}" in page for h in held)


async def test_a_concern_for_a_household_reassigned_meanwhile_is_routed_not_held(client, db, sessionmaker,
                                                                               settings, town):
    from server.assignments import service as assignments

    h = await household(db, town)
    foreign = await household(db, town, commissioner="comm2", volunteers=(), address="山手2-2-2")
    await sign_in(client, sessionmaker, settings, town.comm)
    phone = Phone(client)
    await phone.fetch_key()
    entry = concern(phone, h.id)
    never_mine = concern(phone, foreign.id)
    # While the phone had no signal, the coordinator handed the household to another commissioner.
    await assignments.assign(db, actor=town.coord, scope=await build_scope(db, town.coord), household_id=h.id,
                             user_id=town.comm2.id, role="commissioner")
    await db.commit()
    r = await phone.send([entry, never_mine])
    assert [(x["status"], x.get("reason")) for x in r.json()["results"]] == [("stored", None), ("held", "failed")]
    row = (await db.scalars(select(Concern))).one()
    assert row.household_id == h.id and row.reporter_id == town.comm.id and row.organisation_id is not None
    assert row.state == "new" and row.routed_by in ("route", "fallback")
    await db.commit()
    # The reporter still has no read access to the household: 404 on its page; the concern's own
    # page shows its status, not the household's address.
    assert (await client.get(f"/households/{h.id}")).status_code == 404
    detail = await client.get(f"/concerns/{row.id}")
    assert detail.status_code == 200 and "港町1-2-3" not in detail.text
    # The coordinator sees the household on it.
    client.cookies.clear()
    await sign_in(client, sessionmaker, settings, town.coord)
    assert "港町1-2-3" in (await client.get(f"/concerns/{row.id}")).text
