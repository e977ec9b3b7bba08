"""Writing and verifying the audit chain.

Invariants:
- a row is written in the same transaction as the change it records (callers pass their session);
- rows are chained per municipality ("m:<id>") and one chain for prefecture-level actions ("pref");
- mac = HMAC-SHA256(key, canonical(row) || prev_mac), the key derived from the secret key, which
  lives outside the database: someone with database access alone cannot forge or re-compute a row;
- the heads are also appended to a file outside the database, so truncating the newest rows shows.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import LargeBinary, bindparam, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from server.audit.actions import ACTIONS
from server.audit.models import AuditEvent, AuditHead
from server.db import JSONList, UTCDateTime, register_sqlite_function, utcnow
from server.sqlite_driver import DEFERRABLE

GENESIS = b"\x00" * 32


class UnknownAction(ValueError):
    pass


def audit_key(secret_key: str) -> bytes:
    return hashlib.sha256(b"tsunagu-audit-v1\x00" + secret_key.encode()).digest()


def _insert_for(session: AsyncSession):
    return pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert


def chain_for(municipality_id: int | None) -> str:
    return f"m:{municipality_id}" if municipality_id else "pref"


def _canonical(row: AuditEvent) -> bytes:
    at = row.at.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
    body = [row.chain, row.seq, at, row.action, row.actor_id, row.on_behalf_of_id,
            row.object_type, row.object_id, row.ids or [], row.municipality_id]
    return json.dumps(body, separators=(",", ":"), ensure_ascii=True).encode()


def compute_mac(key: bytes, row: AuditEvent, prev_mac: bytes) -> bytes:
    return hmac.new(key, _canonical(row) + prev_mac, hashlib.sha256).digest()


_KEY: bytes | None = None


def configure(secret_key: str) -> None:
    global _KEY
    _KEY = audit_key(secret_key)


def _key() -> bytes:
    if _KEY is None:
        raise RuntimeError("audit.service.configure() was not called")
    return _KEY


async def record(
    session: AsyncSession,
    *,
    action: str,
    actor_id: int | None,
    municipality_id: int | None,
    object_type: str | None = None,
    object_id: int | None = None,
    ids: list[int] | None = None,
    on_behalf_of_id: int | None = None,
) -> None:
    """Append one row to its chain inside the caller's transaction (on SQLite it may be sent with
    the transaction's next statement: read the row back after that, never from here)."""
    if action not in ACTIONS:
        raise UnknownAction(action)
    chain = chain_for(municipality_id)
    if session.bind.dialect.name == "sqlite":
        await _record_sqlite(session, chain=chain, action=action, actor_id=actor_id,
                             municipality_id=municipality_id, object_type=object_type, object_id=object_id,
                             ids=sorted(set(ids)) if ids else None, on_behalf_of_id=on_behalf_of_id)
        return
    # PostgreSQL: two statements per row (this runs on nearly every request): read the chain's
    # head, locked (concurrent writers queue on the row), then insert the row; a database trigger
    # moves the head in the same statement (migration 0002).
    head = (await session.execute(_HEAD, {"chain": chain})).first()
    if head is None:
        # A new chain's head is created race-free (two first writers must not both insert it).
        await session.execute(_insert_for(session)(AuditHead).values(chain=chain, seq=0, mac=GENESIS)
                              .on_conflict_do_nothing(index_elements=["chain"]))
        head = (await session.execute(_HEAD, {"chain": chain})).one()
    row = AuditEvent(
        chain=chain,
        seq=head.seq + 1,
        at=utcnow(),
        action=action,
        actor_id=actor_id,
        on_behalf_of_id=on_behalf_of_id,
        object_type=object_type,
        object_id=object_id,
        ids=sorted(set(ids)) if ids else None,
        municipality_id=municipality_id,
        prev_mac=head.mac,
    )
    row.mac = compute_mac(_key(), row, head.mac)
    # A plain insert (the row is never changed after, so it needs no unit of work).
    await session.execute(_INSERT, {c: getattr(row, c) for c in _COLUMNS})


# Built once: this runs on nearly every request.
_HEAD = (select(AuditHead.seq, AuditHead.mac).where(AuditHead.chain == bindparam("chain"))
         .with_for_update())
_COLUMNS = ("chain", "seq", "at", "action", "actor_id", "on_behalf_of_id", "object_type", "object_id", "ids",
            "municipality_id", "prev_mac", "mac")
_INSERT = AuditEvent.__table__.insert()


# --- SQLite: the append as one statement ---------------------------------------------------------
# The embedded database runs in this process, so the HMAC can be computed inside the INSERT by a
# function registered on each connection (register_sqlite_function below; the key never enters the database).
# One statement reads the chain's head (the genesis for a new chain: migration 0012's trigger then
# creates the head) and writes the row; nothing reads its result, so it is DEFERRABLE and travels
# with the request's next statement or its COMMIT (server/sqlite_driver.py). The transaction holds
# SQLite's write lock, so no other writer can move the head in between. PostgreSQL keeps the two
# statements above.

