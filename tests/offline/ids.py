"""A held offline entry in each town of the route-enumerating authorization test."""
from __future__ import annotations

import uuid

from server.offline.models import SyncEntry
from server.users.models import User


async def add_offline_ids(db, cast, this, other) -> None:
    for town in (this, other):
        author = await db.get(User, town.user)
        row = SyncEntry(author_id=author.id, client_id=uuid.uuid4().hex, kind="contact", status="held",
                        reason="invalid", municipality_id=town.municipality, household_id=town.household)
        db.add(row)
        await db.flush()
        town.sync_entry = row.id
