"""The query budget of the pages a commissioner uses most (issue 3: at most 10 per page), and
the SQLite transaction shape: who is asking is read without the write lock, which the handler
takes only when it starts (so a slow phone's form body never holds other writers up).
Counts statements at the engine (BEGIN/COMMIT are not queries); the transaction shape is read from
what the SQLite driver actually sends (server/sqlite_driver.py adds its own COMMIT / BEGIN IMMEDIATE)."""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine

from server.sqlite_driver import trace
from tests.helpers import csrf, sign_in
from tests.watchover.builders import cid, household


@contextmanager
def statements():
    seen: list[str] = []

    def log(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()))

    event.listen(Engine, "before_cursor_execute", log)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", log)


def queries(seen: list[str]) -> list[str]:
    return [s for s in seen if not s.upper().startswith(("BEGIN", "COMMIT", "ROLLBACK"))]


async def test_round_household_page_and_quick_log_stay_within_ten_queries(client, db, sessionmaker, settings,
                                                                           town):
    h = await household(db, town)
    await db.commit()
    await sign_in(client, sessionmaker, settings, town.comm)
    token = await csrf(client)
    for _ in range(2):  # the second pass is the steady state (audit chain heads exist)
        with statements() as round_seen:
            assert (await client.get("/round")).status_code == 200
        with statements() as page_seen:
            assert (await client.get(f"/households/{h.id}")).status_code == 200
        with statements() as quick_seen:
            r = await client.post(f"/round/{h.id}/quick", data={"client_id": cid(), "_csrf_token": token},
                                  follow_redirects=False)
            assert r.status_code == 303
    for name, seen in (("round", round_seen), ("household", page_seen), ("quick log", quick_seen)):
        assert len(queries(seen)) <= 10, (name, [s[:120] for s in queries(seen)])


async def test_sqlite_reads_who_is_asking_before_taking_the_write_lock(client, db, sessionmaker, settings, town,
                                                                        database_url):
    h = await household(db, town)
    await db.commit()
    await sign_in(client, sessionmaker, settings, town.comm)
    token = await csrf(client)
    with statements() as seen, trace() as sent:
        r = await client.post(f"/round/{h.id}/quick", data={"client_id": cid(), "_csrf_token": token},
                                  follow_redirects=False)
    assert r.status_code == 303
    if not database_url.startswith("sqlite"):
        # PostgreSQL has no database-wide write lock: the request stays one transaction.
        assert not any(s.upper().startswith(("BEGIN", "COMMIT")) for s in seen), seen
        return
    begins = [i for i, s in enumerate(sent) if s.upper().startswith("BEGIN")]
    assert [sent[i] for i in begins] == ["BEGIN", "BEGIN IMMEDIATE"], sent
    assert sent[begins[1] - 1] == "COMMIT", sent  # the read snapshot ends before the write lock is taken
    read, write = sent[begins[0] + 1:begins[1]], sent[begins[1] + 1:]
    assert any("web_sessions" in s for s in read) and not any(s.startswith(("INSERT", "UPDATE")) for s in read)
    # The quick log's own read (the household, through the scope gate) also runs before the lock.
    assert any(s.startswith("SELECT households.id") for s in read), read
    assert any(s.startswith("INSERT INTO contacts") for s in write)
