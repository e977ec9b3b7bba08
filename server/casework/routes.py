"""Routes of casework: a household's casework page, intake and assessment sheets (versions, print),
collaboration sheets (share, read, revoke, the 緊急 review list), 支援会議 bodies, case conferences
and their follow-up actions, and 制度外ニーズ (tag, list, export)."""
from __future__ import annotations

import datetime as dt

from litestar import Request, get, post
from litestar.response import Redirect, Response
from sqlalchemy.ext.asyncio import AsyncSession

from server import clock
from server.auth.sessions import Current
from server.casework import export, labels, queries, service
from server.casework.models import (
    BASES,
    CONFERENCE_KINDS,
    GAP_CATEGORIES,
    SECTIONS,
    SHEET_KINDS,
)
from server.errors import Invalid, NotFound
from server.forms import date, form, integer, ints, many, municipality_of, text
from server.rendering import page
from server.scope import Scope

PROFESSIONAL = {"access": ("professional",)}
COORDINATOR = {"access": ("coordinator",)}
STAFF = {"access": ("professional", "coordinator")}
SIGNED_IN = {"access": "signed_in"}


def _codes() -> dict:
    return {"L": labels, "SECTIONS": SECTIONS, "KINDS": SHEET_KINDS, "BASES": BASES,
            "CONFERENCE_KINDS": CONFERENCE_KINDS, "GAP_CATEGORIES": GAP_CATEGORIES}


def _optional_int(data, name: str) -> int | None:
    value = text(data, name, 12)
    return integer(value, 1) if value else None


# --- a household's casework, sheets -------------------------------------------------------------------

@get("/casework/households/{household_id:int}", opt=PROFESSIONAL)
async def household_page(request: Request, db: AsyncSession, current: Current, gate: Scope,
                         household_id: int) -> Response:
    view = await queries.household_page(db, actor=current.user, scope=gate, household_id=household_id)
    return page(request, "casework/household.html", {**view, **_codes()})


async def _sheet_form(request: Request, db: AsyncSession, current: Current, gate: Scope, household_id: int,
                      values: dict, errors: dict, status: int = 200) -> Response:
    view = await queries.household_page(db, actor=current.user, scope=gate, household_id=household_id)
    return page(request, "casework/sheet_form.html", {"household": view["household"], "sheet": None,
                                                      "values": values, "errors": errors, **_codes()}, status=status)


@get("/casework/households/{household_id:int}/sheets/new", opt=PROFESSIONAL)
async def sheet_new(request: Request, db: AsyncSession, current: Current, gate: Scope, household_id: int,
                    kind: str = "intake", concern_id: int | None = None) -> Response:
    values = {"kind": kind if kind in SHEET_KINDS else "intake", "concern_id": concern_id or ""}
    return await _sheet_form(request, db, current, gate, household_id, values, {})


def _section_values(data) -> dict[str, str]:
    return {k: text(data, f"s_{k}", 2100) for k in SECTIONS}


@post("/casework/households/{household_id:int}/sheets", opt=PROFESSIONAL)
async def sheet_create(request: Request, db: AsyncSession, current: Current, gate: Scope,
                       household_id: int) -> Response:
    data = await form(request)
    try:
        sheet = await service.start_sheet(db, actor=current.user, scope=gate, household_id=household_id,
                                          kind=text(data, "kind", 16), sections=_section_values(data),
                                          concern_id=_optional_int(data, "concern_id"))
    except Invalid as exc:
        values = {k: data.get(k) for k in data}
        return await _sheet_form(request, db, current, gate, household_id, values, exc.fields, 422)
    return Redirect(f"/casework/sheets/{sheet.id}?saved=1", status_code=303)


@get("/casework/sheets/{sheet_id:int}", opt=PROFESSIONAL)
async def sheet_page(request: Request, db: AsyncSession, current: Current, gate: Scope, sheet_id: int,
                     v: int | None = None) -> Response:
    view = await queries.sheet_view(db, actor=current.user, scope=gate, sheet_id=sheet_id, version=v)
    return page(request, "casework/sheet.html", {"view": view, "saved": request.query_params.get("saved") == "1",
                                                 **_codes()})


