"""The console's figures: a registry of measures, so a domain adds its figure in a few lines.

A Measure reads either the rollups (`counts`: a flow, summed over the period's months) or the daily
snapshot (`snapshot`: a level on the period's last snapshot day). Adding the casework issue's
"needs outside the system" was one register(...) call with source="counts" and the measure name its
hook writes (`casework.gaps`), see docs/console.md.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from server.casework.labels import GAP_LABELS
from server.casework.queries import GAP_CATEGORIES
from server.concerns.models import CATEGORIES, TARGET_GROUPS, URGENCIES
from server.concerns.transitions import STATES
from server.contacts.models import METHODS, OUTCOMES
from server.i18n import N_


@dataclass(frozen=True)
class Measure:
    key: str
    title: str
    source: str  # counts / snapshot
    dims: tuple[str, ...]
    section: str
    trend: bool = False  # a chart over the months
    labels: dict[str, str] = field(default_factory=dict)
    # Coordinators click from a count to the records behind it: dim -> records kind (server.console.records).
    records: dict[str, str] = field(default_factory=dict)
    loader: Callable | None = None  # a measure computed by its own query instead of the rollups


MEASURES: dict[str, Measure] = {}
SECTIONS = {
    "watch": N_("Watch-over"),
    "concerns": N_("Concerns"),
    "salons": N_("Salons"),
    "casework": N_("Needs outside the system"),
}


def register(m: Measure) -> Measure:
    MEASURES[m.key] = m
    return m


DIM_LABELS = {
    "visit": N_("Visit"), "visit_absent": N_("Visit, nobody home"), "exterior": N_("Seen from outside"),
    "phone": N_("Phone"), "greeting": N_("Greeting"), "salon": N_("At a salon"), "other": N_("Other"),
    "no_change": N_("No change"), "watch": N_("Something to watch"), "notify": N_("Must tell"),
    "emergency": N_("Emergency"),
    "elderly": N_("Older people"), "disability": N_("Disability"), "children": N_("Children"),
    "health": N_("Health"), "dementia": N_("Dementia"), "abuse": N_("Abuse"), "money": N_("Money"),
    "isolation": N_("Isolation"), "housing": N_("Housing"), "family": N_("Family"), "disaster": N_("Disaster"),
    "soon": N_("Soon"), "normal": N_("Normal"),
    "new": N_("Not yet acknowledged"), "acknowledged": N_("Acknowledged"), "in_progress": N_("In progress"),
    "linked": N_("Linked"), "watching": N_("Watching"), "closed": N_("Closed"),
    "held": N_("Held"), "cancelled": N_("Cancelled"),
    "present": N_("Present"), "absent": N_("Absent"), "excused": N_("Absent with notice"),
    "open": N_("Not yet followed up"), "followed": N_("Followed up"), "came_back": N_("Came back"),
    "commissioner": N_("Commissioners"), "volunteer": N_("Volunteers"), "all": N_("All"),
}

# Watch-over (the coverage figures are read together: see views.coverage)
for key, title, records in (
        ("watch.households", N_("Households on a round"), {}),
        ("watch.covered", N_("Contacted within their cadence"), {}),
        ("watch.overdue", N_("Overdue by more than one cadence"), {"all": "overdue"}),
        ("watch.unseen_60d", N_("Nobody in contact for two months"), {"all": "unseen"})):
    register(Measure(key, title, "snapshot", ("all",), "watch", records=records))
register(Measure("contacts.method", N_("Contacts by method"), "counts", METHODS, "watch", trend=True))
register(Measure("contacts.outcome", N_("Contacts by outcome"), "counts", OUTCOMES, "watch", trend=True))
register(Measure("people.active", N_("Active commissioners and volunteers (this month)"), "snapshot",
                 ("commissioner", "volunteer"), "watch"))
# Concerns
register(Measure("concerns.group", N_("Concerns raised by target group"), "counts", TARGET_GROUPS, "concerns",
                 trend=True))
register(Measure("concerns.category", N_("Concerns raised by category"), "counts", CATEGORIES, "concerns"))
register(Measure("concerns.urgency", N_("Concerns raised by urgency"), "counts", URGENCIES, "concerns"))
register(Measure("concerns.status", N_("Concerns raised, by their status now"), "counts", STATES, "concerns"))
register(Measure("concerns.past_target", N_("Open concerns past their target"), "snapshot", URGENCIES, "concerns",
                 records={d: "past_target" for d in URGENCIES}))
# Salons
register(Measure("salons.sessions", N_("Salon sessions"), "counts", ("held", "cancelled"), "salons", trend=True))
register(Measure("salons.attendance", N_("Salon attendance"), "counts", ("present", "absent", "excused"), "salons",
                 trend=True))
register(Measure("salons.participants", N_("Unique salon participants (this month)"), "snapshot", ("all",), "salons"))
register(Measure("salons.followups", N_("Absences followed up"), "counts", ("open", "followed", "came_back"), "salons"))
# 制度外ニーズ: the casework gap tags (server.casework.service.tag_gap keeps the rollups), by category here
# and by area in the table of sub-areas. The categories carry casework's own labels ("money" there is
# money management, not the concern category "Money").
register(Measure("casework.gaps", N_("Needs outside the system by category"), "counts", GAP_CATEGORIES, "casework",
                 labels=GAP_LABELS))

# Durations: histograms summed over areas and months (server.rollups.hooks.BUCKETS).
DURATIONS = {
    "concerns.ack_hours": N_("Time to acknowledge"),
    "concerns.close_hours": N_("Time to close"),
}
# Headline columns of the table of sub-areas.
HEADLINE = ("watch.households", "coverage", "watch.overdue", "watch.unseen_60d", "contacts.method",
            "concerns.urgency", "concerns.past_target", "salons.sessions", "casework.gaps")
