"""The console's one write: an export's audit row (the download itself is built here too)."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from server.audit.service import record
from server.console import export
from server.console.access import Access
from server.console.figures import MEASURES
from server.console.views import console_page
from server.errors import Invalid
from server.i18n import N_, _

FORMATS = ("csv", "xlsx")
HEADLINE_COLUMNS = (
    ("households", N_("Households on a round")), ("coverage", N_("Coverage")),
    ("overdue", N_("Overdue by more than one cadence")), ("unseen", N_("Nobody in contact for two months")),
    ("contacts", N_("Contacts")), ("concerns", N_("Concerns raised")), ("past", N_("Open concerns past their target")),
    ("sessions", N_("Salon sessions held")), ("gaps", N_("Needs outside the system")),
)


async def export_table(session: AsyncSession, *, actor, access: Access, area, period_code: str | None,
                       table: str, fmt: str, locale: str) -> tuple[bytes, str, str]:
    """(body, media type, file name). Audited with the area and the table's key, never figures."""
    errors = {}
    if fmt not in FORMATS:
        errors["format"] = N_("Choose CSV or Excel.")
    if table != "areas" and table not in MEASURES:
        errors["table"] = N_("Choose a table of the console.")
    if errors:
        raise Invalid(fields=errors)
    page = await console_page(session, access=access, area=area, period_code=period_code, locale=locale)
    if table == "areas":
        title = _("Areas at a glance")
        columns = [_(label) for _k, label in HEADLINE_COLUMNS]
        rows = [(r["area"].name, [r[k] for k, _l in HEADLINE_COLUMNS], None) for r in page.headline]
        body_rows = export.table_rows(title, page.period_label, area.name, columns, rows)
        for row in body_rows[3:]:
            row.pop()  # no total column: the selected area is its own row
        body_rows[2].pop()
    else:
        view = next(v for _s, views in page.sections for v in views if v.export_key == table)
        title = _(view.measure.title)
        body_rows = export.table_rows(title, page.period_label, area.name, [c[1] for c in view.columns], view.rows)
    if not access.exact:
        note = _("Published figures: counts from 1 to 9 are shown as <10, and some others are hidden so they cannot be worked out.")  # noqa: E501 - a message is one literal: it is its catalog's key
        body_rows.insert(1, [note])
    await record(session, action="console.exported", actor_id=actor.id, municipality_id=area.municipality_id,
                 object_type="area", object_id=area.id)
    name = f"tsunagu-{table.replace('.', '-')}-{area.id}-{page.period.code}"
    if fmt == "csv":
        return export.to_csv(body_rows), "text/csv; charset=utf-8", name + ".csv"
    return (export.to_xlsx(body_rows, table), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            name + ".xlsx")
