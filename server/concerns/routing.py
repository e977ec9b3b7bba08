"""Which organisation receives a concern.

A concern about a neighbourhood goes to the most specific routing-table row of its municipality
that matches: a row for the neighbourhood beats one for its district, which beats one for the
whole municipality (area NULL); then a row naming the category beats one for any category; then
one naming the target group beats one for any group. No matching row: the municipal one-stop hub
(kind "hub"; failing that the council of social welfare), never nowhere. The route taken is
recorded on the concern (route_id, routed_by).
"""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.areas.models import Area, Organisation
from server.concerns.models import ConcernRoute
from server.errors import Invalid
from server.i18n import N_

FALLBACK_KINDS = ("hub", "shakyo")


async def fallback_org(session: AsyncSession, municipality_id: int) -> Organisation:
    for kind in FALLBACK_KINDS:
        org = (await session.scalars(select(Organisation).where(
            Organisation.municipality_id == municipality_id, Organisation.kind == kind).order_by(Organisation.id))).first()
        if org is not None:
            return org
    raise Invalid(fields={"organisation": N_("This municipality has no one-stop hub yet. Please tell the council of social welfare.")})  # noqa: E501 - a message is one literal: it is its catalog's key


async def resolve(session: AsyncSession, *, municipality_id: int, area_id: int, target_group: str,
                  category: str) -> tuple[Organisation, ConcernRoute | None]:
    """(receiving organisation, the routing row taken or None for the hub fallback)."""
    area = await session.get(Area, area_id)
    lineage = [area_id] + ([area.parent_id] if area is not None and area.parent_id else [])
    rows = (await session.scalars(select(ConcernRoute).where(
        ConcernRoute.municipality_id == municipality_id,
        or_(ConcernRoute.area_id.is_(None), ConcernRoute.area_id.in_(lineage)),
        or_(ConcernRoute.target_group.is_(None), ConcernRoute.target_group == target_group),
        or_(ConcernRoute.category.is_(None), ConcernRoute.category == category)))).all()

    def rank(r: ConcernRoute) -> tuple[int, int, int]:
        where = 2 if r.area_id == area_id else (1 if r.area_id is not None else 0)
        return (where, r.category is not None, r.target_group is not None)

    if rows:
        best = max(rows, key=lambda r: (rank(r), -r.id))
        org = await session.get(Organisation, best.organisation_id)
        if org is not None:
            return org, best
    return await fallback_org(session, municipality_id), None
