"""The app as served, plus one bench-only route: POST /bench/bare inserts one bare row through the
same `db` session dependency and does nothing else (the yardstick for the quick log's throughput).
Never part of the real route table."""
from __future__ import annotations

from litestar import post
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.sessions import Current
from server.db import utcnow


@post("/bench/bare", opt={"access": "public"}, status_code=204)
async def bare_insert(db: AsyncSession) -> None:
    await db.execute(text("INSERT INTO bench_rows (at) VALUES (:at)"), {"at": utcnow().isoformat()})


@post("/bench/signed", opt={"access": "signed_in"}, status_code=204)
async def signed_insert(db: AsyncSession, current: Current) -> None:
    """Diagnostics only (not the yardstick): the bare insert after resolving who is signed in."""
    current.require_user()
    await db.execute(text("INSERT INTO bench_rows (at) VALUES (:at)"), {"at": utcnow().isoformat()})


def create_bench_app():
    import os
    import sys
    if os.environ.get("SWITCH"):
        sys.setswitchinterval(float(os.environ["SWITCH"]))
    from server.app import create_app

    app = create_app()
    app.register(bare_insert)
    app.register(signed_insert)
    return app
