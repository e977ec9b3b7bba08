"""People who use Tsunagu (not residents), their dated role and area grants."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime, utcnow

# What a person does, not who employs them. council_chair is the chair of a 単位民児協;
# salon_organiser is granted per salon by the salons issue.
ROLES = (
    "volunteer",
    "commissioner",
    "professional",
    "coordinator",
    "municipal_analyst",
    "prefecture_analyst",
    "council_chair",
)
FIELD_ROLES = {"volunteer", "commissioner"}
STAFF_ROLES = set(ROLES) - FIELD_ROLES - {"council_chair"}


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    display_name: Mapped[str] = mapped_column(String(100))
    locale: Mapped[str] = mapped_column(String(8), default="ja")
    # invited -> active (first passkey registered) -> deactivated
    status: Mapped[str] = mapped_column(String(16), default="invited")
    # Home municipality: where their audit rows chain (NULL for prefecture staff).
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    # Random WebAuthn user handle: never the database id, never personal data.
    webauthn_handle: Mapped[bytes] = mapped_column(LargeBinary(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    deactivated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class RoleGrant(Base):
    """A dated role; never overwritten, ended by setting valid_to, so handovers can be reconstructed."""

    __tablename__ = "role_grants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(24))
    # 主任児童委員: a commissioner covering children's matters council-wide.
    chief_child: Mapped[bool] = mapped_column(Boolean, default=False)
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    # A professional's organisation; a commissioner's or chair's council.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    valid_from: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    valid_to: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class AreaGrant(Base):
    """A dated grant of an area to a person (a coordinator's municipality, a volunteer's neighbourhood)."""

    __tablename__ = "area_grants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    valid_from: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    valid_to: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
