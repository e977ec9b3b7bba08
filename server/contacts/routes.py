"""Routes of the contacts domain: the round (今日の見守り), the quick log, the full contact form,
corrections and undo, and the month's activity-record blocks. A worrying contact raises a concern
(server/concerns), routed at once."""
from __future__ import annotations

import uuid

from litestar import Request, get, post
from litestar.response import Redirect, Response, Template
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.sessions import Current
from server.concerns.queries import (
    unread_replies,  # replies to their concerns (the concerns issue)
)
from server.contacts import labels, service, views
from server.contacts.models import (
    CONTENTS,
    FIELDS,
    LIAISON_WITH,
    METHODS,
    OTHER_ACTIVITIES,
    OUTCOMES,
    SIGNS,
)
from server.db import utcnow
from server.errors import Invalid
from server.forms import (
    date,
    flag,
    form,
    integer,
    ints,
    local_datetime,
    many,
    text,
)
from server.i18n import TOKYO
from server.rendering import page

FIELD = {"access": ("volunteer", "commissioner")}
LOGGERS = {"access": ("volunteer", "commissioner", "coordinator")}
COMMISSIONER = {"access": ("commissioner",)}
COORDINATOR = {"access": ("coordinator",)}


def new_client_id() -> str:
    return uuid.uuid4().hex


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _codes() -> dict:
    return {"methods": METHODS, "outcomes": OUTCOMES, "signs": SIGNS, "fields": FIELDS, "contents": CONTENTS,
            "liaison_with": LIAISON_WITH, "other_activities": OTHER_ACTIVITIES, "L": labels}


# --- the round -----------------------------------------------------------------------------------

async def round_response(request: Request, db: AsyncSession, current: Current, saved: int | None = None,
                         undone: int | None = None, page_number: int = 1) -> Response:
    """The round; also the /home screen of volunteers and commissioners."""
    scope = current.require_scope()
    scope.require("volunteer", "commissioner")
    view = await views.view_round(db, actor=current.user, scope=scope, saved_id=saved, page=page_number)

    return page(request, "contacts/round.html", {
        "view": view, "new_client_id": new_client_id, "undone": undone, "scope": scope, "role": scope.home_role,
        "unread_replies": await unread_replies(db, current.user), **_codes()})


@get("/round", opt=FIELD)
async def round_page(request: Request, db: AsyncSession, current: Current, saved: int | None = None,
                     undone: int | None = None, page: int = 1) -> Response:
    return await round_response(request, db, current, saved, undone, page)


@post("/round/{household_id:int}/quick", opt=FIELD)
async def quick_log(request: Request, db: AsyncSession, current: Current, household_id: int) -> Response:
    """訪問・変わりなし in one tap; the answer carries an undo notice instead of a confirmation step."""
    scope = current.require_scope()
    scope.require("volunteer", "commissioner")
    data = await form(request)
    contact, _created = await service.log_contact(db, actor=current.user, scope=scope, data=service.ContactInput(
        household_id=household_id, client_id=text(data, "client_id", 64), method="visit", outcome="no_change"))
    if is_htmx(request):
        entry = await views.round_card(db, scope=scope, household_id=household_id)
        return Template(template_name="contacts/_card.html", context={
            "entry": entry, "card_saved": contact, "new_client_id": new_client_id, **_codes()},
            headers={"HX-Trigger": "contact-logged"})
    return Redirect(f"/round?saved={contact.id}#hh-{household_id}", status_code=303)


# --- the full contact form ----------------------------------------------------------------------

def _contact_input(data, household_id: int) -> service.ContactInput:
    consults = []
    for i in range(3):
        f, c = text(data, f"consult_field_{i}", 32), text(data, f"consult_content_{i}", 32)
        if f or c:
            consults.append((f, c))
    duration = text(data, "duration", 10)
    revisit = text(data, "revisit_on", 20)
    return service.ContactInput(
        household_id=household_id, client_id=text(data, "client_id", 64), method=text(data, "method", 32),
        outcome=text(data, "outcome", 32) or "no_change", signs=many(data, "signs", 40),
        note=text(data, "note", 2000), occurred_at=local_datetime(text(data, "occurred_at", 40)) if
        text(data, "occurred_at", 40) else None,
        duration=integer(duration, -1, 100000) if duration else None,
        met_person_ids=ints(many(data, "met")) if text(data, "met_given", 2) else None,
        revisit_on=date(revisit) if revisit else None, flag_concern=flag(data, "flag_concern"),
        consults=consults, liaisons=[w for w in many(data, "liaison", 10) if w])


@get("/households/{household_id:int}/contact", opt=LOGGERS)
async def contact_form(request: Request, db: AsyncSession, current: Current, household_id: int,
                       method: str | None = None, outcome: str | None = None) -> Response:
    scope = current.require_scope()
    scope.require(*LOGGERS["access"])
    ctx = await views.contact_form(db, actor=current.user, scope=scope, household_id=household_id)
    values = {"method": method if method in METHODS else "visit",
              "outcome": outcome if outcome in OUTCOMES else "no_change",
              "occurred_at": utcnow().astimezone(TOKYO).strftime("%Y-%m-%dT%H:%M"), "client_id": new_client_id()}
    return page(request, "contacts/form.html", {**ctx, "values": values, "errors": {}, **_codes()})


