"""Demo data for watch-over: about 200 fictional households in the demo town's 8 neighbourhoods,
assigned to the demo commissioners and volunteers, with a month of contacts.

Made through the service functions (scope checks included; no audit rows: nobody real did
anything), deterministic from the town's random generator. The 民生委員 persona (緑が丘) gets a round with overdue, due and
recently visited households, a 不在 with a revisit, a 気になる with a flagged concern, and some
activity-record items, so the month's five blocks are not empty.
"""
from __future__ import annotations

import datetime as dt
import random
import uuid

from server import sealing
from server.assignments import service as assignments
from server.config import load
from server.contacts import service as contacts
from server.db import utcnow
from server.households import service as households
from server.i18n import TOKYO
from server.scope import build_scope

FAMILIES = [("青木", "アオキ"), ("石井", "イシイ"), ("上田", "ウエダ"), ("遠藤", "エンドウ"), ("岡田", "オカダ"),
            ("小川", "オガワ"), ("金子", "カネコ"), ("菊地", "キクチ"), ("工藤", "クドウ"), ("近藤", "コンドウ"),
            ("斉藤", "サイトウ"), ("坂本", "サカモト"), ("杉山", "スギヤマ"), ("関", "セキ"), ("高木", "タカギ"),
            ("千葉", "チバ"), ("土屋", "ツチヤ"), ("中島", "ナカジマ"), ("西田", "ニシダ"), ("野口", "ノグチ"),
            ("原田", "ハラダ"), ("平野", "ヒラノ"), ("福田", "フクダ"), ("星野", "ホシノ"), ("松田", "マツダ"),
            ("三浦", "ミウラ"), ("村上", "ムラカミ"), ("矢野", "ヤノ"), ("吉田", "ヨシダ"), ("渡部", "ワタベ"),
            ("髙橋", "タカハシ"), ("山﨑", "ヤマサキ")]
GIVEN = [("トメ", "トメ"), ("ハナ", "ハナ"), ("キヨ", "キヨ"), ("千代", "チヨ"), ("房子", "フサコ"),
         ("正一", "ショウイチ"), ("武", "タケシ"), ("勝", "マサル"), ("文子", "フミコ"), ("静江", "シズエ"),
         ("次郎", "ジロウ"), ("昭", "アキラ"), ("光子", "ミツコ"), ("敏子", "トシコ"), ("一男", "カズオ"),
         ("陽菜", "ヒナ"), ("蓮", "レン"), ("結衣", "ユイ"), ("大翔", "ヒロト"), ("美咲", "ミサキ")]
# Households per neighbourhood (about 200 in all); the persona commissioner's 緑が丘 is the largest.
PER_HOOD = {"緑が丘": 40, "本町": 30, "桜台": 20, "青葉台": 25, "若葉町": 20, "東山": 20, "川辺": 25, "南浜": 20}
TYPES = ["elderly_alone", "elderly_alone", "elderly_alone", "elderly_only", "elderly_only", "disability",
         "single_parent", "child_rearing"]


def _name(rng: random.Random, family: tuple[str, str], young: bool = False) -> tuple[str, str]:
    given = rng.choice(GIVEN[15:] if young else GIVEN[:15])
    return f"{family[0]} {given[0]}", f"{family[1]} {given[1]}"


