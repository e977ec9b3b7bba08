"""Routes of the households domain: the household page, notes behind the step-up check, search,
who has viewed a person, and the coordinator's tools (households, people, consent, status,
merge, the municipality's watch-over rules). URLs and titles never carry a resident's name."""
from __future__ import annotations

from litestar import Request, get, post
from litestar.response import Redirect, Response
from sqlalchemy.ext.asyncio import AsyncSession

from server.areas.models import Area
from server.auth.sessions import Current
from server.contacts import labels as contact_labels
from server.contacts.models import METHODS
from server.errors import Invalid
from server.forms import (
    date,
    decimal,
    flag,
    form,
    integer,
    many,
    municipality_of,
    text,
)
from server.households import csvimport, labels, queries, service, views
from server.households import rules as watch_rules
from server.households.models import (
    CADENCES,
    CONSENT_METHODS,
    CONSENT_MODELS,
    END_REASONS,
    GIVERS,
    HOUSEHOLD_TYPES,
    PAUSE_REASONS,
    PURPOSES,
)
from server.rendering import page
from server.scope import require_household

VIEWERS = {"access": ("volunteer", "commissioner", "coordinator", "professional")}  # professionals: their concerns' households
COORDINATOR = {"access": ("coordinator",)}
NOTES = {"access": ("commissioner", "coordinator")}


def _codes() -> dict:
    return {"L": labels, "CL": contact_labels, "household_types": HOUSEHOLD_TYPES, "cadences": list(CADENCES) + ["days"],
            "purposes": PURPOSES, "givers": GIVERS, "consent_methods": CONSENT_METHODS, "models": CONSENT_MODELS,
            "pause_reasons": PAUSE_REASONS, "end_reasons": END_REASONS, "methods": METHODS}


# --- reading ------------------------------------------------------------------------------------

@get("/households/{household_id:int}", opt=VIEWERS)
async def household_page(request: Request, db: AsyncSession, current: Current, household_id: int,
                         saved: int | None = None, undone: int | None = None) -> Response:
    scope = current.require_scope()
    view = await views.view_household(db, actor=current.user, scope=scope, household_id=household_id)
    return page(request, "households/household.html", {"view": view, "saved": saved, "undone": undone, **_codes()})


@get("/households/{household_id:int}/notes", opt=NOTES)
async def notes_page(request: Request, db: AsyncSession, current: Current, household_id: int) -> Response:
    scope = current.require_scope()
    current.require_fresh()
    ctx = await views.view_sensitive(db, actor=current.user, scope=scope, household_id=household_id)
    return page(request, "households/notes.html", ctx)


@get("/search", opt=VIEWERS)
async def search_page(request: Request, db: AsyncSession, current: Current, q: str = "") -> Response:
    scope = current.require_scope()
    scope.require(*VIEWERS["access"])
    q = q[:100]
    hits = await views.view_search(db, actor=current.user, scope=scope, q=q)
    return page(request, "households/search.html", {"q": q, "hits": hits}, block="results")


@get("/persons/{person_id:int}/viewers", opt=COORDINATOR)
async def viewers_page(request: Request, db: AsyncSession, current: Current, person_id: int) -> Response:
    scope = current.require_scope()
    ctx = await views.view_viewers(db, actor=current.user, scope=scope, person_id=person_id)
    return page(request, "households/viewers.html", ctx)


@get("/households", opt=COORDINATOR)
async def households_list(request: Request, db: AsyncSession, current: Current, area_id: int | None = None,
                          m: int | None = None) -> Response:
    scope = current.require_scope()
    ctx = await views.view_list(db, actor=current.user, scope=scope, municipality_id=municipality_of(scope, m),
                                area_id=area_id)
    return page(request, "households/list.html", {**ctx, **_codes()})


# --- households ---------------------------------------------------------------------------------

def household_input(data) -> service.HouseholdInput:
    return service.HouseholdInput(
        area_id=integer(text(data, "area_id", 12), 1), address=text(data, "address", 400),
        types=many(data, "types", 10), needs=[t for t in text(data, "needs", 1000).split(",")],
        cadence=text(data, "cadence", 16), cadence_days=integer(text(data, "cadence_days", 6)),
        lat=decimal(text(data, "lat", 20)) if text(data, "lat", 20) else None,
        lng=decimal(text(data, "lng", 20)) if text(data, "lng", 20) else None,
        notes=text(data, "notes", 5000), external_ref=text(data, "external_ref", 64) or None)


async def _hoods(db: AsyncSession, current: Current) -> list[Area]:
    return await queries.neighbourhoods(db, municipality_of(current.require_scope()))


