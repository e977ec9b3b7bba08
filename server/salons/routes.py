"""Routes of the salons domain (サロン・座談会): places, salons, sessions, roster, sign-ups,
attendance, follow-ups, reports, and the public sign-up page (/join/{token})."""
from __future__ import annotations

import uuid

from litestar import Request, get, post
from litestar.response import Redirect, Response, Template
from sqlalchemy.ext.asyncio import AsyncSession

from server import clock, ratelimit
from server.auth.routes import client_ip
from server.auth.sessions import Current
from server.errors import Invalid
from server.forms import (
    date,
    decimal,
    flag,
    form,
    integer,
    municipality_of,
    text,
)
from server.rendering import page
from server.salons import attendance as attendance_service
from server.salons import followup, labels, reports, schedule, service, signups, views
from server.salons import offline as _offline  # noqa: F401 - registers the salon outbox kinds
from server.salons.models import (
    ATTENDANCE,
    AUDIENCES,
    FOLLOWUP_OUTCOMES,
    PLACE_KINDS,
    SALON_KINDS,
    SCHEDULE_KINDS,
)
from server.scope import Scope

RUNNERS = {"access": ("volunteer", "commissioner", "coordinator")}
FIELD = {"access": ("volunteer", "commissioner")}
COORDINATOR = {"access": ("coordinator",)}
PUBLIC = {"access": "public"}
PUBLIC_PER_MINUTE = 5


def new_client_id() -> str:
    return uuid.uuid4().hex


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _codes() -> dict:
    return {"place_kinds": PLACE_KINDS, "salon_kinds": SALON_KINDS, "audiences": AUDIENCES,
            "schedule_kinds": SCHEDULE_KINDS, "attendance_codes": ATTENDANCE, "outcomes": FOLLOWUP_OUTCOMES,
            "new_client_id": new_client_id, "local": views.local, "L": labels}


# --- list, places, salons ----------------------------------------------------------------------

@get("/salons", opt=RUNNERS)
async def salon_index(request: Request, db: AsyncSession, gate: Scope) -> Response:
    run, upcoming = await views.salon_list(db, gate)
    return page(request, "salons/index.html", {"run": run, "upcoming": upcoming, "scope": gate, **_codes()})


async def _form_context(db: AsyncSession, gate: Scope) -> dict:
    return {**await views.place_form(db, municipality_of(gate)), **_codes()}


@get("/salons/places", opt=COORDINATOR)
async def place_list(request: Request, db: AsyncSession, gate: Scope) -> Response:
    return page(request, "salons/places.html", {**await _form_context(db, gate), "values": {}, "errors": {}})


@post("/salons/places", opt=COORDINATOR)
async def place_create(request: Request, db: AsyncSession, current: Current, gate: Scope) -> Response:
    data = await form(request)
    try:
        await service.create_place(db, actor=current.user, scope=gate, data=service.PlaceInput(
            area_id=integer(text(data, "area_id", 12), 1), name=text(data, "name", 200), kind=text(data, "kind", 20),
            address=text(data, "address", 400), capacity=integer(text(data, "capacity", 8), 0) if text(data, "capacity",
                                                                                                       8) else None,
            step_free=flag(data, "step_free"), accessible_toilet=flag(data, "accessible_toilet"),
            access_notes=text(data, "access_notes", 800), lat=decimal(text(data, "lat", 20)) if text(data, "lat", 20) else None,
            lng=decimal(text(data, "lng", 20)) if text(data, "lng", 20) else None))
    except Invalid as exc:
        return page(request, "salons/places.html", {**await _form_context(db, gate), "values": dict(data.items()),
                                                    "errors": exc.fields}, status=422)
    return Redirect("/salons/places", status_code=303)


@get("/salons/new", opt=COORDINATOR)
async def salon_new(request: Request, db: AsyncSession, gate: Scope) -> Response:
    return page(request, "salons/new.html", {**await _form_context(db, gate), "values": {}, "errors": {}})


