"""The database: built by the real migrations, in agreement with the models, with safe SQLite settings."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from server.db import make_engine
from server.migrate import upgrade
from server.models import metadata


def _differences(connection) -> list:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, metadata)


async def test_the_migrations_build_exactly_what_the_models_describe(database_url):
    # database_url is already migrated from empty by the real migrations (SQLite, or PostgreSQL in CI).
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(_differences)
    finally:
        await engine.dispose()
    assert diff == [], f"models and migrations disagree; add one: make migration NAME=... REV=...: {diff}"


async def test_an_empty_sqlite_database_upgrades_to_head_and_has_every_table(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    upgrade(url)
    upgrade(url)  # a second run is a no-op
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            names = {r[0] for r in await conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))}
            version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
            diff = await conn.run_sync(_differences)
    finally:
        await engine.dispose()
    assert set(metadata.tables) <= names
    assert version
    assert diff == []


async def _pragmas(url: str, *, migrating: bool) -> dict[str, object]:
    engine = make_engine(url, migrating=migrating)
    try:
        async with engine.connect() as conn:
            return {
                name: (await conn.exec_driver_sql(f"PRAGMA {name}")).scalar()
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            }
    finally:
        await engine.dispose()


async def test_the_app_uses_wal_full_sync_foreign_keys_and_a_busy_timeout(tmp_path, settings):
    # On its own SQLite file whatever database the run uses: these are the embedded default's settings.
    import dataclasses

    from litestar.testing import AsyncTestClient

    from server.app import create_app

    url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    app = create_app(dataclasses.replace(settings, database_url=url))

    async with AsyncTestClient(app=app) as client:
        await client.get("/healthz")  # the app's own engine, after start-up
        async with app.state.engine.connect() as conn:
            got = {name: (await conn.exec_driver_sql(f"PRAGMA {name}")).scalar()
                   for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")}
    assert got["journal_mode"] == "wal"
    assert got["synchronous"] == 2  # FULL: an acknowledged write survives a power cut
    assert got["foreign_keys"] == 1
    assert got["busy_timeout"] > 0


async def test_migrations_run_with_foreign_keys_off(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'migrating.db'}"
    upgrade(url)
    got = await _pragmas(url, migrating=True)
    # Batch mode rebuilds tables; with foreign keys on, that would delete child rows.
    assert got["foreign_keys"] == 0
    assert got["journal_mode"] == "wal"


def test_the_alembic_environment_uses_the_migrating_engine():
    from server.config import ROOT

    source = (ROOT / "migrations" / "env.py").read_text()
    assert "make_engine(url, migrating=True)" in source


async def test_foreign_keys_are_enforced_in_the_app(db, database_url):
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        await db.execute(text(
            "INSERT INTO role_grants (user_id, role, chief_child, valid_from) "
            "VALUES (999999, 'volunteer', false, CURRENT_TIMESTAMP)"))
        await db.flush()
    await db.rollback()


async def test_datetimes_come_back_aware_in_utc(db):
    import datetime as dt

    from server.areas.models import Area

    jst = dt.timezone(dt.timedelta(hours=9))
    area = Area(level="prefecture", name="テスト県", created_at=dt.datetime(2026, 11, 26, 9, 0, tzinfo=jst))
    db.add(area)
    await db.commit()
    db.expunge_all()
    again = await db.get(Area, area.id)
    assert again.created_at == dt.datetime(2026, 11, 26, 0, 0, tzinfo=dt.UTC)
    assert again.created_at.tzinfo is not None


async def test_a_naive_datetime_is_refused(db):
    import datetime as dt

    from server.areas.models import Area

    db.add(Area(level="prefecture", name="x", created_at=dt.datetime(2026, 1, 1)))
    with pytest.raises(Exception, match="naive"):
        await db.flush()
    await db.rollback()
