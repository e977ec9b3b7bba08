"""Test harness: a real database built by the real migrations, the real app, a fixed cast.

SQLite by default: migrated once per test session into a template file, copied per test.
PostgreSQL when TSUNAGU_TEST_DATABASE_URL is set (CI): each xdist worker gets its own
database, migrated once; every test starts from empty tables.
"""
from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text

from server import config as config_mod
from server import ratelimit
from server.audit import service as audit_service
from server.db import make_engine, make_sessionmaker
from server.migrate import upgrade

# The fixed cast of personas (tests/personas.py), available to every test as `cast`, and the
# suite's pinned clock and calendar sweep (tests/clock.py).
pytest_plugins = ["tests.personas", "tests.clock"]

PG_URL = os.environ.get("TSUNAGU_TEST_DATABASE_URL", "")
TEST_SECRET = "test-secret-key-for-tsunagu-tests-0123456789"


def pytest_collection_modifyitems(config, items):
    # Database tests are everything that is not a browser test: they run again on PostgreSQL in CI.
    for item in items:
        if "browser" not in item.keywords:
            item.add_marker(pytest.mark.db)


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database: a SQLite file to copy, or a PostgreSQL URL for this worker."""
    if PG_URL:
        import asyncpg

        base, _, _name = PG_URL.rpartition("/")
        # Per worker AND per run: two people (or two runs) sharing one cluster must not drop or
        # truncate each other's database in the middle of a test.
        name = f"tsunagu_test_{_worker()}_{os.getpid()}"
        admin = base.replace("postgresql+asyncpg", "postgresql") + "/postgres"

        async def run(*statements: str) -> None:
            conn = await asyncpg.connect(admin)
            try:
                for statement in statements:
                    await conn.execute(statement)
            finally:
                await conn.close()

        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'))
        url = f"{base}/{name}"
        upgrade(url)
        yield url
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        return
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    yield str(path)


async def _truncate_all(url: str) -> None:
    from server.models import metadata

    engine = make_engine(url)
    async with engine.begin() as conn:
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    await engine.dispose()


@pytest.fixture
async def database_url(template_db: str, tmp_path: Path) -> str:
    if PG_URL:
        await _truncate_all(template_db)
        return template_db
    path = tmp_path / "tsunagu.db"
    shutil.copy(template_db, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> config_mod.Settings:
    env = {
        "TSUNAGU_DATABASE_URL": database_url,
        "TSUNAGU_SECRET_KEY": TEST_SECRET,
        "TSUNAGU_ORIGIN": "http://localhost:8000",
        "TSUNAGU_AUDIT_HEAD_FILE": str(tmp_path / "audit-heads.log"),
        "TSUNAGU_DEMO": "1",
    }
    settings = config_mod.load(env)
    audit_service.configure(settings.secret_key)
    ratelimit.reset()
    return settings


@pytest.fixture
async def engine(settings: config_mod.Settings) -> AsyncIterator:
    engine = make_engine(settings.database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessionmaker(engine):
    return make_sessionmaker(engine)


@pytest.fixture
async def db(sessionmaker) -> AsyncIterator:
    """A session for arranging data through the service functions; commit explicitly."""
    async with sessionmaker() as session:
        yield session


@pytest.fixture
def app(settings: config_mod.Settings):
    from server.app import create_app

    return create_app(settings)


@pytest.fixture
async def client(app) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=app, base_url="http://localhost:8000") as client:
        yield client
