"""The pure counting of the activity record (活動記録): rows in, figures out. No database here.

Figures are a flat mapping from item keys to counts, in the national order (domain.md):
  field:<分野> x4, content:<内容> x14, other:<その他の活動> x6, visits, liaison:<with whom> x2, days.
Totals (相談・支援 total, その他 total, 連絡調整 total) are derived, never stored, so they cannot
disagree with their parts.

Rules (invariants the property tests check):
- each 相談・支援 item counts once by 分野 and once by 内容, so both breakdowns sum to the same total;
- a visit is a contact whose counts_as_visit was fixed at log time from the municipality's rule;
- 活動日数 is the number of distinct Asia/Tokyo dates with a contact or an activity entry;
- an adjustment adds its delta to one key (a 相談・支援 adjustment names both 分野 and 内容);
- the total of a level is the key-by-key sum of the figures below it.
"""
from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from server import clock
from server.contacts.models import CONTENTS, FIELDS, LIAISON_WITH, OTHER_ACTIVITIES
from server.i18n import TOKYO

FIELD_KEYS = tuple(f"field:{f}" for f in FIELDS)
CONTENT_KEYS = tuple(f"content:{c}" for c in CONTENTS)
OTHER_KEYS = tuple(f"other:{k}" for k in OTHER_ACTIVITIES)
LIAISON_KEYS = tuple(f"liaison:{w}" for w in LIAISON_WITH)
KEYS = (*FIELD_KEYS, *CONTENT_KEYS, *OTHER_KEYS, "visits", *LIAISON_KEYS, "days")


def empty() -> dict[str, int]:
    return dict.fromkeys(KEYS, 0)


def normalised(figures: dict | None) -> dict[str, int]:
    """A stored snapshot read back: every key present, unknown keys dropped."""
    out = empty()
    for k, v in (figures or {}).items():
        if k in out:
            out[k] = int(v)
    return out


def consult_total(f: dict[str, int]) -> int:
    return sum(f[k] for k in FIELD_KEYS)


def content_total(f: dict[str, int]) -> int:
    return sum(f[k] for k in CONTENT_KEYS)


def other_total(f: dict[str, int]) -> int:
    return sum(f[k] for k in OTHER_KEYS)


def liaison_total(f: dict[str, int]) -> int:
    return sum(f[k] for k in LIAISON_KEYS)


@dataclass(frozen=True)
class ContactRow:
    """A commissioner's live contact (not superseded, not withdrawn) and its coded items."""

    occurred_at: dt.datetime
    counts_as_visit: bool
    consults: tuple[tuple[str, str], ...] = ()  # (分野, 内容)
    liaisons: tuple[str, ...] = ()


@dataclass(frozen=True)
class ActivityRow:
    kind: str  # one of OTHER_ACTIVITIES, or "day"
    occurred_on: dt.date


@dataclass(frozen=True)
class AdjustmentRow:
    item: str  # a key of KEYS
    delta: int
    content: str | None = None  # the 内容 key of a 相談・支援 adjustment made by 分野


def compile_month(contacts: Iterable[ContactRow], activities: Iterable[ActivityRow],
                  adjustments: Iterable[AdjustmentRow] = ()) -> dict[str, int]:
    figures = empty()
    days: set[dt.date] = set()
    for c in contacts:
        days.add(c.occurred_at.astimezone(TOKYO).date())
        if c.counts_as_visit:
            figures["visits"] += 1
        for field, content in c.consults:
            figures[f"field:{field}"] += 1
            figures[f"content:{content}"] += 1
        for who in c.liaisons:
            figures[f"liaison:{who}"] += 1
    for a in activities:
        days.add(a.occurred_on)
        if a.kind != "day":
            figures[f"other:{a.kind}"] += 1
    figures["days"] = len(days)
    return apply(figures, adjustments)


def apply(figures: dict[str, int], adjustments: Iterable[AdjustmentRow]) -> dict[str, int]:
    out = dict(figures)
    for a in adjustments:
        out[a.item] = out.get(a.item, 0) + a.delta
        if a.content:
            out[a.content] = out.get(a.content, 0) + a.delta
    return out


def add(*many: dict[str, int]) -> dict[str, int]:
    total = empty()
    for f in many:
        for k in KEYS:
            total[k] += f.get(k, 0)
    return total


def problems(figures: dict[str, int], year: int, month: int) -> list[str]:
    """What makes figures unfit to submit (keys of the rule broken), empty when they are fine."""
    found = []
    if any(v < 0 for v in figures.values()):
        found.append("negative")
    if consult_total(figures) != content_total(figures):
        found.append("breakdowns")
    if figures["days"] > calendar.monthrange(year, month)[1]:
        found.append("days")
    return found


# --- months and fiscal years ---------------------------------------------------------------------



def month_of(day: dt.date) -> tuple[int, int]:
    return day.year, day.month


def previous(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def fiscal_year(year: int, month: int) -> int:
    """The fiscal year (April to March) a month belongs to, named by its starting year."""
    return clock.fiscal_year_of(dt.date(year, month, 1))


def fiscal_months(fy: int) -> list[tuple[int, int]]:
    return [(fy, m) for m in range(4, 13)] + [(fy + 1, m) for m in range(1, 4)]


def parse_period(text: str | None) -> tuple[int, int] | int | None:
    """'2026-10' -> (2026, 10); 'FY2026' -> 2026 (a fiscal year); anything else None."""
    text = (text or "").strip()
    try:
        if text.upper().startswith("FY") and len(text) == 6:
            fy = int(text[2:])
            return fy if 2000 <= fy <= 2100 else None
        year, month = (int(x) for x in text.split("-"))
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return year, month
    except ValueError:
        return None
    return None
