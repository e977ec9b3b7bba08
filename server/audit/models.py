"""The append-only audit trail, chained per municipality with an HMAC."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, JSONList, UTCDateTime, utcnow


class AuditEvent(Base):
    """Rows carry ids, never personal text. Each row's HMAC covers its content and the previous row's HMAC."""

    __tablename__ = "audit_events"
    __table_args__ = (UniqueConstraint("chain", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chain: Mapped[str] = mapped_column(String(24))  # "m:<municipality id>" or "pref"
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(48), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    object_type: Mapped[str | None] = mapped_column(String(24))
    object_id: Mapped[int | None] = mapped_column(Integer)
    ids: Mapped[list | None] = mapped_column(JSONList(4000))
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    prev_mac: Mapped[bytes] = mapped_column(LargeBinary(32))
    mac: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditHead(Base):
    """The newest row of each chain; its row lock serialises concurrent writers on PostgreSQL."""

    __tablename__ = "audit_heads"

    chain: Mapped[str] = mapped_column(String(24), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    mac: Mapped[bytes] = mapped_column(LargeBinary(32))
