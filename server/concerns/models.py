"""Concerns (気づき): what someone noticed, routed to one organisation, moved along the
transitions in transitions.py, with dated events (state changes, case notes, replies).

Invariants:
- UNIQUE (reporter_id, client_id): a double tap or a replayed outbox entry stores one concern;
- UNIQUE contact_id: a contact raises at most one concern;
- organisation_id is the one organisation whose inbox holds the concern now (a transfer moves it);
- state changes only through service.move(...), which asks transitions.next_state(...);
- free text (what was seen, what was done, the place, notes, replies) is sealed at rest;
- a case note (kind "note") belongs to the organisation that held the concern when it was written,
  and is readable by that organisation and any later one (a transfer hands the file on);
  a reply (kind "reply") is written for the reporter.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, JSONList, UTCDateTime, utcnow

# The same four as the activity record's 分野.
TARGET_GROUPS = ("elderly", "disability", "children", "other")
CATEGORIES = ("health", "dementia", "abuse", "money", "isolation", "housing", "family", "disaster", "other")
URGENCIES = ("emergency", "soon", "normal")
URGENCY_RANK = {"emergency": 0, "soon": 1, "normal": 2}
# The legal basis recorded with every concern (consent never blocks raising one).
BASES = ("consent", "emergency", "statutory", "welfare")


class Concern(Base):
    __tablename__ = "concerns"
    __table_args__ = (
        UniqueConstraint("reporter_id", "client_id"),
        Index("ix_concerns_org_state", "organisation_id", "state"),
        Index("ix_concerns_reporter", "reporter_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    # The neighbourhood it is about (a registered household's, or where an unregistered resident lives).
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), unique=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Who hears back: the reporter, or their successor after a handover.
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    client_id: Mapped[str] = mapped_column(String(64))
    target_group: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(16))
    urgency: Mapped[str] = mapped_column(String(16))
    basis: Mapped[str] = mapped_column(String(16))
    signs: Mapped[list] = mapped_column(JSONList(600), default=list)
    seen_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    done_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    place_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    # The routing-table row taken (NULL: no row matched, the municipal one-stop hub took it).
    route_id: Mapped[int | None] = mapped_column(ForeignKey("concern_routes.id", ondelete="SET NULL"))
    routed_by: Mapped[str] = mapped_column(String(16))  # route / fallback / transfer
    state: Mapped[str] = mapped_column(String(16), default="new")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Arrived in the current inbox (creation or the last transfer): response targets count from here.
    arrived_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_reply_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    holder_read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConcernEvent(Base):
    """A state change (kind "move", action = the transition), a case note or a reply to the reporter."""

    __tablename__ = "concern_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    concern_id: Mapped[int] = mapped_column(ForeignKey("concerns.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # move / note / reply
    action: Mapped[str | None] = mapped_column(String(16))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str | None] = mapped_column(String(16))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    to_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # NULL: the system (a death)
    text_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConcernRoute(Base):
    """neighbourhood (or district, or anywhere) × target group (or any) × category (or any) → organisation.
    The most specific row wins: area level first, then category, then target group."""

    __tablename__ = "concern_routes"
    __table_args__ = (UniqueConstraint("municipality_id", "area_id", "target_group", "category"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    target_group: Mapped[str | None] = mapped_column(String(16))
    category: Mapped[str | None] = mapped_column(String(16))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConcernSettings(Base):
    """Response targets per municipality: 緊急 in minutes, 早め and 通常 in working days."""

    __tablename__ = "concern_settings"

    municipality_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), primary_key=True)
    emergency_minutes: Mapped[int] = mapped_column(Integer, default=60)
    soon_days: Mapped[int] = mapped_column(Integer, default=1)
    normal_days: Mapped[int] = mapped_column(Integer, default=3)


class Holiday(Base):
    """A municipality's own change to the national calendar: a day it closes (市の休日), or, with
    `open`, a national holiday or New Year day on which its office works anyway. National holidays
    themselves are not stored: they come from jpholiday (server/concerns/targets.py)."""

    __tablename__ = "holidays"
    __table_args__ = (UniqueConstraint("municipality_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    day: Mapped[dt.date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(60))
    open: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
