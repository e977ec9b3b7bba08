"""Real concern ids in both towns of the route-enumerating authorization test: a routing rule and a
concern about the watch-over household, received by a support centre (so a professional of the
same city's other support centre is "another organisation")."""
from __future__ import annotations

import uuid

from server.concerns import service
from server.scope import build_scope


async def _one_town(db, coordinator, reporter, organisation_id: int, area_id: int, town) -> None:
    scope = await build_scope(db, coordinator)
    route = await service.save_route(db, actor=coordinator, scope=scope, municipality_id=town.municipality,
                                     area_id=area_id, target_group="elderly", category=None,
                                     organisation_id=organisation_id)
    concern, _ = await service.raise_concern(db, actor=reporter, client_id=uuid.uuid4().hex,
                                             household_id=town.household, target_group="elderly",
                                             category="health", urgency="soon", seen="test")
    assert concern.organisation_id == organisation_id
    town.concern, town.route = concern.id, route.id


async def add_concern_ids(db, cast, this, other) -> None:
    from server.households.models import Household

    await _one_town(db, cast.coordinator, cast.coordinator, cast.orgs.support_centre_a.id, cast.district_a.id, this)
    household = await db.get(Household, other.household)
    await _one_town(db, cast.coordinator_other_city, cast.coordinator_other_city, other.organisation,
                    household.area_id, other)
