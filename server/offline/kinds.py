"""The watch-over kinds of outbox entry: a contact (quick log or the full visit form) and the
concern flagged from a contact (routed at once by server/concerns). Each calls the same service function as its page."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.contacts import service as contacts
from server.contacts.models import Contact
from server.errors import Invalid, NotFound
from server.households.models import Household
from server.i18n import N_, TOKYO
from server.offline.registry import Applied, Held, SyncContext, register_kind
from server.scope import require_household


def _int(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _when(value: object) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=TOKYO)


def _strings(value: object, limit: int = 40) -> list[str]:
    return [str(v)[:40] for v in value][:limit] if isinstance(value, list) else []


async def household_or_held(session: AsyncSession, ctx: SyncContext, household_id: int | None) -> Household:
    """The household through the scope gate, or the reason the entry must wait for review."""
    if household_id is None:
        raise Held("invalid", {"household_id": N_("The household is missing.")})
    household = await session.get(Household, household_id)
    if household is None:
        raise Held("out_of_scope")
    if household.status == "active" and household.watch_ok:
        return household  # the service function itself checks the scope (NotFound -> out_of_scope)
    try:
        await require_household(session, ctx.scope, household_id)
    except NotFound:
        raise Held("out_of_scope") from None
    if household.status in ("paused", "ended"):
        raise Held(household.status)
    if not household.watch_ok:
        raise Held("consent")
    return household


async def apply_contact(session: AsyncSession, ctx: SyncContext) -> Applied:
    d = ctx.data
    household = await household_or_held(session, ctx, _int(d.get("household_id")))
    revisit = d.get("revisit_on")
    try:
        revisit_on = dt.date.fromisoformat(revisit) if isinstance(revisit, str) and revisit else None
    except ValueError:
        revisit_on = None
    data = contacts.ContactInput(
        household_id=household.id, client_id=ctx.client_id, method=str(d.get("method") or "visit")[:32],
        outcome=str(d.get("outcome") or "no_change")[:32], signs=_strings(d.get("signs")),
        note=str(d.get("note") or "")[:2000], occurred_at=_when(d.get("occurred_at")) or ctx.client_at,
        duration=_int(d.get("duration")) if d.get("duration") not in (None, "") else None,
        revisit_on=revisit_on, flag_concern=bool(d.get("flag_concern")),
        consults=[(str(f)[:32], str(c)[:32]) for f, c in (x for x in d.get("consults") or [] if
                                                           isinstance(x, list) and len(x) == 2)][:10],
        liaisons=_strings(d.get("liaisons"), 10))
    try:
        row, created = await contacts.log_contact(session, actor=ctx.actor, scope=ctx.scope, data=data)
    except Invalid as exc:
        locked = exc.fields.get("occurred_at") == N_("That month's activity record is already submitted.")
        raise Held("month_locked" if locked else "invalid", exc.fields) from None
    return Applied("contact", row.id, created, household.id, household.municipality_id)


async def apply_concern_flag(session: AsyncSession, ctx: SyncContext) -> Applied:
    """A draft concern flagged from a contact logged offline: it names the contact's client id.
    (The concerns issue's own `concern` kind is routed on arrival whatever happened meanwhile.)"""
    wanted = str(ctx.data.get("contact_client_id") or "")[:64]
    contact_id = await session.scalar(select(Contact.id).where(Contact.author_id == ctx.actor.id,
                                                              Contact.client_id == wanted))
    if contact_id is None:
        raise Held("contact_held")
    try:
        flag = await contacts.flag_concern(session, actor=ctx.actor, scope=ctx.scope, contact_id=contact_id)
    except NotFound:
        raise Held("out_of_scope") from None
    except Invalid as exc:
        raise Held("invalid", exc.fields) from None
    return Applied("concern_flag", flag.id, True, flag.household_id, flag.municipality_id)


register_kind("contact", apply_contact, label=N_("Contact"))
register_kind("concern_flag", apply_concern_flag, label=N_("Concern flag"))
