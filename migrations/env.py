"""Alembic environment: the same migration files run on SQLite (aiosqlite) and PostgreSQL (asyncpg).

On SQLite, foreign keys are off while migrating: batch mode rebuilds tables, and with
foreign keys on that would delete child rows.
"""
from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from server.db import make_engine
from server.models import metadata

config = context.config


def do_run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_async() -> None:
    url = config.get_main_option("sqlalchemy.url")
    engine = make_engine(url, migrating=True)
    async with engine.connect() as connection:
        await connection.run_sync(do_run_migrations)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported")
asyncio.run(run_async())
