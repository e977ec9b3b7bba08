"""Demo data for casework: an "8050" household in 緑が丘 run by the CSW from intake to a 支援会議
with three follow-up actions, shares only the law allows, and a year of 制度外ニーズ.

- the 民生委員 persona raises a concern (isolation) about the 森田 household: father 85, mother 82,
  a son of 54 who has not gone out for years; it is routed to the council (社協), where the CSW works;
- the parents consent to sharing with professionals, the son has not: 本人同意 would be refused,
  so the CSW shares with 地域包括 under the standing 支援会議 (社会福祉法第106条の6), choosing the
  sections it needs (not the money); an earlier 緊急 share (the father fell) waits in the
  coordinator's review list;
- the intake sheet has two versions, the assessment sheet one;
- the 支援会議 met three days ago: three actions, the CSW's own one overdue (on the CSW's home);
- gaps across the fiscal year, a few this quarter, on the council's and the support centre's concerns.
Made through the service functions without audit rows (nobody real did anything).
"""
from __future__ import annotations

import datetime as dt
import random
import uuid

from sqlalchemy import select

from server.assignments import service as assignments
from server.casework import service
from server.casework.models import Gap
from server.concerns import service as concerns
from server.concerns.models import Concern
from server.db import utcnow
from server.households import service as households
from server.i18n import TOKYO
from server.scope import build_scope

INTAKE_V1 = {
    "composition": "父（85歳）、母（82歳）、長男（54歳）の3人暮らし。長女は県外に在住。",
    "care": "父は要支援1。最近、歩行が不安定になってきた。母が家事を担っている。",
    "health": "父は心疾患で月1回通院。母は腰痛。長男は受診歴なし。",
    "relationships": "近所付き合いは少ない。民生委員の訪問は受け入れている。",
    "agencies": "中央地域包括支援センター（父の介護予防）",
    "wishes": "父母は「自分たちが亡くなった後の息子のことが心配」と話している。",
}
INTAKE_V2 = INTAKE_V1 | {
    "composition": "父（85歳）、母（82歳）、長男（54歳）の3人暮らし。長男は約20年、ほとんど外出していない。長女は県外に在住。",
    "money": "収入は父母の年金のみ（月約18万円）。固定資産税の滞納がある。",
    "housing": "持ち家（築45年）。2階の長男の部屋以外は片付いている。",
}
ASSESSMENT = {
    "composition": "高齢の父母と、長期のひきこもり状態にある長男の世帯（8050）。",
    "care": "父の要介護認定の区分変更が必要。母の介護負担が大きい。",
    "disability": "長男に障害の診断はない。精神保健の相談につなぐかは本人の意向を確認してから。",
    "money": "年金のみで家計が苦しい。父母の死亡後、長男の生活費の見通しがない。",
    "health": "父の通院の付き添いを母が担っており、母の負担が限界に近い。",
    "wishes": "長男は「今は誰にも会いたくない」。手紙でのやりとりなら応じる。",
}


