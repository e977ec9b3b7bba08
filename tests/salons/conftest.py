"""Salon tests reuse the watch-over test town (Minato-mura) and add a salon run by its volunteer."""
from tests.watchover.conftest import _data_key, town  # noqa: F401 - (fixtures)
