"""A small town for watch-over tests, built through the models and the service functions.

Minato-mura: district East (neighbourhoods N1, N2) and West (N3); another municipality
Yama-machi (N9). The cast: a coordinator, two commissioners (N1, N2), a chief child
commissioner whose council serves East, a volunteer assigned in N1, a volunteer in N1
without any assignment, a volunteer from West, a professional, an analyst, and the
coordinator of the other municipality.
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field

import pytest

from server import sealing
from server.areas.models import Area, Organisation, OrganisationArea
from server.scope import Scope, build_scope
from server.users.models import AreaGrant, RoleGrant, User

EPOCH = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _data_key(settings):
    sealing.configure(settings.data_key)


@dataclass
class Town:
    municipality: Area
    other_municipality: Area
    n1: Area
    n2: Area
    n3: Area
    n9: Area
    council: Organisation
    users: dict[str, User] = field(default_factory=dict)

    def __getattr__(self, name: str) -> User:
        users = self.__dict__.get("users", {})
        if name in users:
            return users[name]
        raise AttributeError(name)


async def _user(db, name: str, municipality: Area, role: str | None, *, area: Area | None = None,
                organisation: Organisation | None = None, chief_child: bool = False) -> User:
    user = User(display_name=name, status="active", municipality_id=municipality.id, webauthn_handle=os.urandom(32),
                locale="en")
    db.add(user)
    await db.flush()
    if role:
        db.add(RoleGrant(user_id=user.id, role=role, municipality_id=municipality.id, valid_from=EPOCH,
                         organisation_id=organisation.id if organisation else None, chief_child=chief_child))
    if area:
        db.add(AreaGrant(user_id=user.id, area_id=area.id, valid_from=EPOCH))
    await db.flush()
    return user


async def make_town(db) -> Town:
    pref = Area(level="prefecture", name="Test-ken")
    db.add(pref)
    await db.flush()

    async def area(level, name, parent, code=None):
        a = Area(level=level, name=name, parent_id=parent.id, code=code, prefecture_id=pref.id,
                 municipality_id=None if level == "prefecture" else (parent.municipality_id or parent.id))
        db.add(a)
        await db.flush()
        if level == "municipality":
            a.municipality_id = a.id
        return a

    m = await area("municipality", "Minato-mura", pref, "M1")
    east = await area("district", "East", m)
    west = await area("district", "West", m)
    n1 = await area("neighbourhood", "Hama-1", east, "N1")
    n2 = await area("neighbourhood", "Hama-2", east, "N2")
    n3 = await area("neighbourhood", "Oka", west, "N3")
    m2 = await area("municipality", "Yama-machi", pref, "M2")
    d9 = await area("district", "Yama", m2)
    n9 = await area("neighbourhood", "Yama-1", d9, "N9")
    council = Organisation(municipality_id=m.id, kind="council", name="East council")
    db.add(council)
    # The one-stop hub receives the concerns a worrying contact raises (no routing rules in this town).
    db.add(Organisation(municipality_id=m.id, kind="hub", name="Minato one-stop hub"))
    await db.flush()
    db.add(OrganisationArea(organisation_id=council.id, area_id=east.id))
    town = Town(m, m2, n1, n2, n3, n9, council)
    town.users = {
        "coord": await _user(db, "Coordinator", m, "coordinator"),
        "comm": await _user(db, "Commissioner One", m, "commissioner", area=n1, organisation=council),
        "comm2": await _user(db, "Commissioner Two", m, "commissioner", area=n2, organisation=council),
        "chief": await _user(db, "Chief child", m, "commissioner", organisation=council, chief_child=True),
        "vol": await _user(db, "Volunteer", m, "volunteer", area=n1),
        "vol_same": await _user(db, "Volunteer same area", m, "volunteer", area=n1),
        "vol_west": await _user(db, "Volunteer West", m, "volunteer", area=n3),
        "pro": await _user(db, "Professional", m, "professional"),
        "analyst": await _user(db, "Analyst", m, "municipal_analyst"),
        "coord2": await _user(db, "Other coordinator", m2, "coordinator"),
    }
    await db.commit()
    return town


@pytest.fixture
async def town(db) -> Town:
    return await make_town(db)


async def scope_of(db, user: User) -> Scope:
    return await build_scope(db, user)
