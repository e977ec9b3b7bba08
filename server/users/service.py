"""Writes about people who use Tsunagu: each in the caller's transaction, each with its audit row.

Rules:
- role and area grants are dated rows: granting adds a row, ending sets valid_to; nothing is
  overwritten, so handovers, term ends and the audit trail can be reconstructed;
- a coordinator grants any role except prefecture_analyst, within their own municipality; a
  prefecture analyst is only made from the command line (actor=None);
- deactivation ends every session of the person at once and cancels their open invitations;
- a re-invitation (a lost phone) revokes the old passkeys, so the lost phone cannot sign in.
"""
from __future__ import annotations

import secrets
from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.areas.models import Area, Organisation
from server.areas.service import create_area, find_area, require_coordinator
from server.audit.actions import register
from server.audit.service import record
from server.auth.invitations import create_invitation, invitation_url
from server.auth.models import Invitation, Passkey
from server.auth.sessions import end_all_for
from server.config import Settings
from server.db import utcnow
from server.errors import Invalid, NotFound
from server.i18n import LOCALES, N_
from server.users.models import ROLES, AreaGrant, RoleGrant, User

register({
    "user.invited": N_("Person invited"),
    "user.added": N_("Person added without an invitation (demo or test)"),
    "user.reinvited": N_("Person re-invited (old passkeys revoked)"),
})

# Roles a coordinator may grant in the app; prefecture_analyst only from the command line.
GRANTABLE = tuple(r for r in ROLES if r != "prefecture_analyst")


def _id(actor: User | None) -> int | None:
    return actor.id if actor is not None else None


async def set_locale(session: AsyncSession, *, actor: User, locale: str) -> None:
    if locale not in LOCALES:
        raise Invalid()
    if actor.locale == locale:
        return
    actor.locale = locale
    await record(session, action="user.locale_changed", actor_id=actor.id,
                 municipality_id=actor.municipality_id, object_type="user", object_id=actor.id)


# --- validation shared by invite and grant -----------------------------------------------------------

async def _check_role(session: AsyncSession, actor: User | None, *, role: str, municipality_id: int | None,
                      organisation_id: int | None, chief_child: bool, area_ids: list[int],
                      errors: dict[str, str]) -> None:
    """What each role needs: volunteers and commissioners an area (a 主任児童委員 their council instead),
    professionals an organisation, chairs a council; everything inside the one municipality."""
    if role not in ROLES:
        errors["role"] = N_("Please choose a role.")
        return
    if role == "prefecture_analyst" and actor is not None:
        errors["role"] = N_("Prefecture staff are added from the command line.")
        return
    org = await session.get(Organisation, organisation_id) if organisation_id else None
    if organisation_id and (org is None or org.municipality_id != municipality_id):
        errors["organisation_id"] = N_("Please choose an organisation of this municipality.")
        org = None
    if role == "professional" and org is None and "organisation_id" not in errors:
        errors["organisation_id"] = N_("Please choose the organisation this person works for.")
    if role == "professional" and org is not None and org.kind == "council":
        errors["organisation_id"] = N_("A professional works for an organisation, not a council.")
    if role == "council_chair" and (org is None or org.kind != "council") and "organisation_id" not in errors:
        errors["organisation_id"] = N_("Please choose the council this person chairs.")
    if role == "commissioner" and org is not None and org.kind != "council":
        errors["organisation_id"] = N_("A commissioner belongs to a council (単位民児協).")
    if chief_child and role != "commissioner":
        errors["chief_child"] = N_("Only a commissioner can be a chief child commissioner.")
    if role == "commissioner" and chief_child and org is None and "organisation_id" not in errors:
        errors["organisation_id"] = N_("A chief child commissioner covers a council: please choose it.")
    needs_area = role == "volunteer" or (role == "commissioner" and not chief_child)
    if needs_area and not area_ids:
        errors["area_ids"] = N_("Please choose at least one area.")
    if area_ids:
        rows = (await session.scalars(select(Area).where(Area.id.in_(area_ids)))).all()
        if role == "prefecture_analyst":
            ok = len(rows) == len(area_ids) and all(a.level == "prefecture" for a in rows)
        else:
            ok = len(rows) == len(area_ids) and all(a.municipality_id == municipality_id for a in rows)
        if not ok:
            errors["area_ids"] = N_("Please choose areas of this municipality.")


