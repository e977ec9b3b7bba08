"""Contacts (a visit, a call, a greeting), their activity-record items, revisits and stand-alone
activity entries. A worrying contact's "tell a professional" raises a real concern (server/concerns).

Invariants:
- UNIQUE (author_id, client_id): a double tap or a replayed outbox entry stores one row;
- author_id is who typed it; owner_id whose activity it is (the commissioner a coordinator
  entered it for: on_behalf_of_id); the activity record counts owner_id;
- counts_as_visit is decided from the municipality's rule when logged and never recomputed;
- a correction is a new row (corrects_id -> the old one), the old row gets superseded_at;
  a withdrawal sets withdrawn_at. Neither row is ever deleted.
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
)
from sqlalchemy.orm import Mapped, mapped_column

from server import sealing
from server.db import Base, JSONList, UTCDateTime, utcnow

METHODS = ("visit", "visit_absent", "exterior", "phone", "greeting", "salon", "other")
OUTCOMES = ("no_change", "watch", "notify", "emergency")
SIGNS = (
    "mail_piling", "laundry_left", "no_lights_night", "lights_day", "shutters_closed", "smell_noise",
    "not_seen", "shouting", "bruises", "wandering", "weight_loss", "repeating", "untidy",
    "money_trouble", "stopped_greeting", "strangers", "expensive_goods", "stopped_salon",
)
FIELDS = ("elderly", "disability", "children", "other")
CONTENTS = (
    "home_welfare", "care_insurance", "health", "child_rearing", "child_community", "child_school",
    "living_costs", "pension", "work", "family", "housing", "environment", "daily_support", "other",
)
LIAISON_WITH = ("commissioners", "agency")
OTHER_ACTIVITIES = ("survey", "events", "community", "council", "certificates", "child_report")
URGENCY_FOR = {"emergency": "emergency", "notify": "soon", "watch": "normal"}


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("author_id", "client_id"),
        Index("ix_contacts_household_at", "household_id", "occurred_at"),
        Index("ix_contacts_owner_at", "owner_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    owner_role: Mapped[str] = mapped_column(String(16))  # commissioner / volunteer / coordinator
    client_id: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))
    signs: Mapped[list] = mapped_column(JSONList(600), default=list)
    note_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    met_person_ids: Mapped[list] = mapped_column(JSONList(400), default=list)
    counts_as_visit: Mapped[bool] = mapped_column(Boolean, default=False)
    counts_for_cadence: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    superseded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ActivityItem(Base):
    """A 相談・支援 item (field + content) or a 連絡調整 item (with whom) on a contact."""

    __tablename__ = "activity_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # consult / liaison
    field: Mapped[str | None] = mapped_column(String(16))
    content: Mapped[str | None] = mapped_column(String(24))
    liaison_with: Mapped[str | None] = mapped_column(String(16))


class Activity(Base):
    """A stand-alone entry: one of the 6 その他の活動, or an activity day without a resident."""

    __tablename__ = "activities"
    __table_args__ = (UniqueConstraint("author_id", "client_id"), Index("ix_activities_owner_on", "owner_id", "occurred_on"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    client_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # one of OTHER_ACTIVITIES or "day"
    occurred_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Revisit(Base):
    """A 不在 visit's reminder to come back; closed by the next contact, a handover moves it."""

    __tablename__ = "revisits"
    __table_args__ = (Index("ix_revisits_user_open", "user_id", "closed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    due_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_reason: Mapped[str | None] = mapped_column(String(16))  # contact / withdrawn / died / ended


def note_of(contact: Contact) -> str:
    """The contact's note, unsealed (kept beside the model so concerns can quote it without the contacts service)."""
    return sealing.unseal(contact.note_sealed, "contacts.note") or ""