@post("/salons", opt=COORDINATOR)
async def salon_create(request: Request, db: AsyncSession, current: Current, gate: Scope) -> Response:
    data = await form(request)
    nth = text(data, "nth", 4)
    try:
        salon = await service.create_salon(db, actor=current.user, scope=gate, data=service.SalonInput(
            area_id=integer(text(data, "area_id", 12), 1), name=text(data, "name", 200),
            place_id=integer(text(data, "place_id", 12), 1) if text(data, "place_id", 12) else None,
            kind=text(data, "kind", 20), audience=text(data, "audience", 24),
            fee_yen=integer(text(data, "fee_yen", 8) or "0", 0), transport_notes=text(data, "transport_notes", 800),
            capacity=integer(text(data, "capacity", 8), 0), absence_threshold=integer(text(data, "absence_threshold",
                                                                                           4) or "2", 0),
            schedule_kind=text(data, "schedule_kind", 16), weekday=integer(text(data, "weekday", 2), 0, 6),
            nth=integer(nth, -1, 5) if nth else None,
            dates=[date(d) for d in text(data, "dates", 2000).replace(",", " ").split()],
            start_time=text(data, "start_time", 5) or "10:00", end_time=text(data, "end_time", 5) or "12:00",
            topic=text(data, "topic", 400)))
    except Invalid as exc:
        return page(request, "salons/new.html", {**await _form_context(db, gate), "values": dict(data.items()),
                                                 "errors": exc.fields}, status=422)
    return Redirect(f"/salons/{salon.id}", status_code=303)


@get("/salons/{salon_id:int}", opt=RUNNERS)
async def salon_show(request: Request, db: AsyncSession, gate: Scope, salon_id: int) -> Response:
    view = await views.salon_page(db, gate, salon_id)
    return page(request, "salons/salon.html", {"view": view, "scope": gate, "errors": {},
                                               "year": schedule.fiscal_year_of(clock.today_tokyo()), **_codes()})


@post("/salons/{salon_id:int}/organisers", opt=COORDINATOR)
async def organiser_add(db: AsyncSession, current: Current, gate: Scope, salon_id: int, request: Request) -> Redirect:
    data = await form(request)
    await service.add_organiser(db, actor=current.user, scope=gate, salon_id=salon_id,
                                user_id=integer(text(data, "user_id", 12), 1))
    return Redirect(f"/salons/{salon_id}", status_code=303)


@post("/salons/organisers/{organiser_id:int}/end", opt=COORDINATOR)
async def organiser_end(db: AsyncSession, current: Current, gate: Scope, organiser_id: int) -> Redirect:
    row = await service.end_organiser(db, actor=current.user, scope=gate, organiser_id=organiser_id)
    return Redirect(f"/salons/{row.salon_id}", status_code=303)


@post("/salons/{salon_id:int}/generate", opt=RUNNERS)
async def sessions_generate(request: Request, db: AsyncSession, current: Current, gate: Scope,
                            salon_id: int) -> Redirect:
    data = await form(request)
    until = text(data, "until", 12)
    await service.generate_sessions(db, actor=current.user, scope=gate, salon_id=salon_id,
                                    until=date(until) if until else None)
    return Redirect(f"/salons/{salon_id}", status_code=303)


@post("/salons/{salon_id:int}/sessions", opt=RUNNERS)
async def session_create(request: Request, db: AsyncSession, current: Current, gate: Scope, salon_id: int) -> Response:
    data = await form(request)
    row = await service.create_session(db, actor=current.user, scope=gate, salon_id=salon_id,
                                       day=date(text(data, "day", 12)), start_time=text(data, "start_time", 5),
                                       end_time=text(data, "end_time", 5), topic=text(data, "topic", 400))
    return Redirect(f"/salons/sessions/{row.id}", status_code=303)


# --- roster, follow-ups, people who do not come, reports ------------------------------------------

@get("/salons/{salon_id:int}/roster", opt=RUNNERS)
async def roster_show(request: Request, db: AsyncSession, current: Current, gate: Scope, salon_id: int) -> Response:
    salon, rows = await views.roster_page(db, actor=current.user, scope=gate, salon_id=salon_id)
    return page(request, "salons/roster.html", {"salon": salon, "rows": rows, "errors": {}, **_codes()})


@post("/salons/{salon_id:int}/roster", opt=RUNNERS)
async def roster_add(request: Request, db: AsyncSession, current: Current, gate: Scope, salon_id: int) -> Response:
    data = await form(request)
    person = text(data, "person_id", 12)
    try:
        await service.add_to_roster(db, actor=current.user, scope=gate, salon_id=salon_id,
                                    person_id=integer(person, 1) if person else None,
                                    guest_name=text(data, "guest_name", 200), guest_phone=text(data, "guest_phone", 40),
                                    needs_transport=flag(data, "needs_transport"))
    except Invalid as exc:
        salon, rows = await views.roster_page(db, actor=current.user, scope=gate, salon_id=salon_id)
        return page(request, "salons/roster.html", {"salon": salon, "rows": rows, "errors": exc.fields, **_codes()},
                    status=422)
    back = text(data, "back", 200)
    return Redirect(back if back.startswith("/salons/") else f"/salons/{salon_id}/roster", status_code=303)


