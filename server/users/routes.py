"""Coordinator pages about people: list, invite (link + QR shown once), roles, deactivate, re-invite."""
from __future__ import annotations

from litestar import Request, get, post
from litestar.response import Redirect, Response
from sqlalchemy.ext.asyncio import AsyncSession

from server.areas.service import areas_of, organisations_of
from server.auth.invitations import invitation_url
from server.auth.sessions import Current
from server.config import Settings
from server.errors import Invalid
from server.i18n import N_
from server.rendering import page
from server.users import queries, service
from server.users.forms import flag, ints, opt_int, read_form, town_of
from server.users.models import User
from server.users.qr import qr_data_uri

COORDINATOR = {"access": ("coordinator",)}


async def _form_context(db: AsyncSession, town: int) -> dict:
    return {"areas": await areas_of(db, town), "organisations": await organisations_of(db, town),
            "roles": service.GRANTABLE}


async def _link_page(request: Request, db: AsyncSession, settings: Settings, user: User, token: str) -> Response:
    """The one-time link, shown once: it is not stored, so this answer is not a redirect to a page
    that could show it again (and Cache-Control: no-store keeps it out of the browser's cache)."""
    link = invitation_url(settings.origin, token)
    detail = await queries.person_detail(db, user)
    return page(request, "users/invited.html", {"person": user, "link": link, "qr": qr_data_uri(link),
                                                "expires": detail.invitation_expires})


@get("/people", opt=COORDINATOR)
async def people(request: Request, db: AsyncSession, current: Current) -> Response:
    town = town_of(current.require_scope())
    return page(request, "users/people.html", {"people": await queries.people_of(db, town)})


@get("/people/new", opt=COORDINATOR)
async def new_person(request: Request, db: AsyncSession, current: Current) -> Response:
    town = town_of(current.require_scope())
    return page(request, "users/new.html", {**await _form_context(db, town), "values": {}, "errors": {}})


@post("/people", opt=COORDINATOR)
async def invite(request: Request, db: AsyncSession, current: Current, settings: Settings) -> Response:
    town = town_of(current.require_scope())
    form = await read_form(request)
    try:
        user, token = await service.invite_user(
            db, actor=current.user, display_name=form.get("display_name", ""), role=form.get("role", ""),
            municipality_id=town, area_ids=ints(form.getall("area_ids", []), "area_ids"),
            organisation_id=opt_int(form.get("organisation_id"), "organisation_id"),
            chief_child=flag(form.get("chief_child")))
    except Invalid as exc:
        values = {"display_name": form.get("display_name", ""), "role": form.get("role", ""),
                  "organisation_id": form.get("organisation_id", ""), "chief_child": flag(form.get("chief_child")),
                  "area_ids": set(form.getall("area_ids", []))}
        return page(request, "users/new.html", {**await _form_context(db, town), "values": values,
                                                "errors": exc.fields or {"display_name": exc.message}}, status=422)
    return await _link_page(request, db, settings, user, token)


async def _person_page(request: Request, db: AsyncSession, current: Current, user_id: int,
                       errors: dict | None = None, status: int = 200) -> Response:
    town = town_of(current.require_scope())
    user = await service.user_in_scope(db, current.user, user_id)
    detail = await queries.person_detail(db, user)
    return page(request, "users/person.html", {**await _form_context(db, town), "d": detail,
                                               "errors": errors or {}, "is_me": user.id == current.user.id},
                status=status)


@get("/people/{user_id:int}", opt=COORDINATOR)
async def person(request: Request, db: AsyncSession, current: Current, user_id: int) -> Response:
    return await _person_page(request, db, current, user_id)


@post("/people/{user_id:int}/deactivate", opt=COORDINATOR)
async def deactivate(request: Request, db: AsyncSession, current: Current, user_id: int) -> Response:
    town_of(current.require_scope())
    try:
        await service.deactivate_user(db, actor=current.user, user_id=user_id)
    except Invalid as exc:
        return await _person_page(request, db, current, user_id, {"status": exc.message}, 422)
    return Redirect(f"/people/{user_id}", status_code=303)


@post("/people/{user_id:int}/reinvite", opt=COORDINATOR)
async def reinvite(request: Request, db: AsyncSession, current: Current, settings: Settings,
                   user_id: int) -> Response:
    town_of(current.require_scope())
    try:
        token = await service.reinvite_user(db, actor=current.user, user_id=user_id)
    except Invalid as exc:
        return await _person_page(request, db, current, user_id, {"status": exc.message}, 422)
    return await _link_page(request, db, settings, await service.user_in_scope(db, current.user, user_id), token)


@post("/people/{user_id:int}/roles", opt=COORDINATOR)
async def add_role(request: Request, db: AsyncSession, current: Current, user_id: int) -> Response:
    town_of(current.require_scope())
    form = await read_form(request)
    try:
        await service.grant_role(db, actor=current.user, user_id=user_id, role=form.get("role", ""),
                                 organisation_id=opt_int(form.get("organisation_id"), "organisation_id"),
                                 chief_child=flag(form.get("chief_child")),
                                 area_ids=ints(form.getall("area_ids", []), "area_ids"))
    except Invalid as exc:
        return await _person_page(request, db, current, user_id, exc.fields or {"role": exc.message}, 422)
    return Redirect(f"/people/{user_id}", status_code=303)


@post("/people/{user_id:int}/roles/{grant_id:int}/end", opt=COORDINATOR)
async def end_role(request: Request, db: AsyncSession, current: Current, user_id: int, grant_id: int) -> Response:
    town_of(current.require_scope())
    try:
        await service.end_role(db, actor=current.user, grant_id=grant_id, user_id=user_id)
    except Invalid as exc:
        return await _person_page(request, db, current, user_id, {"role": exc.message}, 422)
    return Redirect(f"/people/{user_id}", status_code=303)


@post("/people/{user_id:int}/areas", opt=COORDINATOR)
async def add_area(request: Request, db: AsyncSession, current: Current, user_id: int) -> Response:
    town_of(current.require_scope())
    form = await read_form(request)
    try:
        area_id = opt_int(form.get("area_id"), "area_ids")
        if area_id is None:
            raise Invalid(fields={"area_ids": N_("Please choose from the list.")})
        await service.grant_area(db, actor=current.user, user_id=user_id, area_id=area_id)
    except Invalid as exc:
        return await _person_page(request, db, current, user_id, exc.fields or {"area_ids": exc.message}, 422)
    return Redirect(f"/people/{user_id}", status_code=303)


@post("/people/{user_id:int}/areas/{grant_id:int}/end", opt=COORDINATOR)
async def end_area(request: Request, db: AsyncSession, current: Current, user_id: int, grant_id: int) -> Response:
    town_of(current.require_scope())
    try:
        await service.end_area(db, actor=current.user, grant_id=grant_id, user_id=user_id)
    except Invalid as exc:
        return await _person_page(request, db, current, user_id, {"area_ids": exc.message}, 422)
    return Redirect(f"/people/{user_id}", status_code=303)


ROUTES = [people, new_person, invite, person, deactivate, reinvite, add_role, end_role, add_area, end_area]
