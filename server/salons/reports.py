"""The yearly report per salon and fiscal year (April–March), in the shape councils ask for
grant reports: sessions held with dates and place, headcount per session, unique participants,
average attendance, registered roster. CSV (UTF-8 with BOM, so Excel opens it) and XLSX.

Held = not cancelled and attendance taken. Headcount = people marked present (walk-ins included).
Counts only: the report names nobody.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.i18n import TOKYO, _, wareki
from server.salons.models import Attendance, Place, RosterMember, Salon, SalonSession
from server.salons.schedule import fiscal_year_bounds


@dataclass
class SessionLine:
    day: dt.date
    start: str
    end: str
    place: str
    headcount: int


@dataclass
class YearReport:
    salon: Salon
    year: int
    lines: list[SessionLine] = field(default_factory=list)
    unique_participants: int = 0
    roster_size: int = 0
    cancelled: int = 0

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, 4, 1)

    @property
    def held(self) -> int:
        return len(self.lines)

    @property
    def total_headcount(self) -> int:
        return sum(line.headcount for line in self.lines)

    @property
    def average(self) -> float:
        return round(self.total_headcount / self.held, 1) if self.held else 0.0


async def year_report(session: AsyncSession, salon: Salon, year: int) -> YearReport:
    first, last = fiscal_year_bounds(year)
    start = dt.datetime.combine(first, dt.time(0), tzinfo=TOKYO)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=TOKYO)
    report = YearReport(salon, year)
    in_year = (SalonSession.salon_id == salon.id, SalonSession.starts_at >= start, SalonSession.starts_at < end)
    places = {p.id: p.name for p in (await session.scalars(select(Place).where(
        Place.municipality_id == salon.municipality_id))).all()}
    present = select(Attendance.session_id, func.count().label("n")).where(
        Attendance.status == "present").group_by(Attendance.session_id).subquery()
    for sess, n in (await session.execute(
            select(SalonSession, present.c.n).outerjoin(present, present.c.session_id == SalonSession.id)
            .where(*in_year).order_by(SalonSession.starts_at))).all():
        if sess.status == "cancelled":
            report.cancelled += 1
            continue
        if sess.attendance_taken_at is None:
            continue
        local = sess.starts_at.astimezone(TOKYO)
        report.lines.append(SessionLine(local.date(), local.strftime("%H:%M"),
                                        sess.ends_at.astimezone(TOKYO).strftime("%H:%M"),
                                        places.get(sess.place_id, ""), n or 0))
    report.unique_participants = await session.scalar(
        select(func.count(func.distinct(Attendance.person_id))).join(SalonSession, SalonSession.id == Attendance.session_id)
        .where(*in_year, SalonSession.status != "cancelled", Attendance.status == "present")) or 0
    report.roster_size = await session.scalar(select(func.count()).select_from(RosterMember).where(
        RosterMember.salon_id == salon.id, RosterMember.joined_on <= last,
        (RosterMember.left_on.is_(None)) | (RosterMember.left_on >= first))) or 0
    return report


def rows(report: YearReport) -> list[list]:
    """The sheet: a heading block, one line per session held, then the totals."""
    out: list[list] = [
        [_("Salon"), report.salon.name],
        [_("Fiscal year"), f"{report.year} ({wareki(dt.date(report.year, 4, 1))})"],
        [],
        [_("Date"), _("Start"), _("End"), _("Place"), _("Headcount")],
    ]
    for line in report.lines:
        out.append([line.day.isoformat(), line.start, line.end, line.place, line.headcount])
    out += [
        [],
        [_("Sessions held"), report.held],
        [_("Sessions cancelled"), report.cancelled],
        [_("Total attendance"), report.total_headcount],
        [_("Unique participants"), report.unique_participants],
        [_("Average attendance"), report.average],
        [_("Registered participants"), report.roster_size],
    ]
    return out


def to_csv(report: YearReport) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows(report):
        writer.writerow(row)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(report: YearReport) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = str(report.year)
    for row in rows(report):
        sheet.append(row)
    for column, width in zip("ABCDE", (16, 10, 10, 24, 10), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
