"""Casework across agencies: intake and assessment sheets (versioned), collaboration sheets
(shares that carry a checked legal basis), standing 支援会議 bodies, case conferences with
follow-up actions, and needs outside the formal schemes (制度外ニーズ).

Invariants:
- a sheet belongs to one household and to the organisation of the professional who started it;
  only that organisation's professionals read or write it;
- a sheet is never edited in place: each save inserts a CaseSheetVersion (version 1, 2, ...,
  UNIQUE (sheet_id, version)); CaseSheet.version names the newest;
- every free text (sections, notes, minutes, decisions, actions, reasons, gap lines) is sealed
  at rest (AES-GCM, server.sealing), the associated data naming the column;
- a share holds a sealed, frozen snapshot of what was chosen as of sharing; later versions of
  the sheet never reach the recipient; revoked_at set = gone for the recipient (404);
- a share's basis is one of BASES and was checked by service.share_sheet before the row existed;
- a gap (制度外ニーズ) is one tag on one concern per category (UNIQUE (concern_id, category)).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, JSONList, UTCDateTime, utcnow

SHEET_KINDS = ("intake", "assessment")
# The structured sections of both sheets, in the printed order.
SECTIONS = ("composition", "care", "disability", "children", "money", "housing", "health", "relationships",
            "agencies", "wishes")
BASES = ("consent", "meeting", "emergency", "statutory")
CONFERENCE_KINDS = ("case", "regional", "support_meeting")
# 制度外ニーズ: what no formal scheme covered (the cross-departmental meeting's categories).
GAP_CATEGORIES = ("daily_life", "transport", "shopping", "garbage", "housing", "money", "guarantor",
                  "employment", "isolation", "family_care", "children", "other")


class CaseSheet(Base):
    __tablename__ = "case_sheets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    concern_id: Mapped[int | None] = mapped_column(ForeignKey("concerns.id"))
    kind: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseSheetVersion(Base):
    __tablename__ = "case_sheet_versions"
    __table_args__ = (UniqueConstraint("sheet_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("case_sheets.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    # JSON {section: text}, sealed as one value.
    sections_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SupportMeeting(Base):
    """A standing statutory 支援会議 (e.g. under 社会福祉法 §106-6): its member organisations may share
    a person's information without consent; its meetings are case conferences of kind support_meeting."""

    __tablename__ = "support_meetings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    law: Mapped[str] = mapped_column(String(120))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SupportMeetingMember(Base):
    __tablename__ = "support_meeting_members"
    __table_args__ = (UniqueConstraint("meeting_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("support_meetings.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))


class CaseShare(Base):
    """連携シート: a frozen summary shared by one organisation with another, with its legal basis."""

    __tablename__ = "case_shares"
    __table_args__ = (Index("ix_case_shares_to_org", "to_organisation_id", "revoked_at"),
                      Index("ix_case_shares_review", "municipality_id", "basis", "reviewed_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("case_sheets.id"), index=True)
    sheet_version: Mapped[int] = mapped_column(Integer)
    from_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    to_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    sharer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    basis: Mapped[str] = mapped_column(String(16))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("support_meetings.id"))
    law: Mapped[str | None] = mapped_column(String(120))
    reason_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    sections: Mapped[list] = mapped_column(JSONList(400), default=list)
    note_ids: Mapped[list] = mapped_column(JSONList(400), default=list)
    # JSON {"kind", "version", "sections": {key: text}, "notes": [{"at", "text"}]}, sealed.
    snapshot_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Conference(Base):
    """ケース検討会 (case), 地域ケア会議 (regional) or a meeting of a 支援会議 (support_meeting)."""

    __tablename__ = "conferences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("support_meetings.id"))
    held_on: Mapped[dt.date] = mapped_column(Date)
    participant_ids: Mapped[list] = mapped_column(JSONList(800), default=list)
    household_ids: Mapped[list] = mapped_column(JSONList(800), default=list)
    concern_ids: Mapped[list] = mapped_column(JSONList(800), default=list)
    outside_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    minutes_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    decisions_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConferenceAction(Base):
    __tablename__ = "conference_actions"
    __table_args__ = (Index("ix_conference_actions_owner", "owner_id", "done_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conferences.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    due_on: Mapped[dt.date] = mapped_column(Date)
    text_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    done_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Gap(Base):
    """制度外ニーズ: a need of a concern that no formal scheme covered."""

    __tablename__ = "casework_gaps"
    __table_args__ = (UniqueConstraint("concern_id", "category"),
                      Index("ix_casework_gaps_area_time", "municipality_id", "area_id", "created_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))  # the concern's neighbourhood
    concern_id: Mapped[int] = mapped_column(ForeignKey("concerns.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    category: Mapped[str] = mapped_column(String(16))
    line_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    tagged_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
