"""The watch-over rules every domain reads: the municipality's settings (with their documented
defaults), the consent decision, and visit cadence. Pure reads and checks, no writes: the writers
stay in households/service.py, and contacts, concerns, casework and assignments read these without
depending on the household service."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.households.models import CADENCES, Consent, Person, WatchSettings
from server.i18n import N_

DEFAULT_SETTINGS = dict(consent_watch="presumed", consent_share="explicit", consent_evacuation="explicit",
                        visit_methods=["visit", "visit_absent", "exterior"], absent_counts=True,
                        salon_counts_for_cadence=True, term_end_month=11, term_end_day=30)


async def watch_settings(session: AsyncSession, municipality_id: int) -> WatchSettings:
    """The municipality's rules, or the documented defaults (not saved) when it has none."""
    row = await session.get(WatchSettings, municipality_id)
    return row or default_watch_settings(municipality_id)


def default_watch_settings(municipality_id: int) -> WatchSettings:
    return WatchSettings(municipality_id=municipality_id, **DEFAULT_SETTINGS)


def model_for(rules: WatchSettings, purpose: str) -> str:
    if purpose == "sensitive":
        return "explicit"
    return {"watch": rules.consent_watch, "share": rules.consent_share,
            "evacuation": rules.consent_evacuation}[purpose]


def cadence(choice: str, days: int | None, errors: dict) -> tuple[str, int]:
    """(cadence, days) for a chosen visit cadence; a bad choice adds its message to `errors`."""
    if choice in CADENCES:
        return choice, CADENCES[choice]
    if choice == "days":
        if days is None or not 1 <= days <= 365:
            errors["cadence_days"] = N_("Enter a number of days from 1 to 365.")
            return choice, 30
        return choice, days
    errors["cadence"] = N_("Choose how often to visit.")
    return "monthly", 30


async def latest_consents(session: AsyncSession, person_ids: list[int]) -> dict[tuple[int, str], Consent]:
    if not person_ids:
        return {}
    rows = (await session.scalars(
        select(Consent).where(Consent.person_id.in_(person_ids)).order_by(Consent.id))).all()
    return {(r.person_id, r.purpose): r for r in rows}


def effective(rules: WatchSettings, purpose: str, row: Consent | None) -> bool:
    if row is None:
        return model_for(rules, purpose) != "explicit"
    if row.withdrawn_at is not None:
        return False
    return row.given


async def has_consent(session: AsyncSession, person: Person, purpose: str) -> bool:
    rules = await watch_settings(session, person.municipality_id)
    rows = await latest_consents(session, [person.id])
    return effective(rules, purpose, rows.get((person.id, purpose)))
