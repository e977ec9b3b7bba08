"""Scheduled jobs: `tsunagu jobs run` (cron or a systemd timer) and, in the single-process default
(`tsunagu serve`), an asyncio task that runs them once at start-up and then every hour (and warms
the console's published cubes in the serving process). Each job is
idempotent per day, so running it twice (cron and the in-process task) does no harm."""
from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.ext.asyncio import AsyncSession

from server.console.data import warm_published
from server.db import make_engine, make_sessionmaker
from server.rollups.snapshot import take_snapshot

log = logging.getLogger("tsunagu.jobs")
INTERVAL_SECONDS = 3600


async def run_jobs(session: AsyncSession, *, warm: bool = False) -> dict[str, int]:
    """The daily snapshot; with warm=True (the in-process scheduler) also the console's published
    cubes, which live in this process's memory."""
    out = {"snapshot_rows": await take_snapshot(session)}
    if warm:
        out["published_cubes"] = await warm_published(session)
    return out


def install_scheduler(app, settings) -> None:
    """Adds the hourly job task to a Litestar app (not used by tests: they call run_jobs directly)."""
    state: dict = {}

    async def loop() -> None:
        engine = make_engine(settings.database_url)
        maker = make_sessionmaker(engine)
        try:
            while True:
                try:
                    async with maker() as session:
                        result = await run_jobs(session, warm=True)
                        await session.commit()
                    log.info("jobs ran: %s", result)
                except Exception:  # a failed run is logged and retried next hour
                    log.exception("scheduled jobs failed")
                await asyncio.sleep(INTERVAL_SECONDS)
        finally:
            await engine.dispose()

    async def start(_app=None) -> None:
        state["task"] = asyncio.create_task(loop())

    async def stop(_app=None) -> None:
        task = state.get("task")
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app.on_startup.append(start)
    app.on_shutdown.append(stop)
