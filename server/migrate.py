"""Running Alembic from code (the CLI, `make run`, and the tests all use this)."""
from __future__ import annotations

import asyncio
import threading

from alembic import command
from alembic.config import Config

from server.config import ROOT, VAR


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url)
    # Dated, append-only revision files.
    cfg.set_main_option("file_template", "%%(year)d-%%(month).2d-%%(day).2d_%%(slug)s_%%(rev)s")
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    if url.startswith("sqlite"):
        VAR.mkdir(parents=True, exist_ok=True)
    # env.py calls asyncio.run(); run it outside any running loop.
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        command.upgrade(alembic_config(url), revision)
        return

    error: list[BaseException] = []

    def target() -> None:
        try:
            command.upgrade(alembic_config(url), revision)
        except BaseException as exc:
            error.append(exc)

    t = threading.Thread(target=target)
    t.start()
    t.join()
    if error:
        raise error[0]


def revision(url: str, message: str, rev_id: str | None = None) -> None:
    command.revision(alembic_config(url), message=message, autogenerate=True, rev_id=rev_id)


__all__ = ["alembic_config", "asyncio", "revision", "upgrade"]