async def _edit_page(request: Request, db: AsyncSession, current: Current, gate: Scope, sheet_id: int,
                     values: dict | None, errors: dict, status: int = 200) -> Response:
    view = await queries.sheet_view(db, actor=current.user, scope=gate, sheet_id=sheet_id, audit=values is None)
    if values is None:
        values = {f"s_{k}": v for k, v in view.sections.items()} | {"base_version": view.sheet.version}
    return page(request, "casework/sheet_form.html", {"household": view.household, "sheet": view.sheet,
                                                      "values": values, "errors": errors, **_codes()}, status=status)


@get("/casework/sheets/{sheet_id:int}/edit", opt=PROFESSIONAL)
async def sheet_edit(request: Request, db: AsyncSession, current: Current, gate: Scope, sheet_id: int) -> Response:
    return await _edit_page(request, db, current, gate, sheet_id, None, {})


@post("/casework/sheets/{sheet_id:int}", opt=PROFESSIONAL)
async def sheet_save(request: Request, db: AsyncSession, current: Current, gate: Scope, sheet_id: int) -> Response:
    data = await form(request)
    try:
        await service.save_sheet(db, actor=current.user, scope=gate, sheet_id=sheet_id,
                                 base_version=integer(text(data, "base_version", 12), 1),
                                 sections=_section_values(data))
    except Invalid as exc:
        values = {k: data.get(k) for k in data}
        return await _edit_page(request, db, current, gate, sheet_id, values, exc.fields, 422)
    return Redirect(f"/casework/sheets/{sheet_id}?saved=1", status_code=303)


# --- collaboration sheets ---------------------------------------------------------------------------------

async def _share_page(request: Request, db: AsyncSession, current: Current, gate: Scope, sheet_id: int,
                      values: dict, errors: dict, status: int = 200) -> Response:
    # The form shows the notes' text: audited when first opened, not again on a refused post.
    view = await queries.sheet_view(db, actor=current.user, scope=gate, sheet_id=sheet_id, audit=status == 200)
    ctx = await queries.share_form(db, gate, view.sheet)
    return page(request, "casework/share_form.html", {"view": view, **ctx, "values": values, "errors": errors,
                                                      **_codes()}, status=status)


@get("/casework/sheets/{sheet_id:int}/share", opt=PROFESSIONAL)
async def share_new(request: Request, db: AsyncSession, current: Current, gate: Scope, sheet_id: int) -> Response:
    return await _share_page(request, db, current, gate, sheet_id, {"basis": "consent", "sections": []}, {})


@post("/casework/sheets/{sheet_id:int}/shares", opt=PROFESSIONAL)
async def share_create(request: Request, db: AsyncSession, current: Current, gate: Scope, sheet_id: int) -> Response:
    data = await form(request)
    try:
        share = await service.share_sheet(
            db, actor=current.user, scope=gate, sheet_id=sheet_id,
            to_organisation_id=_optional_int(data, "to_organisation_id"), basis=text(data, "basis", 16),
            sections=many(data, "sections", 20), note_ids=ints(many(data, "note_ids", 100)),
            meeting_id=_optional_int(data, "meeting_id"), law=text(data, "law", 200), reason=text(data, "reason", 1100))
    except Invalid as exc:
        values = {k: data.get(k) for k in data} | {"sections": many(data, "sections", 20),
                                                          "note_ids": ints(many(data, "note_ids", 100))}
        return await _share_page(request, db, current, gate, sheet_id, values, exc.fields, 422)
    return Redirect(f"/casework/shares/{share.id}?shared=1", status_code=303)


@get("/casework/shares", opt=PROFESSIONAL)
async def shares_received(request: Request, db: AsyncSession, current: Current, gate: Scope) -> Response:
    view = await queries.shares_page(db, actor=current.user, scope=gate)
    return page(request, "casework/shares.html", {**view, **_codes()})


@get("/casework/shares/{share_id:int}", opt=STAFF)
async def share_page(request: Request, db: AsyncSession, current: Current, gate: Scope, share_id: int) -> Response:
    view = await queries.share_view(db, actor=current.user, scope=gate, share_id=share_id)
    return page(request, "casework/share.html", {"view": view, "shared": request.query_params.get("shared") == "1",
                                                 **_codes()})