@post("/households/{household_id:int}/contacts", opt=LOGGERS)
async def contact_create(request: Request, db: AsyncSession, current: Current, household_id: int) -> Response:
    scope = current.require_scope()
    scope.require(*LOGGERS["access"])
    data = await form(request)
    on_behalf = integer(text(data, "on_behalf_of", 12), 1) if text(data, "on_behalf_of", 12) else None
    try:
        contact, _ = await service.log_contact(db, actor=current.user, scope=scope,
                                               data=_contact_input(data, household_id), on_behalf_of=on_behalf)
    except Invalid as exc:
        ctx = await views.contact_form(db, actor=current.user, scope=scope, household_id=household_id)
        values = {k: data.get(k) for k in data}
        values["signs"], values["met"], values["liaison"] = many(data, "signs"), ints(many(data, "met")), many(data, "liaison")
        return page(request, "contacts/form.html", {**ctx, "values": values, "errors": exc.fields, **_codes()},
                    status=422)
    target = "/round" if scope.is_field else f"/households/{household_id}"
    return Redirect(f"{target}?saved={contact.id}", status_code=303)


@post("/contacts/{contact_id:int}/withdraw", opt=LOGGERS)
async def contact_withdraw(request: Request, db: AsyncSession, current: Current, contact_id: int) -> Response:
    """Undo of a quick log, and the author's withdrawal within 7 days."""
    scope = current.require_scope()
    contact = await service.withdraw_contact(db, actor=current.user, scope=scope, contact_id=contact_id)
    if is_htmx(request) and scope.is_field:
        entry = await views.round_card(db, scope=scope, household_id=contact.household_id)
        return Template(template_name="contacts/_card.html", context={
            "entry": entry, "card_undone": contact, "new_client_id": new_client_id, **_codes()},
            headers={"HX-Trigger": "contact-logged"})
    data = await form(request)
    back = text(data, "back", 10)
    target = "/round" if back == "round" and scope.is_field else f"/households/{contact.household_id}"
    return Redirect(f"{target}?undone={contact.id}", status_code=303)


@post("/contacts/{contact_id:int}/flag", opt=LOGGERS)
async def contact_flag(db: AsyncSession, current: Current, contact_id: int) -> Redirect:
    scope = current.require_scope()
    flag = await service.flag_concern(db, actor=current.user, scope=scope, contact_id=contact_id)
    target = "/round" if scope.is_field else f"/households/{flag.household_id}"
    return Redirect(f"{target}?saved={contact_id}&flagged=1", status_code=303)


@get("/contacts/{contact_id:int}/edit", opt=LOGGERS)
async def contact_edit(request: Request, db: AsyncSession, current: Current, contact_id: int) -> Response:
    scope = current.require_scope()
    ctx = await views.correction_form(db, actor=current.user, scope=scope, contact_id=contact_id)
    return page(request, "contacts/form.html", {**ctx, "errors": {}, **_codes()})


@post("/contacts/{contact_id:int}/correct", opt=LOGGERS)
async def contact_correct(request: Request, db: AsyncSession, current: Current, contact_id: int) -> Response:
    scope = current.require_scope()
    data = await form(request)
    try:
        new = await service.correct_contact(db, actor=current.user, scope=scope, contact_id=contact_id,
                                            data=_contact_input(data, 0))
    except Invalid as exc:
        ctx = await views.correction_form(db, actor=current.user, scope=scope, contact_id=contact_id)
        values = {k: data.get(k) for k in data}
        values["signs"], values["met"], values["liaison"] = many(data, "signs"), ints(many(data, "met")), many(data, "liaison")
        return page(request, "contacts/form.html", {**ctx, "values": values, "errors": exc.fields, **_codes()},
                    status=422)
    return Redirect(f"/households/{new.household_id}?saved={new.id}", status_code=303)


# --- the activity record: this month's five blocks and stand-alone entries ------------------------

@get("/activity", opt=COMMISSIONER)
async def activity_page(request: Request, db: AsyncSession, current: Current, month: str | None = None,
                        line: bool = False) -> Response:
    scope = current.require_scope()
    scope.require("commissioner")
    ctx = await views.activity(db, actor=current.user, month=month)
    if line:  # the one-line summary at the top of the round
        return Template(template_name="contacts/_blocks_line.html", context={"blocks": ctx["blocks"]})
    return page(request, "contacts/activity.html", {
        **ctx, "errors": {}, "client_id": new_client_id(), **_codes()}, block="blocks")


@post("/activity", opt=COMMISSIONER)
async def activity_create(request: Request, db: AsyncSession, current: Current) -> Response:
    scope = current.require_scope()
    scope.require("commissioner")
    data = await form(request)
    try:
        await service.log_activity(db, actor=current.user, scope=scope, client_id=text(data, "client_id", 64),
                                   kind=text(data, "kind", 32), occurred_on=date(text(data, "occurred_on", 20)))
    except Invalid as exc:
        ctx = await views.activity(db, actor=current.user, month=None)
        return page(request, "contacts/activity.html", {
            **ctx, "errors": exc.fields, "client_id": text(data, "client_id", 64) or new_client_id(), **_codes()},
            status=422)
    return Redirect("/activity?added=1", status_code=303)


@post("/activities/{activity_id:int}/withdraw", opt=COMMISSIONER)
async def activity_withdraw(db: AsyncSession, current: Current, activity_id: int) -> Redirect:
    current.require_scope().require("commissioner")
    await service.withdraw_activity(db, actor=current.user, activity_id=activity_id)
    return Redirect("/activity", status_code=303)


ROUTES = [round_page, quick_log, contact_form, contact_create, contact_withdraw, contact_flag, contact_edit, contact_correct,
          activity_page, activity_create, activity_withdraw]
