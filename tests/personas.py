"""The fixed cast every test can use (`cast` fixture), made through the real service functions.

テスト県 > つなぐ市 (district_a: hood_a1, hood_a2; district_b: hood_b1) and となり町 next door.
Read a test as a sentence: "the commissioner_same_hood cannot open the commissioner's household".
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest

from server.areas.models import Area, Organisation
from server.areas.service import create_area, create_organisation
from server.users.models import User
from server.users.service import add_active_user, deactivate_user, grant_role

USER_NAMES = (
    "coordinator", "coordinator_other_city", "commissioner", "commissioner_same_hood", "chief_child",
    "council_chair", "volunteer", "volunteer_other_district", "csw", "support_centre",
    "professional_other_org", "municipal_analyst", "prefecture_analyst", "deactivated", "coordinator_csw",
)


@dataclass
class Cast:
    prefecture: Area
    city: Area
    other_city: Area
    district_a: Area
    district_b: Area
    hood_a1: Area
    hood_a2: Area
    hood_b1: Area
    orgs: SimpleNamespace
    users: dict[str, User] = field(default_factory=dict)

    def __getattr__(self, name: str) -> User:
        users = self.__dict__.get("users", {})
        if name in users:
            return users[name]
        raise AttributeError(name)

    def all_users(self) -> dict[str, User]:
        return dict(self.users)


async def build_cast(session) -> Cast:
    area = create_area
    pref = await area(session, actor=None, parent_id=None, level="prefecture", name="テスト県", code="98")
    city = await area(session, actor=None, parent_id=pref.id, level="municipality", name="つなぐ市", code="98201")
    other = await area(session, actor=None, parent_id=pref.id, level="municipality", name="となり町", code="98301")
    district_a = await area(session, actor=None, parent_id=city.id, level="district", name="北地区")
    district_b = await area(session, actor=None, parent_id=city.id, level="district", name="南地区")
    hood_a1 = await area(session, actor=None, parent_id=district_a.id, level="neighbourhood", name="北一丁目")
    hood_a2 = await area(session, actor=None, parent_id=district_a.id, level="neighbourhood", name="北二丁目")
    hood_b1 = await area(session, actor=None, parent_id=district_b.id, level="neighbourhood", name="南町")
    await area(session, actor=None, parent_id=other.id, level="district", name="となり地区")

    async def org(kind: str, name: str, areas: list[Area], **kw) -> Organisation:
        return await create_organisation(session, actor=None, municipality_id=city.id, kind=kind, name=name,
                                         area_ids=[a.id for a in areas], phone="000-200-0001", **kw)

    orgs = SimpleNamespace(
        shakyo=await org("shakyo", "つなぐ市社会福祉協議会", [city]),
        support_centre_a=await org("support_centre", "北地域包括支援センター", [district_a]),
        support_centre_b=await org("support_centre", "南地域包括支援センター", [district_b]),
        hub=await org("hub", "つなぐ市福祉総合相談窓口", [city]),
        child_section=await org("section", "つなぐ市子ども家庭課", [city]),
        council_a=await org("council", "北地区民生委員児童委員協議会", [district_a], meeting_day=10),
    )
    cast = Cast(prefecture=pref, city=city, other_city=other, district_a=district_a, district_b=district_b,
                hood_a1=hood_a1, hood_a2=hood_a2, hood_b1=hood_b1, orgs=orgs)
    u = cast.users

    u["coordinator"] = coord = await add_active_user(
        session, actor=None, display_name="社協 調整子", role="coordinator", municipality_id=city.id)
    u["coordinator_other_city"] = await add_active_user(
        session, actor=None, display_name="隣町 調整男", role="coordinator", municipality_id=other.id)

    async def person(key: str, name: str, role: str, **kw) -> User:
        u[key] = await add_active_user(session, actor=coord, display_name=name, role=role,
                                       municipality_id=city.id, **kw)
        return u[key]

    council = orgs.council_a.id
    await person("commissioner", "民生 一郎", "commissioner", area_ids=[hood_a1.id], organisation_id=council)
    await person("commissioner_same_hood", "民生 次郎", "commissioner", area_ids=[hood_a1.id])
    await person("chief_child", "主任 児童子", "commissioner", chief_child=True, organisation_id=council)
    chair = await person("council_chair", "会長 三郎", "commissioner", area_ids=[hood_a2.id], organisation_id=council)
    await grant_role(session, actor=coord, user_id=chair.id, role="council_chair", organisation_id=council)
    await person("volunteer", "福祉 花子", "volunteer", area_ids=[hood_a1.id])
    await person("volunteer_other_district", "南 福祉員", "volunteer", area_ids=[hood_b1.id])
    await person("csw", "地域 福祉士", "professional", organisation_id=orgs.shakyo.id)
    await person("support_centre", "包括 看護師", "professional", organisation_id=orgs.support_centre_a.id)
    await person("professional_other_org", "南包括 相談員", "professional", organisation_id=orgs.support_centre_b.id)
    await person("municipal_analyst", "市役所 統計", "municipal_analyst")
    u["prefecture_analyst"] = await add_active_user(
        session, actor=None, display_name="県庁 集計", role="prefecture_analyst", municipality_id=None,
        area_ids=[pref.id])
    gone = await person("deactivated", "退任 四郎", "volunteer", area_ids=[hood_a1.id])
    await deactivate_user(session, actor=coord, user_id=gone.id)
    both = await person("coordinator_csw", "兼務 五子", "coordinator")
    await grant_role(session, actor=coord, user_id=both.id, role="professional", organisation_id=orgs.shakyo.id)
    assert set(u) == set(USER_NAMES)
    return cast


@pytest.fixture
async def cast(db) -> Cast:
    built = await build_cast(db)
    await db.commit()
    return built