def _sqlite_mac(head: str, seq: int, tail: str, prev_mac: bytes) -> bytes:
    """HMAC of the canonical row: `head` + seq + `tail` is exactly _canonical()'s JSON."""
    return hmac.new(_key(), (head + str(seq) + tail).encode() + prev_mac, hashlib.sha256).digest()


register_sqlite_function("tsunagu_audit_mac", 4, _sqlite_mac)


_SQLITE_APPEND = text(
    "INSERT " + DEFERRABLE + " INTO audit_events (chain, seq, at, action, actor_id, on_behalf_of_id, object_type, "
    "object_id, ids, municipality_id, prev_mac, mac) "
    "SELECT :chain, h.seq + 1, :at, :action, :actor_id, :on_behalf_of_id, :object_type, :object_id, :ids, "
    ":municipality_id, h.mac, tsunagu_audit_mac(:canon_head, h.seq + 1, :canon_tail, h.mac) "
    "FROM (SELECT seq, mac FROM audit_heads WHERE chain = :chain "
    "      UNION ALL SELECT 0, :genesis WHERE NOT EXISTS (SELECT 1 FROM audit_heads WHERE chain = :chain)) AS h"
).bindparams(bindparam("at", type_=UTCDateTime), bindparam("ids", type_=JSONList(4000)),
             bindparam("genesis", type_=LargeBinary))


async def _record_sqlite(session: AsyncSession, *, chain: str, **fields: object) -> None:
    at = utcnow()
    body = json.dumps([chain, 0, at.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds"),
                       fields["action"], fields["actor_id"], fields["on_behalf_of_id"], fields["object_type"],
                       fields["object_id"], fields["ids"] or [], fields["municipality_id"]],
                      separators=(",", ":"), ensure_ascii=True)
    head, tail = body.split(",0,", 1)  # around the seq, which the database supplies
    await session.execute(_SQLITE_APPEND, {"chain": chain, "at": at, "canon_head": head + ",",
                                           "canon_tail": "," + tail, "genesis": GENESIS, **fields})


@dataclass
class Break:
    chain: str
    seq: int
    problem: str


async def verify(session: AsyncSession, head_file: Path | None = None, key: bytes | None = None) -> list[Break]:
    """Check every chain; returns the breaks found (empty when the trail is intact)."""
    key = key or _key()
    breaks: list[Break] = []
    last: dict[str, tuple[int, bytes]] = {}
    result = await session.stream_scalars(select(AuditEvent).order_by(AuditEvent.chain, AuditEvent.seq))
    async for row in result:
        prev_seq, prev_mac = last.get(row.chain, (0, GENESIS))
        if row.seq != prev_seq + 1:
            breaks.append(Break(row.chain, row.seq, f"gap after {prev_seq}"))
        if not hmac.compare_digest(row.prev_mac, prev_mac):
            breaks.append(Break(row.chain, row.seq, "previous link does not match"))
        if not hmac.compare_digest(row.mac, compute_mac(key, row, row.prev_mac)):
            breaks.append(Break(row.chain, row.seq, "row content does not match its HMAC"))
        last[row.chain] = (row.seq, row.mac)
    heads = {h.chain: h for h in (await session.scalars(select(AuditHead).execution_options(populate_existing=True))).all()}
    for chain, head in heads.items():
        seq, mac = last.get(chain, (0, GENESIS))
        if head.seq != seq or head.mac != mac:
            breaks.append(Break(chain, head.seq, "chain head does not match the newest row"))
    if head_file is not None:
        for chain, (seq, mac_hex) in read_head_file(head_file).items():
            seq_now, _ = last.get(chain, (0, GENESIS))
            if seq_now < seq:
                breaks.append(Break(chain, seq, f"rows after {seq_now} are missing (head file saw {seq})"))
                continue
            row = (
                await session.execute(select(AuditEvent).where(AuditEvent.chain == chain, AuditEvent.seq == seq))
            ).scalar_one_or_none()
            if row is None or row.mac.hex() != mac_hex:
                breaks.append(Break(chain, seq, "row differs from the head written outside the database"))
    return breaks


def read_head_file(path: Path) -> dict[str, tuple[int, str]]:
    """The newest head per chain recorded in the file (one JSON object per line)."""
    heads: dict[str, tuple[int, str]] = {}
    if not path.exists():
        return heads
    for line in path.read_text().splitlines():
        try:
            item = json.loads(line)
            chain, seq, mac = item["chain"], int(item["seq"]), item["mac"]
        except (ValueError, KeyError, TypeError):
            continue
        if seq >= heads.get(chain, (0, ""))[0]:
            heads[chain] = (seq, mac)
    return heads


async def write_heads(session: AsyncSession, path: Path) -> int:
    """Append the current head of every chain that moved since the file last saw it."""
    seen = read_head_file(path)
    lines = []
    for head in (await session.scalars(select(AuditHead).execution_options(populate_existing=True))).all():
        if seen.get(head.chain, (0, ""))[0] != head.seq:
            lines.append(json.dumps({"chain": head.chain, "seq": head.seq, "mac": head.mac.hex(),
                                     "at": utcnow().isoformat(timespec="seconds")}))
    if lines:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as fh:
            fh.write("\n".join(lines) + "\n")
    return len(lines)
