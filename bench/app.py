"""The app as served, plus one bench-only route: POST /bench/bare inserts one bare row through the
same `db` session dependency and does nothing else (the yardstick for the quick log's throughput).
Never part of the real route table."""
from __future__ import annotations

from litestar import post
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from server.db import utcnow


@post("/bench/bare", opt={"access": "public"}, status_code=204)
async def bare_insert(db: AsyncSession) -> None:
    await db.execute(text("INSERT INTO bench_rows (at) VALUES (:at)"), {"at": utcnow().isoformat()})


def create_bench_app():  # noqa: ANN201
    from server.app import create_app

    app = create_app()
    app.register(bare_insert)
    return app
