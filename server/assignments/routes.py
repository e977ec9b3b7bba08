"""Routes of the assignments domain: assign and unassign, cadence, handover, the unassigned list."""
from __future__ import annotations

from litestar import Request, get, post
from litestar.response import Redirect, Response
from sqlalchemy.ext.asyncio import AsyncSession

from server.assignments import service, views
from server.auth.sessions import Current
from server.errors import Invalid
from server.forms import date, form, integer, municipality_of, text
from server.rendering import page
from server.scope import Scope

ASSIGNERS = {"access": ("commissioner", "coordinator")}
COORDINATOR = {"access": ("coordinator",)}


@post("/households/{household_id:int}/assignments", opt=ASSIGNERS)
async def assign(request: Request, db: AsyncSession, current: Current, gate: Scope, household_id: int) -> Redirect:
    data = await form(request)
    await service.assign(db, actor=current.user, scope=gate, household_id=household_id,
                         user_id=integer(text(data, "user_id", 12), 1), role=text(data, "role", 16))
    return Redirect(f"/households/{household_id}", status_code=303)


@post("/assignments/{assignment_id:int}/end", opt=ASSIGNERS)
async def end(db: AsyncSession, current: Current, gate: Scope, assignment_id: int) -> Redirect:
    row = await service.end_assignment(db, actor=current.user, scope=gate, assignment_id=assignment_id)
    return Redirect(f"/households/{row.household_id}", status_code=303)


@post("/households/{household_id:int}/cadence", opt=ASSIGNERS)
async def cadence(request: Request, db: AsyncSession, current: Current, gate: Scope, household_id: int) -> Redirect:
    data = await form(request)
    await service.set_cadence(db, actor=current.user, scope=gate, household_id=household_id,
                              cadence=text(data, "cadence", 16), days=integer(text(data, "cadence_days", 6)))
    return Redirect(f"/households/{household_id}", status_code=303)


@get("/handover", opt=COORDINATOR)
async def handover_page(request: Request, db: AsyncSession, current: Current, gate: Scope, m: int | None = None,
                        moved: int | None = None) -> Response:
    ctx = await views.handover_page(db, actor=current.user, scope=gate, municipality_id=municipality_of(gate, m))
    return page(request, "assignments/handover.html", {**ctx, "errors": {}, "values": {}, "moved": moved})


@post("/handover", opt=COORDINATOR)
async def handover(request: Request, db: AsyncSession, current: Current, gate: Scope) -> Response:
    data = await form(request)
    municipality_id = municipality_of(gate, text(data, "m", 12) or None)
    successor = text(data, "to_user_id", 12)
    try:
        moved = await service.handover(
            db, actor=current.user, scope=gate, municipality_id=municipality_id,
            from_user_id=integer(text(data, "from_user_id", 12), 1) or 0,
            to_user_id=integer(successor, 1) if successor else None,
            effective_on=date(text(data, "effective_on", 20)) if text(data, "effective_on", 20) else None)
    except Invalid as exc:
        ctx = await views.handover_page(db, actor=current.user, scope=gate, municipality_id=municipality_id)
        return page(request, "assignments/handover.html", {
            **ctx, "errors": exc.fields, "values": {k: data.get(k) for k in data}, "moved": None}, status=422)
    return Redirect(f"/handover?moved={moved}", status_code=303)


ROUTES = [assign, end, cadence, handover_page, handover]
