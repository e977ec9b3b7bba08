"""Importing households and residents from a municipal list (CSV), and exporting a roster.

Rules:
- the file is UTF-8 (with or without BOM) or CP932 / Windows-31J, decoded with Python's "cp932"
  codec: "shift_jis" rejects characters municipal lists contain (髙, 﨑, ①, ㈱);
- the header must be exactly the template's columns (any order; a missing or unknown column
  stops the whole file with a message naming it);
- one line is one person; lines sharing a household_ref form one household (its household
  columns are read from its first line); a line without household_ref is a household of one;
- the neighbourhood is found by its code or its name inside the coordinator's municipality;
- every bad line is reported with its line number (the header is line 1) and the reason;
- a file with errors imports nothing, unless the coordinator chooses "import the valid rows"
  (then a household with any bad line is left out whole); all of it is one transaction;
- rows are bulk-inserted (10,000 lines in a few seconds), with one audit row for the import.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.areas.models import Area
from server.audit.service import record
from server.clock import today_tokyo
from server.db import utcnow
from server.errors import Invalid, NotFound
from server.households.labels import TYPE_LABELS
from server.households.models import CADENCES, HOUSEHOLD_TYPES, Household, Person
from server.households.rules import model_for, watch_settings
from server.households.service import PHONE_RE
from server.i18n import N_
from server.scope import Scope
from server.text import clean, normalise
from server.users.models import User

MAX_BYTES = 20 * 1024 * 1024
MAX_LINES = 50_000
COLUMNS = (
    "household_ref", "neighbourhood", "address", "household_types", "cadence", "name", "kana", "birth_date",
    "birth_year", "phone", "evacuation_support", "needs", "emergency_name", "emergency_relation", "emergency_phone",
)
REQUIRED = ("neighbourhood", "address", "name")
# What each column means; shown on the import page and written into the template's second line.
COLUMN_HELP = {
    "household_ref": N_("Household number in your list; lines with the same number are one household (optional)"),
    "neighbourhood": N_("Neighbourhood code or name (required)"),
    "address": N_("Address (required)"),
    "household_types": N_("Household types separated by ; (e.g. elderly_alone or 独居高齢者)"),
    "cadence": N_("weekly, biweekly, monthly, bimonthly or a number of days (default monthly)"),
    "name": N_("Name (required)"),
    "kana": N_("Name in kana (half-width is fine)"),
    "birth_date": N_("Birth date as YYYY-MM-DD (optional)"),
    "birth_year": N_("Birth year, if the date is unknown (optional)"),
    "phone": N_("Phone number (optional)"),
    "evacuation_support": N_("1 if the person needs support to evacuate, else empty or 0"),
    "needs": N_("Needs separated by ; (optional)"),
    "emergency_name": N_("Emergency contact's name (optional)"),
    "emergency_relation": N_("Emergency contact's relation (optional)"),
    "emergency_phone": N_("Emergency contact's phone (optional)"),
}
TRUE = {"1", "はい", "yes", "true", "○", "〇", "有"}
FALSE = {"", "0", "いいえ", "no", "false", "無"}
_JA_TYPES = {"独居高齢者": "elderly_alone", "高齢者のみ世帯": "elderly_only", "障害のある方のいる世帯": "disability",
             "ひとり親世帯": "single_parent", "子育て世帯": "child_rearing", "その他": "other"}
_ = TYPE_LABELS


@dataclass
class Problem:
    line: int
    message: str
    column: str = ""


@dataclass
class Parsed:
    households: dict[str, dict] = field(default_factory=dict)  # key -> household values
    people: list[tuple[str, int, dict]] = field(default_factory=list)  # (household key, line, person values)
    problems: list[Problem] = field(default_factory=list)
    lines: int = 0
    encoding: str = ""

    @property
    def bad_keys(self) -> set[str]:
        return {key for key, line, _ in self.people if any(p.line == line for p in self.problems)} | \
            {self.key_of_line[p.line] for p in self.problems if p.line in self.key_of_line}

    key_of_line: dict[int, str] = field(default_factory=dict)


class FileRefused(Invalid):
    """The file as a whole cannot be read (encoding, header, size)."""


def decode(raw: bytes, encoding: str = "auto") -> tuple[str, str]:
    if len(raw) > MAX_BYTES:
        raise FileRefused(fields={"file": N_("The file is too large (20 MB at most).")})
    if not raw.strip():
        raise FileRefused(fields={"file": N_("The file is empty.")})
    tries = {"auto": ("utf-8-sig", "cp932"), "utf-8": ("utf-8-sig",), "cp932": ("cp932",)}.get(encoding, ("utf-8-sig", "cp932"))
    for name in tries:
        try:
            return raw.decode(name), ("utf-8" if name == "utf-8-sig" else name)
        except UnicodeDecodeError:
            continue
    raise FileRefused(fields={"file": N_("The file is neither UTF-8 nor Shift_JIS (CP932). Save it as CSV (UTF-8) and try again.")})  # noqa: E501 - a message is one literal: it is its catalog's key


def _types(value: str) -> list[str] | None:
    out = []
    for part in re.split(r"[;；・、,]", value):
        part = unicodedata.normalize("NFKC", part).strip()
        if not part:
            continue
        code = part if part in HOUSEHOLD_TYPES else _JA_TYPES.get(part)
        if code is None:
            return None
        out.append(code)
    return sorted(set(out))


def _cadence(value: str) -> tuple[str, int] | None:
    value = unicodedata.normalize("NFKC", value).strip().lower()
    if not value:
        return "monthly", 30
    if value in CADENCES:
        return value, CADENCES[value]
    if value.isdigit() and 1 <= int(value) <= 365:
        return "days", int(value)
    return None


async def parse(session: AsyncSession, scope: Scope, municipality_id: int, raw: bytes,
                encoding: str = "auto") -> Parsed:
    scope.require_coordinator_of(municipality_id)
    text, used = decode(raw, encoding)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [unicodedata.normalize("NFKC", h).strip().lower() for h in next(reader)]
    except (StopIteration, csv.Error):
        raise FileRefused(fields={"file": N_("The file has no header line.")}) from None
    missing = [c for c in REQUIRED if c not in header]
    unknown = [h for h in header if h not in COLUMNS]
    dupes = sorted({h for h in header if header.count(h) > 1})
    if missing or unknown or dupes:
        parts = []
        if missing:
            parts.append("missing: " + ", ".join(missing))
        if unknown:
            parts.append("unknown: " + ", ".join(h or "(empty)" for h in unknown))
        if dupes:
            parts.append("twice: " + ", ".join(dupes))
        raise FileRefused(N_("The header does not match the template."), fields={"header": "; ".join(parts)})
    hoods = (await session.scalars(select(Area).where(Area.municipality_id == municipality_id,
                                                      Area.level == "neighbourhood"))).all()
    by_code = {normalise(a.code): a.id for a in hoods if a.code}
    by_name: dict[str, list[int]] = {}
    for a in hoods:
        by_name.setdefault(normalise(a.name), []).append(a.id)
    existing_refs = set((await session.scalars(select(Household.external_ref).where(
        Household.municipality_id == municipality_id, Household.external_ref.is_not(None)))).all())
    parsed = Parsed(encoding=used)
    seen_people: dict[tuple, int] = {}
    this_year = today_tokyo().year
    try:
        for n, row in enumerate(reader, start=2):
            if n > MAX_LINES + 1:
                raise FileRefused(fields={"file": N_("The file has too many lines (50,000 at most).")})
            if not any(cell.strip() for cell in row):
                continue
            parsed.lines += 1
            if len(row) != len(header):
                parsed.problems.append(Problem(n, N_("This line has a different number of columns from the header.")))
                continue
            v = {h: clean(cell, 400) for h, cell in zip(header, row, strict=True)}  # lengths checked above
            problems = []
            ref = v.get("household_ref", "")
            key = f"ref:{ref}" if ref else f"line:{n}"
            parsed.key_of_line[n] = key
            hood = v["neighbourhood"]
            area_id = by_code.get(normalise(hood))
            if area_id is None:
                ids = by_name.get(normalise(hood), [])
                if len(ids) > 1:
                    problems.append(Problem(n, N_("Two neighbourhoods have this name: use the code."), "neighbourhood"))
                area_id = ids[0] if len(ids) == 1 else None
                if not ids:
                    problems.append(Problem(n, N_("No neighbourhood with this code or name."), "neighbourhood"))
            if not v["address"]:
                problems.append(Problem(n, N_("The address is empty."), "address"))
            if not v["name"]:
                problems.append(Problem(n, N_("The name is empty."), "name"))
            types = _types(v.get("household_types", ""))
            if types is None:
                problems.append(Problem(n, N_("Unknown household type."), "household_types"))
            cadence = _cadence(v.get("cadence", ""))
            if cadence is None:
                problems.append(Problem(n, N_("Unknown cadence."), "cadence"))
            birth_date = birth_year = None
            if v.get("birth_date"):
                try:
                    birth_date = dt.date.fromisoformat(unicodedata.normalize("NFKC", v["birth_date"]).replace("/", "-"))
                    if not this_year - 125 <= birth_date.year <= this_year:
                        raise ValueError
                except ValueError:
                    problems.append(Problem(n, N_("The birth date is not a real date (YYYY-MM-DD)."), "birth_date"))
            if v.get("birth_year"):
                year = unicodedata.normalize("NFKC", v["birth_year"])
                if year.isdigit() and this_year - 125 <= int(year) <= this_year:
                    birth_year = int(year)
                else:
                    problems.append(Problem(n, N_("The birth year is not a year."), "birth_year"))
            phone = unicodedata.normalize("NFKC", v.get("phone", ""))
            if phone and not PHONE_RE.match(phone):
                problems.append(Problem(n, N_("The phone number has characters other than digits and hyphens."), "phone"))
            e_phone = unicodedata.normalize("NFKC", v.get("emergency_phone", ""))
            if e_phone and not PHONE_RE.match(e_phone):
                problems.append(Problem(n, N_("The emergency phone has characters other than digits and hyphens."),
                                        "emergency_phone"))
            evac = unicodedata.normalize("NFKC", v.get("evacuation_support", "")).strip().lower()
            if evac not in TRUE and evac not in FALSE:
                problems.append(Problem(n, N_("evacuation_support must be 1 or 0."), "evacuation_support"))
            if ref and ref in existing_refs:
                problems.append(Problem(n, N_("This household_ref was already imported."), "household_ref"))
            identity = (normalise(v["name"]), normalise(v.get("kana", "")), birth_date or birth_year,
                        normalise(v["address"]))
            if identity in seen_people:
                problems.append(Problem(n, N_("The same person as line %(line)s."), str(seen_people[identity])))
            else:
                seen_people[identity] = n
            if problems:
                parsed.problems.extend(problems)
                continue
            if key not in parsed.households:
                parsed.households[key] = {
                    "area_id": area_id, "address": v["address"], "types": types or [], "cadence": cadence[0],
                    "cadence_days": cadence[1], "external_ref": ref or None}
            elif parsed.households[key]["area_id"] != area_id:
                parsed.problems.append(Problem(n, N_("Lines of one household name different neighbourhoods."),
                                               "neighbourhood"))
                continue
            contacts = []
            if v.get("emergency_name") or e_phone:
                contacts.append({"name": v.get("emergency_name", ""), "relation": v.get("emergency_relation", ""),
                                 "phone": e_phone})
            parsed.people.append((key, n, {
                "name": v["name"][:100], "kana": v.get("kana", "")[:100], "birth_date": birth_date,
                "birth_year": birth_date.year if birth_date else birth_year, "phone": phone or None,
                "evacuation_support": evac in TRUE, "emergency_contacts": contacts,
                "needs": [t for t in (clean(x, 40) for x in re.split(r"[;；]", v.get("needs", ""))) if t][:20]}))
    except csv.Error as exc:
        parsed.problems.append(Problem(reader.line_num, N_("The CSV could not be read here: %(why)s"), str(exc)))
    return parsed


async def import_file(session: AsyncSession, *, actor: User, scope: Scope, municipality_id: int, raw: bytes,
                      encoding: str = "auto", valid_only: bool = False, dry_run: bool = False) -> tuple[Parsed, int]:
    """Returns (report, households imported). Nothing is written on a dry run, or when the file has
    problems and valid_only is not chosen (the report lists them)."""
    parsed = await parse(session, scope, municipality_id, raw, encoding)
    if dry_run or (parsed.problems and not valid_only):
        return parsed, 0
    bad = parsed.bad_keys
    keys = [k for k in parsed.households if k not in bad]
    if not keys:
        return parsed, 0
    rules = await watch_settings(session, municipality_id)
    watch_ok = model_for(rules, "watch") != "explicit"
    now = utcnow()
    rows = []
    for k in keys:
        h = parsed.households[k]
        rows.append({"municipality_id": municipality_id, "area_id": h["area_id"], "address": h["address"],
                     "address_norm": normalise(h["address"]), "types": h["types"], "needs": [],
                     "cadence": h["cadence"], "cadence_days": h["cadence_days"], "external_ref": h["external_ref"],
                     "status": "active", "watch_ok": watch_ok, "created_at": now, "created_by": actor.id})
    ids = []
    for start in range(0, len(rows), 2000):
        chunk = rows[start:start + 2000]
        ids += list((await session.scalars(insert(Household).returning(Household.id, sort_by_parameter_order=True),
                                           chunk)).all())
    key_to_id = dict(zip(keys, ids, strict=True))
    people = []
    for key, _line, p in parsed.people:
        if key in key_to_id:
            people.append({**p, "municipality_id": municipality_id, "household_id": key_to_id[key],
                           "kana_norm": normalise(p["kana"]), "name_norm": normalise(p["name"]),
                           "watch_ok": watch_ok, "created_at": now})
    for start in range(0, len(people), 2000):
        await session.execute(insert(Person), people[start:start + 2000])
    await record(session, action="import.done", actor_id=actor.id, municipality_id=municipality_id,
                 object_type="municipality", object_id=municipality_id)
    return parsed, len(ids)


def template_csv() -> bytes:
    """The column template: a header, then one example line (UTF-8 with BOM, which Excel opens correctly)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerow(["A-001", "N1", "港町1-2-3", "独居高齢者", "monthly", "山田 花子", "ヤマダ ハナコ", "1940-04-01", "",
                     "0120-000-000", "1", "買い物", "山田 一郎", "長男", "090-0000-0000"])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