async def _add_person(session: AsyncSession, *, actor: User | None, display_name: str, role: str,
                      municipality_id: int | None, area_ids: Iterable[int], organisation_id: int | None,
                      chief_child: bool, status: str) -> User:
    if role != "prefecture_analyst":
        town = await session.get(Area, municipality_id) if municipality_id else None
        if town is None or town.level != "municipality":
            raise NotFound()
        await require_coordinator(session, actor, municipality_id)
    else:
        municipality_id = None
    errors: dict[str, str] = {}
    display_name = (display_name or "").strip()
    if not display_name:
        errors["display_name"] = N_("Please enter a name.")
    elif len(display_name) > 100:
        errors["display_name"] = N_("This name is too long.")
    areas = sorted({int(a) for a in area_ids})
    await _check_role(session, actor, role=role, municipality_id=municipality_id, organisation_id=organisation_id,
                      chief_child=chief_child, area_ids=areas, errors=errors)
    if errors:
        raise Invalid(fields=errors)
    user = User(display_name=display_name, status=status, municipality_id=municipality_id,
                webauthn_handle=secrets.token_bytes(32), locale="ja")
    session.add(user)
    await session.flush()
    await _grant_role(session, actor, user, role=role, organisation_id=organisation_id, chief_child=chief_child)
    for area_id in areas:
        await _grant_area(session, actor, user, area_id)
    return user


async def invite_user(session: AsyncSession, *, actor: User | None, display_name: str, role: str,
                      municipality_id: int | None, area_ids: Iterable[int] = (), organisation_id: int | None = None,
                      chief_child: bool = False) -> tuple[User, str]:
    """A new person with their first role and areas, and a one-time link (the raw token, shown once)."""
    user = await _add_person(session, actor=actor, display_name=display_name, role=role,
                             municipality_id=municipality_id, area_ids=area_ids, organisation_id=organisation_id,
                             chief_child=chief_child, status="invited")
    await record(session, action="user.invited", actor_id=_id(actor), municipality_id=user.municipality_id,
                 object_type="user", object_id=user.id)
    token = await create_invitation(session, actor_id=_id(actor), user=user)
    return user, token


async def add_active_user(session: AsyncSession, *, actor: User | None, display_name: str, role: str,
                          municipality_id: int | None, area_ids: Iterable[int] = (),
                          organisation_id: int | None = None, chief_child: bool = False) -> User:
    """For the demo town and the test cast only: an active person with no passkey (they sign in by a
    demo button or a test session). The same checks and grants as an invitation."""
    user = await _add_person(session, actor=actor, display_name=display_name, role=role,
                             municipality_id=municipality_id, area_ids=area_ids, organisation_id=organisation_id,
                             chief_child=chief_child, status="active")
    await record(session, action="user.added", actor_id=_id(actor), municipality_id=user.municipality_id,
                 object_type="user", object_id=user.id)
    return user


# --- grants ------------------------------------------------------------------------------------------

