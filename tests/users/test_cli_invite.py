"""`tsunagu invite`: the first coordinator comes from the command line and gets a printed link."""
from __future__ import annotations

import asyncio

from sqlalchemy import select

from server import cli
from server.areas.models import Area
from server.users.models import RoleGrant, User
from tests.conftest import TEST_SECRET


def env(monkeypatch, settings, tmp_path):
    monkeypatch.setenv("TSUNAGU_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("TSUNAGU_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("TSUNAGU_AUDIT_HEAD_FILE", str(tmp_path / "heads.log"))
    monkeypatch.delenv("TSUNAGU_ORIGIN", raising=False)


async def run(*args: str) -> int:
    # The command runs its own event loop: give it a thread.
    return await asyncio.to_thread(cli.main, list(args))


async def test_invite_prints_a_link_and_creates_the_prefecture_and_municipality(
        monkeypatch, settings, tmp_path, capsys, sessionmaker):
    env(monkeypatch, settings, tmp_path)
    code = await run("invite", "--role", "coordinator", "--name", "山田 花子", "--prefecture", "新県",
                     "--municipality", "新市")
    out = capsys.readouterr().out.strip()
    assert code == 0 and out.startswith("http://localhost:8000/invite/") and len(out) > 40
    async with sessionmaker() as s:
        town = (await s.scalars(select(Area).where(Area.name == "新市"))).one()
        pref = await s.get(Area, town.parent_id)
        assert (town.level, pref.level, pref.name, town.municipality_id) == ("municipality", "prefecture", "新県", town.id)
        user = (await s.scalars(select(User).where(User.display_name == "山田 花子"))).one()
        grant = (await s.scalars(select(RoleGrant).where(RoleGrant.user_id == user.id))).one()
        assert (user.status, grant.role, grant.municipality_id, grant.granted_by) == (
            "invited", "coordinator", town.id, None)
    # The same municipality again (by name, no prefecture needed): no duplicate rows.
    assert await run("invite", "--role", "coordinator", "--name", "二人目", "--municipality", "新市") == 0
    async with sessionmaker() as s:
        assert len((await s.scalars(select(Area).where(Area.name == "新市"))).all()) == 1


async def test_prefecture_staff_come_from_the_command_line(monkeypatch, settings, tmp_path, capsys, sessionmaker):
    env(monkeypatch, settings, tmp_path)
    assert await run("invite", "--role", "prefecture_analyst", "--name", "県 職員", "--prefecture", "新県") == 0
    async with sessionmaker() as s:
        user = (await s.scalars(select(User).where(User.display_name == "県 職員"))).one()
        assert user.municipality_id is None


async def test_a_bad_invite_says_why_without_a_traceback(monkeypatch, settings, tmp_path, capsys):
    env(monkeypatch, settings, tmp_path)
    assert await run("invite", "--role", "wizard", "--name", "x", "--municipality", "新市", "--prefecture", "新県") == 2
    err = capsys.readouterr().err
    assert "unknown role" in err and "Traceback" not in err
    assert await run("invite", "--role", "coordinator", "--name", "x", "--municipality", "どこか市") == 2
    assert "--prefecture" in capsys.readouterr().err
    assert await run("invite", "--role", "volunteer", "--name", "x", "--municipality", "新市",
                     "--prefecture", "新県") == 2
    assert "area" in capsys.readouterr().err
