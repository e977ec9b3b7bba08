"""Offline tests use the watch-over test town (tests/watchover/conftest.py)."""
from __future__ import annotations

import pytest

from server import sealing
from tests.watchover.conftest import make_town


@pytest.fixture(autouse=True)
def _data_key(settings):
    sealing.configure(settings.data_key)


@pytest.fixture
async def town(db):
    return await make_town(db)