@post("/casework/shares/{share_id:int}/revoke", opt=PROFESSIONAL)
async def share_revoke(db: AsyncSession, current: Current, gate: Scope, share_id: int) -> Redirect:
    await service.revoke_share(db, actor=current.user, scope=gate, share_id=share_id)
    return Redirect(f"/casework/shares/{share_id}", status_code=303)


@get("/casework/reviews", opt=COORDINATOR)
async def reviews_page(request: Request, db: AsyncSession, current: Current, gate: Scope,
                       m: int | None = None) -> Response:
    view = await queries.review_list(db, actor=current.user, scope=gate, municipality_id=municipality_of(gate, m))
    return page(request, "casework/reviews.html", {**view, **_codes()})


@post("/casework/shares/{share_id:int}/review", opt=COORDINATOR)
async def share_review(db: AsyncSession, current: Current, gate: Scope, share_id: int) -> Redirect:
    share = await service.review_share(db, actor=current.user, scope=gate, share_id=share_id)
    return Redirect(f"/casework/reviews?m={share.municipality_id}", status_code=303)


# --- 支援会議 bodies ------------------------------------------------------------------------------------------

async def _meetings(request: Request, ctx: dict, errors: dict, values: dict, status: int = 200,
                    editing: int | None = None) -> Response:
    if editing is not None and not any(m.id == editing for m in ctx["meetings"]):
        raise NotFound()
    return page(request, "casework/meetings.html", {**ctx, "errors": errors, "values": values,
                                                    "editing": editing, **_codes()}, status=status)


@get("/casework/meetings", opt=COORDINATOR)
async def meetings_page(request: Request, db: AsyncSession, gate: Scope, m: int | None = None) -> Response:
    return await _meetings(request, await queries.meetings_page(db, municipality_of(gate, m)), {}, {})


@get("/casework/meetings/{meeting_id:int}", opt=COORDINATOR)
async def meeting_page(request: Request, db: AsyncSession, gate: Scope, meeting_id: int) -> Response:
    ctx = await queries.meeting_edit(db, gate, meeting_id)
    return await _meetings(request, ctx, {}, ctx["values"], editing=ctx["editing"])


async def _save_meeting(request: Request, db: AsyncSession, current: Current, gate: Scope,
                        meeting_id: int | None) -> Response:
    data = await form(request)
    if meeting_id is None:
        municipality_id = municipality_of(gate, text(data, "m", 12) or None)
    else:  # a body stays in its municipality
        municipality_id = (await queries.meeting_of(db, gate, meeting_id)).municipality_id
    try:
        await service.save_meeting(db, actor=current.user, scope=gate, municipality_id=municipality_id,
                                   meeting_id=meeting_id, name=text(data, "name", 200), law=text(data, "law", 200),
                                   member_ids=ints(many(data, "member_ids", 100)))
    except Invalid as exc:
        values = {"name": text(data, "name", 200), "law": text(data, "law", 200),
                  "member_ids": ints(many(data, "member_ids", 100))}
        return await _meetings(request, await queries.meetings_page(db, municipality_id), exc.fields, values, 422,
                               meeting_id)
    return Redirect(f"/casework/meetings?m={municipality_id}&saved=1", status_code=303)


@post("/casework/meetings", opt=COORDINATOR)
async def meeting_create(request: Request, db: AsyncSession, current: Current, gate: Scope) -> Response:
    return await _save_meeting(request, db, current, gate, None)


@post("/casework/meetings/{meeting_id:int}", opt=COORDINATOR)
async def meeting_save(request: Request, db: AsyncSession, current: Current, gate: Scope,
                       meeting_id: int) -> Response:
    return await _save_meeting(request, db, current, gate, meeting_id)


@get("/casework/actions/mine", opt=SIGNED_IN)
async def my_actions_part(request: Request, db: AsyncSession, current: Current) -> Response:
    """The person's open follow-up actions as a fragment: a commissioner's home is the round,
    which loads this after the page (the round itself keeps to its query budget)."""
    return page(request, "casework/_my_actions.html", {"my_actions": await queries.open_actions(db, current.user)})


# --- case conferences -----------------------------------------------------------------------------------------

@get("/casework/conferences", opt=SIGNED_IN)
async def conferences_page(request: Request, db: AsyncSession, current: Current, gate: Scope) -> Response:
    view = await queries.conferences_page(db, actor=current.user, scope=gate)
    return page(request, "casework/conferences.html", {**view, "scope": gate, **_codes()})


