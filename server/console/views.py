"""The console page: one area and one period, its sub-areas at a glance, and every figure.

Who sees what (server.console.access): coordinators and municipal analysts their own municipality,
in exact counts; prefecture analysts their prefecture, every count published (1–9 as "<10", with
secondary suppression: server.console.suppress). Figures are counts and rates, never residents.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server import clock
from server.areas.models import CHILD_LEVEL, Area
from server.console import charts, data, periods
from server.console import suppress as sup
from server.console.access import Access
from server.console.figures import DIM_LABELS, DURATIONS, MEASURES, SECTIONS, Measure
from server.i18n import _
from server.rollups.hooks import bucket_upper

ALL, TOTAL = sup.ALL, sup.TOTAL
# Default response targets (hours) to read the percentiles against (server.concerns.targets.DEFAULTS):
# 緊急 60 minutes, 早め 1 working day, 通常 3 working days (about 24 and 72 hours).
TARGET_HOURS = {"emergency": 1, "soon": 24, "normal": 72}


class Reader:
    """Values for (area, measure, dim, t): exact sums of the rollups, or the published cube."""

    def __init__(self, access: Access, period: periods.Period) -> None:
        self.access, self.period = access, period
        self.flows: dict = {}
        self.levels: dict = {}
        self.cubes: dict[str, dict] = {}
        self.day: dt.date | None = None

    async def load(self, session: AsyncSession, area_ids: list[int], keys: list[str]) -> None:
        self.day = await data.snapshot_day(session, area_ids[0], self.period)
        if self.access.exact:
            flows = [k for k in keys if MEASURES[k].source == "counts"] + list(DURATIONS) + ["concerns.ack_target"]
            self.flows = await data.counts(session, area_ids, self.period.months, flows)
            self.levels = await data.snapshot(session, area_ids, self.day)
            return
        for k in keys:
            m = MEASURES[k]
            self.cubes[k] = await data.published_cube(
                session, self.access.prefecture_id, k, fy=self.period.fy if m.source == "counts" else None,
                day=self.day if m.source == "snapshot" else None)
        # Durations are shown only as percentiles of 10 or more: read exactly, never shown as counts.
        self.flows = await data.counts(session, area_ids, self.period.months, list(DURATIONS) + ["concerns.ack_target"])

    def get(self, area_id: int, key: str, dim: str = TOTAL, t=ALL) -> int | None:
        m = MEASURES[key]
        dims = m.dims if dim == TOTAL else (dim,)
        if self.access.exact:
            if m.source == "snapshot":
                return sum(self.levels.get((area_id, key, d), 0) for d in dims)
            months = self.period.months if t == ALL else (t,)
            return sum(self.flows.get((area_id, key, d, mo), 0) for d in dims for mo in months)
        cube = self.cubes[key]
        d = m.dims[0] if (dim == TOTAL and len(m.dims) == 1) else dim
        if m.source == "snapshot":
            tt = self.day
        elif t != ALL:
            tt = t
        elif self.period.kind == "month":
            tt = self.period.months[0]
        else:
            tt = ALL  # published cubes are whole fiscal years (quarters are not published)
        return cube.get((area_id, d, tt), 0)

    def rate(self, area_id: int, num: str, den: str) -> str | None:
        a, b = self.get(area_id, num), self.get(area_id, den)
        if a is None or b is None or not b:
            return None
        return f"{100 * a / b:.0f}%"


@dataclass
class FigureView:
    measure: Measure
    columns: list[tuple[str, str]]  # (dim, label)
    rows: list[tuple[str, list[int | None], int | None]]  # (label, values per dim, total)
    chart: object
    export_key: str


@dataclass
class Page:
    access: Access
    area: Area
    crumbs: list[Area]
    children: list[Area]
    period: periods.Period
    period_label: str
    choices: list[tuple[str, str]]  # (code, label)
    headline: list[dict] = field(default_factory=list)
    sections: list[tuple[str, list[FigureView]]] = field(default_factory=list)
    durations: list[dict] = field(default_factory=list)
    attention: list[dict] = field(default_factory=list)
    snapshot_day: dt.date | None = None


def label(dim: str, m: Measure | None = None) -> str:
    """A dimension's label: the measure's own (when its categories share a code with another
    measure's but mean something else), else the common one."""
    return _((m.labels if m else {}).get(dim) or DIM_LABELS.get(dim, dim))


def figure(reader: Reader, area_id: int, m: Measure, locale: str) -> FigureView:
    columns = [(d, label(d, m)) for d in m.dims]
    rows = []
    if m.trend and len(reader.period.months) > 1:
        for mo in reader.period.months:
            rows.append((periods.month_label(mo, locale), [reader.get(area_id, m.key, d, mo) for d in m.dims],
                         reader.get(area_id, m.key, TOTAL, mo)))
    rows.append((_("Total"), [reader.get(area_id, m.key, d) for d in m.dims], reader.get(area_id, m.key)))
    if m.trend and len(rows) > 1:
        points = [(r[0], r[2]) for r in rows[:-1]]
    else:
        points = list(zip([c[1] for c in columns], rows[-1][1], strict=True))
    return FigureView(m, columns, rows, charts.bars(_(m.title), points), m.key)


def percentile(hist: dict[str, int], q: float) -> float | None:
    total = sum(hist.values())
    if not total:
        return None
    seen = 0
    for dim in sorted(hist):
        seen += hist[dim]
        if seen >= q * total:
            return bucket_upper(dim)
    return None


def durations(reader: Reader, area_id: int) -> list[dict]:
    out = []
    for key, title in DURATIONS.items():
        for urgency in ("emergency", "soon", "normal"):
            hist: dict[str, int] = {}
            for (a, k, d, _mo), n in reader.flows.items():
                if a == area_id and k == key and d.startswith(urgency + ":"):
                    hist[d.split(":")[1]] = hist.get(d.split(":")[1], 0) + n
            n = sum(hist.values())
            met = sum(v for (a, k, d, _mo), v in reader.flows.items()
                      if a == area_id and k == "concerns.ack_target" and d == f"{urgency}:met")
            small = not reader.access.exact and n < 10
            out.append({"title": _(title), "urgency": label(urgency), "n": n if reader.access.exact else None,
                        "p50": None if small else percentile(hist, 0.5),
                        "p90": None if small else percentile(hist, 0.9),
                        "target": TARGET_HOURS[urgency] if key == "concerns.ack_hours" else None,
                        "met": None if small or not n or key != "concerns.ack_hours" else f"{100 * met / n:.0f}%"})
    return out


async def attention(session: AsyncSession, reader: Reader, area: Area) -> list[dict]:
    """Coordinators: the neighbourhoods under the area with households nobody has visited in two
    months or concerns past their target (the question the console must answer in three clicks)."""
    if area.level not in ("municipality", "district"):
        return []
    clause = Area.municipality_id == area.id if area.level == "municipality" else Area.parent_id == area.id
    hoods = (await session.scalars(select(Area).where(clause, Area.level == "neighbourhood")
                                   .order_by(Area.code, Area.name, Area.id))).all()
    levels = await data.snapshot(session, [h.id for h in hoods], reader.day)
    out = []
    for h in hoods:
        unseen = levels.get((h.id, "watch.unseen_60d", "all"), 0)
        past = sum(levels.get((h.id, "concerns.past_target", u), 0) for u in ("emergency", "soon", "normal"))
        if unseen or past:
            out.append({"area": h, "unseen": unseen, "past": past})
    return out


async def console_page(session: AsyncSession, *, access: Access, area: Area, period_code: str | None,
                       locale: str) -> Page:
    today = clock.today_tokyo()
    period = periods.parse(period_code, today)
    if not access.exact and period.kind == "quarter":
        period = period.fiscal_year()  # published one granularity at a time: months or the year
    child_level = CHILD_LEVEL.get(area.level)
    children = list((await session.scalars(select(Area).where(Area.parent_id == area.id, Area.level == child_level)
                                           .order_by(Area.code, Area.name, Area.id))).all()) if child_level else []
    crumbs = await access.crumbs(session, area)
    reader = Reader(access, period)
    keys = list(MEASURES)
    await reader.load(session, [area.id] + [c.id for c in children], keys)
    page = Page(access, area, crumbs, children, period, periods.label(period, locale),
                [(p.code, periods.label(p, locale)) for p in periods.choices(today) if access.exact or p.kind != "quarter"],
                snapshot_day=reader.day)
    for a in [*children, area]:
        page.headline.append({
            "area": a, "total": a.id == area.id,
            "households": reader.get(a.id, "watch.households"), "coverage": reader.rate(a.id, "watch.covered",
                                                                                        "watch.households"),
            "overdue": reader.get(a.id, "watch.overdue"), "unseen": reader.get(a.id, "watch.unseen_60d"),
            "contacts": reader.get(a.id, "contacts.method"), "concerns": reader.get(a.id, "concerns.urgency"),
            "past": reader.get(a.id, "concerns.past_target"), "sessions": reader.get(a.id, "salons.sessions", "held"),
            "gaps": reader.get(a.id, "casework.gaps"),
        })
    for section, title in SECTIONS.items():
        views = [figure(reader, area.id, m, locale) for m in MEASURES.values()
                 if m.section == section and m.key not in ("watch.households", "watch.covered")]
        page.sections.append((_(title), views))
    page.durations = durations(reader, area.id)
    if access.coordinator:
        page.attention = await attention(session, reader, area)
    return page
