"""TSUNAGU_DATA_KEY: the key that seals 要配慮個人情報 lives outside the database."""
from __future__ import annotations

import base64

import pytest

from server import sealing
from server.config import ConfigError, check_bind, load

SECRET = "s" * 40


def env(**kw: str) -> dict[str, str]:
    return {"TSUNAGU_SECRET_KEY": SECRET, "TSUNAGU_ORIGIN": "https://tsunagu.example.jp"} | kw


def test_a_good_key_is_read_and_used():
    key = base64.b64encode(bytes(range(32))).decode()
    settings = load(env(TSUNAGU_DATA_KEY=key))
    assert settings.data_key == bytes(range(32)) and not settings.data_key_is_default
    check_bind(settings, "0.0.0.0")


@pytest.mark.parametrize("raw", ["not base64!", base64.b64encode(b"short").decode()])
def test_a_bad_key_stops_start_up_naming_the_variable(raw):
    with pytest.raises(ConfigError) as caught:
        load(env(TSUNAGU_DATA_KEY=raw))
    assert caught.value.variable == "TSUNAGU_DATA_KEY"


def test_without_a_key_development_derives_one_and_serving_off_loopback_is_refused():
    settings = load(env())
    assert settings.data_key_is_default and len(settings.data_key) == 32
    check_bind(settings, "127.0.0.1")
    with pytest.raises(ConfigError) as caught:
        check_bind(settings, "0.0.0.0")
    assert caught.value.variable == "TSUNAGU_DATA_KEY"


def test_a_sealed_value_opens_only_with_its_key_and_in_its_column():
    sealing.configure(bytes(32))
    sealed = sealing.seal("認知症の疑い", "persons.health")
    assert "認知症".encode() not in sealed and sealing.unseal(sealed, "persons.health") == "認知症の疑い"
    with pytest.raises(ValueError):
        sealing.unseal(sealed, "persons.notes")
    sealing.configure(bytes([1]) * 32)
    with pytest.raises(ValueError):
        sealing.unseal(sealed, "persons.health")
