"""The demo town: 架空県みどり市, fictional people and places, made through the service functions.

Deterministic (a fixed random seed), so every newcomer sees the same town and a screenshot in
the README stays true. Later issues add their own demo data to the same town: append
"package.module:function" to SEED_STEPS; each step is called as
`await fn(session, town, rng)` with the DemoTown below, after the people exist.
"""
from __future__ import annotations

import importlib
import random
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.areas.models import Area, Organisation
from server.areas.service import create_area, create_organisation
from server.users.models import User
from server.users.service import add_active_user, grant_role

RANDOM_SEED = 20261201
PREFECTURE = ("架空県", "99")
MUNICIPALITY = ("みどり市", "99201")
# 3 districts (中学校区), each with its neighbourhoods (小学校区・自治会).
DISTRICTS = {
    "中央地区": ["本町", "緑が丘", "桜台"],
    "青葉地区": ["青葉台", "若葉町", "東山"],
    "川辺地区": ["川辺", "南浜"],
}

# Personas: (demo button label, name, how they are made). Labels are exact (issue 2).
PERSONAS = [
    ("民生委員", "佐藤 和子"),
    ("民児協会長", "高橋 正男"),
    ("主任児童委員", "田中 美和"),
    ("福祉員（サロン）", "鈴木 節子"),
    ("福祉員（他地区）", "伊藤 勇"),
    ("CSW", "渡辺 直樹"),
    ("地域包括", "山本 恵"),
    ("社協コーディネーター", "中村 陽子"),
    ("市職員", "小林 健一"),
    ("県職員", "加藤 美穂"),
]
PERSONA_NAMES = dict(PERSONAS)

# Council members who are not personas, picked deterministically.
FAMILY = ["松本", "井上", "木村", "林", "清水", "山崎", "森", "池田", "橋本", "阿部", "石川", "前田"]
GIVEN = ["幸子", "博", "恵子", "茂", "洋子", "実", "順子", "清", "京子", "進", "和夫", "久美子"]

# Where later issues plug in their demo data (households, salons, concerns ...).
SEED_STEPS: list[str] = [
    "server.concerns.demo:seed_routes",  # concerns: the routing table (before contacts raise concerns)
    "server.households.demo:seed_households",  # watch-over: ~200 households, assignments, contacts
    "server.activity.demo:seed_activity",  # activity record: three months for the commissioners
    "server.salons.demo:seed_salons",  # salons: 緑が丘ふれあいサロン with a month run, a 座談会 in 本町
    "server.concerns.demo:seed_concerns",  # concerns: a few at every stage
    "server.casework.demo:seed_casework",  # casework: an 8050 household from intake to a 支援会議, gaps
    "server.rollups.demo:seed_rollups",  # console: rebuild the rollups, take today's snapshot (keep last)
]


@dataclass
class DemoTown:
    prefecture: Area
    city: Area
    districts: dict[str, Area] = field(default_factory=dict)
    hoods: dict[str, Area] = field(default_factory=dict)
    orgs: dict[str, Organisation] = field(default_factory=dict)
    # Persona label -> user; other council members in `members`.
    people: dict[str, User] = field(default_factory=dict)
    members: list[User] = field(default_factory=list)


async def demo_city(session: AsyncSession) -> Area | None:
    return (await session.scalars(select(Area).where(
        Area.level == "municipality", Area.code == MUNICIPALITY[1], Area.name == MUNICIPALITY[0]))).first()


async def seed_demo(session: AsyncSession, *, if_empty: bool) -> bool:
    """Create the town; False when skipped (data present with if_empty, or the town already exists)."""
    if if_empty and (await session.scalar(select(Area.id).limit(1))) is not None:
        return False
    if await demo_city(session) is not None:
        return False
    rng = random.Random(RANDOM_SEED)
    town = await _areas(session)
    await _organisations(session, town)
    await _people(session, town, rng)
    await seed_later_issues(session, town, rng)
    await session.flush()
    return True


async def _areas(session: AsyncSession) -> DemoTown:
    pref = await create_area(session, actor=None, parent_id=None, level="prefecture",
                             name=PREFECTURE[0], code=PREFECTURE[1])
    city = await create_area(session, actor=None, parent_id=pref.id, level="municipality",
                             name=MUNICIPALITY[0], code=MUNICIPALITY[1])
    town = DemoTown(prefecture=pref, city=city)
    for i, (district, hoods) in enumerate(DISTRICTS.items(), start=1):
        d = await create_area(session, actor=None, parent_id=city.id, level="district", name=district,
                              code=f"{MUNICIPALITY[1]}-{i}")
        town.districts[district] = d
        for j, hood in enumerate(hoods, start=1):
            town.hoods[hood] = await create_area(session, actor=None, parent_id=d.id, level="neighbourhood",
                                                 name=hood, code=f"{MUNICIPALITY[1]}-{i}-{j}")
    return town


