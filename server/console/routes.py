"""Routes of the console (/console): the page, the records behind a count, and exports.
?area=<id>&period=2026-11 | FY2026-Q3 | FY2026; a missing area is the person's own root."""
from __future__ import annotations

from litestar import Request, get
from litestar.response import Response
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.sessions import Current
from server.console import records as records_mod
from server.console import service
from server.console.access import ROLES, console_access, require_area
from server.console.figures import DIM_LABELS
from server.console.views import console_page
from server.rendering import page

CONSOLE = {"access": ROLES}
COORDINATOR = {"access": ("coordinator",)}


def _hidden(value):
    return "<10" if value is None else f"{value:,}" if isinstance(value, int) else value


@get("/console", opt=CONSOLE)
async def console_show(request: Request, db: AsyncSession, current: Current, area: int | None = None,
                       period: str | None = None) -> Response:
    access = await console_access(db, current.require_scope())
    chosen = await require_area(db, access, area)
    view = await console_page(db, access=access, area=chosen, period_code=period, locale=current.locale)
    return page(request, "console/console.html", {"view": view, "show": _hidden, "DIM_LABELS": DIM_LABELS, "inf": float("inf")})


@get("/console/records", opt=COORDINATOR)
async def console_records(request: Request, db: AsyncSession, current: Current, area: int | None = None,
                          kind: str = "unseen") -> Response:
    access = await console_access(db, current.require_scope())
    chosen = await require_area(db, access, area)
    ctx = await records_mod.records(db, actor=current.user, access=access, area=chosen, kind=kind)
    return page(request, "console/records.html", ctx)


@get("/console/export", opt=CONSOLE)
async def console_export(db: AsyncSession, current: Current, area: int | None = None, period: str | None = None,
                         table: str = "areas", format: str = "csv", publish: int = 0) -> Response:
    current.require_fresh()
    access = await console_access(db, current.require_scope(), publish=bool(publish))
    chosen = await require_area(db, access, area)
    body, media, name = await service.export_table(db, actor=current.user, access=access, area=chosen,
                                                   period_code=period, table=table, fmt=format, locale=current.locale)
    return Response(body, media_type=media, headers={"content-disposition": f'attachment; filename="{name}"'})


ROUTES = [console_show, console_records, console_export]