@post("/salons/roster/{member_id:int}/remove", opt=RUNNERS)
async def roster_remove(db: AsyncSession, current: Current, gate: Scope, member_id: int) -> Redirect:
    row = await service.remove_from_roster(db, actor=current.user, scope=gate, member_id=member_id)
    return Redirect(f"/salons/{row.salon_id}/roster", status_code=303)


@get("/salons/{salon_id:int}/followups", opt=RUNNERS)
async def followups_show(request: Request, db: AsyncSession, current: Current, gate: Scope, salon_id: int) -> Response:
    salon, rows = await views.followup_list(db, actor=current.user, scope=gate, salon_id=salon_id)
    return page(request, "salons/followups.html", {"salon": salon, "rows": rows, **_codes()})


@get("/salons/followups/{followup_id:int}", opt=RUNNERS)
async def followup_show(request: Request, db: AsyncSession, gate: Scope, followup_id: int) -> Response:
    row, salon = await views.followup_page(db, gate, followup_id)
    return page(request, "salons/followup.html", {"row": row, "salon": salon, "errors": {}, **_codes()})


@post("/salons/followups/{followup_id:int}/visit", opt=RUNNERS)
async def followup_visit(request: Request, db: AsyncSession, current: Current, gate: Scope,
                         followup_id: int) -> Redirect:
    row = await followup.make_visit_due(db, actor=current.user, scope=gate, followup_id=followup_id)
    data = await form(request)
    target = "/round" if text(data, "back", 10) == "round" else f"/salons/{row.salon_id}/followups"
    return Redirect(f"{target}#hh-{row.household_id}" if target == "/round" else target, status_code=303)


@post("/salons/followups/{followup_id:int}/outcome", opt=RUNNERS)
async def followup_outcome(request: Request, db: AsyncSession, current: Current, gate: Scope,
                           followup_id: int) -> Response:
    data = await form(request)
    try:
        row = await followup.record_outcome(db, actor=current.user, scope=gate, followup_id=followup_id,
                                            outcome=text(data, "outcome", 24))
    except Invalid as exc:
        row, salon = await views.followup_page(db, gate, followup_id)
        return page(request, "salons/followup.html", {"row": row, "salon": salon, "errors": exc.fields, **_codes()},
                    status=422)
    return Redirect("/round" if gate.is_field and not text(data, "back", 10) else f"/salons/{row.salon_id}/followups",
                    status_code=303)


@get("/salons/not-coming", opt=FIELD)
async def not_coming(request: Request, db: AsyncSession, current: Current, gate: Scope) -> Response:
    rows = await views.not_coming(db, actor=current.user, scope=gate)
    return page(request, "salons/not_coming.html", {"rows": rows, **_codes()})


def _year(value: int | None) -> int:
    return value if value is not None and 2000 <= value <= 2100 else schedule.fiscal_year_of(clock.today_tokyo())


@get("/salons/{salon_id:int}/report", opt=RUNNERS)
async def report_show(request: Request, db: AsyncSession, gate: Scope, salon_id: int,
                      year: int | None = None) -> Response:
    salon, report = await views.year_report(db, gate, salon_id, _year(year))
    return page(request, "salons/report.html", {"report": report, "salon": salon, **_codes()})


@get("/salons/{salon_id:int}/report.csv", opt=RUNNERS)
async def report_csv(db: AsyncSession, gate: Scope, salon_id: int, year: int | None = None) -> Response:
    salon, report = await views.year_report(db, gate, salon_id, _year(year))
    return Response(reports.to_csv(report), media_type="text/csv; charset=utf-8", headers={
        "content-disposition": f'attachment; filename="salon-{salon.id}-{report.year}.csv"'})


@get("/salons/{salon_id:int}/report.xlsx", opt=RUNNERS)
async def report_xlsx(db: AsyncSession, gate: Scope, salon_id: int, year: int | None = None) -> Response:
    salon, report = await views.year_report(db, gate, salon_id, _year(year))
    return Response(reports.to_xlsx(report),
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"content-disposition": f'attachment; filename="salon-{salon.id}-{report.year}.xlsx"'})


