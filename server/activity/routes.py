"""Routes of the activity record (活動記録): the commissioner's month (/activity-record), the council
chair's view (/council-record), the municipality's (/municipal-record) and the prefecture's
(/prefecture-record), each with its export. Periods travel as ?month=YYYY-MM (or FY2026 for an
export); a missing or malformed one means last month."""
from __future__ import annotations

from litestar import Request, get, post
from litestar.response import Redirect, Response, Template
from sqlalchemy.ext.asyncio import AsyncSession

from server import clock
from server.activity import compile as c
from server.activity import export, queries, service, views
from server.activity.labels import LABELS, ROW_GROUPS
from server.auth.sessions import Current
from server.contacts import labels as contact_labels
from server.contacts.models import CONTENTS, FIELDS, METHODS
from server.errors import Invalid, NotFound
from server.forms import form, integer, text
from server.i18n import _
from server.rendering import page

COMMISSIONER = {"access": ("commissioner",)}
ENTRIES = {"access": ("commissioner", "coordinator", "council_chair")}
BEHALF = {"access": ("coordinator", "council_chair")}
CHAIR = {"access": ("council_chair",)}
MUNICIPAL = {"access": ("coordinator", "municipal_analyst")}
PREFECTURE = {"access": ("prefecture_analyst",)}


def _month(value: str | None) -> tuple[int, int]:
    parsed = c.parse_period(value)
    return parsed if isinstance(parsed, tuple) else service.last_month()


def _months(value: str | None) -> list[tuple[int, int]]:
    """A month, or the months of a fiscal year up to this one."""
    parsed = c.parse_period(value)
    if isinstance(parsed, int):
        now = c.month_of(clock.today_tokyo())
        months = [m for m in c.fiscal_months(parsed) if m <= now]
        if not months:
            raise NotFound()
        return months
    return [parsed if isinstance(parsed, tuple) else service.last_month()]


def _common() -> dict:
    return {"L": contact_labels, "LABELS": LABELS, "ROW_GROUPS": ROW_GROUPS, "fields": FIELDS, "contents": CONTENTS,
            "methods": METHODS, "keys": c.KEYS, "C": c, "value": export.value,
            "month_name": views.month_name}


# --- the commissioner's month ------------------------------------------------------------------------

async def _month_page(request: Request, db: AsyncSession, current: Current, year: int, month: int,
                      errors: dict | None = None, values: dict | None = None, status: int = 200) -> Response:
    scope = current.require_scope()
    ctx = await views.commissioner_month(db, actor=current.user, scope=scope, year=year, month=month)
    return page(request, "activity/month.html", {**ctx, **_common(), "errors": errors or {}, "values": values or {}},
                status=status)


@get("/activity-record", opt=COMMISSIONER)
async def month_page(request: Request, db: AsyncSession, current: Current, month: str | None = None) -> Response:
    return await _month_page(request, db, current, *_month(month))


@post("/activity-record/adjustments", opt=COMMISSIONER)
async def adjustment_create(request: Request, db: AsyncSession, current: Current) -> Response:
    scope = current.require_scope()
    data = await form(request)
    year, month = _month(text(data, "month", 10))
    try:
        async with db.begin_nested():
            await service.add_adjustment(db, actor=current.user, scope=scope, year=year, month=month,
                                     item=text(data, "item", 40), content=text(data, "content", 40) or None,
                                     delta=integer(text(data, "delta", 10)), reason=text(data, "reason", 400))
    except Invalid as exc:
        return await _month_page(request, db, current, year, month, exc.fields,
                                 {k: data.get(k) for k in data}, 422)
    return Redirect(f"/activity-record?month={year}-{month:02d}&adjusted=1#figures", status_code=303)


@post("/activity-record/adjustments/withdraw", opt=COMMISSIONER)
async def adjustment_withdraw(request: Request, db: AsyncSession, current: Current) -> Response:
    scope = current.require_scope()
    data = await form(request)
    year, month = _month(text(data, "month", 10))
    try:
        async with db.begin_nested():
            await service.withdraw_adjustment(db, actor=current.user, scope=scope,
                                              adjustment_id=integer(text(data, "adjustment", 12), 1),
                                              reason=text(data, "reason", 400))
    except Invalid as exc:
        fields = {("withdraw_reason" if k == "reason" else k): v for k, v in (exc.fields or {}).items()}
        return await _month_page(request, db, current, year, month, fields,
                                 {"withdraw": text(data, "adjustment", 12), "withdraw_reason": data.get("reason")}, 422)
    return Redirect(f"/activity-record?month={year}-{month:02d}&withdrawn=1#adjustments", status_code=303)


