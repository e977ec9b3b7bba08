"""The issue's "done when" on the demo town: every concern lands in exactly one inbox, the support
centre's professional has the 緊急 one on top and sees it in the alert count, and the commissioner
has an unread reply on her round."""
from __future__ import annotations

from sqlalchemy import select

from server.areas.models import Organisation
from server.concerns import queries
from server.concerns.models import Concern
from server.concerns.transitions import STATES
from server.demo.seed import seed_demo
from server.scope import build_scope
from server.users.models import User
from tests.helpers import sign_in


async def test_demo_concerns_reach_one_inbox_each_and_their_reporters_hear_back(db, client, sessionmaker, settings):
    assert await seed_demo(db, if_empty=True)
    await db.commit()
    users = {u.display_name: u for u in (await db.scalars(select(User))).all()}
    pro, commissioner = users["山本 恵"], users["佐藤 和子"]
    concerns = (await db.scalars(select(Concern))).all()
    assert len(concerns) >= 5  # the seeded ones and those raised by watch-over's worrying contacts
    orgs = {o.id: o for o in (await db.scalars(select(Organisation))).all()}
    assert all(c.organisation_id in orgs and orgs[c.organisation_id].kind != "council" and c.state in STATES
               for c in concerns)
    assert {orgs[c.organisation_id].name for c in concerns if c.category == "abuse"} == {"みどり市子ども家庭課"}
    view = await queries.inbox(db, actor=pro, scope=await build_scope(db, pro))
    assert view["org_open"][0].concern.urgency == "emergency"
    assert await queries.urgent_count(db, (await build_scope(db, pro)).organisations) == 1
    assert await queries.unread_replies(db, commissioner) or await queries.unread_replies(db, users["鈴木 節子"])
    await db.commit()
    await sign_in(client, sessionmaker, settings, pro)
    page = await client.get("/concerns")
    assert page.status_code == 200 and 'id="urgent-alert"' in page.text
