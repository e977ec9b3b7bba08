"""The offline outbox's server side: sync keys and the ledger of every entry a phone delivered.

Invariants:
- UNIQUE (author_id, client_id) on sync_entries: an entry replayed any number of times is
  answered from the ledger (stored -> "duplicate", held -> "held"), never applied twice;
- every delivered entry ends as exactly one row: stored, held (waiting for review), resolved
  (a held entry someone dealt with) or discarded (the phone's person discarded it unsent);
  nothing is ever deleted;
- a held entry keeps its content sealed with the data key (it may hold a note), a stored one
  keeps none: the record itself lives in its own domain's table (object_type, object_id);
- sync keys: the private half is sealed with the data key; a retired key still decrypts
  until its expires_at, then it is refused (entries sealed to it are held as unreadable).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime, utcnow

STATUSES = ("stored", "held", "resolved", "discarded")


class SyncKey(Base):
    __tablename__ = "sync_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kid: Mapped[str] = mapped_column(String(32), unique=True)
    public_jwk: Mapped[str] = mapped_column(Text)
    private_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class SyncEntry(Base):
    __tablename__ = "sync_entries"
    __table_args__ = (
        UniqueConstraint("author_id", "client_id"),
        Index("ix_sync_entries_status_municipality", "status", "municipality_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    client_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(24))
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    household_id: Mapped[int | None] = mapped_column(Integer)  # as the phone said; may be out of scope now
    client_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(String(24))
    payload_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    object_type: Mapped[str | None] = mapped_column(String(24))
    object_id: Mapped[int | None] = mapped_column(Integer)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str | None] = mapped_column(String(16))  # stored / dismissed
