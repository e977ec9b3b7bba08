"""The registry of outbox entry kinds: kind name -> an adapter onto a domain's service function.

A domain makes its phone form offline-capable with one additive registration, e.g. in
server/concerns/offline.py (imported from server/offline/kinds.py's IMPORTS list or from the
domain's routes module):

    from server.offline.registry import Applied, Held, register_kind

    async def apply_concern(session, ctx):           # ctx: SyncContext
        row, created = await service.raise_concern(session, actor=ctx.actor, scope=ctx.scope, ...)
        return Applied("concern", row.id, created)

    register_kind("concern", apply_concern, never_held=True)

Rules every adapter keeps:
- it calls the SAME service function the page's route calls (validation, scope, audit row);
- it is idempotent on (author, client id): the domain's own unique constraint answers a resend
  with the stored row and created=False;
- it raises Held(reason) for a known reason to wait for review (household reassigned, paused,
  consent withdrawn, month locked); Invalid and NotFound from the service are held as
  "invalid" and "out_of_scope" by the sync service;
- a kind registered never_held=True (concerns) must store whatever happened meanwhile; if its
  adapter still fails, the entry is held with reason "failed" rather than lost.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.i18n import N_
from server.scope import Scope
from server.users.models import User

# Why an entry waits for review; labels are shown to the author and the coordinator.
REASONS: dict[str, str] = {
    "out_of_scope": N_("The household is no longer assigned to you."),
    "paused": N_("Watch-over of this household was paused."),
    "ended": N_("Watch-over of this household has ended."),
    "consent": N_("Consent to watch-over was withdrawn."),
    "month_locked": N_("That month's activity record is already submitted."),
    "invalid": N_("The entry could not be saved as it was."),
    "unreadable": N_("The entry could not be opened (its key expired)."),
    "unknown_kind": N_("This kind of entry is not known to the server."),
    "access_ended": N_("Your access had ended when the entry arrived."),
    "contact_held": N_("The visit this concern belongs to is waiting for review."),
    "failed": N_("The entry could not be saved; the coordinator will look at it."),
    "cancelled": N_("The salon session was cancelled."),
}


class Held(Exception):
    def __init__(self, reason: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason if reason in REASONS else "invalid"
        self.errors = errors or {}


@dataclass
class SyncContext:
    actor: User
    scope: Scope
    client_id: str
    client_at: dt.datetime | None
    data: dict[str, Any]


@dataclass
class Applied:
    object_type: str
    object_id: int
    created: bool
    household_id: int | None = None
    municipality_id: int | None = None


Adapter = Callable[[AsyncSession, SyncContext], Awaitable[Applied]]


@dataclass(frozen=True)
class Kind:
    name: str
    apply: Adapter
    label: str
    never_held: bool = False


KINDS: dict[str, Kind] = {}


def register_kind(name: str, apply: Adapter, *, label: str, never_held: bool = False) -> None:
    if name in KINDS and KINDS[name].apply is not apply:
        raise ValueError(f"outbox kind {name!r} is already registered")
    KINDS[name] = Kind(name, apply, label, never_held)


def positive_id(value: object) -> int | None:
    """An id from an entry's decrypted data (any JSON value): a positive integer, else None."""
    try:
        number = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None