@post("/activity-record/submit", opt=COMMISSIONER)
async def month_submit(request: Request, db: AsyncSession, current: Current) -> Response:
    scope = current.require_scope()
    data = await form(request)
    year, month = _month(text(data, "month", 10))
    try:
        async with db.begin_nested():
            await service.submit_month(db, actor=current.user, scope=scope, year=year, month=month)
    except Invalid as exc:
        return await _month_page(request, db, current, year, month, exc.fields, None, 422)
    return Redirect(f"/activity-record?month={year}-{month:02d}&submitted=1", status_code=303)


@get("/activity-record/notice", opt=COMMISSIONER)
async def reminder_notice(db: AsyncSession, current: Current) -> Response:
    """A fragment for the round (loaded by htmx): the chair's reminder about last month, if any."""
    current.require_scope().require("commissioner")
    reminder = await views.pending_reminder(db, actor=current.user)
    year, month = service.last_month()
    return Template(template_name="activity/_notice.html",
                    context={"reminder": reminder, "period": f"{year}-{month:02d}"})


@get("/activity-record/entries", opt=ENTRIES)
async def entries_page(request: Request, db: AsyncSession, current: Current, month: str | None = None,
                       item: str | None = None, of: str | None = None) -> Response:
    scope = current.require_scope()
    scope.require(*ENTRIES["access"])
    year, mon = _month(month)
    ctx = await views.entries(db, actor=current.user, scope=scope, year=year, month=mon, item=item or "visits",
                              commissioner_id=integer(of, 1) if of else None)
    return page(request, "activity/entries.html", {**ctx, **_common()})


@get("/activity-record/behalf", opt=BEHALF)
async def behalf_page(request: Request, db: AsyncSession, current: Current, month: str | None = None,
                      of: str | None = None) -> Response:
    """A commissioner's month as seen by whoever entered figures for them (代理入力): every figure
    links to the entries behind it. Without `of`: everyone they entered for in that month."""
    current.require_scope().require(*BEHALF["access"])
    year, mon = _month(month)
    ctx = await views.behalf_page(db, actor=current.user, year=year, month=mon,
                                  commissioner_id=integer(of, 1) if of else None)
    return page(request, "activity/behalf.html", {**ctx, **_common()})


# --- the council chair ---------------------------------------------------------------------------------

def _council_id(value: str | None) -> int | None:
    return integer(value, 1) if value else None


async def _council_page(request: Request, db: AsyncSession, current: Current, council: str | None, year: int,
                        month: int, errors: dict | None = None, status: int = 200) -> Response:
    scope = current.require_scope()
    ctx = await views.council_page(db, scope=scope, council_id=_council_id(council), year=year, month=month)
    return page(request, "activity/council.html", {**ctx, **_common(), "errors": errors or {}}, status=status)


@get("/council-record", opt=CHAIR)
async def council_page(request: Request, db: AsyncSession, current: Current, month: str | None = None,
                       c: str | None = None) -> Response:
    return await _council_page(request, db, current, c, *_month(month))


async def _chair_write(request: Request, db: AsyncSession, current: Current, action) -> Response:
    """Run one chair's write from a form naming council (c) and month; 422 re-renders the council page."""
    scope = current.require_scope()
    data = await form(request)
    year, month = _month(text(data, "month", 10))
    council = text(data, "c", 12)
    try:
        async with db.begin_nested():
            await action(scope, data, _council_id(council), year, month)
    except Invalid as exc:
        return await _council_page(request, db, current, council, year, month, exc.fields, 422)
    return Redirect(f"/council-record?month={year}-{month:02d}&c={council}&done=1", status_code=303)


@post("/council-record/remind", opt=CHAIR)
async def council_remind(request: Request, db: AsyncSession, current: Current) -> Response:
    async def act(scope, data, council_id, year, month):
        who = text(data, "commissioner", 12)
        await service.send_reminders(db, actor=current.user, scope=scope, council_id=council_id, year=year,
                                     month=month, commissioner_id=integer(who, 1) if who else None)
    return await _chair_write(request, db, current, act)