async def user_in_scope(session: AsyncSession, actor: User | None, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None or (actor is not None and user.municipality_id is None):
        raise NotFound()
    await require_coordinator(session, actor, user.municipality_id)
    return user


async def _grant_role(session: AsyncSession, actor: User | None, user: User, *, role: str,
                      organisation_id: int | None, chief_child: bool) -> RoleGrant:
    grant = RoleGrant(user_id=user.id, role=role, chief_child=chief_child, municipality_id=user.municipality_id,
                      organisation_id=organisation_id, valid_from=utcnow(), granted_by=_id(actor))
    session.add(grant)
    await session.flush()
    await record(session, action="role.granted", actor_id=_id(actor), municipality_id=user.municipality_id,
                 object_type="user", object_id=user.id, ids=[grant.id])
    return grant


async def _grant_area(session: AsyncSession, actor: User | None, user: User, area_id: int) -> AreaGrant:
    grant = AreaGrant(user_id=user.id, area_id=area_id, valid_from=utcnow(), granted_by=_id(actor))
    session.add(grant)
    await session.flush()
    await record(session, action="area.granted", actor_id=_id(actor), municipality_id=user.municipality_id,
                 object_type="user", object_id=user.id, ids=[grant.id, area_id])
    return grant


def _live(model, now):
    return (model.valid_to.is_(None)) | (model.valid_to > now)


async def live_roles(session: AsyncSession, user_id: int) -> list[RoleGrant]:
    now = utcnow()
    return list((await session.scalars(select(RoleGrant).where(
        RoleGrant.user_id == user_id, RoleGrant.valid_from <= now, _live(RoleGrant, now)))).all())


async def grant_role(session: AsyncSession, *, actor: User | None, user_id: int, role: str,
                     organisation_id: int | None = None, chief_child: bool = False,
                     area_ids: Iterable[int] = ()) -> RoleGrant:
    """Add a role (and the areas it works in); a role already held is refused, never duplicated."""
    user = await user_in_scope(session, actor, user_id)
    errors: dict[str, str] = {}
    areas = sorted({int(a) for a in area_ids})
    held_areas = {g.area_id for g in await live_areas(session, user.id)}
    await _check_role(session, actor, role=role, municipality_id=user.municipality_id,
                      organisation_id=organisation_id, chief_child=chief_child,
                      area_ids=areas or sorted(held_areas), errors=errors)
    if any(g.role == role and g.organisation_id == organisation_id for g in await live_roles(session, user.id)):
        errors["role"] = N_("This person already has this role.")
    if errors:
        raise Invalid(fields=errors)
    grant = await _grant_role(session, actor, user, role=role, organisation_id=organisation_id,
                              chief_child=chief_child)
    for area_id in areas:
        if area_id not in held_areas:
            await _grant_area(session, actor, user, area_id)
    return grant


async def end_role(session: AsyncSession, *, actor: User | None, grant_id: int,
                 user_id: int | None = None) -> RoleGrant:
    """Sets valid_to (the row stays); user_id, when given, must be the grant's person (URL check)."""
    grant = await session.get(RoleGrant, grant_id)
    if grant is None or (user_id is not None and grant.user_id != user_id):
        raise NotFound()
    user = await user_in_scope(session, actor, grant.user_id)
    if grant.valid_to is not None and grant.valid_to <= utcnow():
        raise Invalid(N_("This role has already ended."))
    grant.valid_to = utcnow()
    await session.flush()
    await record(session, action="role.ended", actor_id=_id(actor), municipality_id=user.municipality_id,
                 object_type="user", object_id=user.id, ids=[grant.id])
    return grant


async def live_areas(session: AsyncSession, user_id: int) -> list[AreaGrant]:
    now = utcnow()
    return list((await session.scalars(select(AreaGrant).where(
        AreaGrant.user_id == user_id, AreaGrant.valid_from <= now, _live(AreaGrant, now)))).all())


async def grant_area(session: AsyncSession, *, actor: User | None, user_id: int, area_id: int) -> AreaGrant:
    user = await user_in_scope(session, actor, user_id)
    area = await session.get(Area, area_id)
    if area is None or area.municipality_id != user.municipality_id:
        raise Invalid(fields={"area_ids": N_("Please choose areas of this municipality.")})
    if any(g.area_id == area_id for g in await live_areas(session, user.id)):
        raise Invalid(fields={"area_ids": N_("This person already works in this area.")})
    return await _grant_area(session, actor, user, area_id)


async def end_area(session: AsyncSession, *, actor: User | None, grant_id: int,
                 user_id: int | None = None) -> AreaGrant:
    """Sets valid_to (the row stays); user_id, when given, must be the grant's person (URL check)."""
    grant = await session.get(AreaGrant, grant_id)
    if grant is None or (user_id is not None and grant.user_id != user_id):
        raise NotFound()
    user = await user_in_scope(session, actor, grant.user_id)
    if grant.valid_to is not None and grant.valid_to <= utcnow():
        raise Invalid(N_("This area grant has already ended."))
    grant.valid_to = utcnow()
    await session.flush()
    await record(session, action="area.ended", actor_id=_id(actor), municipality_id=user.municipality_id,
                 object_type="user", object_id=user.id, ids=[grant.id, grant.area_id])
    return grant


# --- deactivation and recovery -----------------------------------------------------------------------

async def _cancel_invitations(session: AsyncSession, user_id: int) -> None:
    await session.execute(update(Invitation).where(
        Invitation.user_id == user_id, Invitation.used_at.is_(None), Invitation.cancelled_at.is_(None))
        .values(cancelled_at=utcnow()))


async def deactivate_user(session: AsyncSession, *, actor: User | None, user_id: int) -> User:
    user = await user_in_scope(session, actor, user_id)
    if actor is not None and actor.id == user.id:
        raise Invalid(N_("You cannot deactivate yourself. Please ask another coordinator."))
    if user.status == "deactivated":
        return user
    user.status = "deactivated"
    user.deactivated_at = utcnow()
    await end_all_for(session, user.id)
    await _cancel_invitations(session, user.id)
    await session.flush()
    await record(session, action="user.deactivated", actor_id=_id(actor), municipality_id=user.municipality_id,
                 object_type="user", object_id=user.id)
    return user


async def reinvite_user(session: AsyncSession, *, actor: User | None, user_id: int) -> str:
    """A fresh link to recover a lost phone: old passkeys are revoked and sessions end, so whoever
    holds the lost phone is out; a deactivated person comes back as invited (their grants unchanged)."""
    user = await user_in_scope(session, actor, user_id)
    if actor is not None and actor.id == user.id:
        raise Invalid(N_("You cannot re-invite yourself. Please ask another coordinator."))
    now = utcnow()
    revoked = (await session.scalars(select(Passkey.id).where(
        Passkey.user_id == user.id, Passkey.revoked_at.is_(None)))).all()
    await session.execute(update(Passkey).where(Passkey.id.in_(revoked))
                          .values(revoked_at=now, revoked_reason="reinvited"))
    await end_all_for(session, user.id)
    if user.status == "deactivated":
        await record(session, action="user.reactivated", actor_id=_id(actor),
                     municipality_id=user.municipality_id, object_type="user", object_id=user.id)
    user.status, user.deactivated_at = "invited", None
    await session.flush()
    await record(session, action="user.reinvited", actor_id=_id(actor), municipality_id=user.municipality_id,
                 object_type="user", object_id=user.id, ids=list(revoked))
    return await create_invitation(session, actor_id=_id(actor), user=user)


# --- the command line: the first coordinator, prefecture staff ---------------------------------------

async def invite_from_cli(session: AsyncSession, settings: Settings, *, name: str, role: str,
                          municipality: str | None, prefecture: str | None) -> str:
    """`tsunagu invite`: creates the prefecture and municipality rows if missing; prints the link."""
    try:
        return await _invite_from_cli(session, settings, name=name, role=role, municipality=municipality,
                                      prefecture=prefecture)
    except Invalid as exc:
        # The command line has no form to show field errors next to: say them in one line.
        if exc.fields:
            raise Invalid("; ".join(exc.fields.values())) from None
        raise


async def _invite_from_cli(session: AsyncSession, settings: Settings, *, name: str, role: str,
                           municipality: str | None, prefecture: str | None) -> str:
    if role not in ROLES:
        raise Invalid(f"unknown role {role!r}; choose one of: {', '.join(ROLES)}")
    pref = await find_area(session, level="prefecture", name_or_code=prefecture) if prefecture else None
    if prefecture and pref is None:
        pref = await create_area(session, actor=None, parent_id=None, level="prefecture", name=prefecture)
    town = None
    if municipality:
        town = await find_area(session, level="municipality", name_or_code=municipality,
                               parent_id=pref.id if pref else None)
        if town is None:
            if pref is None:
                prefs = (await session.scalars(select(Area).where(Area.level == "prefecture"))).all()
                if len(prefs) != 1:
                    raise Invalid("the municipality is new: please also give --prefecture")
                pref = prefs[0]
            town = await create_area(session, actor=None, parent_id=pref.id, level="municipality",
                                     name=municipality)
    if role == "prefecture_analyst":
        if pref is None:
            raise Invalid("prefecture staff need --prefecture")
        _user, token = await invite_user(session, actor=None, display_name=name, role=role,
                                         municipality_id=None, area_ids=[pref.id])
    else:
        if town is None:
            raise Invalid("this role needs --municipality")
        _user, token = await invite_user(session, actor=None, display_name=name, role=role,
                                         municipality_id=town.id)
    return invitation_url(settings.origin, token)