async def seed_households(session, town, rng: random.Random) -> None:
    if not sealing.configured():
        sealing.configure(load().data_key)
    coord = town.people["社協コーディネーター"]
    scope = await build_scope(session, coord)
    today = utcnow().astimezone(TOKYO).date()
    # Who is the commissioner of each neighbourhood (the persona for 緑が丘, the chair for 本町, members elsewhere).
    commissioner_of = {"緑が丘": town.people["民生委員"], "本町": town.people["民児協会長"]}
    for member, hood in zip(town.members, ["桜台", "本町", "青葉台", "若葉町", "東山", "川辺", "南浜"], strict=False):
        commissioner_of.setdefault(hood, member)
    volunteer_of = {"緑が丘": town.people["福祉員（サロン）"], "川辺": town.people["福祉員（他地区）"]}
    made = []
    for hood, count in PER_HOOD.items():
        area = town.hoods[hood]
        for i in range(count):
            kind = rng.choice(TYPES)
            family = rng.choice(FAMILIES)
            h = await households.create_household(session, actor=coord, scope=scope, data=households.HouseholdInput(
                area_id=area.id, address=f"{hood}{rng.randint(1, 5)}丁目{rng.randint(1, 30)}-{rng.randint(1, 20)}",
                types=[kind], needs=rng.sample(["買い物", "ゴミ出し", "通院", "話し相手", "電球交換"], k=rng.randint(0, 2)),
                cadence=rng.choice(["weekly", "biweekly", "biweekly", "monthly", "monthly", "monthly"]),
                external_ref=f"DEMO-{area.code}-{i + 1:03d}"), audit=False)
            members = []
            if kind in ("elderly_alone", "disability"):
                members.append((*_name(rng, family), rng.randint(1930, 1950)))
            elif kind == "elderly_only":
                members += [(*_name(rng, family), rng.randint(1932, 1948)), (*_name(rng, family), rng.randint(1934, 1950))]
            else:
                members += [(*_name(rng, family), rng.randint(1980, 1992)),
                            (*_name(rng, family, young=True), today.year - rng.randint(2, 15))]
            for name, kana, year in members:
                p = await households.add_person(session, actor=coord, scope=scope, household_id=h.id,
                                                municipality_id=None, data=households.PersonInput(
                                                    name=name, kana=kana, birth_year=year,
                                                    phone=f"000-{rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
                                                    evacuation_support=kind in ("elderly_alone", "disability")
                                                    and rng.random() < 0.4), audit=False)
                if rng.random() < 0.03:  # a few refuse watch-over: they appear on no round
                    await households.record_consent(session, actor=coord, scope=scope, person_id=p.id,
                                                    purpose="watch", given=False, given_on=today, given_by="self",
                                                    method="verbal", audit=False)
            commissioner = commissioner_of.get(hood)
            if commissioner is not None:
                await assignments.assign(session, actor=coord, scope=scope, household_id=h.id,
                                         user_id=commissioner.id, role="commissioner", audit=False)
            if hood in volunteer_of and i % 3 == 0:
                await assignments.assign(session, actor=coord, scope=scope, household_id=h.id,
                                         user_id=volunteer_of[hood].id, role="volunteer", audit=False)
            made.append((hood, h, commissioner))
    await _contacts(session, made, rng, today)


async def _contacts(session, made, rng: random.Random, today: dt.date) -> None:
    """A month of contacts by each household's commissioner: some recent, some long ago, some never."""
    earliest = contacts.previous_month_start(today)
    now = utcnow()
    scopes: dict[int, object] = {}
    for n, (hood, h, commissioner) in enumerate(made):
        if commissioner is None or not h.watch_ok:
            continue
        if commissioner.id not in scopes:
            scopes[commissioner.id] = await build_scope(session, commissioner)
        scope = scopes[commissioner.id]
        roll = rng.random()
        if roll < 0.2:
            continue  # never visited: top of the round
        days_back = rng.randint(0, max(0, (today - earliest).days))
        floor = dt.datetime.combine(earliest, dt.time(9), tzinfo=TOKYO)
        when = max(now - dt.timedelta(days=days_back, hours=rng.randint(0, 6)), floor)
        extra: dict = {}
        if hood == "緑が丘" and n % 10 == 3:
            extra = {"method": "visit_absent", "revisit_on": today + dt.timedelta(days=rng.randint(0, 3))}
            when = now - dt.timedelta(hours=rng.randint(1, 30))
        elif hood == "緑が丘" and n % 10 == 7:
            extra = {"outcome": "watch", "signs": ["mail_piling", "weight_loss"], "flag_concern": True,
                     "consults": [("elderly", "daily_support")], "liaisons": ["agency"]}
        elif rng.random() < 0.1:
            extra = {"consults": [(rng.choice(["elderly", "elderly", "children", "other"]),
                                   rng.choice(["daily_support", "other", "home_welfare", "health"]))]}
        data = contacts.ContactInput(household_id=h.id, client_id=uuid.uuid4().hex,
                                     method=extra.pop("method", rng.choice(["visit", "visit", "visit", "phone", "exterior"])),
                                     occurred_at=when, **extra)
        await contacts.log_contact(session, actor=commissioner, scope=scope, data=data, audit=False)