# --- a session: sign-ups, attendance, cancel / move ------------------------------------------------

async def _session_response(request: Request, db: AsyncSession, current: Current, gate: Scope, session_id: int,
                            errors: dict | None = None, status: int = 200) -> Response:
    view = await views.session_page(db, actor=current.user, scope=gate, session_id=session_id)
    return page(request, "salons/session.html", {"view": view, "errors": errors or {}, **_codes()}, status=status)


@get("/salons/sessions/{session_id:int}", opt=RUNNERS)
async def session_show(request: Request, db: AsyncSession, current: Current, gate: Scope, session_id: int) -> Response:
    return await _session_response(request, db, current, gate, session_id)


@post("/salons/sessions/{session_id:int}/signups", opt=RUNNERS)
async def signup_create(request: Request, db: AsyncSession, current: Current, gate: Scope, session_id: int) -> Response:
    data = await form(request)
    try:
        await signups.sign_up(db, actor=current.user, scope=gate, session_id=session_id,
                              person_id=integer(text(data, "person_id", 12), 1), client_id=text(data, "client_id", 64),
                              needs_transport=flag(data, "needs_transport"))
    except Invalid as exc:
        return await _session_response(request, db, current, gate, session_id, exc.fields, 422)
    return Redirect(f"/salons/sessions/{session_id}", status_code=303)


@post("/salons/signups/{signup_id:int}/cancel", opt=RUNNERS)
async def signup_cancel(db: AsyncSession, current: Current, gate: Scope, signup_id: int) -> Redirect:
    row, _promoted = await signups.cancel_signup(db, actor=current.user, scope=gate,
                                                 signup_id=signup_id)
    return Redirect(f"/salons/sessions/{row.session_id}", status_code=303)


@post("/salons/sessions/{session_id:int}/attendance", opt=RUNNERS)
async def attendance_record(request: Request, db: AsyncSession, current: Current, gate: Scope,
                            session_id: int) -> Response:
    """One tap per person; htmx swaps that person's line."""
    data = await form(request)
    noticed = data.get("noticed")
    person_id = integer(text(data, "person_id", 12), 1)
    try:
        await attendance_service.record_attendance(
            db, actor=current.user, scope=gate, session_id=session_id, person_id=person_id,
            status=text(data, "status", 16), noticed=noticed[:600] if isinstance(noticed, str) else None,
            client_id=text(data, "client_id", 64))
    except Invalid as exc:
        return await _session_response(request, db, current, gate, session_id, exc.fields, 422)
    if is_htmx(request):
        view = await views.session_page(db, actor=current.user, scope=gate, session_id=session_id)
        line = next((ln for ln in view.lines if ln.person and ln.person.id == person_id), None)
        return Template(template_name="salons/_line.html", context={"line": line, "view": view, **_codes()})
    return Redirect(f"/salons/sessions/{session_id}#p-{person_id}", status_code=303)


@post("/salons/sessions/{session_id:int}/walk-ins", opt=RUNNERS)
async def walk_in_add(request: Request, db: AsyncSession, current: Current, gate: Scope, session_id: int) -> Response:
    data = await form(request)
    person = text(data, "person_id", 12)
    try:
        await attendance_service.add_walk_in(db, actor=current.user, scope=gate,
                                             session_id=session_id, person_id=integer(person, 1) if person else None,
                                             name=text(data, "name", 200), phone=text(data, "phone", 40),
                                             client_id=text(data, "client_id", 64))
    except Invalid as exc:
        return await _session_response(request, db, current, gate, session_id, exc.fields, 422)
    return Redirect(f"/salons/sessions/{session_id}#attendance", status_code=303)


@post("/salons/attendance/{attendance_id:int}/concern", opt=RUNNERS)
async def attendance_concern(request: Request, db: AsyncSession, current: Current, gate: Scope,
                             attendance_id: int) -> Response:
    row = await views.attendance_row(db, gate, attendance_id)  # its session and person, for the answer
    try:
        await attendance_service.raise_concern(db, actor=current.user, scope=gate,
                                               attendance_id=attendance_id)
    except Invalid as exc:
        return await _session_response(request, db, current, gate, row.session_id, exc.fields, 422)
    return Redirect(f"/salons/sessions/{row.session_id}?concern={attendance_id}#p-{row.person_id}", status_code=303)


