"""The sync endpoint's service: every outbox entry ends as stored, duplicate or held.

Rules:
- entries are applied in the order the phone sent them (a concern after its visit);
- (author, client id) is unique in the ledger: a replay is answered from it and writes nothing;
- each entry is applied inside its own savepoint: a held entry leaves nothing half-written,
  and the entries before and after it still count;
- a held entry keeps its content sealed with the data key and waits in the review list of its
  author and of the coordinators of its municipality; nothing is ever dropped;
- a replay never extends the session's idle time (the phone sends X-Tsunagu-Background: 1).
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server import sealing
from server.audit.actions import register
from server.audit.service import record
from server.db import utcnow
from server.errors import Invalid, NotFound
from server.households.models import Household
from server.i18n import N_
from server.offline import keys
from server.offline import kinds as _kinds  # noqa: F401 - registers the watch-over kinds
from server.offline.models import SyncEntry
from server.offline.registry import KINDS, Applied, Held, SyncContext
from server.scope import Scope
from server.users.models import User

register({
    "sync.held": N_("Offline entry held for review"),
    "sync.resolved": N_("Held offline entry saved"),
    "sync.dismissed": N_("Held offline entry dismissed"),
    "sync.discarded": N_("Unsent offline entries discarded on the phone"),
    "sync.review_viewed": N_("Held offline entries listed"),
    "round.bundle_downloaded": N_("Round prepared for offline use"),
})

BATCH_LIMIT = 100
PAYLOAD_COLUMN = "sync_entries.payload"


@dataclass
class Incoming:
    client_id: str
    kind: str
    household_id: int | None
    client_at: dt.datetime | None
    sealed: object


def _client_id(value: object) -> str | None:
    text = value.strip() if isinstance(value, str) else ""
    if 8 <= len(text) <= 64 and all(c.isalnum() or c in "-_:" for c in text):
        return text
    return None


def _time(value: object) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else None


def parse_batch(body: object) -> list[Incoming]:
    """The batch as the phone sent it; a malformed batch is refused whole (422), never half-read."""
    entries = body.get("entries") if isinstance(body, dict) else None
    if not isinstance(entries, list) or not entries:
        raise Invalid(fields={"entries": N_("The batch is empty.")})
    if len(entries) > BATCH_LIMIT:
        raise Invalid(fields={"entries": N_("Send at most 100 entries at a time.")})
    out = []
    for e in entries:
        if not isinstance(e, dict) or _client_id(e.get("client_id")) is None \
                or not isinstance(e.get("kind"), str) or not 1 <= len(e["kind"]) <= 24:
            raise Invalid(fields={"entries": N_("An entry lacks its client id or kind.")})
        hid = e.get("household_id")
        out.append(Incoming(_client_id(e["client_id"]), e["kind"], hid if isinstance(hid, int) else None,
                            _time(e.get("client_at")), e.get("sealed")))
    return out


def _seal_payload(payload: dict) -> bytes | None:
    return sealing.seal(json.dumps(payload, ensure_ascii=False), PAYLOAD_COLUMN)


def open_payload(entry: SyncEntry) -> dict:
    text = sealing.unseal(entry.payload_sealed, PAYLOAD_COLUMN)
    return json.loads(text) if text else {}


async def _apply(session: AsyncSession, kind, ctx: SyncContext) -> Applied:
    try:
        return await kind.apply(session, ctx)
    except NotFound:
        raise Held("out_of_scope") from None
    except Invalid as exc:
        raise Held("invalid", exc.fields) from None


async def sync_batch(session: AsyncSession, *, actor: User, scope: Scope, entries: list[Incoming],
                     replay_only: bool = False) -> list[dict]:
    """Each entry's outcome, in order: {"client_id", "status": stored|duplicate|held, "reason"?}."""
    known = {row.client_id: row for row in (await session.scalars(select(SyncEntry).where(
        SyncEntry.author_id == actor.id, SyncEntry.client_id.in_([e.client_id for e in entries])))).all()}
    key_cache: dict = {}
    results = []
    for e in entries:
        found = known.get(e.client_id)
        if found is not None:
            results.append(_answer(found, duplicate=True))
            continue
        row = await _one(session, actor, scope, e, key_cache, replay_only)
        known[e.client_id] = row
        results.append(_answer(row, duplicate=False))
    return results


def _answer(row: SyncEntry, *, duplicate: bool) -> dict:
    if row.status == "held":
        return {"client_id": row.client_id, "status": "held", "reason": row.reason}
    if row.status == "discarded":
        return {"client_id": row.client_id, "status": "discarded"}
    return {"client_id": row.client_id, "status": "duplicate" if duplicate or row.reason == "duplicate" else "stored"}


