"""Reads for the coordinator's people pages: a municipality's people, one person's dated grants."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.areas.models import Area, Organisation
from server.auth.models import Invitation, Passkey
from server.db import utcnow
from server.users.models import AreaGrant, RoleGrant, User


def is_live(grant: RoleGrant | AreaGrant, now: dt.datetime) -> bool:
    return grant.valid_from <= now and (grant.valid_to is None or grant.valid_to > now)


@dataclass
class PersonRow:
    user: User
    roles: list[RoleGrant] = field(default_factory=list)


async def people_of(session: AsyncSession, municipality_id: int) -> list[PersonRow]:
    """Everyone whose home is this municipality, with their current roles; deactivated people last."""
    now = utcnow()
    users = (await session.scalars(select(User).where(User.municipality_id == municipality_id)
                                   .order_by(User.status == "deactivated", User.display_name, User.id))).all()
    rows = {u.id: PersonRow(u) for u in users}
    if rows:
        grants = (await session.scalars(select(RoleGrant).where(RoleGrant.user_id.in_(rows))
                                        .order_by(RoleGrant.valid_from))).all()
        for g in grants:
            if is_live(g, now):
                rows[g.user_id].roles.append(g)
    return list(rows.values())


@dataclass
class PersonDetail:
    user: User
    roles: list[RoleGrant]
    areas: list[tuple[AreaGrant, Area]]
    organisations: dict[int, Organisation]
    passkeys: int
    invitation_expires: dt.datetime | None
    now: dt.datetime

    def live(self, grant: RoleGrant | AreaGrant) -> bool:
        return is_live(grant, self.now)


async def person_detail(session: AsyncSession, user: User) -> PersonDetail:
    """All grants, ended ones included (dated rows are the history), newest first."""
    now = utcnow()
    roles = list((await session.scalars(select(RoleGrant).where(RoleGrant.user_id == user.id)
                                        .order_by(RoleGrant.valid_from.desc(), RoleGrant.id.desc()))).all())
    areas = list((await session.execute(
        select(AreaGrant, Area).join(Area, Area.id == AreaGrant.area_id).where(AreaGrant.user_id == user.id)
        .order_by(AreaGrant.valid_from.desc(), AreaGrant.id.desc()))).tuples().all())
    org_ids = {g.organisation_id for g in roles if g.organisation_id}
    orgs = {o.id: o for o in (await session.scalars(select(Organisation).where(Organisation.id.in_(org_ids)))).all()}
    passkeys = await session.scalar(select(func.count()).select_from(Passkey).where(
        Passkey.user_id == user.id, Passkey.revoked_at.is_(None))) or 0
    expires = await session.scalar(select(Invitation.expires_at).where(
        Invitation.user_id == user.id, Invitation.used_at.is_(None), Invitation.cancelled_at.is_(None),
        Invitation.expires_at > now).order_by(Invitation.expires_at.desc()).limit(1))
    return PersonDetail(user=user, roles=roles, areas=areas, organisations=orgs, passkeys=passkeys,
                        invitation_expires=expires, now=now)


async def members_of_council(session: AsyncSession, council_id: int) -> tuple[list[User], list[User]]:
    """(members, chairs) of a 単位民児協 now: commissioners granted to it, and its chair(s)."""
    now = utcnow()
    rows = (await session.execute(
        select(RoleGrant.role, User).join(User, User.id == RoleGrant.user_id)
        .where(RoleGrant.organisation_id == council_id, RoleGrant.role.in_(("commissioner", "council_chair")),
               RoleGrant.valid_from <= now, (RoleGrant.valid_to.is_(None)) | (RoleGrant.valid_to > now),
               User.status != "deactivated")
        .order_by(User.display_name))).tuples().all()
    members = [u for role, u in rows if role == "commissioner"]
    chairs = [u for role, u in rows if role == "council_chair"]
    return members, chairs


async def staff_names(session: AsyncSession, user_ids: set[int]) -> dict[int, str]:
    """Display names of people who use Tsunagu (staff and volunteers), never residents."""
    if not user_ids:
        return {}
    return dict((await session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids)))).tuples().all())
