"""Coordinators browse their municipality's audit chain (newest first); viewing it is itself audited."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.audit.actions import ACTIONS
from server.audit.models import AuditEvent
from server.audit.service import chain_for, record
from server.scope import build_scope
from server.users.models import User
from server.users.queries import staff_names

PAGE_SIZE = 50


@dataclass
class TrailPage:
    rows: list[AuditEvent]
    names: dict[int, str]
    page: int
    has_more: bool
    total: int


async def browse_trail(session: AsyncSession, *, actor: User, municipality_id: int, action: str | None = None,
                       actor_id: int | None = None, page: int = 1) -> TrailPage:
    (await build_scope(session, actor)).require_coordinator_of(municipality_id)
    page = max(1, page)
    where = [AuditEvent.chain == chain_for(municipality_id)]
    if action in ACTIONS:
        where.append(AuditEvent.action == action)
    if actor_id is not None:
        where.append(AuditEvent.actor_id == actor_id)
    total = await session.scalar(select(func.count()).select_from(AuditEvent).where(*where)) or 0
    rows = list((await session.scalars(select(AuditEvent).where(*where).order_by(AuditEvent.seq.desc())
                                       .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1))).all())
    has_more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    # Actors are people who use Tsunagu (never residents): their names may be shown to a coordinator.
    names = await staff_names(session, {r.actor_id for r in rows if r.actor_id} | {r.on_behalf_of_id for r in rows
                                                                                    if r.on_behalf_of_id})
    # Recorded after reading, so the page shows the trail as it was when opened.
    await record(session, action="audit.viewed", actor_id=actor.id, municipality_id=municipality_id,
                 object_type="audit", object_id=page)
    return TrailPage(rows=rows, names=names, page=page, has_more=has_more, total=total)
