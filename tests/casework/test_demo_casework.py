"""The issue's "done when" on the demo town: the CSW runs the 8050 household from intake to a
支援会議 with three follow-up actions, shares only what the law allows with only whom it allows,
and the gaps list shows what no scheme covered this quarter."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from server import clock
from server.areas.models import Area, Organisation
from server.casework import queries, service
from server.casework.models import CaseShare, CaseSheet, Conference, ConferenceAction
from server.demo.seed import seed_demo
from server.errors import Invalid
from server.scope import build_scope
from server.users.models import User
from tests.helpers import sign_in


async def test_the_demo_csw_runs_an_8050_household_from_intake_to_a_support_meeting(db, client, sessionmaker,
                                                                                    settings):
    assert await seed_demo(db, if_empty=True)
    await db.commit()
    users = {u.display_name: u for u in (await db.scalars(select(User))).all()}
    csw, centre = users["渡辺 直樹"], users["山本 恵"]
    orgs = {o.name: o for o in (await db.scalars(select(Organisation))).all()}
    intake, assessment = (await db.scalars(select(CaseSheet).order_by(CaseSheet.id))).all()
    assert (intake.kind, intake.version, assessment.kind) == ("intake", 2, "assessment")
    [conf] = (await db.scalars(select(Conference))).all()
    actions = (await db.scalars(select(ConferenceAction).where(ConferenceAction.conference_id == conf.id))).all()
    assert conf.kind == "support_meeting" and len(actions) == 3
    assert [a.overdue for a in await queries.open_actions(db, csw)] == [True]
    # Shares: under the 支援会議 with a member, and one 緊急 waiting for the coordinator's review.
    shares = (await db.scalars(select(CaseShare).order_by(CaseShare.id))).all()
    assert [(s.basis, s.to_organisation_id) for s in shares] == [
        ("emergency", orgs["みどり市中央地域包括支援センター"].id), ("meeting", orgs["みどり市中央地域包括支援センター"].id)]
    assert "money" not in shares[1].sections
    # ...and the law allows no more: the son has not consented, 川辺 is not a member of the 支援会議.
    scope = await build_scope(db, csw)
    with pytest.raises(Invalid) as consent:
        await service.share_sheet(db, actor=csw, scope=scope, sheet_id=intake.id, basis="consent",
                                  to_organisation_id=orgs["みどり市中央地域包括支援センター"].id, sections=["health"],
                                  note_ids=[])
    assert consent.value.fields["basis"] == service.CONSENT_MISSING
    with pytest.raises(Invalid) as member:
        await service.share_sheet(db, actor=csw, scope=scope, sheet_id=intake.id, basis="meeting",
                                  meeting_id=shares[1].meeting_id, to_organisation_id=orgs["みどり市川辺地域包括支援センター"].id,
                                  sections=["health"], note_ids=[])
    assert member.value.fields["basis"] == service.NOT_MEMBER
    view = await queries.share_view(db, actor=centre, scope=await build_scope(db, centre), share_id=shares[1].id)
    assert view.snapshot["notes"] and "composition" in view.snapshot["sections"]
    # The gaps list: this quarter has some, and the year more.
    city = (await db.scalars(select(Area).where(Area.name == "みどり市"))).one()
    today = clock.today_tokyo()
    quarter_start = dt.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    report = await queries.gaps_report(db, scope=scope, municipality_id=city.id, start=quarter_start,
                                       end=today + dt.timedelta(days=1), by="month")
    assert report["total"] >= 3 and any(g.category == "employment" for g, _l in report["entries"])
    await db.commit()
    await sign_in(client, sessionmaker, settings, csw)
    home = await client.get("/home")
    assert "data-overdue" in home.text and "長男に手紙を書き" in home.text