@get("/households/new", opt=COORDINATOR)
async def household_new(request: Request, db: AsyncSession, current: Current, area_id: int | None = None) -> Response:
    current.require_scope()
    return page(request, "households/household_form.html", {
        "hoods": await _hoods(db, current), "values": {"area_id": area_id, "cadence": "monthly", "types": []},
        "errors": {}, "action": "/households", **_codes()})


@post("/households", opt=COORDINATOR)
async def household_create(request: Request, db: AsyncSession, current: Current) -> Response:
    scope = current.require_scope()
    data = await form(request)
    try:
        row = await service.create_household(db, actor=current.user, scope=scope, data=household_input(data))
    except Invalid as exc:
        values = {k: data.get(k) for k in data} | {"types": many(data, "types")}
        return page(request, "households/household_form.html", {
            "hoods": await _hoods(db, current), "values": values, "errors": exc.fields, "action": "/households",
            **_codes()}, status=422)
    return Redirect(f"/households/{row.id}", status_code=303)


@get("/households/{household_id:int}/edit", opt=COORDINATOR)
async def household_edit(request: Request, db: AsyncSession, current: Current, household_id: int) -> Response:
    scope = current.require_scope()
    current.require_fresh()  # the form shows the household's notes
    ctx = await views.view_sensitive(db, actor=current.user, scope=scope, household_id=household_id)
    h = ctx["household"]
    scope.require_coordinator_of(h.municipality_id)
    values = {"area_id": h.area_id, "address": h.address, "types": h.types, "needs": ", ".join(h.needs or []),
              "cadence": h.cadence, "cadence_days": h.cadence_days, "lat": h.lat or "", "lng": h.lng or "",
              "notes": ctx["notes"], "external_ref": h.external_ref or ""}
    return page(request, "households/household_form.html", {
        "hoods": await _hoods(db, current), "values": values, "errors": {},
        "action": f"/households/{h.id}/edit", "household": h, **_codes()})


@post("/households/{household_id:int}/edit", opt=COORDINATOR)
async def household_update(request: Request, db: AsyncSession, current: Current, household_id: int) -> Response:
    scope = current.require_scope()
    current.require_fresh()
    data = await form(request)
    try:
        await service.update_household(db, actor=current.user, scope=scope, household_id=household_id,
                                       data=household_input(data))
    except Invalid as exc:
        values = {k: data.get(k) for k in data} | {"types": many(data, "types")}
        return page(request, "households/household_form.html", {
            "hoods": await _hoods(db, current), "values": values, "errors": exc.fields,
            "action": f"/households/{household_id}/edit", **_codes()}, status=422)
    return Redirect(f"/households/{household_id}", status_code=303)


@post("/households/{household_id:int}/status", opt=COORDINATOR)
async def household_status(request: Request, db: AsyncSession, current: Current, household_id: int) -> Response:
    scope = current.require_scope()
    data = await form(request)
    status = text(data, "status", 16)
    reason = text(data, "reason", 16) or None
    person = integer(text(data, "person_id", 12), 1) if text(data, "person_id", 12) else None
    if status == "died":  # one member died (the form's shortcut)
        await service.record_death(db, actor=current.user, scope=scope, person_id=person or 0,
                                   on=date(text(data, "since", 20)))
    else:
        await service.change_status(db, actor=current.user, scope=scope, household_id=household_id, status=status,
                                    reason=reason, since=date(text(data, "since", 20)),
                                    expected_return=date(text(data, "expected_return", 20)), person_id=person)
    return Redirect(f"/households/{household_id}", status_code=303)


# --- people -------------------------------------------------------------------------------------

def person_input(data) -> service.PersonInput:
    contacts = []
    for i in range(2):
        item = {k: text(data, f"ec_{k}_{i}", 100) for k in ("name", "relation", "phone")}
        if any(item.values()):
            contacts.append(item)
    birth = text(data, "birth_date", 20)
    year = text(data, "birth_year", 6)
    return service.PersonInput(
        name=text(data, "name", 200), kana=text(data, "kana", 200), birth_date=date(birth) if birth else None,
        birth_year=integer(year) if year else None, phone=text(data, "phone", 40), emergency_contacts=contacts,
        needs=text(data, "needs", 1000).split(","), evacuation_support=flag(data, "evacuation_support"),
        health=text(data, "health", 5000), disability=text(data, "disability", 5000), notes=text(data, "notes", 5000))


