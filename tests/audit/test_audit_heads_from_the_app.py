"""The running app writes the chain heads outside the database (here: when it stops)."""
from __future__ import annotations

from litestar.testing import AsyncTestClient

from server.audit.service import read_head_file, verify
from tests.helpers import post_form, sign_in


async def test_the_app_writes_chain_heads_to_the_head_file(app, cast, sessionmaker, settings, db):
    assert not settings.audit_head_file.exists() or read_head_file(settings.audit_head_file) == {}
    async with AsyncTestClient(app=app, base_url="http://localhost:8000") as client:
        await sign_in(client, sessionmaker, settings, cast.coordinator)
        response = await post_form(client, "/language", {"locale": "en", "next": "/home"})
        assert response.status_code == 303
    heads = read_head_file(settings.audit_head_file)
    chain = f"m:{cast.city.id}"
    assert chain in heads and heads[chain][0] >= 1
    assert await verify(db, settings.audit_head_file) == []
