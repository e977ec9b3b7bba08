"""People and areas for the auth tests.

Made with the models directly until server/users/service.py and server/areas/service.py
offer builders; swap these bodies for those service calls when they land.
"""
from __future__ import annotations

import secrets

import httpx
from sqlalchemy import select

from server.areas.models import Area
from server.audit.models import AuditEvent
from server.auth.invitations import create_invitation
from server.users.models import RoleGrant, User
from tests.auth.softkey import SoftKey
from tests.helpers import post_json


async def make_town(session) -> Area:
    pref = Area(level="prefecture", name="テスト県")
    session.add(pref)
    await session.flush()
    town = Area(level="municipality", name="つなぐ市", parent_id=pref.id, prefecture_id=pref.id)
    session.add(town)
    await session.flush()
    town.municipality_id = town.id
    await session.flush()
    return town


async def make_person(session, town: Area, *, role: str = "volunteer", name: str = "山田 花子",
                      status: str = "invited") -> User:
    user = User(display_name=name, municipality_id=town.id, webauthn_handle=secrets.token_bytes(32),
                status=status, locale="ja")
    session.add(user)
    await session.flush()
    session.add(RoleGrant(user_id=user.id, role=role, municipality_id=town.id))
    await session.flush()
    return user


async def invited(sessionmaker, *, role: str = "volunteer", name: str = "山田 花子"):
    """(user, raw invitation token) for a freshly invited person, committed."""
    async with sessionmaker() as session:
        town = await make_town(session)
        user = await make_person(session, town, role=role, name=name)
        token = await create_invitation(session, actor_id=None, user=user)
        await session.commit()
    return user, token


async def register(client, token: str, key: SoftKey, **kwargs):
    r = await post_json(client, f"/invite/{token}/options")
    assert r.status_code == 200, r.text
    return await post_json(client, f"/invite/{token}/register",
                           {"credential": key.create(r.json()["publicKey"], **kwargs), "name": "わたしのスマホ"})


async def sign_in_with(client, key: SoftKey, **kwargs):
    r = await post_json(client, "/signin/options")
    assert r.status_code == 200, r.text
    return await post_json(client, "/signin/verify", {"credential": key.get(r.json()["publicKey"], **kwargs)})


async def actions(db) -> list[str]:
    return list((await db.scalars(select(AuditEvent.action).order_by(AuditEvent.id))).all())


async def registered(client, sessionmaker, **kwargs):
    """(user, key): a person who registered a passkey through their invitation, then signed out."""
    user, token = await invited(sessionmaker, **{k: v for k, v in kwargs.items() if k in ("role", "name")})
    key = kwargs.get("key") or SoftKey()
    r = await register(client, token, key)
    assert r.status_code == 200, r.text
    await post_json(client, "/signout", headers={"accept": "text/html"})
    client.cookies.clear()
    return user, key


class Browsers:
    """Several browsers through one test client: each has its own cookie jar.

    (A second AsyncTestClient on the same app would run it on another event loop, which
    PostgreSQL's pooled connections do not survive.)
    """

    def __init__(self, client) -> None:
        self.client = client
        self.jars: dict[str, httpx.Cookies] = {}
        self.current = "first"

    def use(self, name: str):
        self.jars[self.current] = httpx.Cookies(self.client.cookies)
        self.client.cookies.clear()
        if name in self.jars:
            self.client.cookies.update(self.jars[name])
        self.current = name
        return self.client
