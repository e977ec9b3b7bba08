"""Areas (prefecture > municipality > district > neighbourhood) and the organisations that serve them."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime, utcnow

LEVELS = ("prefecture", "municipality", "district", "neighbourhood")
CHILD_LEVEL = {"prefecture": "municipality", "municipality": "district", "district": "neighbourhood"}

# 社協, 地域包括支援センター, the municipal one-stop hub and its sections, district satellite hubs,
# other agencies, and the local commissioners' councils (単位民児協).
ORG_KINDS = ("shakyo", "support_centre", "hub", "section", "satellite", "agency", "council")


class Area(Base):
    __tablename__ = "areas"
    __table_args__ = (UniqueConstraint("parent_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    level: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    code: Mapped[str | None] = mapped_column(String(32), index=True)
    # The municipality this area belongs to (itself for a municipality, NULL for a prefecture):
    # scope checks and the audit chain key on it without walking the tree.
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    prefecture_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(32))
    out_of_hours_phone: Mapped[str | None] = mapped_column(String(32))
    # 定例会: the day of the month a council meets (activity records are due before it).
    meeting_day: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class OrganisationArea(Base):
    """An organisation serves one or more areas."""

    __tablename__ = "organisation_areas"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), primary_key=True, index=True)
