"""The salon pages over HTTP: one-tap attendance (plain POST and htmx), cancel → call list and
home notices, the public sign-up page (honeypot, rate limit, audit), reports read back, scope."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from server import clock
from server.audit.models import AuditEvent
from server.households.models import Person
from server.salons import service
from server.salons.models import Attendance, SalonSession, Signup
from server.scope import build_scope
from tests.helpers import post_form, sign_in
from tests.salons.builders import (
    cid,
    future_session,
    make_salon,
    mark,
    on_roster,
    past_session,
    sign,
)
from tests.watchover.builders import household


async def regular(db, town, salon, **kw):
    h = await household(db, town, **kw)
    person = (await db.scalars(select(Person).where(Person.household_id == h.id))).first()
    await on_roster(db, town, salon, person.id)
    return h, person


async def test_the_organiser_takes_attendance_with_one_tap(client, db, town, sessionmaker, settings):
    salon = await make_salon(db, town)
    _h, person = await regular(db, town, salon)
    sess = await past_session(db, town, salon, 0)
    await sign_in(client, sessionmaker, settings, town.vol_same)
    page = await client.get(f"/salons/sessions/{sess.id}")
    assert page.status_code == 200 and person.name in page.text and 'data-tap="present"' in page.text
    r = await post_form(client, f"/salons/sessions/{sess.id}/attendance",
                        {"person_id": person.id, "status": "present", "client_id": cid()})
    assert r.status_code == 303 and r.headers["location"].endswith(f"#p-{person.id}")
    r = await post_form(client, f"/salons/sessions/{sess.id}/attendance",
                        {"person_id": person.id, "status": "absent", "client_id": cid()}, headers={"hx-request": "true"})
    assert r.status_code == 200 and f'id="p-{person.id}"' in r.text and 'data-status="absent"' in r.text
    assert "<html" not in r.text
    row = (await db.scalars(select(Attendance))).one()
    await db.commit()  # release SQLite's write lock before the next request
    assert row.status == "absent"
    bad = await post_form(client, f"/salons/sessions/{sess.id}/attendance",
                          {"person_id": person.id, "status": "maybe", "client_id": cid()})
    assert bad.status_code == 422


async def test_a_volunteer_who_does_not_run_the_salon_cannot_open_its_roster(client, db, town, sessionmaker, settings):
    salon = await make_salon(db, town)
    await sign_in(client, sessionmaker, settings, town.vol)
    assert (await client.get(f"/salons/{salon.id}/roster", follow_redirects=False)).status_code == 404
    await sign_in(client, sessionmaker, settings, town.vol_same)
    r = await client.get(f"/salons/{salon.id}/roster")
    assert r.status_code == 200
    viewed = (await db.scalars(select(AuditEvent).where(AuditEvent.action == "salon.roster_viewed"))).all()
    assert len(viewed) == 1 and viewed[0].actor_id == town.vol_same.id


async def test_cancelling_gives_a_call_list_and_notices_at_home(client, db, town, sessionmaker, settings):
    salon = await make_salon(db, town)
    sess = await future_session(db, town, salon)
    h = await household(db, town)
    person = (await db.scalars(select(Person).where(Person.household_id == h.id))).first()
    person.phone = "090-1234-5678"
    await db.commit()
    await sign(db, town, sess, person.id, who="comm")  # the commissioner signed their resident up
    await sign_in(client, sessionmaker, settings, town.vol_same)
    r = await post_form(client, f"/salons/sessions/{sess.id}/cancel")
    assert r.status_code == 303 and r.headers["location"] == f"/salons/sessions/{sess.id}/calls"
    calls = await client.get(r.headers["location"])
    assert 'href="tel:09012345678"' in calls.text and person.name in calls.text
    home = await client.get("/round")
    assert f'data-session-notice="{sess.id}"' in home.text  # the organiser
    await sign_in(client, sessionmaker, settings, town.comm)
    assert f'data-session-notice="{sess.id}"' in (await client.get("/round")).text  # who signed someone up
    await sign_in(client, sessionmaker, settings, town.comm2)
    assert f'data-session-notice="{sess.id}"' not in (await client.get("/round")).text


async def test_moving_a_session_keeps_where_it_was(client, db, town, sessionmaker, settings):
    salon = await make_salon(db, town)
    sess = await future_session(db, town, salon, 3)
    before = sess.starts_at
    await sign_in(client, sessionmaker, settings, town.vol_same)
    day = (clock.today_tokyo() + service.dt.timedelta(days=5)).isoformat()
    r = await post_form(client, f"/salons/sessions/{sess.id}/move", {"day": day, "start_time": "13:00", "end_time": "15:00"})
    assert r.status_code == 303
    await db.refresh(sess)
    await db.commit()
    assert sess.moved_from == before and sess.starts_at.astimezone(service.TOKYO).strftime("%Y-%m-%d %H:%M") == f"{day} 13:00"
    bad = await post_form(client, f"/salons/sessions/{sess.id}/move", {"day": "2001-01-01"})
    assert bad.status_code == 422


async def test_the_public_page_signs_up_without_an_account_and_refuses_bots(client, db, town, sessionmaker, settings):
    salon = await make_salon(db, town)
    sess = await future_session(db, town, salon, capacity=1)
    assert (await client.get("/join/nothing-here")).status_code == 404
    await service.set_public_signup(db, actor=town.coord, scope=await build_scope(db, town.coord), session_id=sess.id,
                                    on=True)
    await db.commit()
    url = f"/join/{sess.join_token}"
    page = await client.get(url)
    assert page.status_code == 200 and 'name="website"' in page.text
    bot = await post_form(client, url, {"name": "bot", "phone": "000-0000-0000", "client_id": cid(), "website": "x"})
    assert bot.status_code == 200
    assert await db.scalar(select(func.count()).select_from(Signup)) == 0
    await db.commit()
    bad = await post_form(client, url, {"name": "", "phone": "12", "client_id": cid()})
    assert bad.status_code == 422
    key = cid()
    for _ in range(2):  # a resend is stored once
        ok = await post_form(client, url, {"name": "公開 花子", "phone": "090-2222-3333", "client_id": key})
        assert ok.status_code == 200
    late = await post_form(client, url, {"name": "公開 次郎", "phone": "090-2222-4444", "client_id": cid()})
    assert late.status_code == 200 and "キャンセル待ち" in late.text  # the one place is taken
    sixth = await post_form(client, url, {"name": "公開 三郎", "phone": "090-2222-5555", "client_id": cid()})
    assert sixth.status_code == 429  # five a minute from one address
    rows = (await db.scalars(select(Signup).order_by(Signup.position))).all()
    assert [(r.public_name, r.status, r.author_key) for r in rows] == [
        ("公開 花子", "confirmed", "public"), ("公開 次郎", "waitlisted", "public")]
    actions = (await db.scalars(select(AuditEvent.action).where(AuditEvent.action.like("salon.%public%")))).all()
    assert sorted(actions) == ["salon.public_signup_changed", "salon.public_spam", "salon.signed_up_public",
                               "salon.signed_up_public"]


@pytest.mark.calendar
async def test_the_yearly_report_downloads_as_csv_and_xlsx(client, db, town, sessionmaker, settings):
    salon = await make_salon(db, town)
    _h1, a = await regular(db, town, salon, address="港町1-1")
    _h2, b = await regular(db, town, salon, address="港町1-2")
    # Two held sessions and a cancelled one, all in one fiscal year: just before today, or, in the
    # first days of April, at the end of the year that just ended (and then its report is read).
    fy_of, today = service.schedule.fiscal_year_of, clock.today_tokyo()
    early = fy_of(today - dt.timedelta(days=3)) != fy_of(today)
    back = 4 if early else 0
    s1, s2 = await past_session(db, town, salon, back + 2), await past_session(db, town, salon, back + 1)
    await mark(db, town, s1, a.id, "present")
    await mark(db, town, s1, b.id, "present")
    await mark(db, town, s2, a.id, "present")
    await mark(db, town, s2, b.id, "absent")
    fy_end = service.schedule.fiscal_year_bounds(fy_of(today))[1]
    if not early and (fy_end - today).days >= 2:
        cancelled = await future_session(db, town, salon, 2)
    else:  # the day after tomorrow would be in another fiscal year
        cancelled = await past_session(db, town, salon, back + 3)
    await service.cancel_session(db, actor=town.coord, scope=await build_scope(db, town.coord), session_id=cancelled.id)
    await db.commit()
    year = fy_of(today - dt.timedelta(days=back + 2))
    await sign_in(client, sessionmaker, settings, town.vol_same)
    r = await client.get(f"/salons/{salon.id}/report.csv?year={year}")
    assert r.status_code == 200 and r.content.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    figures = {row[0]: row[1] for row in lines if len(row) == 2}
    assert figures["Sessions held"] == "2" and figures["Total attendance"] == "3"
    assert figures["Unique participants"] == "2" and figures["Average attendance"] == "1.5"
    # The two regulars joined the roster today: last year's report (read in early April) has none.
    assert figures["Sessions cancelled"] == "1" and figures["Registered participants"] == ("0" if early else "2")
    x = await client.get(f"/salons/{salon.id}/report.xlsx?year={year}")
    sheet = load_workbook(io.BytesIO(x.content)).active
    values = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    heads = [row for row in values if row[0] == "Date"]
    assert heads and [row[4] for row in values if row[0] and str(row[0])[:2] == "20" and row[4] is not None][-2:] == [2, 1]
    assert [v for v in values if v[0] == "Sessions held"][0][:2] == ["Sessions held", 2]
    page = await client.get(f"/salons/{salon.id}/report?year={year}")
    assert page.status_code == 200


@pytest.mark.calendar
async def test_a_coordinator_sets_up_a_salon_and_plans_its_year(client, db, town, sessionmaker, settings):
    await sign_in(client, sessionmaker, settings, town.coord)
    bad = await post_form(client, "/salons", {"name": "", "area_id": town.n1.id, "schedule_kind": "monthly_nth"})
    assert bad.status_code == 422
    r = await post_form(client, "/salons", {"name": "ふれあいサロン", "area_id": town.n1.id, "kind": "salon",
                                            "audience": "elderly", "fee_yen": "100", "capacity": "15",
                                            "schedule_kind": "monthly_nth", "nth": "2", "weekday": "1",
                                            "start_time": "10:00", "end_time": "12:00", "absence_threshold": "2"})
    assert r.status_code == 303
    salon_id = int(r.headers["location"].rsplit("/", 1)[1])
    r = await post_form(client, f"/salons/{salon_id}/generate")
    assert r.status_code == 303
    made = (await db.scalars(select(SalonSession).where(SalonSession.salon_id == salon_id))).all()
    await db.commit()
    assert made and all(s.starts_at.astimezone(service.TOKYO).weekday() == 1 for s in made)
    # Up to the end of this fiscal year, or of the next when less than a month of this one is left.
    today = clock.today_tokyo()
    fy = service.schedule.fiscal_year_of(today)
    end = service.schedule.fiscal_year_bounds(fy)[1]
    if (end - today).days < service.PLAN_NEXT_YEAR_DAYS:
        end = service.schedule.fiscal_year_bounds(fy + 1)[1]
    last = max(s.starts_at.astimezone(service.TOKYO).date() for s in made)
    assert end - dt.timedelta(days=31) < last <= end
    again = await post_form(client, f"/salons/{salon_id}/generate")
    assert again.status_code == 303
    assert await db.scalar(select(func.count()).select_from(SalonSession).where(SalonSession.salon_id == salon_id)) == len(made)
    await db.commit()
    r = await post_form(client, f"/salons/{salon_id}/organisers", {"user_id": town.vol_same.id})
    assert r.status_code == 303
    r = await post_form(client, f"/salons/{salon_id}/organisers", {"user_id": town.pro.id})
    assert r.status_code == 422


async def test_a_commissioner_adds_their_resident_to_the_roster_from_the_session_page(client, db, town, sessionmaker,
                                                                                     settings):
    salon = await make_salon(db, town)
    sess = await future_session(db, town, salon)
    h = await household(db, town)
    person = (await db.scalars(select(Person).where(Person.household_id == h.id))).first()
    await db.commit()
    await sign_in(client, sessionmaker, settings, town.comm)
    page = await client.get(f"/salons/sessions/{sess.id}")
    assert f'<option value="{person.id}">' in page.text and "data-tap" not in page.text  # no attendance for them
    r = await post_form(client, f"/salons/{salon.id}/roster", {"person_id": person.id, "back": f"/salons/sessions/{sess.id}"})
    assert r.status_code == 303 and r.headers["location"] == f"/salons/sessions/{sess.id}"
    assert (await client.get(f"/salons/{salon.id}/roster", follow_redirects=False)).status_code == 404  # not theirs to read
    await sign_in(client, sessionmaker, settings, town.vol_same)
    assert person.name in (await client.get(f"/salons/{salon.id}/roster")).text
    await sign_in(client, sessionmaker, settings, town.comm2)  # not their resident
    r = await post_form(client, f"/salons/{salon.id}/roster", {"person_id": person.id})
    assert r.status_code == 404
