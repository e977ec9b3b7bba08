"""Writes and reads of the area tree and the organisations that serve it.

Rules:
- levels go prefecture > municipality > district > neighbourhood; a child's level is always the
  one right under its parent's (CHILD_LEVEL), so the tree never skips or repeats a tier;
- prefectures and municipalities come from the command line or the demo seed (actor=None);
  a coordinator manages districts, neighbourhoods and organisations of their own municipality only,
  and an id in someone else's municipality answers 404;
- every write records its audit row in the caller's transaction, and validates before writing,
  so a refused form leaves nothing half-written.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.areas.models import (
    CHILD_LEVEL,
    LEVELS,
    ORG_KINDS,
    Area,
    Organisation,
    OrganisationArea,
)
from server.audit.service import record
from server.errors import Invalid, NotFound
from server.i18n import N_
from server.scope import build_scope
from server.users.models import User

PHONE = re.compile(r"^\+?[0-9()\- ]{3,20}$")


async def require_coordinator(session: AsyncSession, actor: User | None, municipality_id: int | None) -> None:
    """actor=None is the system itself (command line, demo seed, test cast); a person must coordinate here."""
    if actor is None:
        return
    scope = await build_scope(session, actor)
    scope.require_coordinator_of(municipality_id)


def _clean_name(name: str | None, errors: dict[str, str], key: str = "name", limit: int = 100) -> str:
    name = (name or "").strip()
    if not name:
        errors[key] = N_("Please enter a name.")
    elif len(name) > limit:
        errors[key] = N_("This name is too long.")
    return name


def _clean_phone(phone: str | None, errors: dict[str, str], key: str) -> str | None:
    phone = (phone or "").strip()
    if not phone:
        return None
    if not PHONE.match(phone):
        errors[key] = N_("Please enter a phone number with digits and hyphens only.")
    return phone


async def _name_taken(session: AsyncSession, parent_id: int | None, name: str, except_id: int | None = None) -> bool:
    q = select(Area.id).where(Area.name == name,
                              Area.parent_id.is_(None) if parent_id is None else Area.parent_id == parent_id)
    if except_id is not None:
        q = q.where(Area.id != except_id)
    return (await session.scalar(q.limit(1))) is not None


# --- areas -------------------------------------------------------------------------------------------

async def create_area(session: AsyncSession, *, actor: User | None, parent_id: int | None,
                      level: str | None, name: str, code: str | None = None) -> Area:
    """level=None means "the level under the parent" (the coordinator's form does not ask)."""
    errors: dict[str, str] = {}
    name = _clean_name(name, errors)
    code = (code or "").strip() or None
    if code and len(code) > 32:
        errors["code"] = N_("This code is too long.")
    parent = await session.get(Area, parent_id) if parent_id is not None else None
    if parent_id is not None and parent is None:
        raise NotFound()
    if parent is not None and level is None:
        level = CHILD_LEVEL.get(parent.level)
    if parent is not None:
        # Scope before anything else: a coordinator must not learn about another city's tree.
        await require_coordinator(session, actor, parent.municipality_id if parent.level != "prefecture" else None)
    if level not in LEVELS:
        errors["level"] = N_("This level cannot be placed under that area.")
    if actor is not None and level in ("prefecture", "municipality"):
        # Only the command line or the seed creates prefectures and municipalities.
        raise NotFound()
    if parent is None and level != "prefecture" and "level" not in errors:
        errors["level"] = N_("Only a prefecture has no parent area.")
    if parent is not None and CHILD_LEVEL.get(parent.level) != level and "level" not in errors:
        errors["level"] = N_("This level cannot be placed under that area.")
    if "name" not in errors and await _name_taken(session, parent_id, name):
        errors["name"] = N_("An area with this name already exists here.")
    if errors:
        raise Invalid(fields=errors)
    area = Area(parent_id=parent_id, level=level, name=name, code=code)
    if parent is not None:
        area.prefecture_id = parent.id if parent.level == "prefecture" else parent.prefecture_id
        area.municipality_id = parent.municipality_id
    session.add(area)
    await session.flush()
    if level == "municipality":
        area.municipality_id = area.id
        await session.flush()
    await record(session, action="area.created", actor_id=actor.id if actor else None,
                 municipality_id=area.municipality_id, object_type="area", object_id=area.id,
                 ids=[parent_id] if parent_id else None)
    return area


async def area_in_scope(session: AsyncSession, actor: User | None, area_id: int) -> Area:
    area = await session.get(Area, area_id)
    if area is None or area.municipality_id is None:
        raise NotFound()
    await require_coordinator(session, actor, area.municipality_id)
    return area


async def update_area(session: AsyncSession, *, actor: User | None, area_id: int, name: str,
                      code: str | None = None) -> Area:
    area = await area_in_scope(session, actor, area_id)
    errors: dict[str, str] = {}
    name = _clean_name(name, errors)
    code = (code or "").strip() or None
    if code and len(code) > 32:
        errors["code"] = N_("This code is too long.")
    if "name" not in errors and await _name_taken(session, area.parent_id, name, except_id=area.id):
        errors["name"] = N_("An area with this name already exists here.")
    if errors:
        raise Invalid(fields=errors)
    if (area.name, area.code) == (name, code):
        return area
    area.name, area.code = name, code
    await session.flush()
    await record(session, action="area.updated", actor_id=actor.id if actor else None,
                 municipality_id=area.municipality_id, object_type="area", object_id=area.id)
    return area


# --- organisations -----------------------------------------------------------------------------------

def _clean_meeting_day(kind: str, meeting_day: int | str | None, errors: dict[str, str]) -> int | None:
    # Only a council (単位民児協) meets monthly on a fixed day; for others the field is ignored.
    if kind != "council" or meeting_day in (None, ""):
        return None
    try:
        day = int(meeting_day)
    except (TypeError, ValueError):
        day = 0
    if not 1 <= day <= 31:
        errors["meeting_day"] = N_("Please enter a day of the month from 1 to 31.")
        return None
    return day


async def _check_served(session: AsyncSession, municipality_id: int, area_ids: Iterable[int],
                        errors: dict[str, str]) -> list[int]:
    ids = sorted(set(area_ids))
    if not ids:
        # Each organisation serves one or more areas: that is how a concern finds its way to it.
        errors["area_ids"] = N_("Please choose at least one area this organisation serves.")
    else:
        rows = (await session.scalars(select(Area).where(Area.id.in_(ids)))).all()
        if len(rows) != len(ids) or any(a.municipality_id != municipality_id for a in rows):
            errors["area_ids"] = N_("Please choose areas of this municipality.")
    return ids


async def create_organisation(session: AsyncSession, *, actor: User | None, municipality_id: int, kind: str,
                              name: str, phone: str | None = None, out_of_hours_phone: str | None = None,
                              meeting_day: int | str | None = None, area_ids: Iterable[int] = ()) -> Organisation:
    town = await session.get(Area, municipality_id)
    if town is None or town.level != "municipality":
        raise NotFound()
    await require_coordinator(session, actor, municipality_id)
    errors: dict[str, str] = {}
    name = _clean_name(name, errors, limit=120)
    if kind not in ORG_KINDS:
        errors["kind"] = N_("Please choose a kind of organisation.")
    phone = _clean_phone(phone, errors, "phone")
    out_of_hours_phone = _clean_phone(out_of_hours_phone, errors, "out_of_hours_phone")
    day = _clean_meeting_day(kind, meeting_day, errors)
    served = await _check_served(session, municipality_id, area_ids, errors)
    if errors:
        raise Invalid(fields=errors)
    org = Organisation(municipality_id=municipality_id, kind=kind, name=name, phone=phone,
                       out_of_hours_phone=out_of_hours_phone, meeting_day=day)
    session.add(org)
    await session.flush()
    for area_id in served:
        session.add(OrganisationArea(organisation_id=org.id, area_id=area_id))
    await session.flush()
    await record(session, action="organisation.created", actor_id=actor.id if actor else None,
                 municipality_id=municipality_id, object_type="organisation", object_id=org.id, ids=served)
    return org


async def organisation_in_scope(session: AsyncSession, actor: User | None, org_id: int) -> Organisation:
    org = await session.get(Organisation, org_id)
    if org is None:
        raise NotFound()
    await require_coordinator(session, actor, org.municipality_id)
    return org


async def update_organisation(session: AsyncSession, *, actor: User | None, org_id: int, name: str,
                              phone: str | None = None, out_of_hours_phone: str | None = None,
                              meeting_day: int | str | None = None,
                              area_ids: Iterable[int] | None = None) -> Organisation:
    """Edit the details and (when area_ids is given) the areas served, as one audited change."""
    org = await organisation_in_scope(session, actor, org_id)
    errors: dict[str, str] = {}
    name = _clean_name(name, errors, limit=120)
    phone = _clean_phone(phone, errors, "phone")
    out_of_hours_phone = _clean_phone(out_of_hours_phone, errors, "out_of_hours_phone")
    day = _clean_meeting_day(org.kind, meeting_day, errors)
    served = await _check_served(session, org.municipality_id, area_ids, errors) if area_ids is not None else None
    if errors:
        raise Invalid(fields=errors)
    org.name, org.phone, org.out_of_hours_phone, org.meeting_day = name, phone, out_of_hours_phone, day
    if served is not None:
        await _replace_served(session, org.id, served)
    await session.flush()
    await record(session, action="organisation.updated", actor_id=actor.id if actor else None,
                 municipality_id=org.municipality_id, object_type="organisation", object_id=org.id,
                 ids=served)
    return org


async def _replace_served(session: AsyncSession, org_id: int, served: list[int]) -> None:
    await session.execute(delete(OrganisationArea).where(OrganisationArea.organisation_id == org_id))
    for area_id in served:
        session.add(OrganisationArea(organisation_id=org_id, area_id=area_id))


async def set_organisation_areas(session: AsyncSession, *, actor: User | None, org_id: int,
                                 area_ids: Iterable[int]) -> Organisation:
    org = await organisation_in_scope(session, actor, org_id)
    errors: dict[str, str] = {}
    served = await _check_served(session, org.municipality_id, area_ids, errors)
    if errors:
        raise Invalid(fields=errors)
    await _replace_served(session, org.id, served)
    await session.flush()
    await record(session, action="organisation.updated", actor_id=actor.id if actor else None,
                 municipality_id=org.municipality_id, object_type="organisation", object_id=org.id, ids=served)
    return org


# --- reads -------------------------------------------------------------------------------------------

@dataclass
class TreeNode:
    area: Area
    children: list[TreeNode] = field(default_factory=list)
    organisations: list[Organisation] = field(default_factory=list)


async def served_areas(session: AsyncSession, org_id: int) -> list[Area]:
    return list((await session.scalars(
        select(Area).join(OrganisationArea, OrganisationArea.area_id == Area.id)
        .where(OrganisationArea.organisation_id == org_id).order_by(Area.level, Area.name))).all())


async def organisations_of(session: AsyncSession, municipality_id: int) -> list[Organisation]:
    return list((await session.scalars(select(Organisation).where(Organisation.municipality_id == municipality_id)
                                       .order_by(Organisation.kind, Organisation.name))).all())


async def municipality_tree(session: AsyncSession, municipality_id: int) -> TreeNode:
    """The municipality with its districts and neighbourhoods, each with the organisations serving it."""
    town = await session.get(Area, municipality_id)
    if town is None or town.level != "municipality":
        raise NotFound()
    areas = (await session.scalars(select(Area).where(Area.municipality_id == municipality_id)
                                   .order_by(Area.name))).all()
    links = (await session.execute(
        select(OrganisationArea.area_id, Organisation).join(Organisation)
        .where(Organisation.municipality_id == municipality_id).order_by(Organisation.name))).all()
    nodes = {a.id: TreeNode(a) for a in areas}
    for area_id, org in links:
        if area_id in nodes:
            nodes[area_id].organisations.append(org)
    for a in areas:
        if a.id != municipality_id and a.parent_id in nodes:
            nodes[a.parent_id].children.append(nodes[a.id])
    return nodes[municipality_id]


async def areas_of(session: AsyncSession, municipality_id: int) -> list[Area]:
    """Districts then neighbourhoods of a municipality, for pickers (district name before its hoods)."""
    tree = await municipality_tree(session, municipality_id)
    out = [tree.area]
    for d in tree.children:
        out.append(d.area)
        out.extend(n.area for n in d.children)
    return out


async def find_area(session: AsyncSession, *, level: str, name_or_code: str,
                    parent_id: int | None = None) -> Area | None:
    q = select(Area).where(Area.level == level, (Area.name == name_or_code) | (Area.code == name_or_code))
    if parent_id is not None:
        q = q.where(Area.parent_id == parent_id)
    return (await session.scalars(q.order_by(Area.id))).first()
