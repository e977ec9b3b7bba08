import pytest
from sqlalchemy import select

from server import sealing
from server.areas.models import Area
from server.console import data
from server.demo.seed import PERSONA_NAMES, seed_demo
from server.users.models import User


@pytest.fixture(autouse=True)
def _data_key(settings):
    sealing.configure(settings.data_key)


@pytest.fixture(autouse=True)
def _fresh_cubes():
    data.clear_cache()


@pytest.fixture
async def town(db):
    """The demo town, seeded through the real seeding steps: (users by persona label, areas by name)."""
    assert await seed_demo(db, if_empty=True)
    await db.commit()
    users = {label: (await db.scalars(select(User).where(User.display_name == name))).one()
             for label, name in PERSONA_NAMES.items()}
    areas = {a.name: a for a in (await db.scalars(select(Area))).all()}
    await db.commit()  # release SQLite's write lock (every transaction is BEGIN IMMEDIATE)
    return users, areas