@get("/households/{household_id:int}/people/new", opt=COORDINATOR)
async def person_new(request: Request, db: AsyncSession, current: Current, household_id: int) -> Response:
    scope = current.require_scope()

    h = await require_household(db, scope, household_id)
    scope.require_coordinator_of(h.municipality_id)
    return page(request, "households/person_form.html", {
        "values": {}, "errors": {}, "action": f"/households/{household_id}/people", "sensitive": False,
        "household_id": household_id, **_codes()})


@post("/households/{household_id:int}/people", opt=COORDINATOR)
async def person_create(request: Request, db: AsyncSession, current: Current, household_id: int) -> Response:
    scope = current.require_scope()
    data = await form(request)
    try:
        await service.add_person(db, actor=current.user, scope=scope, household_id=household_id,
                                 municipality_id=None, data=person_input(data))
    except Invalid as exc:
        return page(request, "households/person_form.html", {
            "values": {k: data.get(k) for k in data}, "errors": exc.fields,
            "action": f"/households/{household_id}/people", "sensitive": False, "household_id": household_id,
            **_codes()}, status=422)
    return Redirect(f"/households/{household_id}", status_code=303)


@get("/persons/{person_id:int}/edit", opt=COORDINATOR)
async def person_edit(request: Request, db: AsyncSession, current: Current, person_id: int) -> Response:
    scope = current.require_scope()
    current.require_fresh()  # the form shows health, disability and notes
    p = await views.person_for_edit(db, scope=scope, person_id=person_id, actor=current.user)
    values = {"name": p.name, "kana": p.kana, "birth_date": p.birth_date.isoformat() if p.birth_date else "",
              "birth_year": p.birth_year or "", "phone": p.phone or "", "needs": ", ".join(p.needs or []),
              "evacuation_support": p.evacuation_support, **service.sensitive_of(p)}
    for i, c in enumerate((p.emergency_contacts or [])[:2]):
        for k in ("name", "relation", "phone"):
            values[f"ec_{k}_{i}"] = c.get(k, "")
    housemates = [m for m in (await queries.members(db, [p.household_id])).get(p.household_id, []) if m.id != p.id] \
        if p.household_id else []
    return page(request, "households/person_form.html", {
        "values": values, "errors": {}, "action": f"/persons/{p.id}/edit", "sensitive": True,
        "household_id": p.household_id, "person": p, "housemates": housemates, **_codes()})


@post("/persons/{person_id:int}/edit", opt=COORDINATOR)
async def person_update(request: Request, db: AsyncSession, current: Current, person_id: int) -> Response:
    scope = current.require_scope()
    current.require_fresh()
    data = await form(request)
    try:
        p = await service.update_person(db, actor=current.user, scope=scope, person_id=person_id,
                                        data=person_input(data), sensitive=True)
    except Invalid as exc:
        return page(request, "households/person_form.html", {
            "values": {k: data.get(k) for k in data}, "errors": exc.fields,
            "action": f"/persons/{person_id}/edit", "sensitive": True, "household_id": None, **_codes()}, status=422)
    return Redirect(f"/households/{p.household_id}" if p.household_id else "/households", status_code=303)


@post("/persons/{person_id:int}/consents", opt=COORDINATOR)
async def consent_record(request: Request, db: AsyncSession, current: Current, person_id: int) -> Redirect:
    scope = current.require_scope()
    data = await form(request)
    await service.record_consent(db, actor=current.user, scope=scope, person_id=person_id,
                                 purpose=text(data, "purpose", 16), given=text(data, "given", 4) == "1",
                                 given_on=date(text(data, "given_on", 20)), given_by=text(data, "given_by", 16),
                                 method=text(data, "method", 16))
    person = await views.person_for_edit(db, scope=scope, person_id=person_id)
    return Redirect(f"/households/{person.household_id}" if person.household_id else "/households", status_code=303)


@post("/persons/{person_id:int}/consents/{purpose:str}/withdraw", opt=COORDINATOR)
async def consent_withdraw(db: AsyncSession, current: Current, person_id: int, purpose: str) -> Redirect:
    scope = current.require_scope()
    await service.withdraw_consent(db, actor=current.user, scope=scope, person_id=person_id, purpose=purpose[:16])
    person = await views.person_for_edit(db, scope=scope, person_id=person_id)
    return Redirect(f"/households/{person.household_id}" if person.household_id else "/households", status_code=303)


@post("/persons/{person_id:int}/merge", opt=COORDINATOR)
async def person_merge(request: Request, db: AsyncSession, current: Current, person_id: int) -> Redirect:
    scope = current.require_scope()
    data = await form(request)
    keep = await service.merge_persons(db, actor=current.user, scope=scope, keep_id=person_id,
                                       merge_id=integer(text(data, "merge_id", 12), 1) or 0)
    return Redirect(f"/households/{keep.household_id}" if keep.household_id else "/households", status_code=303)