async def seed_casework(session, town, rng: random.Random) -> None:
    coord, csw = town.people["社協コーディネーター"], town.people["CSW"]
    centre, commissioner = town.people["地域包括"], town.people["民生委員"]
    o = town.orgs
    cscope = await build_scope(session, coord)
    today = utcnow().astimezone(TOKYO).date()

    # The household and its concern.
    h = await households.create_household(session, actor=coord, scope=cscope, audit=False, data=households.HouseholdInput(
        area_id=town.hoods["緑が丘"].id, address="緑が丘3丁目8-5", types=["elderly_only"], needs=["通院"],
        cadence="biweekly", external_ref="DEMO-8050"))
    people = []
    for name, kana, year in (("森田 茂", "モリタ シゲル", today.year - 85), ("森田 久子", "モリタ ヒサコ", today.year - 82),
                             ("森田 健一", "モリタ ケンイチ", today.year - 54)):
        people.append(await households.add_person(session, actor=coord, scope=cscope, household_id=h.id,
                                                  municipality_id=None, audit=False,
                                                  data=households.PersonInput(name=name, kana=kana, birth_year=year)))
    for p in people:
        await households.record_consent(session, actor=coord, scope=cscope, person_id=p.id, purpose="watch", given=True,
                                        given_on=today - dt.timedelta(days=200), given_by="self", method="paper",
                                        audit=False)
    for p in people[:2]:  # the son has not consented to sharing with professionals
        await households.record_consent(session, actor=coord, scope=cscope, person_id=p.id, purpose="share", given=True,
                                        given_on=today - dt.timedelta(days=60), given_by="self", method="paper",
                                        audit=False)
    await assignments.assign(session, actor=coord, scope=cscope, household_id=h.id, user_id=commissioner.id,
                             role="commissioner", audit=False)
    concern, _ = await concerns.raise_concern(
        session, actor=commissioner, client_id=uuid.uuid4().hex, household_id=h.id, target_group="other",
        category="isolation", urgency="normal", audit=False,
        seen="お父さんが「息子がもう何年も外に出ない。自分たちが死んだらどうなるのか」と話していました。")
    pscope = await build_scope(session, csw)
    await concerns.move(session, actor=csw, scope=pscope, concern_id=concern.id, action="acknowledge", audit=False)
    await concerns.move(session, actor=csw, scope=pscope, concern_id=concern.id, action="start", audit=False)
    note = await concerns.add_note(session, actor=csw, scope=pscope, concern_id=concern.id,
                                   text="自宅訪問。父母と面談。長男は2階から降りてこなかったが、手紙は受け取った。")

    # Sheets: the intake sheet in two versions, the assessment sheet.
    intake = await service.start_sheet(session, actor=csw, scope=pscope, household_id=h.id, kind="intake",
                                       sections=INTAKE_V1, concern_id=concern.id, audit=False)
    await service.save_sheet(session, actor=csw, scope=pscope, sheet_id=intake.id, base_version=1,
                             sections=INTAKE_V2, audit=False)
    await service.start_sheet(session, actor=csw, scope=pscope, household_id=h.id, kind="assessment",
                              sections=ASSESSMENT, concern_id=concern.id, audit=False)

    # The standing 支援会議 and what the law allows.
    meeting = await service.save_meeting(
        session, actor=coord, scope=cscope, municipality_id=town.city.id, meeting_id=None, audit=False,
        name="みどり市重層的支援体制 支援会議", law="社会福祉法第106条の6",
        member_ids=[o["shakyo"].id, o["support_centre_1"].id, o["hub"].id, o["satellite_1"].id])
    await service.share_sheet(session, actor=csw, scope=pscope, sheet_id=intake.id, basis="emergency",
                              to_organisation_id=o["support_centre_1"].id, sections=["composition", "health"],
                              note_ids=[], reason="父が自宅で転倒し救急搬送。母と長男だけになるため、包括に至急の見守りを依頼。",
                              audit=False)
    await service.share_sheet(session, actor=csw, scope=pscope, sheet_id=intake.id, basis="meeting",
                              meeting_id=meeting.id, to_organisation_id=o["support_centre_1"].id,
                              sections=["composition", "care", "health", "wishes"], note_ids=[note.id], audit=False)

    # The 支援会議 met: three follow-up actions (the CSW's own one is overdue).
    await service.record_conference(
        session, actor=csw, scope=pscope, kind="support_meeting", meeting_id=meeting.id,
        held_on=today - dt.timedelta(days=3), participant_ids=[centre.id, commissioner.id, coord.id],
        outside="みどり市生活福祉課 ケースワーカー\nハローワーク 就労支援ナビゲーター", household_ids=[h.id],
        concern_ids=[concern.id], audit=False,
        minutes="父の区分変更、母の介護負担、長男の今後について検討した。長男は手紙でのやりとりには応じている。",
        decisions="包括が父の区分変更を支援する。CSWが長男との関係づくりを担う。民生委員は見守りを続ける。",
        actions=[("長男に手紙を書き、面談の日程を相談する", csw.id, today - dt.timedelta(days=1)),
                 ("父の要介護認定の区分変更申請を支援する", centre.id, today + dt.timedelta(days=7)),
                 ("週1回の見守り訪問を続け、様子をCSWに伝える", commissioner.id, today + dt.timedelta(days=14))])

    # 制度外ニーズ: this concern, and others across the fiscal year.
    await service.tag_gap(session, actor=csw, scope=pscope, concern_id=concern.id, category="employment", audit=False,
                          line="50代のひきこもりの人が通える就労準備の場が市内にない")
    await service.tag_gap(session, actor=csw, scope=pscope, concern_id=concern.id, category="guarantor", audit=False,
                          line="親亡き後の身元保証・金銭管理を担う仕組みがない")
    await _gaps_over_the_year(session, town, today)


LINES = {
    "transport": "通院の送迎を頼める人がいない（介護保険の対象外）",
    "garbage": "ごみ出しができないが、ヘルパーの対象にならない",
    "shopping": "近くに店がなく、買い物ができない",
    "daily_life": "電球交換など、ちょっとした困りごとを頼める先がない",
    "family_care": "介護している家族が相談できる場がない",
    "isolation": "サロンに来なくなった人に声をかける仕組みがない",
    "money": "金銭管理に不安があるが、日常生活自立支援事業の待機が長い",
}


async def _gaps_over_the_year(session, town, today: dt.date) -> None:
    """Tags on the demo's other concerns held by the council or 中央地域包括, dated across the year."""
    holders = {town.orgs["shakyo"].id: town.people["CSW"], town.orgs["support_centre_1"].id: town.people["地域包括"]}
    rows = (await session.scalars(select(Concern).where(
        Concern.municipality_id == town.city.id, Concern.organisation_id.in_(list(holders)))
        .order_by(Concern.id))).all()
    categories = list(LINES)
    for i, concern in enumerate(rows):
        actor = holders[concern.organisation_id]
        scope = await build_scope(session, actor)
        for j in range(2):
            category = categories[(i * 2 + j) % len(categories)]
            if (await session.scalars(select(Gap.id).where(Gap.concern_id == concern.id,
                                                           Gap.category == category))).first() is not None:
                continue
            gap = await service.tag_gap(session, actor=actor, scope=scope, concern_id=concern.id, category=category,
                                        line=LINES[category], audit=False)
            # Spread over the last eight months (about a third in the last six weeks).
            days = (i * 37 + j * 53) % 240 if (i + j) % 3 else (i * 7 + j * 5) % 45
            gap.created_at = dt.datetime.combine(today - dt.timedelta(days=days), dt.time(1, 0), tzinfo=dt.UTC)
    await session.flush()
