"""The activity record (活動記録): a commissioner's month, its adjustments, its submissions
(snapshots), the chair's reminders, and the compilations upward.

Invariants:
- one ActivityMonth per (commissioner, year, month) (UNIQUE); status open -> submitted -> open
  (reopened by the council chair) ...; a submitted month refuses contacts, activities and
  adjustments dated in it;
- an adjustment is a row with a reason, never an overwritten figure; the figures are always
  compiled from what was logged plus the adjustments; withdrawing one adds a row with the opposite
  delta and a reason (withdraws_id, at most one per adjustment), never deletes it;
- every submission is kept (activity_submissions) with its snapshot; a reopening stamps the
  submission it undoes (who, when, why) and never deletes it;
- a compilation (council, municipality, prefecture) is a dated snapshot of the figures seen then.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime, utcnow

STATUSES = ("open", "submitted")
LEVELS = ("council", "municipality", "prefecture")


class ActivityMonth(Base):
    __tablename__ = "activity_months"
    __table_args__ = (UniqueConstraint("commissioner_id", "year", "month"),
                      Index("ix_activity_months_period", "year", "month"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commissioner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    council_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="open")
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # 代理入力: the chair entered a paper booklet's figures for this commissioner.
    proxy: Mapped[bool] = mapped_column(Boolean, default=False)
    # The snapshot of the latest submission (None while never submitted).
    figures: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Adjustment(Base):
    """What happened off the app: a delta on one figure, with a reason."""

    __tablename__ = "activity_adjustments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month_id: Mapped[int] = mapped_column(ForeignKey("activity_months.id"), index=True)
    item: Mapped[str] = mapped_column(String(32))
    content: Mapped[str | None] = mapped_column(String(32))
    delta: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200))
    proxy: Mapped[bool] = mapped_column(Boolean, default=False)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A withdrawal: the opposite delta of the adjustment it withdraws, with its own reason. At most
    # one per adjustment (UNIQUE); the withdrawn row is kept as it was.
    withdraws_id: Mapped[int | None] = mapped_column(
        ForeignKey("activity_adjustments.id", name="fk_activity_adjustments_withdraws_id"),
        unique=True)


class Submission(Base):
    __tablename__ = "activity_submissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month_id: Mapped[int] = mapped_column(ForeignKey("activity_months.id"), index=True)
    figures: Mapped[dict] = mapped_column(JSON)
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proxy: Mapped[bool] = mapped_column(Boolean, default=False)
    reopened_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reopened_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reopen_reason: Mapped[str | None] = mapped_column(String(200))


class Reminder(Base):
    """The chair's in-app reminder to submit; the commissioner sees it on their record page."""

    __tablename__ = "activity_reminders"
    __table_args__ = (Index("ix_activity_reminders_who", "commissioner_id", "year", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    commissioner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    sent_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Compilation(Base):
    """A level marked its compilation done: the columns and the total as seen then."""

    __tablename__ = "activity_compilations"
    __table_args__ = (Index("ix_activity_compilations_unit", "level", "unit_id", "year", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    level: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[int] = mapped_column(Integer)  # the council (organisation) or area id
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    figures: Mapped[dict] = mapped_column(JSON)  # {"total": {...}, "columns": [[label, {...}], ...]}
    compiled_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    compiled_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