# --- the municipality's watch-over rules --------------------------------------------------------

@get("/watch-settings", opt=COORDINATOR)
async def settings_page(request: Request, db: AsyncSession, current: Current, m: int | None = None) -> Response:
    scope = current.require_scope()
    municipality_id = municipality_of(scope, m)
    rules = await watch_rules.watch_settings(db, municipality_id)
    return page(request, "households/settings.html", {"rules": rules, "errors": {}, "m": municipality_id, **_codes()})


@post("/watch-settings", opt=COORDINATOR)
async def settings_save(request: Request, db: AsyncSession, current: Current) -> Response:
    scope = current.require_scope()
    data = await form(request)
    municipality_id = municipality_of(scope, text(data, "m", 12) or None)
    try:
        await service.update_watch_settings(
            db, actor=current.user, scope=scope, municipality_id=municipality_id,
            consent_watch=text(data, "consent_watch", 16), consent_share=text(data, "consent_share", 16),
            consent_evacuation=text(data, "consent_evacuation", 16), visit_methods=many(data, "visit_methods", 10),
            absent_counts=flag(data, "absent_counts"), salon_counts_for_cadence=flag(data, "salon_counts"),
            term_end_month=integer(text(data, "term_end_month", 4)) or 0,
            term_end_day=integer(text(data, "term_end_day", 4)) or 0)
    except Invalid as exc:
        rules = await watch_rules.watch_settings(db, municipality_id)
        return page(request, "households/settings.html", {"rules": rules, "errors": exc.fields, "m": municipality_id,
                                                          **_codes()}, status=422)
    return Redirect("/watch-settings?saved=1", status_code=303)


# --- CSV import and roster export ---------------------------------------------------------------

@get("/households/import", opt=COORDINATOR)
async def import_page(request: Request, current: Current) -> Response:
    current.require_scope().require("coordinator")
    return page(request, "households/import.html", {"columns": csvimport.COLUMNS, "help": csvimport.COLUMN_HELP,
                                                    "report": None, "errors": {}, "imported": None})


@get("/households/import/template.csv", opt=COORDINATOR)
async def import_template(current: Current) -> Response:
    current.require_scope().require("coordinator")
    return Response(csvimport.template_csv(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="tsunagu-households-template.csv"'})


@post("/households/import", opt=COORDINATOR)
async def import_upload(request: Request, db: AsyncSession, current: Current) -> Response:
    scope = current.require_scope()
    scope.require("coordinator")
    data = await form(request)
    upload = data.get("file")
    raw = await upload.read() if hasattr(upload, "read") else b""
    mode = text(data, "mode", 16)
    ctx = {"columns": csvimport.COLUMNS, "help": csvimport.COLUMN_HELP, "errors": {}, "report": None, "imported": None}
    try:
        report, imported = await csvimport.import_file(
            db, actor=current.user, scope=scope, municipality_id=municipality_of(scope, text(data, "m", 12) or None),
            raw=raw, encoding=text(data, "encoding", 8) or "auto", valid_only=mode == "import_valid",
            dry_run=mode not in ("import", "import_valid"))
    except Invalid as exc:
        return page(request, "households/import.html", {**ctx, "errors": exc.fields, "message": exc.message},
                    status=422)
    refused = bool(report.problems) and imported == 0 and mode in ("import", "import_valid")
    return page(request, "households/import.html", {**ctx, "report": report, "imported": imported, "mode": mode},
                status=422 if refused else 200)


@get("/households/roster", opt=COORDINATOR)
async def roster_export(request: Request, db: AsyncSession, current: Current, area_id: int | None = None) -> Response:
    """A neighbourhood's roster as CSV (step-up check, audited); without a neighbourhood, the chooser."""
    scope = current.require_scope()
    scope.require("coordinator")
    current.require_fresh()
    if area_id is None:
        ctx = await views.view_list(db, actor=current.user, scope=scope, municipality_id=municipality_of(scope),
                                    area_id=None)
        return page(request, "households/list.html", {**ctx, **_codes()})
    body, _count = await csvimport.roster_csv(db, actor=current.user, scope=scope, area_id=area_id)
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="tsunagu-roster.csv"'})


ROUTES = [import_page, import_template, import_upload, roster_export, household_page, notes_page, search_page, viewers_page,
          households_list, household_new, household_create,
          household_edit, household_update, household_status, person_new, person_create, person_edit, person_update,
          consent_record, consent_withdraw, person_merge, settings_page, settings_save]