async def _conference_form(request: Request, db: AsyncSession, current: Current, gate: Scope, values: dict,
                           errors: dict, status: int = 200) -> Response:
    household_id = (integer(values["household_id"], 1) or -1) if values.get("household_id") else None
    ctx = await queries.conference_form(db, actor=current.user, scope=gate, household_id=household_id)
    return page(request, "casework/conference_form.html", {**ctx, "values": values, "errors": errors,
                                                           "me": current.user, **_codes()}, status=status)


@get("/casework/conferences/new", opt=PROFESSIONAL)
async def conference_new(request: Request, db: AsyncSession, current: Current, gate: Scope,
                         household_id: int | None = None) -> Response:
    values = {"household_id": household_id or "", "kind": "case", "held_on": clock.today_tokyo().isoformat(),
              "participant_ids": [], "concern_ids": []}
    return await _conference_form(request, db, current, gate, values, {})


@post("/casework/conferences", opt=PROFESSIONAL)
async def conference_create(request: Request, db: AsyncSession, current: Current, gate: Scope) -> Response:
    data = await form(request)
    household = _optional_int(data, "household_id")
    actions = [(text(data, f"action_{n}", 1100), _optional_int(data, f"owner_{n}"), date(text(data, f"due_{n}", 12)))
               for n in (1, 2, 3)]
    try:
        row = await service.record_conference(
            db, actor=current.user, scope=gate, kind=text(data, "kind", 20),
            held_on=date(text(data, "held_on", 12)), participant_ids=ints(many(data, "participant_ids", 100)),
            outside=text(data, "outside", 1100), household_ids=[household] if household else [],
            concern_ids=ints(many(data, "concern_ids", 50)), minutes=text(data, "minutes", 4100),
            decisions=text(data, "decisions", 4100), actions=actions, meeting_id=_optional_int(data, "meeting_id"))
    except Invalid as exc:
        values = {k: data.get(k) for k in data} | {
            "participant_ids": ints(many(data, "participant_ids", 100)), "concern_ids": ints(many(data, "concern_ids", 50))}
        return await _conference_form(request, db, current, gate, values, exc.fields, 422)
    return Redirect(f"/casework/conferences/{row.id}?saved=1", status_code=303)


async def _conference_page(request: Request, db: AsyncSession, current: Current, gate: Scope, conference_id: int,
                           errors: dict | None = None, status: int = 200) -> Response:
    view = await queries.conference_view(db, actor=current.user, scope=gate, conference_id=conference_id)
    return page(request, "casework/conference.html", {"view": view, "errors": errors or {}, "me": current.user,
                                                      "saved": request.query_params.get("saved") == "1",
                                                      **_codes()}, status=status)


@get("/casework/conferences/{conference_id:int}", opt=SIGNED_IN)
async def conference_page(request: Request, db: AsyncSession, current: Current, gate: Scope,
                          conference_id: int) -> Response:
    return await _conference_page(request, db, current, gate, conference_id)


@post("/casework/conferences/{conference_id:int}/actions", opt=PROFESSIONAL)
async def action_create(request: Request, db: AsyncSession, current: Current, gate: Scope,
                        conference_id: int) -> Response:
    data = await form(request)
    try:
        await service.add_action(db, actor=current.user, scope=gate, conference_id=conference_id,
                                 text=text(data, "action_1", 1100), owner_id=_optional_int(data, "owner_1"),
                                 due_on=date(text(data, "due_1", 12)))
    except Invalid as exc:
        return await _conference_page(request, db, current, gate, conference_id, exc.fields, 422)
    return Redirect(f"/casework/conferences/{conference_id}#actions", status_code=303)


@post("/casework/actions/{action_id:int}/complete", opt=SIGNED_IN)
async def action_complete(request: Request, db: AsyncSession, current: Current, gate: Scope,
                          action_id: int) -> Redirect:
    data = await form(request)
    action = await service.complete_action(db, actor=current.user, scope=gate, action_id=action_id)
    back = text(data, "next", 200)
    if back == "/home":
        return Redirect("/home", status_code=303)
    return Redirect(f"/casework/conferences/{action.conference_id}#actions", status_code=303)


