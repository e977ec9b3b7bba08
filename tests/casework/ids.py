"""Real casework ids in both towns of the route-enumerating authorization test: a sheet, a share of
it, a 支援会議 body, a conference with one action, all about the town's concern household."""
from __future__ import annotations

import datetime as dt

from server.casework import service
from server.concerns.models import Concern
from server.scope import build_scope
from server.users.service import add_active_user


async def _one_town(db, coordinator, town) -> None:
    concern = await db.get(Concern, town.concern)
    pro = await add_active_user(db, actor=None, display_name="ケース 担当", role="professional",
                                municipality_id=town.municipality, organisation_id=concern.organisation_id)
    scope = await build_scope(db, pro)
    sheet = await service.start_sheet(db, actor=pro, scope=scope, household_id=concern.household_id, kind="intake",
                                      sections={"composition": "test"}, concern_id=concern.id)
    from sqlalchemy import select

    from server.areas.models import Organisation

    other_org = (await db.scalars(select(Organisation.id).where(
        Organisation.municipality_id == town.municipality, Organisation.id != concern.organisation_id,
        Organisation.kind != "council").limit(1))).first()
    if other_org is None:
        from server.areas.service import create_organisation

        other_org = (await create_organisation(db, actor=None, municipality_id=town.municipality, kind="shakyo",
                                               name="となり町社会福祉協議会", area_ids=[town.municipality],
                                               phone="000-300-0002")).id
    share = await service.share_sheet(db, actor=pro, scope=scope, sheet_id=sheet.id, to_organisation_id=other_org,
                                      basis="emergency", reason="test", sections=["composition"], note_ids=[])
    cscope = await build_scope(db, coordinator)
    meeting = await service.save_meeting(db, actor=coordinator, scope=cscope, municipality_id=town.municipality,
                                         meeting_id=None, name="支援会議", law="社会福祉法第106条の6",
                                         member_ids=[concern.organisation_id, other_org])
    conference = await service.record_conference(
        db, actor=pro, scope=scope, kind="case", held_on=dt.date(2026, 11, 1), participant_ids=[], outside="",
        household_ids=[concern.household_id], concern_ids=[concern.id], minutes="test", decisions="",
        actions=[("test", pro.id, dt.date(2026, 12, 1))])
    from server.casework.models import ConferenceAction

    action = (await db.scalars(select(ConferenceAction.id).where(ConferenceAction.conference_id == conference.id))).first()
    town.sheet, town.share, town.meeting, town.conference, town.action = sheet.id, share.id, meeting.id, conference.id, action


async def add_casework_ids(db, cast, this, other) -> None:
    await _one_town(db, cast.coordinator, this)
    await _one_town(db, cast.coordinator_other_city, other)
