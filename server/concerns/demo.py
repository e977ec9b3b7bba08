"""Demo data for concerns: the demo town's routing table (before the households, so the concerns
watch-over's demo contacts raise are routed by it), and a few concerns at every stage after them.

The 地域包括 persona (中央地域包括支援センター) finds a new 緊急 concern at the top of the inbox and
the banner on every page; the 民生委員 persona has an unread reply on her round.
Made through the service functions without audit rows (nobody real did anything).
"""
from __future__ import annotations

import random
import uuid

from sqlalchemy import select

from server.concerns import service
from server.concerns.models import ConcernRoute
from server.households.models import Household
from server.scope import build_scope, visible_households


async def seed_routes(session, town, rng: random.Random) -> None:
    d, o, city = town.districts, town.orgs, town.city.id
    rules = [
        (d["中央地区"].id, "elderly", None, o["support_centre_1"].id),
        (d["青葉地区"].id, "elderly", None, o["support_centre_1"].id),
        (d["川辺地区"].id, "elderly", None, o["support_centre_2"].id),
        (None, "children", None, o["child_section"].id),
        (None, "disability", None, o["shakyo"].id),
        (None, None, "isolation", o["shakyo"].id),
        (None, None, "money", o["shakyo"].id),
    ]
    for area_id, group, category, org_id in rules:
        session.add(ConcernRoute(municipality_id=city, area_id=area_id, target_group=group, category=category,
                                 organisation_id=org_id))
    await session.flush()


async def seed_concerns(session, town, rng: random.Random) -> None:
    commissioner = town.people["民生委員"]
    volunteer = town.people["福祉員（サロン）"]
    professional = town.people["地域包括"]
    scope = await build_scope(session, commissioner)
    households = (await session.scalars(select(Household).where(
        Household.id.in_(await visible_households(session, scope)), Household.status == "active")
        .order_by(Household.id))).all()
    elderly = [h for h in households if {"elderly_alone", "elderly_only"} & set(h.types or [])]
    if len(elderly) < 3:
        return

    async def raise_(actor, household, **kw):
        row, _ = await service.raise_concern(session, actor=actor, client_id=uuid.uuid4().hex,
                                             household_id=household.id if household else None, audit=False, **kw)
        return row

    await raise_(commissioner, elderly[0], target_group="elderly", category="health", urgency="emergency",
                 seen="玄関先で倒れていると近所の方から連絡がありました。119番に通報済みです。",
                 done="119番に通報し、救急車の到着まで付き添いました。")
    vscope = await build_scope(session, volunteer)
    mine = (await session.scalars(select(Household.id).where(
        Household.id.in_(await visible_households(session, vscope))).order_by(Household.id))).all()
    second = next((h for h in elderly if h.id in mine), elderly[1])
    row = await raise_(volunteer if second.id in mine else commissioner, second, target_group="elderly",
                       category="dementia", urgency="soon",
                       seen="同じ話を何度も繰り返し、季節に合わない服装で外を歩いていました。")
    pscope = await build_scope(session, professional)
    await service.move(session, actor=professional, scope=pscope, concern_id=row.id, action="acknowledge", audit=False)
    await service.move(session, actor=professional, scope=pscope, concern_id=row.id, action="start", audit=False)
    await service.reply(session, actor=professional, scope=pscope, concern_id=row.id, audit=False,
                        text="ご連絡ありがとうございます。明日、包括の職員が訪問します。")
    row = await raise_(commissioner, elderly[2], target_group="elderly", category="isolation", urgency="normal",
                       seen="最近サロンに来なくなり、挨拶もしなくなりました。")
    # isolation goes to the council (CSW) by the municipality-wide rule... unless a district rule wins:
    # the 中央地区 elderly rule is more specific, so the support centre receives it.
    await service.move(session, actor=professional, scope=pscope, concern_id=row.id, action="acknowledge", audit=False)
    await service.move(session, actor=professional, scope=pscope, concern_id=row.id, action="start", audit=False)
    await service.move(session, actor=professional, scope=pscope, concern_id=row.id, action="link", audit=False,
                       message="ありがとうございました。包括が訪問し、介護保険の申請につなぎました。引き続き見守りをお願いします。")
    hood = town.hoods["緑が丘"]
    await raise_(commissioner, None, area_id=hood.id, place="緑が丘公園の近くのアパート", target_group="children",
                 category="abuse", urgency="soon", seen="夜遅くに子どもの泣き声と怒鳴り声が続いています。")
