"""The demo town: exact persona labels, deterministic and idempotent, demo sign-in only in demo mode."""
from __future__ import annotations

from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from server import config as config_mod
from server.app import create_app
from server.areas.models import Area, Organisation
from server.audit.models import AuditEvent
from server.audit.service import verify
from server.demo.seed import seed_demo
from server.demo.service import demo_personas
from server.scope import build_scope
from server.users.models import RoleGrant, User
from tests.helpers import post_form

LABELS = ["民生委員", "民児協会長", "主任児童委員", "福祉員（サロン）", "福祉員（他地区）", "CSW", "地域包括",
          "社協コーディネーター", "市職員", "県職員"]


async def seeded(sessionmaker) -> list[dict]:
    async with sessionmaker() as s:
        assert await seed_demo(s, if_empty=True) is True
        await s.commit()
        return await demo_personas(s)


async def test_the_seed_makes_the_town_and_the_exact_persona_labels(sessionmaker):
    personas = await seeded(sessionmaker)
    assert [p["label"] for p in personas] == LABELS
    async with sessionmaker() as s:
        levels = dict((await s.execute(select(Area.level, func.count()).group_by(Area.level))).tuples().all())
        assert levels == {"prefecture": 1, "municipality": 1, "district": 3, "neighbourhood": 8}
        kinds = (await s.scalars(select(Organisation.kind))).all()
        assert kinds.count("council") == 2 and kinds.count("support_centre") == 2
        assert {"shakyo", "hub", "section", "satellite"} <= set(kinds)
        users = {p["label"]: await s.get(User, p["user_id"]) for p in personas}
        assert all(u.status == "active" for u in users.values())
        roles = {label: (await build_scope(s, u)).roles for label, u in users.items()}
        assert roles["民児協会長"] == {"commissioner", "council_chair"}
        assert roles["社協コーディネーター"] == {"coordinator"}
        assert roles["県職員"] == {"prefecture_analyst"}
        assert (await build_scope(s, users["主任児童委員"])).chief_child
        # Two councils, each with a chair.
        chaired = (await s.scalars(select(RoleGrant.organisation_id).where(RoleGrant.role == "council_chair"))).all()
        assert len(set(chaired)) == 2
        assert await verify(s) == []


async def test_seeding_again_changes_nothing(sessionmaker):
    first = await seeded(sessionmaker)
    async with sessionmaker() as s:
        before = await s.scalar(select(func.count()).select_from(AuditEvent))
        assert await seed_demo(s, if_empty=True) is False
        assert await seed_demo(s, if_empty=False) is False  # the town exists: never a second copy
        await s.commit()
        assert await s.scalar(select(func.count()).select_from(AuditEvent)) == before
        assert await demo_personas(s) == first


async def test_the_seed_is_deterministic(sessionmaker):
    """A fixed random seed: every newcomer meets the same council members (a snapshot of them)."""
    await seeded(sessionmaker)
    async with sessionmaker() as s:
        names = (await s.scalars(select(User.display_name).order_by(User.id))).all()
    assert names[10:] == ["木村 茂", "林 恵子", "前田 実", "石川 幸子", "橋本 清", "井上 順子", "松本 博", "山崎 洋子"]


async def test_the_signin_page_offers_the_persona_buttons(sessionmaker, client):
    await seeded(sessionmaker)
    r = await client.get("/signin")
    for label in LABELS:
        assert f"{label}としてサインイン" in r.text


async def test_demo_signin_starts_a_fresh_session_and_is_audited(sessionmaker, client, settings):
    personas = await seeded(sessionmaker)
    chair = next(p for p in personas if p["label"] == "民児協会長")
    await client.get("/signin")
    before = client.cookies.get(settings.session_cookie)
    r = await post_form(client, "/demo/signin", {"user_id": str(chair["user_id"])})
    assert r.status_code == 303 and r.headers["location"] == "/home"
    after = client.cookies.get(settings.session_cookie)
    assert after and after != before
    home = await client.get("/home")
    assert home.status_code == 200 and "高橋 正男" in home.text
    async with sessionmaker() as s:
        row = (await s.scalars(select(AuditEvent).where(AuditEvent.action == "auth.demo_signed_in"))).one()
        assert row.actor_id == chair["user_id"]


async def test_only_personas_can_be_signed_in_as(sessionmaker, client):
    personas = await seeded(sessionmaker)
    async with sessionmaker() as s:
        member = (await s.scalars(select(User.id).where(User.id.not_in([p["user_id"] for p in personas])))).first()
    assert member is not None
    for bad in (str(member), "999999", "abc", ""):
        r = await post_form(client, "/demo/signin", {"user_id": bad})
        assert r.status_code == 404, bad


async def test_demo_signin_is_not_found_when_demo_mode_is_off(sessionmaker, settings, tmp_path):
    personas = await seeded(sessionmaker)
    off = config_mod.load({"TSUNAGU_DATABASE_URL": settings.database_url, "TSUNAGU_SECRET_KEY": settings.secret_key,
                           "TSUNAGU_AUDIT_HEAD_FILE": str(tmp_path / "h.log"), "TSUNAGU_DEMO": "0"})
    async with AsyncTestClient(app=create_app(off), base_url="http://localhost:8000") as client:
        r = await post_form(client, "/demo/signin", {"user_id": str(personas[0]["user_id"])})
        assert r.status_code == 404
        assert "としてサインイン" not in (await client.get("/signin")).text
