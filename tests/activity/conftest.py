"""Activity-record tests run on the fixed cast (tests/personas.py): council_a has the commissioner,
the chief child commissioner and the chair; commissioner_same_hood belongs to no council."""
from __future__ import annotations

import pytest

from server.households import crypto


@pytest.fixture(autouse=True)
def _data_key(settings):  # noqa: ANN001, ANN202
    crypto.configure(settings.data_key)