# --- 制度外ニーズ -------------------------------------------------------------------------------------------

async def _gap_form(request: Request, db: AsyncSession, gate: Scope, concern_id: int, values: dict,
                    errors: dict, status: int = 200) -> Response:
    concern = await queries.gap_concern(db, gate, concern_id)
    return page(request, "casework/gap_form.html", {"concern": concern, "values": values, "errors": errors,
                                                    **_codes()}, status=status)


@get("/casework/concerns/{concern_id:int}/gap", opt=PROFESSIONAL)
async def gap_new(request: Request, db: AsyncSession, gate: Scope, concern_id: int) -> Response:
    return await _gap_form(request, db, gate, concern_id, {}, {})


@post("/casework/concerns/{concern_id:int}/gaps", opt=PROFESSIONAL)
async def gap_create(request: Request, db: AsyncSession, current: Current, gate: Scope,
                     concern_id: int) -> Response:
    data = await form(request)
    try:
        await service.tag_gap(db, actor=current.user, scope=gate, concern_id=concern_id,
                              category=text(data, "category", 20), line=text(data, "line", 400))
    except Invalid as exc:
        return await _gap_form(request, db, gate, concern_id, {k: data.get(k) for k in data}, exc.fields, 422)
    return Redirect(f"/concerns/{concern_id}?gap=1", status_code=303)


def _gap_period(start: str | None, end: str | None) -> tuple[dt.date, dt.date]:
    """Default: the current fiscal year so far (April 1 to the end of this month)."""
    today = clock.today_tokyo()
    first = dt.date(today.year if today.month >= 4 else today.year - 1, 4, 1)
    nxt = dt.date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    s, e = date(start) or first, date(end) or nxt
    if e <= s or (e - s).days > 3 * 366:
        s, e = first, nxt
    return s, e


def _gap_municipality(scope: Scope, current: Current, m: int | None) -> int:
    if scope.coordinated:
        return municipality_of(scope, m)
    municipality_id = current.require_user().municipality_id
    if municipality_id is None:
        raise NotFound()
    return municipality_id


@get("/casework/gaps", opt=STAFF)
async def gaps_page(request: Request, db: AsyncSession, current: Current, gate: Scope, m: int | None = None,
                    start: str | None = None, end: str | None = None, by: str = "quarter") -> Response:
    municipality_id = _gap_municipality(gate, current, m)
    s, e = _gap_period(start, end)
    by = by if by in ("month", "quarter") else "quarter"
    view = await queries.gaps_page(db, actor=current.user, scope=gate, municipality_id=municipality_id, start=s,
                                   end=e, by=by)
    return page(request, "casework/gaps.html", {**view, "start": s, "end": e, "by": by, "m": municipality_id,
                                                **_codes()})


async def _gap_export(db: AsyncSession, current: Current, gate: Scope, fmt: str, m: int | None, start: str | None,
                      end: str | None) -> Response:
    current.require_fresh()
    s, e = _gap_period(start, end)
    body, media_type, name = await export.gaps_file(db, actor=current.user, scope=gate, fmt=fmt, start=s, end=e,
                                                    municipality_id=_gap_municipality(gate, current, m))
    return Response(body, media_type=media_type, headers={"content-disposition": f'attachment; filename="{name}"'})


@get("/casework/gaps/export.csv", opt=STAFF)
async def gaps_csv(db: AsyncSession, current: Current, gate: Scope, m: int | None = None, start: str | None = None,
                   end: str | None = None) -> Response:
    return await _gap_export(db, current, gate, "csv", m, start, end)


@get("/casework/gaps/export.xlsx", opt=STAFF)
async def gaps_xlsx(db: AsyncSession, current: Current, gate: Scope, m: int | None = None, start: str | None = None,
                    end: str | None = None) -> Response:
    return await _gap_export(db, current, gate, "xlsx", m, start, end)


ROUTES = [my_actions_part, household_page, sheet_new, sheet_create, sheet_page, sheet_edit, sheet_save, share_new, share_create,
          shares_received, share_page, share_revoke, reviews_page, share_review, meetings_page, meeting_page,
          meeting_create, meeting_save, conferences_page, conference_new, conference_create, conference_page,
          action_create, action_complete, gap_new, gap_create, gaps_page, gaps_csv, gaps_xlsx]
