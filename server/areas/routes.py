"""Coordinator pages: the municipality's area tree, and the organisations that serve it."""
from __future__ import annotations

from litestar import Request, get, post
from litestar.response import Redirect, Response
from sqlalchemy.ext.asyncio import AsyncSession

from server.areas import service
from server.areas.models import ORG_KINDS
from server.auth.sessions import Current
from server.errors import Invalid
from server.rendering import page
from server.users.forms import ints, opt_int, read_form, town_of
from server.users.queries import members_of_council

COORDINATOR = {"access": ("coordinator",)}


async def _areas_page(request: Request, db: AsyncSession, town: int, errors: dict | None = None,
                      failed: str | None = None, values: dict | None = None, status: int = 200) -> Response:
    # `failed` names the form that was refused ("new-<parent id>" or "rename-<area id>"), so its
    # errors show next to it and not next to every form on the page.
    return page(request, "areas/areas.html", {"tree": await service.municipality_tree(db, town),
                                              "errors": errors or {}, "failed": failed, "values": values or {}},
                status=status)


@get("/areas", opt=COORDINATOR)
async def areas(request: Request, db: AsyncSession, current: Current) -> Response:
    return await _areas_page(request, db, town_of(current.require_scope()))


@post("/areas", opt=COORDINATOR)
async def create_area(request: Request, db: AsyncSession, current: Current) -> Response:
    town = town_of(current.require_scope())
    form = await read_form(request)
    parent = opt_int(form.get("parent_id"), "name") or town
    try:
        await service.create_area(db, actor=current.user, parent_id=parent, level=None,
                                  name=form.get("name", ""), code=form.get("code"))
    except Invalid as exc:
        return await _areas_page(request, db, town, exc.fields, f"new-{parent}", dict(form), 422)
    return Redirect("/areas", status_code=303)


@post("/areas/{area_id:int}", opt=COORDINATOR)
async def rename_area(request: Request, db: AsyncSession, current: Current, area_id: int) -> Response:
    town = town_of(current.require_scope())
    form = await read_form(request)
    try:
        await service.update_area(db, actor=current.user, area_id=area_id, name=form.get("name", ""),
                                  code=form.get("code"))
    except Invalid as exc:
        return await _areas_page(request, db, town, exc.fields, f"rename-{area_id}", dict(form), 422)
    return Redirect("/areas", status_code=303)


async def _orgs_page(request: Request, db: AsyncSession, town: int, errors: dict | None = None,
                     values: dict | None = None, status: int = 200) -> Response:
    return page(request, "areas/organisations.html", {
        "organisations": await service.organisations_of(db, town), "areas": await service.areas_of(db, town),
        "kinds": ORG_KINDS, "errors": errors or {}, "values": values or {}}, status=status)


@get("/organisations", opt=COORDINATOR)
async def organisations(request: Request, db: AsyncSession, current: Current) -> Response:
    return await _orgs_page(request, db, town_of(current.require_scope()))


def _values(form) -> dict:
    return {**dict(form), "area_ids": set(form.getall("area_ids", []))}


@post("/organisations", opt=COORDINATOR)
async def create_organisation(request: Request, db: AsyncSession, current: Current) -> Response:
    town = town_of(current.require_scope())
    form = await read_form(request)
    try:
        org = await service.create_organisation(
            db, actor=current.user, municipality_id=town, kind=form.get("kind", ""), name=form.get("name", ""),
            phone=form.get("phone"), out_of_hours_phone=form.get("out_of_hours_phone"),
            meeting_day=form.get("meeting_day"), area_ids=ints(form.getall("area_ids", []), "area_ids"))
    except Invalid as exc:
        return await _orgs_page(request, db, town, exc.fields, _values(form), 422)
    return Redirect(f"/organisations/{org.id}", status_code=303)


async def _org_page(request: Request, db: AsyncSession, current: Current, org_id: int,
                    errors: dict | None = None, values: dict | None = None, status: int = 200) -> Response:
    town = town_of(current.require_scope())
    org = await service.organisation_in_scope(db, current.user, org_id)
    members, chairs = await members_of_council(db, org.id) if org.kind == "council" else ([], [])
    served = await service.served_areas(db, org.id)
    if values is None:
        values = {"name": org.name, "phone": org.phone, "out_of_hours_phone": org.out_of_hours_phone,
                  "meeting_day": org.meeting_day, "area_ids": {str(a.id) for a in served}}
    return page(request, "areas/organisation.html", {
        "org": org, "served": served, "areas": await service.areas_of(db, town), "members": members,
        "chairs": chairs, "errors": errors or {}, "values": values}, status=status)


@get("/organisations/{org_id:int}", opt=COORDINATOR)
async def organisation(request: Request, db: AsyncSession, current: Current, org_id: int) -> Response:
    return await _org_page(request, db, current, org_id)


@post("/organisations/{org_id:int}", opt=COORDINATOR)
async def update_organisation(request: Request, db: AsyncSession, current: Current, org_id: int) -> Response:
    town_of(current.require_scope())
    form = await read_form(request)
    try:
        await service.update_organisation(
            db, actor=current.user, org_id=org_id, name=form.get("name", ""), phone=form.get("phone"),
            out_of_hours_phone=form.get("out_of_hours_phone"), meeting_day=form.get("meeting_day"),
            area_ids=ints(form.getall("area_ids", []), "area_ids"))
    except Invalid as exc:
        return await _org_page(request, db, current, org_id, exc.fields, _values(form), 422)
    return Redirect(f"/organisations/{org_id}", status_code=303)


ROUTES = [areas, create_area, rename_area, organisations, create_organisation, organisation, update_organisation]
