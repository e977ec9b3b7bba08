"""The area tree and organisations: level rules, the coordinator's municipality, audit rows."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from server.areas import service
from server.areas.models import OrganisationArea
from server.audit.models import AuditEvent
from server.errors import Invalid, NotFound


async def test_a_neighbourhood_under_a_district_carries_its_municipality_and_prefecture(cast, db):
    hood = await service.create_area(db, actor=cast.coordinator, parent_id=cast.district_b.id, level=None,
                                     name="南二丁目")
    assert (hood.level, hood.municipality_id, hood.prefecture_id) == (
        "neighbourhood", cast.city.id, cast.prefecture.id)
    assert cast.city.municipality_id == cast.city.id and cast.city.prefecture_id == cast.prefecture.id
    row = (await db.scalars(select(AuditEvent).where(AuditEvent.action == "area.created",
                                                     AuditEvent.object_id == hood.id))).one()
    assert row.actor_id == cast.coordinator.id and row.chain == f"m:{cast.city.id}"


@pytest.mark.parametrize("parent, level", [("prefecture", "district"), ("city", "neighbourhood"),
                                           ("hood_a1", "neighbourhood"), ("district_a", "district")])
async def test_a_child_level_must_follow_its_parents(cast, db, parent, level):
    with pytest.raises(Invalid) as exc:
        await service.create_area(db, actor=None, parent_id=getattr(cast, parent).id, level=level, name="新しい所")
    assert "level" in exc.value.fields


async def test_below_a_neighbourhood_there_is_nothing(cast, db):
    with pytest.raises(Invalid) as exc:
        await service.create_area(db, actor=cast.coordinator, parent_id=cast.hood_a1.id, level=None, name="x")
    assert "level" in exc.value.fields


async def test_only_a_prefecture_has_no_parent(db):
    with pytest.raises(Invalid):
        await service.create_area(db, actor=None, parent_id=None, level="municipality", name="孤立市")


async def test_a_coordinator_cannot_create_a_municipality(cast, db):
    with pytest.raises(NotFound):
        await service.create_area(db, actor=cast.coordinator, parent_id=cast.prefecture.id, level=None, name="新市")


async def test_a_name_is_unique_under_its_parent(cast, db):
    with pytest.raises(Invalid) as exc:
        await service.create_area(db, actor=cast.coordinator, parent_id=cast.district_a.id, level=None,
                                  name=cast.hood_a1.name)
    assert exc.value.fields == {"name": "An area with this name already exists here."}


async def test_an_empty_name_is_refused(cast, db):
    with pytest.raises(Invalid) as exc:
        await service.create_area(db, actor=cast.coordinator, parent_id=cast.district_a.id, level=None, name="  ")
    assert "name" in exc.value.fields


@pytest.mark.parametrize("write", ["create", "rename", "organisation", "edit_org"])
async def test_a_coordinator_of_another_city_gets_not_found(cast, db, write):
    other = cast.coordinator_other_city
    with pytest.raises(NotFound):
        if write == "create":
            await service.create_area(db, actor=other, parent_id=cast.district_a.id, level=None, name="侵入")
        elif write == "rename":
            await service.update_area(db, actor=other, area_id=cast.hood_a1.id, name="侵入")
        elif write == "organisation":
            await service.create_organisation(db, actor=other, municipality_id=cast.city.id, kind="agency",
                                              name="侵入", area_ids=[cast.district_a.id])
        else:
            await service.update_organisation(db, actor=other, org_id=cast.orgs.hub.id, name="侵入")


async def test_a_volunteer_cannot_manage_areas(cast, db):
    with pytest.raises(NotFound):
        await service.update_area(db, actor=cast.volunteer, area_id=cast.hood_a1.id, name="変更")


async def test_renaming_is_audited_and_a_no_change_is_not(cast, db):
    await service.update_area(db, actor=cast.coordinator, area_id=cast.hood_a1.id, name="北一丁目東")
    await service.update_area(db, actor=cast.coordinator, area_id=cast.hood_a1.id, name="北一丁目東")
    count = await db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "area.updated", AuditEvent.object_id == cast.hood_a1.id))
    assert count == 1 and cast.hood_a1.name == "北一丁目東"


async def test_a_council_keeps_its_meeting_day_and_others_ignore_it(cast, db):
    council = await service.create_organisation(db, actor=cast.coordinator, municipality_id=cast.city.id,
                                                kind="council", name="南地区民児協", meeting_day="12",
                                                area_ids=[cast.district_b.id])
    hub = await service.create_organisation(db, actor=cast.coordinator, municipality_id=cast.city.id,
                                            kind="satellite", name="南地域拠点", meeting_day="12",
                                            area_ids=[cast.district_b.id])
    assert (council.meeting_day, hub.meeting_day) == (12, None)


@pytest.mark.parametrize("day", ["0", "32", "月曜"])
async def test_a_meeting_day_must_be_a_day_of_the_month(cast, db, day):
    with pytest.raises(Invalid) as exc:
        await service.create_organisation(db, actor=cast.coordinator, municipality_id=cast.city.id,
                                          kind="council", name="南地区民児協", meeting_day=day,
                                          area_ids=[cast.district_b.id])
    assert "meeting_day" in exc.value.fields


async def test_an_organisation_serves_areas_of_its_own_municipality_only(cast, db):
    other_area = (await service.municipality_tree(db, cast.other_city.id)).children[0].area
    with pytest.raises(Invalid) as exc:
        await service.create_organisation(db, actor=cast.coordinator, municipality_id=cast.city.id,
                                          kind="agency", name="NPO", area_ids=[other_area.id])
    assert "area_ids" in exc.value.fields
    with pytest.raises(Invalid):
        await service.create_organisation(db, actor=cast.coordinator, municipality_id=cast.city.id,
                                          kind="agency", name="NPO", area_ids=[])


async def test_setting_the_areas_served_replaces_them(cast, db):
    org = cast.orgs.support_centre_a
    await service.set_organisation_areas(db, actor=cast.coordinator, org_id=org.id,
                                         area_ids=[cast.hood_a1.id, cast.hood_b1.id])
    served = (await db.scalars(select(OrganisationArea.area_id).where(
        OrganisationArea.organisation_id == org.id))).all()
    assert sorted(served) == sorted([cast.hood_a1.id, cast.hood_b1.id])


async def test_the_tree_lists_districts_neighbourhoods_and_who_serves_them(cast, db):
    tree = await service.municipality_tree(db, cast.city.id)
    districts = {n.area.name: n for n in tree.children}
    assert set(districts) == {"北地区", "南地区"}
    assert {n.area.name for n in districts["北地区"].children} == {"北一丁目", "北二丁目"}
    assert cast.orgs.council_a.id in {o.id for o in districts["北地区"].organisations}
    assert cast.orgs.shakyo.id in {o.id for o in tree.organisations}
