"""The audit chain: per-municipality HMAC chains that someone with database access alone cannot
edit, delete from, re-compute or truncate without `verify` noticing."""
from __future__ import annotations

import itertools

import pytest
from sqlalchemy import delete, select, text, update

from server import cli
from server.audit import service as audit
from server.audit.actions import ACTIONS
from server.audit.models import AuditEvent, AuditHead


async def write(db, town, n_city: int = 5, n_other: int = 3, n_pref: int = 2) -> None:
    """A normal trail: rows for two municipalities and the prefecture, interleaved."""
    for i in range(max(n_city, n_other, n_pref)):
        if i < n_city:
            await audit.record(db, action="role.granted", actor_id=town.actor, municipality_id=town.city,
                               object_type="user", object_id=100 + i, ids=[3, 1, 2, 1])
        if i < n_other:
            await audit.record(db, action="invitation.created", actor_id=None, municipality_id=town.other_city,
                               object_type="invitation", object_id=200 + i)
        if i < n_pref:
            await audit.record(db, action="area.created", actor_id=None, municipality_id=None,
                               object_type="area", object_id=300 + i)
    await db.commit()


async def rows(db, chain: str) -> list[AuditEvent]:
    db.expunge_all()
    return list((await db.scalars(select(AuditEvent).where(AuditEvent.chain == chain)
                                  .order_by(AuditEvent.seq))).all())


async def problems(db, head_file=None) -> list[str]:
    db.expunge_all()
    breaks = await audit.verify(db, head_file)
    await db.rollback()
    return [f"{b.chain}#{b.seq}: {b.problem}" for b in breaks]


# --- writing ------------------------------------------------------------------------------------

async def test_rows_are_chained_per_municipality_and_one_prefecture_chain(db, town):
    await write(db, town)
    city, other, pref = (await rows(db, f"m:{town.city}"), await rows(db, f"m:{town.other_city}"),
                         await rows(db, "pref"))
    assert [r.seq for r in city] == [1, 2, 3, 4, 5]
    assert [r.seq for r in other] == [1, 2, 3]
    assert [r.seq for r in pref] == [1, 2]
    assert all(r.municipality_id is None for r in pref)
    for chain in (city, other, pref):
        assert chain[0].prev_mac == audit.GENESIS
        for before, after in itertools.pairwise(chain):
            assert after.prev_mac == before.mac
    assert city[0].ids == [1, 2, 3]  # sorted, no duplicates
    heads = {h.chain: h.seq for h in (await db.scalars(select(AuditHead))).all()}
    assert heads == {f"m:{town.city}": 5, f"m:{town.other_city}": 3, "pref": 2}


async def test_a_normal_trail_verifies_clean(db, town, tmp_path):
    await write(db, town)
    head_file = tmp_path / "heads.log"
    assert await audit.write_heads(db, head_file) == 3
    assert await audit.write_heads(db, head_file) == 0  # nothing moved since
    assert await problems(db, head_file) == []


async def test_an_empty_trail_verifies_clean(db, tmp_path):
    assert await problems(db, tmp_path / "none.log") == []


async def test_an_unknown_action_code_is_refused_and_nothing_is_written(db, town):
    with pytest.raises(audit.UnknownAction):
        await audit.record(db, action="user.teleported", actor_id=None, municipality_id=town.city)
    await db.rollback()
    assert (await db.scalars(select(AuditEvent))).all() == []


def test_every_action_code_is_namespaced_and_labelled():
    for code, label in ACTIONS.items():
        domain, _, verb = code.partition(".")
        assert domain and verb and code == code.lower(), code
        assert label.strip(), code


def test_registering_a_code_twice_with_another_label_is_refused():
    from server.audit.actions import register

    register({"auth.signed_in": ACTIONS["auth.signed_in"]})  # the same label again is harmless
    with pytest.raises(ValueError):
        register({"auth.signed_in": "Something else"})


# --- tampering ----------------------------------------------------------------------------------

async def raw(db, sql: str, **params) -> None:
    await db.execute(text(sql), params)
    await db.commit()


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("action", "'audit.viewed'"),
        ("ids", "'[1,2]'"),
        ("object_id", "999"),
        ("object_type", "'household'"),
        ("actor_id", "NULL"),
        ("at", "at"),  # replaced below with a shifted time
    ],
)
async def test_editing_a_row_in_sql_is_caught(db, town, column, value):
    await write(db, town)
    if column == "at":
        import datetime as dt

        row = (await rows(db, f"m:{town.city}"))[2]
        await db.execute(update(AuditEvent).where(AuditEvent.id == row.id)
                         .values(at=row.at - dt.timedelta(hours=1)))
        await db.commit()
    else:
        await raw(db, f"UPDATE audit_events SET {column} = {value} WHERE chain = :c AND seq = 3", c=f"m:{town.city}")
    found = await problems(db)
    assert any(p.startswith(f"m:{town.city}#3") and "HMAC" in p for p in found), found
    # The other chains are untouched and still verify.
    assert not any(p.startswith(f"m:{town.other_city}") or p.startswith("pref") for p in found)


async def test_deleting_a_middle_row_is_caught(db, town):
    await write(db, town)
    await raw(db, "DELETE FROM audit_events WHERE chain = :c AND seq = 3", c=f"m:{town.city}")
    found = await problems(db)
    assert any(p.startswith(f"m:{town.city}#4") for p in found), found