async def _one(session: AsyncSession, actor: User, scope: Scope, e: Incoming, key_cache: dict,
               replay_only: bool) -> SyncEntry:
    now = utcnow()
    row = SyncEntry(author_id=actor.id, client_id=e.client_id, kind=e.kind, household_id=e.household_id,
                    client_at=e.client_at, received_at=now, municipality_id=actor.municipality_id)
    data: dict | None = None
    kind = KINDS.get(e.kind)
    try:
        data = await keys.open_envelope(session, e.sealed, client_id=e.client_id, kind=e.kind, cache=key_cache)
        if kind is None:
            raise Held("unknown_kind")
        if replay_only:
            # Access ended (term over, or a deactivated person's replay-only sign-in): everything
            # delivered, concerns included, waits for the coordinator.
            raise Held("access_ended")
        ctx = SyncContext(actor=actor, scope=scope, client_id=e.client_id, client_at=e.client_at, data=data)
        try:
            async with session.begin_nested():
                applied = await _apply(session, kind, ctx)
                row.status, row.object_type, row.object_id = "stored", applied.object_type, applied.object_id
                row.reason = None if applied.created else "duplicate"
                row.household_id = applied.household_id or row.household_id
                row.municipality_id = applied.municipality_id or row.municipality_id
                session.add(row)
                await session.flush()
        except IntegrityError:
            # The same entry arrived through a concurrent request: answer from its ledger row.
            other = (await session.scalars(select(SyncEntry).where(
                SyncEntry.author_id == actor.id, SyncEntry.client_id == e.client_id))).first()
            if other is None:
                raise
            return other
        return row
    except keys.Unreadable:
        held = Held("unreadable")
        payload = {"envelope": e.sealed}
    except Held as exc:
        held, payload = exc, {"data": data, "errors": exc.errors}
    if kind is not None and kind.never_held and held.reason not in ("unreadable", "access_ended"):
        held.reason = "failed"
    return await _hold(session, actor, row, held.reason, payload)


async def _hold(session: AsyncSession, actor: User, row: SyncEntry, reason: str, payload: dict) -> SyncEntry:
    if row.household_id is not None:
        household = await session.get(Household, row.household_id)
        if household is not None:
            row.municipality_id = household.municipality_id
    row.status, row.reason, row.payload_sealed = "held", reason, _seal_payload(payload)
    session.add(row)
    await session.flush()
    await record(session, action="sync.held", actor_id=actor.id, municipality_id=row.municipality_id,
                 object_type="sync_entry", object_id=row.id)
    return row


async def record_discarded(session: AsyncSession, *, actor: User, entries: list[Incoming]) -> int:
    """The phone's person discarded unsent entries (sign-out with a confirmation): the server
    learns how many and of which kind, never their content. Already-delivered ones are left as they are."""
    known = set((await session.scalars(select(SyncEntry.client_id).where(
        SyncEntry.author_id == actor.id, SyncEntry.client_id.in_([e.client_id for e in entries])))).all())
    ids = []
    for e in entries:
        if e.client_id in known:
            continue
        known.add(e.client_id)
        row = SyncEntry(author_id=actor.id, client_id=e.client_id, kind=e.kind, household_id=e.household_id,
                        client_at=e.client_at, status="discarded", municipality_id=actor.municipality_id)
        session.add(row)
        await session.flush()
        ids.append(row.id)
    if ids:
        await record(session, action="sync.discarded", actor_id=actor.id, municipality_id=actor.municipality_id,
                     object_type="sync_entries", ids=ids)
    return len(ids)


# --- the review list -------------------------------------------------------------------------------

def _visible(scope: Scope, actor: User):
    clauses = [SyncEntry.author_id == actor.id]
    if scope.coordinated:
        clauses.append(SyncEntry.municipality_id.in_(scope.coordinated))
    return or_(*clauses)


async def held_entries(session: AsyncSession, *, actor: User, scope: Scope) -> list[SyncEntry]:
    """The author's own held entries, and every held entry of the municipalities one coordinates
    (the review page, views.review_list, writes the audit row of their being listed)."""
    return list((await session.scalars(select(SyncEntry).where(SyncEntry.status == "held", _visible(scope, actor))
                                       .order_by(SyncEntry.received_at, SyncEntry.id).limit(200))).all())


async def _held(session: AsyncSession, actor: User, scope: Scope, entry_id: int) -> SyncEntry:
    row = await session.get(SyncEntry, entry_id)
    if row is None or row.status != "held" or not (
            row.author_id == actor.id or scope.coordinates(row.municipality_id)):
        raise NotFound()
    return row


async def retry_entry(session: AsyncSession, *, actor: User, scope: Scope, entry_id: int) -> SyncEntry:
    """The author tries a held entry again (e.g. once the household is resumed): the same adapter,
    the same client id, so it can still be stored only once."""
    row = await _held(session, actor, scope, entry_id)
    if row.author_id != actor.id:
        raise NotFound()
    kind = KINDS.get(row.kind)
    data = open_payload(row).get("data")
    if kind is None or not isinstance(data, dict):
        raise Invalid(fields={"entry": N_("This entry cannot be tried again; dismiss it instead.")})
    ctx = SyncContext(actor=actor, scope=scope, client_id=row.client_id, client_at=row.client_at, data=data)
    try:
        async with session.begin_nested():
            applied = await _apply(session, kind, ctx)
    except Held:
        raise Invalid(fields={"entry": N_("It still cannot be saved. Ask your coordinator, or dismiss it.")}) from None
    row.status, row.resolution, row.resolved_at, row.resolved_by_id = "resolved", "stored", utcnow(), actor.id
    row.object_type, row.object_id, row.payload_sealed = applied.object_type, applied.object_id, None
    await session.flush()
    await record(session, action="sync.resolved", actor_id=actor.id, municipality_id=row.municipality_id,
                 object_type="sync_entry", object_id=row.id)
    return row


async def dismiss_entry(session: AsyncSession, *, actor: User, scope: Scope, entry_id: int) -> SyncEntry:
    """The author or a coordinator of the municipality closes a held entry without storing it
    (e.g. the visit was recorded another way). The sealed content is kept for the audit period."""
    row = await _held(session, actor, scope, entry_id)
    row.status, row.resolution, row.resolved_at, row.resolved_by_id = "resolved", "dismissed", utcnow(), actor.id
    await session.flush()
    await record(session, action="sync.dismissed", actor_id=actor.id, municipality_id=row.municipality_id,
                 object_type="sync_entry", object_id=row.id)
    return row
