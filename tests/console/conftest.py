import pytest

from server.households import crypto


@pytest.fixture(autouse=True)
def _data_key(settings):  # noqa: ANN001, ANN202
    crypto.configure(settings.data_key)
