"""Query counts of the casework pages a professional opens most (statements at the engine;
BEGIN/COMMIT are not queries). The budget is loose (20) but fixed: a page that starts querying
per row fails here first. `-s` prints the measured figures."""
from __future__ import annotations

import datetime as dt

from server.casework import service
from tests.casework.conftest import scope_of, start_sheet
from tests.helpers import sign_in
from tests.watchover.test_query_budget import queries, statements

BUDGET = 20


async def test_casework_pages_stay_within_budget(client, db, sessionmaker, settings, world):
    c = world.cast
    sheet = await start_sheet(db, world)
    share = await service.share_sheet(db, actor=c.csw, scope=await scope_of(db, c.csw), sheet_id=sheet.id,
                                      to_organisation_id=c.orgs.support_centre_a.id, basis="consent",
                                      sections=["composition"], note_ids=[])
    conf = await service.record_conference(
        db, actor=c.csw, scope=await scope_of(db, c.csw), kind="case", held_on=dt.date(2026, 11, 1),
        participant_ids=[c.support_centre.id], outside="", household_ids=[world.household.id], concern_ids=[],
        minutes="m", decisions="", actions=[(f"対応{i}", c.csw.id, dt.date(2026, 12, i)) for i in (1, 2, 3)])
    for i, category in enumerate(("employment", "guarantor", "transport")):
        await service.tag_gap(db, actor=c.csw, scope=await scope_of(db, c.csw), concern_id=world.concern.id,
                              category=category, line=f"line {i}")
    await db.commit()
    await sign_in(client, sessionmaker, settings, c.csw)
    counts = {}
    for url in ("/home", f"/casework/households/{world.household.id}", f"/casework/sheets/{sheet.id}",
                f"/casework/shares/{share.id}", f"/casework/conferences/{conf.id}", "/casework/gaps"):
        await client.get(url)  # warm (static hashes, catalogs)
        with statements() as seen:
            assert (await client.get(url)).status_code == 200
        counts[url] = len(queries(seen))
    import sys

    sys.stderr.write(f"\ncasework query counts: {counts}\n")
    assert max(counts.values()) <= BUDGET, counts
