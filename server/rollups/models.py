"""Rollups: counts per area × month × measure × dimension, kept at EVERY level of the area hierarchy
(neighbourhood, district, municipality, prefecture), and the daily snapshot of figures that change
with the clock rather than with writes (coverage, overdue, open concerns past target).

Invariants:
- a rollup row holds the sum over the raw rows it counts; it is changed only by server.rollups.hooks
  in the same transaction as the write it counts, or rebuilt from scratch (server.rollups.rebuild);
- month is the Asia/Tokyo month as an integer yyyymm;
- durations are histograms (dim = a log-spaced bucket, see hooks.BUCKETS), never stored medians,
  so percentiles of any area or period come from summed buckets;
- a snapshot row is (area, day, measure, dim) and re-taking a day replaces that day's rows.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base


class RollupCount(Base):
    """Primary key (area, measure, month, dim): every console read is "these areas, these measures,
    these months", a range of the key (a (measure, month) index made SQLite scan all areas)."""

    __tablename__ = "rollup_counts"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), primary_key=True)
    measure: Mapped[str] = mapped_column(String(32), primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    dim: Mapped[str] = mapped_column(String(32), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class RollupSnapshot(Base):
    __tablename__ = "rollup_snapshots"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    measure: Mapped[str] = mapped_column(String(32), primary_key=True)
    dim: Mapped[str] = mapped_column(String(32), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
