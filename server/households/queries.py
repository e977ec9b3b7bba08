"""Read side of households: search, a household with its people, who has viewed a person."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.areas.models import Area
from server.audit.models import AuditEvent
from server.households.models import Consent, Household, Person
from server.scope import Scope, household_clause
from server.text import normalise

VIEW_ACTIONS = ("household.viewed", "household.sensitive_viewed", "round.viewed", "search.viewed",
                "roster.exported")


@dataclass
class Hit:
    household: Household
    people: list[Person]


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def search(session: AsyncSession, scope: Scope, q: str, limit: int = 50) -> list[Hit]:
    """By kana, name or address (normalised: ｶﾀｶﾅ, カタカナ and ひらがな match alike), within scope."""
    term = normalise(q)
    if len(term) < 1:
        return []
    pattern = _like(term)
    clause = await household_clause(session, scope)
    person_hit = select(Person.household_id).where(
        Person.merged_into_id.is_(None),
        or_(Person.kana_norm.like(pattern, escape="\\"), Person.name_norm.like(pattern, escape="\\")))
    households = (await session.scalars(select(Household).where(
        clause, or_(Household.address_norm.like(pattern, escape="\\"), Household.id.in_(person_hit)))
        .order_by(Household.address_norm, Household.id).limit(limit))).all()
    people = await members(session, [h.id for h in households])
    return [Hit(h, people.get(h.id, [])) for h in households]


async def members(session: AsyncSession, household_ids: list[int]) -> dict[int, list[Person]]:
    """Living, unmerged members per household, kana order."""
    out: dict[int, list[Person]] = {}
    if not household_ids:
        return out
    stmt = select(Person).where(Person.household_id.in_(household_ids), Person.merged_into_id.is_(None),
                                Person.deceased_on.is_(None))
    for p in (await session.scalars(stmt.order_by(Person.kana_norm, Person.id))).all():
        out.setdefault(p.household_id, []).append(p)
    return out


async def members_with_consents(session: AsyncSession, household_id: int
                                ) -> tuple[list[Person], dict[tuple[int, str], Consent]]:
    """Every unmerged member (kana order) and each one's latest consent per purpose, in one query."""
    people: dict[int, Person] = {}
    latest: dict[tuple[int, str], Consent] = {}
    rows = (await session.execute(
        select(Person, Consent).outerjoin(Consent, Consent.person_id == Person.id)
        .where(Person.household_id == household_id, Person.merged_into_id.is_(None))
        .order_by(Person.kana_norm, Person.id, Consent.id))).all()
    for person, consent in rows:
        people.setdefault(person.id, person)
        if consent is not None:
            latest[(person.id, consent.purpose)] = consent  # ascending ids: the last one wins
    return list(people.values()), latest


async def consents_of(session: AsyncSession, person_ids: list[int]) -> list[Consent]:
    if not person_ids:
        return []
    return list((await session.scalars(select(Consent).where(Consent.person_id.in_(person_ids))
                                       .order_by(Consent.person_id, Consent.id.desc()))).all())


async def who_viewed(session: AsyncSession, person_id: int, limit: int = 200) -> list[AuditEvent]:
    """Audit rows whose id list names this person (ids is a JSON list stored as text)."""
    wrapped = func.replace(func.replace(AuditEvent.ids, "[", ","), "]", ",")
    return list((await session.scalars(select(AuditEvent).where(
        AuditEvent.action.in_(VIEW_ACTIONS), wrapped.like(f"%,{int(person_id)},%"))
        .order_by(AuditEvent.at.desc()).limit(limit))).all())


async def neighbourhoods(session: AsyncSession, municipality_id: int) -> list[Area]:
    return list((await session.scalars(select(Area).where(Area.municipality_id == municipality_id,
                                                          Area.level == "neighbourhood").order_by(Area.name))).all())
