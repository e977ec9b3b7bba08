"""Two municipalities in one prefecture: enough for per-municipality chains and the 'pref' chain."""
from __future__ import annotations

import secrets
from dataclasses import dataclass

import pytest

from server.areas.models import Area
from server.users.models import User


@dataclass
class Town:
    prefecture: int
    city: int
    other_city: int
    actor: int


@pytest.fixture
async def town(db) -> Town:
    pref = Area(level="prefecture", name="試験県")
    db.add(pref)
    await db.flush()
    city = Area(level="municipality", name="試験市", parent_id=pref.id, prefecture_id=pref.id)
    other = Area(level="municipality", name="隣町", parent_id=pref.id, prefecture_id=pref.id)
    db.add_all([city, other])
    await db.flush()
    city.municipality_id, other.municipality_id = city.id, other.id
    actor = User(display_name="監査 太郎", status="active", municipality_id=city.id,
                 webauthn_handle=secrets.token_bytes(32))
    db.add(actor)
    await db.commit()
    return Town(prefecture=pref.id, city=city.id, other_city=other.id, actor=actor.id)
