"""Households, residents (one person table), consent, watch-over status, and each
municipality's watch-over rules.

Invariants:
- a person belongs to at most one household (household_id may be NULL: salon guests,
  residents named in a concern);
- kana_norm is the NFKC, hiragana-folded, space-free form of kana (sorting and search);
- health, disability and notes (要配慮個人情報) are only stored sealed (AES-GCM, server.sealing);
- consent rows are never edited except to set withdrawn_at; the newest row per (person, purpose) wins;
- a merged person keeps its row with merged_into_id set and disappears from every list.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, Float, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, JSONList, UTCDateTime, utcnow

HOUSEHOLD_TYPES = ("elderly_alone", "elderly_only", "disability", "single_parent", "child_rearing", "other")
STATUSES = ("active", "paused", "ended")
PAUSE_REASONS = ("hospital", "facility", "away")
END_REASONS = ("moved", "died", "declined")
CADENCES = {"weekly": 7, "biweekly": 14, "monthly": 30, "bimonthly": 60}
PURPOSES = ("watch", "share", "evacuation", "sensitive")
CONSENT_MODELS = ("explicit", "presumed", "opt_out")
GIVERS = ("self", "family", "guardian")
CONSENT_METHODS = ("paper", "verbal")


class Household(Base):
    __tablename__ = "households"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)  # the neighbourhood
    address: Mapped[str] = mapped_column(String(200))
    address_norm: Mapped[str] = mapped_column(String(200), default="", index=True)
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    types: Mapped[list] = mapped_column(JSONList(400), default=list)
    needs: Mapped[list] = mapped_column(JSONList(400), default=list)
    notes_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Cadence in days (7, 14, 30, 60 or N); the due date is last counted contact + cadence.
    cadence: Mapped[str] = mapped_column(String(16), default="monthly")
    cadence_days: Mapped[int] = mapped_column(Integer, default=30)
    # Denormalised for the round (one query for 400 households); recomputed on correction.
    last_contact_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # At least one member consents to watch-over (maintained by the consent service): on a round.
    watch_ok: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(8), default="active", index=True)
    status_reason: Mapped[str | None] = mapped_column(String(16))
    status_since: Mapped[dt.date | None] = mapped_column(Date)
    expected_return: Mapped[dt.date | None] = mapped_column(Date)
    external_ref: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class StatusChange(Base):
    """History of a household's watch-over status (the household row holds the current one)."""

    __tablename__ = "household_status_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    status: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str | None] = mapped_column(String(16))
    since: Mapped[dt.date] = mapped_column(Date)
    expected_return: Mapped[dt.date | None] = mapped_column(Date)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Person(Base):
    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kana: Mapped[str] = mapped_column(String(100), default="")
    kana_norm: Mapped[str] = mapped_column(String(100), default="", index=True)
    name_norm: Mapped[str] = mapped_column(String(100), default="", index=True)
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    birth_year: Mapped[int | None] = mapped_column(Integer, index=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    # [{"name": ..., "relation": ..., "phone": ...}]
    emergency_contacts: Mapped[list] = mapped_column(JSONList(2000), default=list)
    needs: Mapped[list] = mapped_column(JSONList(400), default=list)
    evacuation_support: Mapped[bool] = mapped_column(Boolean, default=False)
    # Effective watch-over consent under the municipality's model (maintained by the consent service).
    watch_ok: Mapped[bool] = mapped_column(Boolean, default=False)
    health_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    disability_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    notes_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    deceased_on: Mapped[dt.date | None] = mapped_column(Date)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Consent(Base):
    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    given: Mapped[bool] = mapped_column(Boolean)  # False = refused
    given_on: Mapped[dt.date] = mapped_column(Date)
    given_by: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(16))
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class WatchSettings(Base):
    """Per-municipality watch-over rules; a municipality without a row uses DEFAULTS."""

    __tablename__ = "watch_settings"

    municipality_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), primary_key=True)
    consent_watch: Mapped[str] = mapped_column(String(16), default="presumed")
    consent_share: Mapped[str] = mapped_column(String(16), default="explicit")
    consent_evacuation: Mapped[str] = mapped_column(String(16), default="explicit")
    visit_methods: Mapped[list] = mapped_column(JSONList(200), default=lambda: ["visit", "visit_absent", "exterior"])
    absent_counts: Mapped[bool] = mapped_column(Boolean, default=True)
    salon_counts_for_cadence: Mapped[bool] = mapped_column(Boolean, default=True)
    term_end_month: Mapped[int] = mapped_column(Integer, default=11)
    term_end_day: Mapped[int] = mapped_column(Integer, default=30)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
