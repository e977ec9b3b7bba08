"""Labels of the record's rows for the pages (English msgids; the Japanese catalog holds the national
labels). The exports use the national form's Japanese labels directly (export.py)."""
from __future__ import annotations

from server.activity import compile as c
from server.contacts.labels import (
    CONTENT_LABELS,
    FIELD_LABELS,
    LIAISON_LABELS,
    OTHER_ACTIVITY_LABELS,
)
from server.i18n import N_

LABELS: dict[str, str] = {
    **{f"field:{k}": v for k, v in FIELD_LABELS.items()},
    **{f"content:{k}": v for k, v in CONTENT_LABELS.items()},
    **{f"other:{k}": v for k, v in OTHER_ACTIVITY_LABELS.items() if k != "day"},
    **{f"liaison:{k}": v for k, v in LIAISON_LABELS.items()},
    "visits": N_("Visits"),
    "days": N_("Days active"),
    "consult_total": N_("Consultations and support, total"),
    "other_total": N_("Other activities, total"),
    "liaison_total": N_("Liaison, total"),
}

# (heading, rows) in the national order.
ROW_GROUPS: list[tuple[str, list[str]]] = [
    (N_("Consultations and support by field"), list(c.FIELD_KEYS)),
    (N_("Consultations and support by content"), [*c.CONTENT_KEYS, "consult_total"]),
    (N_("Other activities"), [*c.OTHER_KEYS, "other_total"]),
    (N_("Visits"), ["visits"]),
    (N_("Liaison"), ["liaison_total", *c.LIAISON_KEYS]),
    (N_("Days active"), ["days"]),
]
