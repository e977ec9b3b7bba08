"""Who watches over which household: dated rows, never overwritten (ended by setting valid_to).

A household has at most one live commissioner assignment and any number of live volunteer
assignments; every assignee sees the same due date (the cadence lives on the household).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime, utcnow

ASSIGNEE_ROLES = ("commissioner", "volunteer")


class Assignment(Base):
    __tablename__ = "assignments"
    __table_args__ = (Index("ix_assignments_user_live", "user_id", "valid_to"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(16))
    valid_from: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    valid_to: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    assigned_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
