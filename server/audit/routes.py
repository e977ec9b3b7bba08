"""Routes of the audit domain: coordinators browse their municipality's trail."""
from __future__ import annotations

from litestar import Request, get
from litestar.response import Response
from sqlalchemy.ext.asyncio import AsyncSession

from server.audit.actions import ACTIONS
from server.audit.browse import browse_trail
from server.auth.sessions import Current
from server.rendering import page
from server.users.forms import town_of
from server.users.queries import people_of


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None  # a hand-edited filter just shows everything


@get("/audit", opt={"access": ("coordinator",)})
async def audit_trail(request: Request, db: AsyncSession, current: Current) -> Response:
    town = town_of(current.require_scope())
    action = request.query_params.get("action") or None
    actor_id = _int(request.query_params.get("actor"))
    page_no = _int(request.query_params.get("page")) or 1
    trail = await browse_trail(db, actor=current.user, municipality_id=town, action=action, actor_id=actor_id,
                               page=page_no)
    actors = [(row.user.id, row.user.display_name) for row in await people_of(db, town)]
    return page(request, "audit/audit.html", {
        "trail": trail, "actions": sorted(ACTIONS), "labels": ACTIONS, "actors": actors,
        "action": action if action in ACTIONS else "", "actor": actor_id or ""})


ROUTES = [audit_trail]
