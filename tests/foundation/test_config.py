"""Configuration: read once, and a bad value stops start-up with a message naming the variable."""
from __future__ import annotations

import pytest

from server import cli
from server.config import DEV_SECRET, ConfigError, check_bind, load

SECRET = "s" * 40
GOOD = {"TSUNAGU_DATABASE_URL": "sqlite+aiosqlite:///var/x.db"}


def env(**overrides: str) -> dict[str, str]:
    return {**GOOD, **overrides}


def test_defaults_are_a_local_sqlite_database_on_localhost():
    settings = load({})
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.database_url.endswith("var/tsunagu.db")
    assert settings.origin == "http://localhost:8000"
    assert settings.rp_id == "localhost"
    assert settings.demo is False
    assert settings.secret_is_default and settings.secret_key == DEV_SECRET
    assert not settings.https
    assert settings.session_cookie == "tsunagu_session"


def test_a_real_deployment_reads_every_value():
    settings = load({
        "TSUNAGU_DATABASE_URL": "postgresql+asyncpg://u@db/tsunagu",
        "TSUNAGU_SECRET_KEY": SECRET,
        "TSUNAGU_ORIGIN": "https://tsunagu.example.jp/",
        "TSUNAGU_RP_ID": "example.jp",
        "TSUNAGU_STAFF_IDLE_MINUTES": "15",
        "TSUNAGU_FIELD_ABSOLUTE_DAYS": "3",
        "TSUNAGU_RATE_LIMIT_PER_MINUTE": "5",
    })
    assert settings.origin == "https://tsunagu.example.jp"
    assert settings.rp_id == "example.jp"
    assert settings.https and settings.session_cookie.startswith("__Host-")
    assert settings.csrf_cookie.startswith("__Host-")
    assert settings.staff_idle == 15 * 60
    assert settings.field_absolute == 3 * 24 * 3600
    assert settings.rate_limit_per_minute == 5
    assert not settings.secret_is_default


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TSUNAGU_DATABASE_URL", "mysql://u@db/tsunagu"),
        ("TSUNAGU_DATABASE_URL", "sqlite:///var/x.db"),  # the sync driver would block the event loop
        ("TSUNAGU_DATABASE_URL", "postgresql://u@db/tsunagu"),
        ("TSUNAGU_ORIGIN", "localhost:8000"),
        ("TSUNAGU_ORIGIN", "ftp://tsunagu.example.jp"),
        ("TSUNAGU_ORIGIN", "https://tsunagu.example.jp/app"),
        ("TSUNAGU_ORIGIN", "https://"),
        ("TSUNAGU_SECRET_KEY", "too-short"),
        ("TSUNAGU_DEMO", "maybe"),
        ("TSUNAGU_STAFF_IDLE_MINUTES", "thirty"),
        ("TSUNAGU_STAFF_IDLE_MINUTES", "0"),
        ("TSUNAGU_STAFF_ABSOLUTE_HOURS", "-1"),
        ("TSUNAGU_FIELD_IDLE_HOURS", "1.5"),
        ("TSUNAGU_FIELD_ABSOLUTE_DAYS", "x"),
        ("TSUNAGU_RATE_LIMIT_PER_MINUTE", "many"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(variable, value):
    with pytest.raises(ConfigError) as caught:
        load(env(**{variable: value}))
    assert caught.value.variable == variable
    assert variable in str(caught.value)
    # A SystemExit with a message: the process exits non-zero without a traceback.
    assert isinstance(caught.value, SystemExit)


@pytest.mark.parametrize(
    ("origin", "rp_id"),
    [
        ("https://tsunagu.example.jp", "other.jp"),
        ("https://tsunagu.example.jp", "ample.jp"),  # a suffix, but not a parent domain
        ("https://tsunagu.example.jp", "sub.tsunagu.example.jp"),
        ("http://127.0.0.1:8000", "127.0.0.1"),  # browsers refuse passkeys on an IP address
    ],
)
def test_an_rp_id_that_does_not_match_the_origin_stops_start_up(origin, rp_id):
    with pytest.raises(ConfigError) as caught:
        load(env(TSUNAGU_ORIGIN=origin, TSUNAGU_RP_ID=rp_id))
    assert caught.value.variable == "TSUNAGU_RP_ID"


def test_the_rp_id_may_be_a_parent_domain_of_the_origin():
    assert load(env(TSUNAGU_ORIGIN="https://a.b.example.jp", TSUNAGU_RP_ID="example.jp")).rp_id == "example.jp"


@pytest.mark.parametrize("value", ["1", "true", "yes", "on", "TRUE"])
def test_demo_mode_accepts_the_usual_spellings_of_yes(value):
    assert load(env(TSUNAGU_DEMO=value)).demo is True


@pytest.mark.parametrize("value", ["", "0", "false", "no", "off"])
def test_demo_mode_accepts_the_usual_spellings_of_no(value):
    assert load(env(TSUNAGU_DEMO=value)).demo is False


# --- binding ------------------------------------------------------------------------------

def production(**overrides: str):
    overrides.setdefault("TSUNAGU_DATA_KEY", "A" * 43 + "=")  # base64 of 32 bytes
    return load(env(TSUNAGU_SECRET_KEY=SECRET, TSUNAGU_ORIGIN="https://tsunagu.example.jp", **overrides))


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"])
def test_loopback_needs_nothing(host):
    check_bind(load(env(TSUNAGU_DEMO="1")), host)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "tsunagu.example.jp"])
def test_off_loopback_a_secret_is_required(host):
    settings = load(env(TSUNAGU_ORIGIN="https://tsunagu.example.jp"))
    with pytest.raises(ConfigError) as caught:
        check_bind(settings, host)
    assert caught.value.variable == "TSUNAGU_SECRET_KEY"


def test_off_loopback_an_https_origin_is_required():
    settings = load(env(TSUNAGU_SECRET_KEY=SECRET, TSUNAGU_ORIGIN="http://tsunagu.example.jp"))
    with pytest.raises(ConfigError) as caught:
        check_bind(settings, "0.0.0.0")
    assert caught.value.variable == "TSUNAGU_ORIGIN"


def test_off_loopback_demo_mode_is_refused_even_with_a_secret_and_https():
    with pytest.raises(ConfigError) as caught:
        check_bind(production(TSUNAGU_DEMO="1"), "0.0.0.0")
    assert caught.value.variable == "TSUNAGU_DEMO"


def test_off_loopback_a_proper_configuration_is_accepted():
    check_bind(production(), "0.0.0.0")


def test_serve_on_all_addresses_without_a_secret_exits_non_zero_naming_the_variable(monkeypatch, capsys):
    for name in ("TSUNAGU_SECRET_KEY", "TSUNAGU_DEMO", "TSUNAGU_ORIGIN", "TSUNAGU_RP_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TSUNAGU_DATABASE_URL", "sqlite+aiosqlite:///var/never-created.db")
    served = []
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: served.append(a))
    code = cli.main(["serve", "--host", "0.0.0.0", "--port", "8999"])
    assert code != 0
    assert "TSUNAGU_SECRET_KEY" in capsys.readouterr().err
    assert served == []


def test_serve_with_a_bad_variable_exits_non_zero_naming_it(monkeypatch, capsys):
    monkeypatch.setenv("TSUNAGU_DATABASE_URL", "mysql://nope")
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("must not serve"))
    assert cli.main(["serve"]) != 0
    assert "TSUNAGU_DATABASE_URL" in capsys.readouterr().err
