"""Places, salons, their organisers, sessions, roster, sign-ups, attendance and absence follow-ups.

Invariants:
- organisers are dated rows (salon_organisers), never overwritten; a live row scopes a
  volunteer or commissioner to that salon's roster, sessions and follow-ups;
- a generated session keeps the date it was generated for (origin_date): UNIQUE (salon_id,
  origin_date) makes re-generating a schedule harmless; a move changes starts_at only;
- sign-ups: UNIQUE (author_key, client_id) makes a resend harmless; the confirmed count of a
  session never exceeds its capacity (checked under the session row's lock); the waitlist is
  promoted in position order;
- attendance: one row per (session, person); a walk-in is a person too (a guest without a
  household when not registered);
- a follow-up is open until its outcome is recorded (or the person comes back).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, JSONList, UTCDateTime, utcnow

PLACE_KINDS = ("community_hall", "ibasho", "exchange_hub", "children", "other")
SALON_KINDS = ("salon", "round_table")
AUDIENCES = ("elderly", "parents_children", "mixed")
SCHEDULE_KINDS = ("monthly_nth", "weekly", "dates", "none")
SESSION_STATUSES = ("scheduled", "cancelled")
SIGNUP_STATUSES = ("confirmed", "waitlisted", "cancelled")
ATTENDANCE = ("present", "absent", "excused")
FOLLOWUP_OUTCOMES = ("visited_well", "visited_unwell", "hospital_facility", "will_return", "declined", "came_back")


class Place(Base):
    __tablename__ = "salon_places"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(200), default="")
    capacity: Mapped[int | None] = mapped_column(Integer)
    step_free: Mapped[bool] = mapped_column(Boolean, default=False)
    accessible_toilet: Mapped[bool] = mapped_column(Boolean, default=False)
    access_notes: Mapped[str] = mapped_column(String(400), default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Salon(Base):
    __tablename__ = "salons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))  # the neighbourhood it serves
    place_id: Mapped[int | None] = mapped_column(ForeignKey("salon_places.id"))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16), default="salon")
    audience: Mapped[str] = mapped_column(String(24), default="elderly")
    fee_yen: Mapped[int] = mapped_column(Integer, default=0)
    transport_notes: Mapped[str] = mapped_column(String(400), default="")
    capacity: Mapped[int] = mapped_column(Integer, default=20)
    absence_threshold: Mapped[int] = mapped_column(Integer, default=2)
    schedule_kind: Mapped[str] = mapped_column(String(16), default="monthly_nth")
    weekday: Mapped[int | None] = mapped_column(Integer)  # 0 = Monday
    nth: Mapped[int | None] = mapped_column(Integer)  # 1..4, or -1 for the last
    dates: Mapped[list] = mapped_column(JSONList(2000), default=list)  # ISO dates for "dates"
    start_time: Mapped[str] = mapped_column(String(5), default="10:00")
    end_time: Mapped[str] = mapped_column(String(5), default="12:00")
    topic: Mapped[str] = mapped_column(String(200), default="")  # a round-table's topic
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class SalonOrganiser(Base):
    __tablename__ = "salon_organisers"
    __table_args__ = (Index("ix_salon_organisers_user", "user_id", "valid_to"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    salon_id: Mapped[int] = mapped_column(ForeignKey("salons.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    valid_from: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    valid_to: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class SalonSession(Base):
    __tablename__ = "salon_sessions"
    __table_args__ = (UniqueConstraint("salon_id", "origin_date"), Index("ix_salon_sessions_salon_at", "salon_id", "starts_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    salon_id: Mapped[int] = mapped_column(ForeignKey("salons.id"))
    origin_date: Mapped[dt.date] = mapped_column(Date)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    place_id: Mapped[int | None] = mapped_column(ForeignKey("salon_places.id"))
    capacity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    moved_from: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # cancelled or moved: the notice's time
    public_signup: Mapped[bool] = mapped_column(Boolean, default=False)
    join_token: Mapped[str | None] = mapped_column(String(48), unique=True)
    topic: Mapped[str] = mapped_column(String(200), default="")
    raised: Mapped[str] = mapped_column(Text, default="")  # a round-table's record of what residents raised
    attendance_taken_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class RosterMember(Base):
    """A regular participant: a registered person (household_id set) or a guest (no household)."""

    __tablename__ = "salon_roster"
    __table_args__ = (UniqueConstraint("salon_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    salon_id: Mapped[int] = mapped_column(ForeignKey("salons.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    needs_transport: Mapped[bool] = mapped_column(Boolean, default=False)
    joined_on: Mapped[dt.date] = mapped_column(Date)
    left_on: Mapped[dt.date | None] = mapped_column(Date)
    added_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Signup(Base):
    __tablename__ = "salon_signups"
    __table_args__ = (UniqueConstraint("author_key", "client_id"), Index("ix_salon_signups_session", "session_id", "status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("salon_sessions.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    public_name: Mapped[str] = mapped_column(String(100), default="")  # public page: no account, no person row
    public_phone: Mapped[str] = mapped_column(String(32), default="")
    status: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer)  # order of arrival: the waitlist is promoted by it
    needs_transport: Mapped[bool] = mapped_column(Boolean, default=False)
    signed_up_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_key: Mapped[str] = mapped_column(String(24))  # "u<id>" or "public"
    client_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    promoted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Attendance(Base):
    __tablename__ = "salon_attendance"
    __table_args__ = (UniqueConstraint("session_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("salon_sessions.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    walk_in: Mapped[bool] = mapped_column(Boolean, default=False)
    noticed_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)  # 気になったこと, sealed like a contact note
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    concern_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    client_id: Mapped[str] = mapped_column(String(64), default="")
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Followup(Base):
    """A roster regular absent (not excused) at N held sessions in a row."""

    __tablename__ = "salon_followups"
    __table_args__ = (Index("ix_salon_followups_open", "person_id", "closed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    salon_id: Mapped[int] = mapped_column(ForeignKey("salons.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    absences: Mapped[int] = mapped_column(Integer)
    last_session_id: Mapped[int] = mapped_column(ForeignKey("salon_sessions.id"))
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    visit_due_on: Mapped[dt.date | None] = mapped_column(Date)
    visit_due_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str | None] = mapped_column(String(24))
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
