"""Activity-record tests run on the fixed cast (tests/personas.py): council_a has the commissioner,
the chief child commissioner and the chair; commissioner_same_hood belongs to no council."""
from __future__ import annotations

import pytest

from server import sealing
from tests.activity.builders import appointed_long_ago


@pytest.fixture(autouse=True)
def _data_key(settings):
    sealing.configure(settings.data_key)


@pytest.fixture
async def cast(cast, db):
    """The shared cast, its commissioners serving since two years back (see appointed_long_ago)."""
    await appointed_long_ago(db)
    return cast
