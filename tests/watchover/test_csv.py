"""CSV import: CP932 with 髙 﨑 ① ㈱, wrong encodings, missing or extra columns, duplicates, line-by-line
reasons, nothing half-imported, import-the-valid-rows, a 10,000-line file; the roster export."""
from __future__ import annotations

import csv
import io
import time

import pytest
from sqlalchemy import func, select

from server.errors import Invalid
from server.households import csvimport
from server.households.models import Household, Person
from server.scope import build_scope
from tests.helpers import csrf, sign_in

HEADER = list(csvimport.COLUMNS)


def make_csv(rows: list[dict], header: list[str] | None = None, encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    header = header or HEADER
    w.writerow(header)
    for r in rows:
        w.writerow([r.get(c, "") for c in header])
    return out.getvalue().encode(encoding)


def row(**kw) -> dict:
    base = {"neighbourhood": "N1", "address": "港町1-1", "name": "山田 花子", "kana": "ﾔﾏﾀﾞ ﾊﾅｺ", "birth_year": "1940"}
    return base | kw


async def counts(db) -> tuple[int, int]:
    await db.rollback()
    result = (await db.scalar(select(func.count()).select_from(Household)),
              await db.scalar(select(func.count()).select_from(Person)))
    await db.commit()
    return result


async def run(db, town, raw: bytes, **kw):
    scope = await build_scope(db, town.coord)
    result = await csvimport.import_file(db, actor=town.coord, scope=scope, municipality_id=town.municipality.id,
                                         raw=raw, **kw)
    await db.commit()
    return result


async def test_cp932_file_with_characters_shift_jis_rejects_is_imported(db, town):
    rows = [row(household_ref="A1", name="髙橋 﨑子", address="港町①-2 ㈱つなぐ荘", household_types="独居高齢者"),
            row(household_ref="A2", name="佐藤 一郎", address="港町2-2", neighbourhood="Hama-2")]
    raw = make_csv(rows, encoding="cp932")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("shift_jis")
    report, imported = await run(db, town, raw, dry_run=False)
    assert report.problems == [] and report.encoding == "cp932" and imported == 2
    names = set((await db.scalars(select(Person.name))).all())
    assert names == {"髙橋 﨑子", "佐藤 一郎"}
    assert (await db.scalars(select(Household.address).where(Household.external_ref == "A1"))).one() == "港町①-2 ㈱つなぐ荘"
    await db.commit()


async def test_lines_with_the_same_household_ref_make_one_household(db, town):
    raw = make_csv([row(household_ref="B1", name="夫"), row(household_ref="B1", name="妻"), row(name="独り")])
    _, imported = await run(db, town, raw)
    assert imported == 2 and await counts(db) == (2, 3)


async def test_a_broken_file_is_rejected_with_line_by_line_reasons_and_nothing_is_imported(db, town):
    raw = make_csv([
        row(),                                        # line 2: fine
        row(neighbourhood="どこにもない町", name="A"),  # line 3
        row(name="", address=""),                     # line 4: two problems
        row(birth_date="1940-02-30", name="B"),        # line 5
        row(phone="電話なし", name="C"),               # line 6
        row(),                                        # line 7: same person as line 2
        row(household_types="宇宙人世帯", name="D"),   # line 8
    ], encoding="cp932")
    report, imported = await run(db, town, raw)
    assert imported == 0 and await counts(db) == (0, 0)
    lines = sorted({p.line for p in report.problems})
    assert lines == [3, 4, 5, 6, 7, 8]
    assert [p.column for p in report.problems if p.line == 4] == ["address", "name"]
    assert any("line" in p.message and p.column == "2" for p in report.problems if p.line == 7)


async def test_import_the_valid_rows_leaves_out_whole_households_with_a_bad_line(db, town):
    raw = make_csv([row(household_ref="C1", name="良"), row(household_ref="C1", name="悪", birth_year="17"),
                    row(household_ref="C2", name="別")])
    report, imported = await run(db, town, raw, valid_only=True)
    assert [p.line for p in report.problems] == [3]
    assert imported == 1 and await counts(db) == (1, 1)
    assert (await db.scalars(select(Person.name))).one() == "別"
    await db.commit()


async def test_a_dry_run_saves_nothing(db, town):
    report, imported = await run(db, town, make_csv([row()]), dry_run=True)
    assert report.problems == [] and imported == 0 and await counts(db) == (0, 0)


@pytest.mark.parametrize("header,problem", [
    ([c for c in HEADER if c != "address"], "missing: address"),
    (HEADER + ["favourite_colour"], "unknown: favourite_colour"),
    (HEADER + ["name"], "twice: name"),
])
async def test_missing_or_extra_columns_refuse_the_whole_file(db, town, header, problem):
    with pytest.raises(Invalid) as caught:
        await run(db, town, make_csv([row()], header=header))
    assert problem in caught.value.fields["header"]


@pytest.mark.parametrize("raw", [
    "名前,住所\n".encode("utf-16"),
    b"\xff\xfe\x00\x00garbage\x81",
    b"",
])
async def test_wrong_encodings_and_empty_files_are_refused_clearly(db, town, raw):
    with pytest.raises(Invalid) as caught:
        await run(db, town, raw)
    assert {"file", "header"} & set(caught.value.fields)
    assert await counts(db) == (0, 0)


async def test_a_household_ref_imported_before_is_a_duplicate(db, town):
    await run(db, town, make_csv([row(household_ref="D1")]))
    report, imported = await run(db, town, make_csv([row(household_ref="D1", name="別人")]))
    assert imported == 0 and report.problems[0].column == "household_ref"


async def test_ten_thousand_lines_import_in_one_transaction(db, town):
    rows = [row(household_ref=f"H{i // 2}", name=f"住民{i}", kana=f"ｼﾞｭｳﾐﾝ{i}", address=f"港町{i // 2}",
                neighbourhood=("N1", "N2", "Hama-1")[i % 3] if i % 2 == 0 else ("N1", "N2", "Hama-1")[(i - 1) % 3])
            for i in range(10_000)]
    raw = make_csv(rows, encoding="cp932")
    started = time.perf_counter()
    report, imported = await run(db, town, raw)
    elapsed = time.perf_counter() - started
    assert report.problems == [] and imported == 5_000
    assert await counts(db) == (5_000, 10_000)
    assert elapsed < 60, elapsed


async def test_the_import_page_over_http(client, db, sessionmaker, settings, town):
    await sign_in(client, sessionmaker, settings, town.coord)
    template = await client.get("/households/import/template.csv")
    assert template.status_code == 200 and template.content.startswith("\ufeff".encode())
    header = template.content.decode("utf-8-sig").splitlines()[0].split(",")
    assert header == HEADER
    token = await csrf(client)
    bad = make_csv([row(neighbourhood="?")], encoding="cp932")
    r = await client.post("/households/import", data={"_csrf_token": token, "mode": "import"},
                          files={"file": ("list.csv", bad, "text/csv")})
    assert r.status_code == 422 and "No neighbourhood with this code or name." in r.text
    good = make_csv([row()], encoding="cp932")
    r = await client.post("/households/import", data={"_csrf_token": token, "mode": "import"},
                          files={"file": ("list.csv", good, "text/csv")})
    assert r.status_code == 200 and await counts(db) == (1, 1)


async def test_roster_export_needs_the_step_up_check_and_is_audited(client, db, sessionmaker, settings, town):
    import datetime as dt

    from server.audit.models import AuditEvent
    from server.auth.models import WebSession

    await run(db, town, make_csv([row(), row(name="二人目")]))
    await sign_in(client, sessionmaker, settings, town.coord)
    r = await client.get("/households/roster", params={"area_id": town.n1.id})
    assert r.status_code == 200 and "二人目" in r.content.decode("utf-8-sig")
    await db.rollback()
    event = (await db.scalars(select(AuditEvent).where(AuditEvent.action == "roster.exported"))).one()
    assert len(event.ids) == 2
    for s in (await db.scalars(select(WebSession))).all():
        s.verified_at = s.verified_at - dt.timedelta(hours=2)
    await db.commit()
    r = await client.get("/households/roster", params={"area_id": town.n1.id}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/stepup")
