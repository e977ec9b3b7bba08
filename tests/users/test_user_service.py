"""People, dated grants, deactivation and re-invitation, through the service functions."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from server.areas.service import municipality_tree
from server.audit.models import AuditEvent
from server.auth.models import Invitation, Passkey
from server.errors import Invalid, NotFound
from server.scope import build_scope
from server.users import service
from server.users.models import AreaGrant, RoleGrant, User
from tests.helpers import sign_in


async def actions_for(db, user_id: int) -> list[str]:
    return list((await db.scalars(select(AuditEvent.action).where(
        AuditEvent.object_type == "user", AuditEvent.object_id == user_id).order_by(AuditEvent.id))).all())


async def test_inviting_makes_an_invited_person_with_dated_grants_and_one_link(cast, db):
    user, token = await service.invite_user(
        db, actor=cast.coordinator, display_name="新人 太郎", role="volunteer", municipality_id=cast.city.id,
        area_ids=[cast.hood_a2.id])
    assert user.status == "invited" and len(user.webauthn_handle) == 32 and token
    role = (await db.scalars(select(RoleGrant).where(RoleGrant.user_id == user.id))).one()
    assert (role.role, role.municipality_id, role.granted_by, role.valid_to) == (
        "volunteer", cast.city.id, cast.coordinator.id, None)
    area = (await db.scalars(select(AreaGrant).where(AreaGrant.user_id == user.id))).one()
    assert area.area_id == cast.hood_a2.id
    assert await db.scalar(select(func.count()).select_from(Invitation).where(Invitation.user_id == user.id)) == 1
    assert await actions_for(db, user.id) == ["role.granted", "area.granted", "user.invited", "invitation.created"]
    # Invited people see nothing until they register a passkey.
    assert (await build_scope(db, user)).roles == set()


@pytest.mark.parametrize("fields, error", [
    ({"role": "volunteer"}, "area_ids"),
    ({"role": "professional"}, "organisation_id"),
    ({"role": "council_chair"}, "organisation_id"),
    ({"role": "commissioner", "chief_child": True}, "organisation_id"),
    ({"role": "volunteer", "chief_child": True, "area_ids": "hood_a1"}, "chief_child"),
    ({"role": "wizard"}, "role"),
    ({"role": "volunteer", "display_name": "", "area_ids": "hood_a1"}, "display_name"),
])
async def test_what_each_role_needs_is_checked(cast, db, fields, error):
    kw = {"display_name": "新人", **fields}
    if kw.get("area_ids"):
        kw["area_ids"] = [getattr(cast, kw["area_ids"]).id]
    with pytest.raises(Invalid) as exc:
        await service.invite_user(db, actor=cast.coordinator, municipality_id=cast.city.id, **kw)
    assert error in exc.value.fields
    assert await db.scalar(select(User).where(User.display_name == kw["display_name"])) is None


async def test_a_professional_works_for_an_organisation_not_a_council(cast, db):
    with pytest.raises(Invalid) as exc:
        await service.invite_user(db, actor=cast.coordinator, display_name="x", role="professional",
                                  municipality_id=cast.city.id, organisation_id=cast.orgs.council_a.id)
    assert "organisation_id" in exc.value.fields


async def test_areas_of_another_city_are_refused(cast, db):
    other = (await municipality_tree(db, cast.other_city.id)).children[0].area
    with pytest.raises(Invalid) as exc:
        await service.invite_user(db, actor=cast.coordinator, display_name="x", role="volunteer",
                                  municipality_id=cast.city.id, area_ids=[other.id])
    assert "area_ids" in exc.value.fields


async def test_a_coordinator_cannot_make_prefecture_staff(cast, db):
    with pytest.raises(Invalid) as exc:
        await service.invite_user(db, actor=cast.coordinator, display_name="x", role="prefecture_analyst",
                                  municipality_id=cast.city.id, area_ids=[cast.prefecture.id])
    assert "role" in exc.value.fields
    with pytest.raises(Invalid):
        await service.grant_role(db, actor=cast.coordinator, user_id=cast.csw.id, role="prefecture_analyst")


async def test_a_coordinator_of_another_city_gets_not_found(cast, db):
    other = cast.coordinator_other_city
    with pytest.raises(NotFound):
        await service.invite_user(db, actor=other, display_name="x", role="coordinator", municipality_id=cast.city.id)
    for call in (service.deactivate_user, service.reinvite_user):
        with pytest.raises(NotFound):
            await call(db, actor=other, user_id=cast.volunteer.id)
    with pytest.raises(NotFound):
        await service.grant_role(db, actor=other, user_id=cast.volunteer.id, role="commissioner")
    grant = (await db.scalars(select(RoleGrant).where(RoleGrant.user_id == cast.volunteer.id))).first()
    with pytest.raises(NotFound):
        await service.end_role(db, actor=other, grant_id=grant.id)


async def test_field_people_cannot_manage_people(cast, db):
    with pytest.raises(NotFound):
        await service.invite_user(db, actor=cast.commissioner, display_name="x", role="volunteer",
                                  municipality_id=cast.city.id, area_ids=[cast.hood_a1.id])


async def test_role_grants_are_dated_rows_never_overwritten(cast, db):
    user = cast.volunteer
    first = (await db.scalars(select(RoleGrant).where(RoleGrant.user_id == user.id))).one()
    ended = await service.end_role(db, actor=cast.coordinator, grant_id=first.id)
    ended_at = ended.valid_to
    assert ended_at is not None
    assert "volunteer" not in (await build_scope(db, user)).roles
    again = await service.grant_role(db, actor=cast.coordinator, user_id=user.id, role="volunteer")
    rows = (await db.scalars(select(RoleGrant).where(RoleGrant.user_id == user.id).order_by(RoleGrant.id))).all()
    assert [r.id for r in rows] == [first.id, again.id]
    assert rows[0].valid_to == ended_at and rows[1].valid_to is None
    with pytest.raises(Invalid):
        await service.end_role(db, actor=cast.coordinator, grant_id=first.id)
    assert (await actions_for(db, user.id))[-2:] == ["role.ended", "role.granted"]


async def test_a_role_already_held_is_not_granted_twice(cast, db):
    with pytest.raises(Invalid) as exc:
        await service.grant_role(db, actor=cast.coordinator, user_id=cast.volunteer.id, role="volunteer")
    assert exc.value.fields == {"role": "This person already has this role."}


async def test_one_person_may_hold_several_roles(cast, db):
    await service.grant_role(db, actor=cast.coordinator, user_id=cast.commissioner.id, role="volunteer")
    assert {"commissioner", "volunteer"} <= (await build_scope(db, cast.commissioner)).roles


async def test_area_grants_are_dated_too(cast, db):
    grant = await service.grant_area(db, actor=cast.coordinator, user_id=cast.volunteer.id, area_id=cast.hood_a2.id)
    assert cast.hood_a2.id in (await build_scope(db, cast.volunteer)).areas
    with pytest.raises(Invalid):
        await service.grant_area(db, actor=cast.coordinator, user_id=cast.volunteer.id, area_id=cast.hood_a2.id)
    await service.end_area(db, actor=cast.coordinator, grant_id=grant.id)
    assert cast.hood_a2.id not in (await build_scope(db, cast.volunteer)).areas
    assert (await db.get(AreaGrant, grant.id)).valid_to is not None
    assert (await actions_for(db, cast.volunteer.id))[-2:] == ["area.granted", "area.ended"]


async def test_ending_a_grant_through_another_persons_url_is_not_found(cast, db):
    grant = (await db.scalars(select(RoleGrant).where(RoleGrant.user_id == cast.volunteer.id))).first()
    with pytest.raises(NotFound):
        await service.end_role(db, actor=cast.coordinator, grant_id=grant.id, user_id=cast.csw.id)


async def test_deactivation_ends_every_session_at_once(cast, client, db, sessionmaker, settings):
    await sign_in(client, sessionmaker, settings, cast.volunteer)
    assert (await client.get("/home")).status_code == 200
    await service.deactivate_user(db, actor=cast.coordinator, user_id=cast.volunteer.id)
    await db.commit()
    r = await client.get("/home", follow_redirects=False)
    assert r.status_code in (302, 303) and r.headers["location"].startswith("/signin")
    assert cast.volunteer.status == "deactivated" and cast.volunteer.deactivated_at is not None
    assert (await actions_for(db, cast.volunteer.id))[-1] == "user.deactivated"
    await db.commit()


async def test_a_coordinator_cannot_deactivate_themselves(cast, db):
    with pytest.raises(Invalid):
        await service.deactivate_user(db, actor=cast.coordinator, user_id=cast.coordinator.id)


async def test_deactivation_cancels_open_invitations(cast, db):
    user, _token = await service.invite_user(db, actor=cast.coordinator, display_name="新人", role="coordinator",
                                             municipality_id=cast.city.id)
    await service.deactivate_user(db, actor=cast.coordinator, user_id=user.id)
    inv = (await db.scalars(select(Invitation).where(Invitation.user_id == user.id))).one()
    assert inv.cancelled_at is not None


async def test_reinviting_revokes_old_passkeys_and_leaves_one_working_link(cast, db):
    user = cast.deactivated
    db.add(Passkey(user_id=user.id, credential_id=b"lost-phone", public_key=b"k", name="iPhone"))
    await db.flush()
    first = await service.reinvite_user(db, actor=cast.coordinator, user_id=user.id)
    second = await service.reinvite_user(db, actor=cast.coordinator, user_id=user.id)
    assert first != second and user.status == "invited" and user.deactivated_at is None
    key = (await db.scalars(select(Passkey).where(Passkey.user_id == user.id))).one()
    assert key.revoked_at is not None and key.revoked_reason == "reinvited"
    open_links = await db.scalar(select(func.count()).select_from(Invitation).where(
        Invitation.user_id == user.id, Invitation.cancelled_at.is_(None)))
    assert open_links == 1
    assert "user.reactivated" in await actions_for(db, user.id)
    # The role grants survived deactivation and come back when they register again.
    assert (await db.scalars(select(RoleGrant).where(RoleGrant.user_id == user.id))).one().valid_to is None