@post("/council-record/reopen", opt=CHAIR)
async def council_reopen(request: Request, db: AsyncSession, current: Current) -> Response:
    async def act(scope, data, council_id, year, month):
        await service.reopen_month(db, actor=current.user, scope=scope, council_id=council_id,
                                   commissioner_id=integer(text(data, "commissioner", 12), 1), year=year, month=month,
                                   reason=text(data, "reason", 400))
    return await _chair_write(request, db, current, act)


@post("/council-record/compile", opt=CHAIR)
async def council_compile(request: Request, db: AsyncSession, current: Current) -> Response:
    async def act(scope, data, council_id, year, month):
        await service.compile_level(db, actor=current.user, scope=scope, level="council", unit_id=council_id,
                                    year=year, month=month)
    return await _chair_write(request, db, current, act)


async def _proxy_page(request: Request, db: AsyncSession, current: Current, council: str | None,
                      commissioner: str | None, year: int, month: int, errors: dict | None = None,
                      values: dict | None = None, status: int = 200) -> Response:
    scope = current.require_scope()
    ctx = await views.council_page(db, scope=scope, council_id=_council_id(council), year=year, month=month)
    chosen = integer(commissioner, 1) if commissioner else None
    column = next((col for col in ctx["table"].columns if col.unit_id == chosen), None)
    if chosen is not None and column is None:
        raise NotFound()
    # Once the chair has entered figures for that month, each figure links to the entries behind it.
    entered = column is not None and (column.unit_id == current.user.id  # the chair's own month
                                      or await views.entered_for(db, current.user.id, column.unit_id, year, month))
    return page(request, "activity/proxy.html", {
        **ctx, **_common(), "chosen": column, "errors": errors or {}, "values": values or {},
        "chosen_row": ctx["months"].get(column.unit_id) if column else None,
        "link": views.entries_link(year, month, column.unit_id) if entered else None}, status=status)


@get("/council-record/proxy", opt=CHAIR)
async def proxy_form(request: Request, db: AsyncSession, current: Current, month: str | None = None,
                     c: str | None = None, commissioner: str | None = None) -> Response:
    return await _proxy_page(request, db, current, c, commissioner, *_month(month))


@post("/council-record/proxy", opt=CHAIR)
async def proxy_create(request: Request, db: AsyncSession, current: Current) -> Response:
    scope = current.require_scope()
    data = await form(request)
    year, month = _month(text(data, "month", 10))
    council, who = text(data, "c", 12), text(data, "commissioner", 12)
    figures = {k: integer(text(data, k, 10)) for k in c.KEYS}
    try:
        async with db.begin_nested():
            await service.enter_for(db, actor=current.user, scope=scope, council_id=_council_id(council),
                                commissioner_id=integer(who, 1), year=year, month=month, figures=figures)
    except Invalid as exc:
        return await _proxy_page(request, db, current, council, who, year, month, exc.fields,
                                 {k: data.get(k) for k in data}, 422)
    return Redirect(f"/council-record?month={year}-{month:02d}&c={council}&done=1", status_code=303)


# --- the levels' tables and exports -------------------------------------------------------------------

LEVEL_PATHS = {"council": "/council-record", "municipality": "/municipal-record", "prefecture": "/prefecture-record"}


async def _level_page(request: Request, db: AsyncSession, current: Current, level: str, unit: str | None,
                      month: str | None, errors: dict | None = None, status: int = 200) -> Response:
    scope = current.require_scope()
    year, mon = _month(month)
    service.check_period(year, mon)
    table = await service.table_for(db, scope=scope, level=level, unit_id=integer(unit, 1) if unit else None,
                                    months=[(year, mon)], no_council_label=_("No council"))
    unit_id = {"municipality": service.municipality_for, "prefecture": service.prefecture_for}[level]
    area = await unit_id(db, scope, integer(unit, 1) if unit else None)
    compiled = await service.latest_compilation(db, level, area.id, year, mon)
    return page(request, "activity/level.html", {
        **_common(), "table": table, "level": level, "unit": area, "year": year, "month": mon,
        "period": f"{year}-{mon:02d}", "fy": c.fiscal_year(year, mon), "compiled": compiled,
        "path": LEVEL_PATHS[level], "recent": views.recent_months(), "ended": service.ended(year, mon),
        "errors": errors or {}}, status=status)


