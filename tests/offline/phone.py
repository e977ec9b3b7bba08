"""A phone's outbox in Python: seals entries to the server's key as js/offline.js does."""
from __future__ import annotations

import datetime as dt
import json
import uuid

from server.offline.keys import seal_for_tests
from tests.helpers import csrf


class Phone:
    def __init__(self, client) -> None:
        self.client = client
        self.key: dict | None = None
        self.outbox: list[dict] = []

    async def fetch_key(self) -> dict:
        r = await self.client.get("/sync/key", headers={"accept": "application/json"})
        assert r.status_code == 200, r.text
        self.key = r.json()
        return self.key

    def entry(self, kind: str, household_id: int | None, data: dict, client_id: str | None = None,
              kid: str | None = None, jwk: dict | None = None) -> dict:
        client_id = client_id or uuid.uuid4().hex
        sealed = seal_for_tests(json.dumps(jwk or self.key["jwk"]), kid or self.key["kid"], data,
                                client_id=client_id, kind=kind)
        return {"client_id": client_id, "kind": kind, "household_id": household_id,
                "client_at": dt.datetime.now(dt.UTC).isoformat(), "sealed": sealed}

    def contact(self, household_id: int, **data) -> dict:
        entry = self.entry("contact", household_id, {"household_id": household_id, "method": "visit",
                                                     "outcome": "no_change", **data})
        self.outbox.append(entry)
        return entry

    async def send(self, entries: list[dict]):
        token = await csrf(self.client)
        return await self.client.post("/sync", json={"entries": entries}, headers={
            "x-csrftoken": token, "accept": "application/json", "x-tsunagu-background": "1"})