@post("/salons/sessions/{session_id:int}/cancel", opt=RUNNERS)
async def session_cancel(request: Request, db: AsyncSession, current: Current, gate: Scope, session_id: int) -> Response:
    try:
        await service.cancel_session(db, actor=current.user, scope=gate, session_id=session_id)
    except Invalid as exc:
        return await _session_response(request, db, current, gate, session_id, exc.fields, 422)
    return Redirect(f"/salons/sessions/{session_id}/calls", status_code=303)


@post("/salons/sessions/{session_id:int}/move", opt=RUNNERS)
async def session_move(request: Request, db: AsyncSession, current: Current, gate: Scope, session_id: int) -> Response:
    data = await form(request)
    try:
        await service.move_session(db, actor=current.user, scope=gate, session_id=session_id,
                                   day=date(text(data, "day", 12)), start_time=text(data, "start_time", 5),
                                   end_time=text(data, "end_time", 5))
    except Invalid as exc:
        return await _session_response(request, db, current, gate, session_id, exc.fields, 422)
    return Redirect(f"/salons/sessions/{session_id}/calls", status_code=303)


@post("/salons/sessions/{session_id:int}/public", opt=RUNNERS)
async def session_public(request: Request, db: AsyncSession, current: Current, gate: Scope,
                         session_id: int) -> Redirect:
    data = await form(request)
    await service.set_public_signup(db, actor=current.user, scope=gate, session_id=session_id,
                                    on=flag(data, "on"))
    return Redirect(f"/salons/sessions/{session_id}", status_code=303)


@post("/salons/sessions/{session_id:int}/raised", opt=RUNNERS)
async def session_raised(request: Request, db: AsyncSession, current: Current, gate: Scope, session_id: int) -> Response:
    data = await form(request)
    try:
        await service.record_raised(db, actor=current.user, scope=gate, session_id=session_id,
                                    raised=text(data, "raised", 5000))
    except Invalid as exc:
        return await _session_response(request, db, current, gate, session_id, exc.fields, 422)
    return Redirect(f"/salons/sessions/{session_id}", status_code=303)


@get("/salons/sessions/{session_id:int}/calls", opt=RUNNERS)
async def session_calls(request: Request, db: AsyncSession, current: Current, gate: Scope, session_id: int) -> Response:
    sess, salon, lines = await views.call_list(db, actor=current.user, scope=gate,
                                               session_id=session_id)
    return page(request, "salons/calls.html", {"sess": sess, "salon": salon, "lines": lines, **_codes()})


# --- the public sign-up page ----------------------------------------------------------------------

@get("/join/{join_token:str}", opt=PUBLIC)
async def join_form(request: Request, db: AsyncSession, join_token: str) -> Response:
    ratelimit.hit("join-view", client_ip(request), limit=60)
    sess, salon, place = await views.join_page(db, join_token)
    return page(request, "salons/join.html", {"sess": sess, "salon": salon, "place": place, "values": {},
                                              "errors": {}, "done": None, **_codes()})


@post("/join/{join_token:str}", opt=PUBLIC)
async def join_submit(request: Request, db: AsyncSession, join_token: str) -> Response:
    ratelimit.hit("join", client_ip(request), limit=PUBLIC_PER_MINUTE)
    data = await form(request)
    sess, salon, place = await views.join_page(db, join_token)
    try:
        row = await signups.sign_up_public(db, join_token=join_token[:48], name=text(data, "name", 200),
                                           phone=text(data, "phone", 40), client_id=text(data, "client_id", 64),
                                           needs_transport=flag(data, "needs_transport"),
                                           honeypot=text(data, "website", 200))
    except Invalid as exc:
        return page(request, "salons/join.html", {"sess": sess, "salon": salon, "place": place,
                                                  "values": dict(data.items()), "errors": exc.fields, "done": None,
                                                  **_codes()}, status=422)
    status = row.status if row is not None else "confirmed"  # a bot is told what a person would be told
    return page(request, "salons/join.html", {"sess": sess, "salon": salon, "place": place, "values": {},
                                              "errors": {}, "done": status, **_codes()})


ROUTES = [
    salon_index, place_list, place_create, salon_new, salon_create, salon_show, organiser_add, organiser_end,
    sessions_generate, session_create, roster_show, roster_add, roster_remove, followups_show, followup_show,
    followup_visit, followup_outcome, not_coming, report_show, report_csv, report_xlsx, session_show, signup_create,
    signup_cancel, attendance_record, walk_in_add, attendance_concern, session_cancel, session_move, session_public,
    session_raised, session_calls, join_form, join_submit,
]
