"""Periods of the console: a month ("2026-11"), a fiscal quarter ("FY2026-Q3": Oct–Dec 2026) or a
fiscal year ("FY2026": April 2026 to March 2027). Months are integers yyyymm (Asia/Tokyo)."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from server.i18n import _, wareki

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_FY = re.compile(r"^FY(\d{4})(?:-Q([1-4]))?$")


@dataclass(frozen=True)
class Period:
    kind: str  # month / quarter / fy
    fy: int
    months: tuple[int, ...]
    code: str

    @property
    def first(self) -> dt.date:
        return dt.date(self.months[0] // 100, self.months[0] % 100, 1)

    @property
    def last_day(self) -> dt.date:
        y, m = divmod(self.months[-1], 100)
        return dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)

    def fiscal_year(self) -> Period:
        return fiscal_year(self.fy)


def fy_of(year: int, month: int) -> int:
    return year if month >= 4 else year - 1


def fy_months(fy: int) -> tuple[int, ...]:
    return tuple((fy + (m < 4)) * 100 + m for m in (*range(4, 13), 1, 2, 3))


def fiscal_year(fy: int) -> Period:
    return Period("fy", fy, fy_months(fy), f"FY{fy}")


def month(year: int, m: int) -> Period:
    return Period("month", fy_of(year, m), (year * 100 + m,), f"{year}-{m:02d}")


def parse(code: str | None, today: dt.date) -> Period:
    """A malformed or missing code means this month; years outside 2000–2100 too."""
    code = (code or "").strip()
    if (hit := _MONTH.match(code)) and 2000 <= int(hit[1]) <= 2100 and 1 <= int(hit[2]) <= 12:
        return month(int(hit[1]), int(hit[2]))
    if (hit := _FY.match(code)) and 2000 <= int(hit[1]) <= 2100:
        fy = int(hit[1])
        if hit[2]:
            q = int(hit[2])
            return Period("quarter", fy, fy_months(fy)[(q - 1) * 3:q * 3], code)
        return fiscal_year(fy)
    return month(today.year, today.month)


def month_label(yyyymm: int, locale: str | None = None) -> str:
    y, m = divmod(yyyymm, 100)
    day = dt.date(y, m, 1)
    if (locale or "ja") == "ja":
        return f"{wareki(day, 'ja')}{m}月"
    return f"{day:%b} {y} ({wareki(day, 'en')})"


def label(period: Period, locale: str | None = None) -> str:
    if period.kind == "month":
        return month_label(period.months[0], locale)
    start = dt.date(period.fy, 4, 1)
    fy = wareki(start, locale)
    if period.kind == "fy":
        return _("Fiscal year %(year)s (%(fy)s)", year=fy, fy=period.fy)
    return _("Fiscal year %(year)s, quarter %(q)s", year=fy, q=period.code[-1])


def choices(today: dt.date, years: int = 3) -> list[Period]:
    """The picker: the last 12 months, this and the previous fiscal years' quarters and years."""
    out = []
    y, m = today.year, today.month
    for _i in range(12):
        out.append(month(y, m))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    fy = fy_of(today.year, today.month)
    for f in range(fy, fy - years, -1):
        out.append(fiscal_year(f))
        out.extend(Period("quarter", f, fy_months(f)[(q - 1) * 3:q * 3], f"FY{f}-Q{q}") for q in (1, 2, 3, 4))
    return out