async def _organisations(session: AsyncSession, town: DemoTown) -> None:
    d = town.districts

    async def org(key: str, kind: str, name: str, areas: list[Area], phone: str, **kw) -> None:
        town.orgs[key] = await create_organisation(
            session, actor=None, municipality_id=town.city.id, kind=kind, name=name, phone=phone,
            area_ids=[a.id for a in areas], **kw)

    # Phone numbers are fictional (000 is not a Japanese area code).
    await org("shakyo", "shakyo", "みどり市社会福祉協議会", [town.city], "000-100-0001",
              out_of_hours_phone="000-100-0009")
    await org("support_centre_1", "support_centre", "みどり市中央地域包括支援センター",
              [d["中央地区"], d["青葉地区"]], "000-100-0101")
    await org("support_centre_2", "support_centre", "みどり市川辺地域包括支援センター",
              [d["川辺地区"]], "000-100-0201")
    await org("hub", "hub", "みどり市福祉総合相談窓口", [town.city], "000-100-0301")
    await org("child_section", "section", "みどり市子ども家庭課", [town.city], "000-100-0401")
    for i, name in enumerate(DISTRICTS, start=1):
        await org(f"satellite_{i}", "satellite", f"{name}地域相談拠点", [d[name]], f"000-100-05{i:02d}")
    await org("council_1", "council", "中央地区民生委員児童委員協議会", [d["中央地区"]], "000-100-0601",
              meeting_day=5)
    await org("council_2", "council", "青葉・川辺地区民生委員児童委員協議会", [d["青葉地区"], d["川辺地区"]],
              "000-100-0701", meeting_day=8)


async def _people(session: AsyncSession, town: DemoTown, rng: random.Random) -> None:
    city, h, o = town.city.id, town.hoods, town.orgs
    n = PERSONA_NAMES

    async def person(label: str, role: str, **kw) -> User:
        user = await add_active_user(session, actor=None, display_name=n[label], role=role,
                                     municipality_id=city, **kw)
        town.people[label] = user
        return user

    # The coordinator first, so everyone else is granted by a person, as in real use.
    coord = await person("社協コーディネーター", "coordinator")

    async def by_coord(label: str, role: str, **kw) -> User:
        user = await add_active_user(session, actor=coord, display_name=n[label], role=role,
                                     municipality_id=city, **kw)
        town.people[label] = user
        return user

    await by_coord("民生委員", "commissioner", area_ids=[h["緑が丘"].id], organisation_id=o["council_1"].id)
    chair = await by_coord("民児協会長", "commissioner", area_ids=[h["本町"].id], organisation_id=o["council_1"].id)
    await grant_role(session, actor=coord, user_id=chair.id, role="council_chair", organisation_id=o["council_1"].id)
    await by_coord("主任児童委員", "commissioner", chief_child=True, organisation_id=o["council_1"].id)
    await by_coord("福祉員（サロン）", "volunteer", area_ids=[h["緑が丘"].id])
    await by_coord("福祉員（他地区）", "volunteer", area_ids=[h["川辺"].id])
    await by_coord("CSW", "professional", organisation_id=o["shakyo"].id)
    await by_coord("地域包括", "professional", organisation_id=o["support_centre_1"].id)
    await by_coord("市職員", "municipal_analyst")
    town.people["県職員"] = await add_active_user(session, actor=None, display_name=n["県職員"],
                                                 role="prefecture_analyst", municipality_id=None,
                                                 area_ids=[town.prefecture.id])
    await _council_members(session, town, coord, rng)


async def _council_members(session: AsyncSession, town: DemoTown, coord: User, rng: random.Random) -> None:
    """Two more commissioners in council 1; council 2 gets a chair, a 主任児童委員 and members."""
    names = [f"{f} {g}" for f, g in zip(rng.sample(FAMILY, 8), rng.sample(GIVEN, 8), strict=True)]
    c1, c2 = town.orgs["council_1"].id, town.orgs["council_2"].id
    plan = [(c1, "桜台"), (c1, "本町"), (c2, "青葉台"), (c2, "若葉町"), (c2, "東山"), (c2, "川辺"), (c2, "南浜")]
    for name, (council, hood) in zip(names, plan, strict=False):
        town.members.append(await add_active_user(
            session, actor=coord, display_name=name, role="commissioner", municipality_id=town.city.id,
            area_ids=[town.hoods[hood].id], organisation_id=council))
    # The first member of council 2 chairs it.
    await grant_role(session, actor=coord, user_id=town.members[2].id, role="council_chair", organisation_id=c2)
    town.members.append(await add_active_user(
        session, actor=coord, display_name=names[-1], role="commissioner", municipality_id=town.city.id,
        chief_child=True, organisation_id=c2))


async def seed_later_issues(session: AsyncSession, town: DemoTown, rng: random.Random) -> None:
    """The hook for later issues (households, salons, concerns): see SEED_STEPS above."""
    for step in SEED_STEPS:
        module, _, name = step.partition(":")
        fn = getattr(importlib.import_module(module), name)
        await fn(session, town, rng)
