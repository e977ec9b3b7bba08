"""The `tsunagu` command: serve, migrate, seed-demo, invite, audit verify, and what later issues add."""
from __future__ import annotations

import argparse
import asyncio
import sys

from server import config as config_mod


def _settings() -> config_mod.Settings:
    return config_mod.load()


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = _settings()
    config_mod.check_bind(settings, args.host)
    from server.app import create_app

    app = create_app(settings)
    if not args.no_jobs:
        from server.rollups.jobs import install_scheduler

        install_scheduler(app, settings)  # the daily snapshot (server/rollups), hourly and idempotent
    # One process: SQLite has one writer, and a second worker only adds lock waits.
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, proxy_headers=True,
                forwarded_allow_ips="127.0.0.1")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from server.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url, args.revision)
    print("database is at", args.revision)
    return 0


def cmd_makemigration(args: argparse.Namespace) -> int:
    from server.migrate import revision

    revision(_settings().database_url, args.message, rev_id=args.rev_id)
    return 0


async def _with_session(fn):
    from server.audit import service as audit_service
    from server.db import make_engine, make_sessionmaker

    settings = _settings()
    audit_service.configure(settings.secret_key)
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            result = await fn(session, settings)
            await session.commit()
            return result
    finally:
        await engine.dispose()


def cmd_seed_demo(args: argparse.Namespace) -> int:
    from server.demo.seed import seed_demo

    async def run(session, settings):
        return await seed_demo(session, if_empty=args.if_empty)

    done = asyncio.run(_with_session(run))
    print("demo town seeded" if done else "database already has data; demo town not seeded")
    return 0


def cmd_invite(args: argparse.Namespace) -> int:
    from server.users.service import invite_from_cli

    async def run(session, settings):
        return await invite_from_cli(session, settings, name=args.name, role=args.role,
                                     municipality=args.municipality, prefecture=args.prefecture)

    try:
        link = asyncio.run(_with_session(run))
    except Exception as exc:  # show the reason, not a traceback
        print(f"tsunagu invite: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 2
    print(link)
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from server.audit.service import verify, write_heads

    async def run(session, settings):
        if args.action == "write-heads":
            return await write_heads(session, settings.audit_head_file)
        return await verify(session, settings.audit_head_file)

    result = asyncio.run(_with_session(run))
    if args.action == "write-heads":
        print(f"wrote {result} chain head(s)")
        return 0
    if result:
        for b in result:
            print(f"BROKEN {b.chain} #{b.seq}: {b.problem}")
        return 1
    print("audit trail intact")
    return 0


def cmd_rollups(args: argparse.Namespace) -> int:
    from server.rollups.rebuild import rebuild

    async def run(session, settings):
        return await rebuild(session)

    print(f"rollups rebuilt: {asyncio.run(_with_session(run))} rows")
    return 0


def cmd_jobs(args: argparse.Namespace) -> int:
    from server.rollups.jobs import run_jobs

    async def run(session, settings):
        return await run_jobs(session)

    print("jobs ran:", asyncio.run(_with_session(run)))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tsunagu", description="Tsunagu つなぐ")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="serve the app (one process)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--log-level", default="info")
    p.add_argument("--no-jobs", action="store_true", help="do not run the scheduled jobs in this process")
    p.set_defaults(fn=cmd_serve)

    p = sub.add_parser("migrate", help="upgrade the database to the newest migration")
    p.add_argument("--revision", default="head")
    p.set_defaults(fn=cmd_migrate)

    p = sub.add_parser("makemigration", help="(developers) write a new migration from the models")
    p.add_argument("message")
    p.add_argument("--rev-id", default=None)
    p.set_defaults(fn=cmd_makemigration)

    p = sub.add_parser("seed-demo", help="create the fictional demo town")
    p.add_argument("--if-empty", action="store_true", help="only when the database has no areas yet")
    p.set_defaults(fn=cmd_seed_demo)

    p = sub.add_parser("invite", help="print a one-time invitation link (e.g. the first coordinator)")
    p.add_argument("--role", required=True)
    p.add_argument("--name", required=True, help="the person's display name")
    p.add_argument("--municipality", help="municipality name or code (created if missing)")
    p.add_argument("--prefecture", help="prefecture name (created if missing)", default=None)
    p.set_defaults(fn=cmd_invite)

    p = sub.add_parser("audit", help="audit trail tools")
    p.add_argument("action", choices=["verify", "write-heads"])
    p.set_defaults(fn=cmd_audit)

    p = sub.add_parser("rollups", help="console rollups (server/rollups)")
    p.add_argument("action", choices=["rebuild"])
    p.set_defaults(fn=cmd_rollups)

    p = sub.add_parser("jobs", help="scheduled jobs (the console's daily snapshot); for cron or a systemd timer")
    p.add_argument("action", choices=["run"])
    p.set_defaults(fn=cmd_jobs)

    args = parser.parse_args(argv)
    try:
        return args.fn(args)
    except config_mod.ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