async def roster_csv(session: AsyncSession, *, actor: User, scope: Scope, area_id: int) -> tuple[bytes, int]:
    """A neighbourhood's roster in the template's columns (no sensitive fields); audited with the ids."""
    area = await session.get(Area, area_id)
    if area is None or area.level != "neighbourhood":
        raise NotFound()
    scope.require_coordinator_of(area.municipality_id)
    households = (await session.scalars(select(Household).where(Household.area_id == area.id, Household.status != "ended")
                                        .order_by(Household.address_norm, Household.id))).all()
    people = (await session.scalars(select(Person).where(
        Person.household_id.in_([h.id for h in households]), Person.merged_into_id.is_(None),
        Person.deceased_on.is_(None)).order_by(Person.household_id, Person.kana_norm))).all() if households else []
    by_household: dict[int, list[Person]] = {}
    for p in people:
        by_household.setdefault(p.household_id, []).append(p)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for h in households:
        for p in by_household.get(h.id, []):
            c = (p.emergency_contacts or [{}])[0] if p.emergency_contacts else {}
            writer.writerow([h.external_ref or f"H{h.id}", area.code or area.name, h.address, ";".join(h.types or []),
                             h.cadence if h.cadence != "days" else h.cadence_days, p.name, p.kana,
                             p.birth_date.isoformat() if p.birth_date else "", p.birth_year or "", p.phone or "",
                             "1" if p.evacuation_support else "0", ";".join(p.needs or []), c.get("name", ""),
                             c.get("relation", ""), c.get("phone", "")])
    await record(session, action="roster.exported", actor_id=actor.id, municipality_id=area.municipality_id,
                 object_type="area", object_id=area.id, ids=[p.id for p in people] or None)
    return ("\ufeff" + out.getvalue()).encode("utf-8"), len(people)