async def _compile(request: Request, db: AsyncSession, current: Current, level: str) -> Response:
    scope = current.require_scope()
    data = await form(request)
    year, month = _month(text(data, "month", 10))
    unit = text(data, "u", 12)
    try:
        async with db.begin_nested():
            await service.compile_level(db, actor=current.user, scope=scope, level=level,
                                    unit_id=integer(unit, 1) if unit else None, year=year, month=month)
    except Invalid as exc:
        return await _level_page(request, db, current, level, unit, f"{year}-{month:02d}", exc.fields, 422)
    return Redirect(f"{LEVEL_PATHS[level]}?month={year}-{month:02d}&u={unit}&done=1", status_code=303)


async def _export(db: AsyncSession, current: Current, level: str, unit: str | None, month: str | None,
                  fmt: str | None) -> Response:
    scope = current.require_scope()
    months = _months(month)
    for y, m in months:
        service.check_period(y, m)
    unit_id = integer(unit, 1) if unit else None
    no_council = "所属なし"
    tables = [await service.table_for(db, scope=scope, level=level, unit_id=unit_id, months=[m], no_council_label=no_council)
              for m in months]
    if len(months) > 1:
        tables.append(queries.sum_tables(tables))
    resolved = {"council": service.council_for, "municipality": service.municipality_for,
                "prefecture": service.prefecture_for}[level]
    found = await resolved(db, scope, unit_id)
    period = f"FY{c.fiscal_year(*months[0])}" if len(months) > 1 else f"{months[0][0]}-{months[0][1]:02d}"
    await service.record_export(db, actor=current.user, level=level, unit_id=found.id, period=period)
    name = f"activity-{level}-{found.id}-{period}"
    if fmt == "csv":
        body = export.csv_bytes(tables[-1], clock.today_tokyo())
        return Response(body, media_type="text/csv; charset=utf-8",
                        headers={"content-disposition": f'attachment; filename="{name}.csv"'})
    body = export.xlsx(tables, clock.today_tokyo())
    return Response(body, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"content-disposition": f'attachment; filename="{name}.xlsx"'})


@get("/council-record/export", opt=CHAIR)
async def council_export(db: AsyncSession, current: Current, month: str | None = None, c: str | None = None,
                         format: str | None = None) -> Response:
    return await _export(db, current, "council", c, month, format)


@get("/municipal-record", opt=MUNICIPAL)
async def municipal_page(request: Request, db: AsyncSession, current: Current, month: str | None = None,
                         u: str | None = None) -> Response:
    return await _level_page(request, db, current, "municipality", u, month)


@post("/municipal-record/compile", opt=MUNICIPAL)
async def municipal_compile(request: Request, db: AsyncSession, current: Current) -> Response:
    return await _compile(request, db, current, "municipality")


@get("/municipal-record/export", opt=MUNICIPAL)
async def municipal_export(db: AsyncSession, current: Current, month: str | None = None, u: str | None = None,
                           format: str | None = None) -> Response:
    return await _export(db, current, "municipality", u, month, format)


@get("/prefecture-record", opt=PREFECTURE)
async def prefecture_page(request: Request, db: AsyncSession, current: Current, month: str | None = None,
                          u: str | None = None) -> Response:
    return await _level_page(request, db, current, "prefecture", u, month)


@post("/prefecture-record/compile", opt=PREFECTURE)
async def prefecture_compile(request: Request, db: AsyncSession, current: Current) -> Response:
    return await _compile(request, db, current, "prefecture")


@get("/prefecture-record/export", opt=PREFECTURE)
async def prefecture_export(db: AsyncSession, current: Current, month: str | None = None, u: str | None = None,
                            format: str | None = None) -> Response:
    return await _export(db, current, "prefecture", u, month, format)


ROUTES = [month_page, reminder_notice, adjustment_create, adjustment_withdraw, month_submit, entries_page, behalf_page,
          council_page, council_remind, council_reopen,
          council_compile, proxy_form, proxy_create, council_export, municipal_page, municipal_compile,
          municipal_export, prefecture_page, prefecture_compile, prefecture_export]