async def test_recomputing_a_row_without_the_key_is_caught(db, town):
    """Someone with the database but not the secret edits a row and re-computes its HMAC (and the
    rest of the chain, and the head) with a key of their own: the real key does not agree."""
    await write(db, town)
    forged_key = audit.audit_key("an attacker's guess at the secret key, 40+ chars")
    chain = await rows(db, f"m:{town.city}")
    prev = chain[1].mac
    for row in chain[2:]:
        if row.seq == 3:
            row.action = "audit.viewed"
        row.prev_mac = prev
        row.mac = audit.compute_mac(forged_key, row, prev)
        prev = row.mac
        await db.merge(row)
    await db.execute(update(AuditHead).where(AuditHead.chain == f"m:{town.city}").values(mac=prev))
    await db.commit()
    found = await problems(db)
    assert any(p.startswith(f"m:{town.city}#3") and "HMAC" in p for p in found), found
    # ...while the forger's own key would have been fooled: the check really rests on the secret.
    db.expunge_all()
    assert [b for b in await audit.verify(db, None, key=forged_key) if b.chain == f"m:{town.city}" and b.seq == 3] == []


async def test_truncating_the_newest_rows_is_caught_through_the_head_file(db, town, tmp_path):
    await write(db, town)
    head_file = tmp_path / "heads.log"
    await audit.write_heads(db, head_file)
    # A careful truncation: delete the newest rows and move the in-database head back to match.
    chain = await rows(db, f"m:{town.city}")
    await db.execute(delete(AuditEvent).where(AuditEvent.chain == f"m:{town.city}", AuditEvent.seq > 3))
    await db.execute(update(AuditHead).where(AuditHead.chain == f"m:{town.city}").values(seq=3, mac=chain[2].mac))
    await db.commit()
    assert await problems(db) == []  # inside the database alone, the trail looks whole...
    found = await problems(db, head_file)  # ...but the head written outside it remembers seq 5
    assert any(p.startswith(f"m:{town.city}#5") and "missing" in p for p in found), found


async def test_truncating_without_moving_the_head_row_is_caught_even_without_the_file(db, town):
    await write(db, town)
    await raw(db, "DELETE FROM audit_events WHERE chain = :c AND seq > 3", c=f"m:{town.city}")
    found = await problems(db)
    assert any(p.startswith(f"m:{town.city}") and "head" in p for p in found), found


async def test_a_row_rewritten_after_the_head_file_saw_it_is_caught(db, town, tmp_path):
    await write(db, town)
    head_file = tmp_path / "heads.log"
    await audit.write_heads(db, head_file)
    await raw(db, "UPDATE audit_events SET mac = prev_mac WHERE chain = :c AND seq = 5", c=f"m:{town.city}")
    found = await problems(db, head_file)
    assert any("outside the database" in p for p in found), found


async def test_a_garbled_head_file_line_is_ignored_not_fatal(db, town, tmp_path):
    await write(db, town)
    head_file = tmp_path / "heads.log"
    head_file.write_text("not json\n{\"chain\": 1}\n")
    await audit.write_heads(db, head_file)
    assert await problems(db, head_file) == []


# --- the command line ---------------------------------------------------------------------------

@pytest.fixture
def cli_env(monkeypatch, settings):
    monkeypatch.setenv("TSUNAGU_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("TSUNAGU_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("TSUNAGU_AUDIT_HEAD_FILE", str(settings.audit_head_file))
    monkeypatch.delenv("TSUNAGU_DEMO", raising=False)
    monkeypatch.delenv("TSUNAGU_ORIGIN", raising=False)
    monkeypatch.delenv("TSUNAGU_RP_ID", raising=False)
    return settings


def run_cli(*argv: str) -> int:
    import threading

    # cli.main uses asyncio.run(): give it a thread without a running loop.
    result: list[int] = []
    t = threading.Thread(target=lambda: result.append(cli.main(list(argv))))
    t.start()
    t.join()
    return result[0]


async def test_audit_verify_exits_zero_when_intact_and_non_zero_on_a_break(db, town, cli_env, capsys):
    await write(db, town)
    assert run_cli("audit", "write-heads") == 0
    assert "3 chain head" in capsys.readouterr().out
    assert run_cli("audit", "verify") == 0
    assert "intact" in capsys.readouterr().out

    await raw(db, "UPDATE audit_events SET object_id = 7 WHERE chain = :c AND seq = 2", c=f"m:{town.city}")
    assert run_cli("audit", "verify") == 1
    out = capsys.readouterr().out
    assert f"BROKEN m:{town.city} #2" in out


async def test_audit_verify_with_the_wrong_secret_reports_every_chain_broken(db, town, cli_env, monkeypatch, capsys):
    await write(db, town)
    monkeypatch.setenv("TSUNAGU_SECRET_KEY", "z" * 40)
    try:
        assert run_cli("audit", "verify") == 1
    finally:
        audit.configure(cli_env.secret_key)
    out = capsys.readouterr().out
    assert "pref" in out and f"m:{town.city}" in out and f"m:{town.other_city}" in out


async def test_audit_verify_catches_truncation_through_the_head_file(db, town, cli_env, capsys):
    await write(db, town)
    assert run_cli("audit", "write-heads") == 0
    chain = await rows(db, "pref")
    await db.execute(delete(AuditEvent).where(AuditEvent.chain == "pref", AuditEvent.seq == 2))
    await db.execute(update(AuditHead).where(AuditHead.chain == "pref").values(seq=1, mac=chain[0].mac))
    await db.commit()
    assert run_cli("audit", "verify") == 1
    assert "BROKEN pref #2" in capsys.readouterr().out
