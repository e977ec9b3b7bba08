"""Settings, read once from the environment at start-up.

A bad value stops start-up with a message naming the variable: a welfare
network would rather not start than start with a weak setting.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "web"
VAR = ROOT / "var"

DEV_SECRET = "tsunagu-development-secret-not-for-production"


class ConfigError(SystemExit):
    """Raised for a bad environment value; the message names the variable."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"Tsunagu cannot start: {variable} {problem}")
        self.variable = variable


def _int(env: dict[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(name, f"must be at least {minimum}, got {value}")
    return value


def _bool(env: dict[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise ConfigError(name, f"must be 1 or 0, got {raw!r}")


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    origin: str
    rp_id: str
    rp_name: str
    demo: bool
    audit_head_file: Path
    # Session limits in seconds (staff = professionals, coordinators, analysts; field = volunteers, commissioners).
    staff_idle: int = 30 * 60
    staff_absolute: int = 12 * 3600
    field_idle: int = 8 * 3600
    field_absolute: int = 7 * 24 * 3600
    stepup_window: int = 60 * 60
    invitation_hours: int = 72
    challenge_seconds: int = 300
    rate_limit_per_minute: int = 20
    secret_is_default: bool = field(default=False)
    # AES-256-GCM key for sensitive resident data (要配慮個人情報), kept outside the database.
    data_key: bytes = field(default=b"", repr=False)
    data_key_is_default: bool = field(default=False)
    # A test server's clock (TSUNAGU_PINNED_NOW): only ever for a loopback http:// origin.
    pinned_now: dt.datetime | None = None
    pinned_since: float | None = None

    @property
    def https(self) -> bool:
        return self.origin.startswith("https://")

    @property
    def session_cookie(self) -> str:
        # The __Host- prefix pins the cookie to this exact origin; browsers only accept it with Secure.
        return "__Host-tsunagu" if self.https else "tsunagu_session"

    @property
    def csrf_cookie(self) -> str:
        return "__Host-csrftoken" if self.https else "csrftoken"


def default_database_url() -> str:
    return f"sqlite+aiosqlite:///{VAR / 'tsunagu.db'}"


def load(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    url = env.get("TSUNAGU_DATABASE_URL") or default_database_url()
    if not (url.startswith("sqlite+aiosqlite://") or url.startswith("postgresql+asyncpg://")):
        raise ConfigError(
            "TSUNAGU_DATABASE_URL",
            "must start with sqlite+aiosqlite:// or postgresql+asyncpg://",
        )
    origin = (env.get("TSUNAGU_ORIGIN") or "http://localhost:8000").rstrip("/")
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        raise ConfigError("TSUNAGU_ORIGIN", f"must be like https://tsunagu.example.jp, got {origin!r}")
    rp_id = env.get("TSUNAGU_RP_ID") or parts.hostname
    if rp_id != parts.hostname and not parts.hostname.endswith("." + rp_id):
        raise ConfigError("TSUNAGU_RP_ID", f"must be the origin's host or a parent of it, got {rp_id!r}")
    if is_loopback(rp_id) and rp_id != "localhost":
        raise ConfigError("TSUNAGU_RP_ID", "must be a host name; browsers refuse passkeys on an IP address (use localhost)")
    secret = env.get("TSUNAGU_SECRET_KEY", "")
    if secret and len(secret) < 32:
        raise ConfigError("TSUNAGU_SECRET_KEY", "must be at least 32 characters")
    data_key, data_key_is_default = _data_key(env, secret or DEV_SECRET)
    heads = env.get("TSUNAGU_AUDIT_HEAD_FILE") or str(VAR / "audit-heads.log")
    return Settings(
        database_url=url,
        secret_key=secret or DEV_SECRET,
        secret_is_default=not secret,
        origin=origin,
        rp_id=rp_id,
        rp_name=env.get("TSUNAGU_RP_NAME") or "Tsunagu",
        demo=_bool(env, "TSUNAGU_DEMO"),
        audit_head_file=Path(heads),
        data_key=data_key,
        data_key_is_default=data_key_is_default,
        staff_idle=_int(env, "TSUNAGU_STAFF_IDLE_MINUTES", 30) * 60,
        staff_absolute=_int(env, "TSUNAGU_STAFF_ABSOLUTE_HOURS", 12) * 3600,
        field_idle=_int(env, "TSUNAGU_FIELD_IDLE_HOURS", 8) * 3600,
        field_absolute=_int(env, "TSUNAGU_FIELD_ABSOLUTE_DAYS", 7) * 24 * 3600,
        rate_limit_per_minute=_int(env, "TSUNAGU_RATE_LIMIT_PER_MINUTE", 20),
        pinned_now=_pinned_now(env, parts.scheme, parts.hostname),
        pinned_since=_pinned_since(env),
    )


def _pinned_since(env: dict[str, str]) -> float | None:
    """TSUNAGU_PINNED_SINCE: the machine's clock (seconds since the epoch) at the moment the pinned
    instant held; without it the pin holds when the app starts."""
    raw = env.get("TSUNAGU_PINNED_SINCE", "").strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise ConfigError("TSUNAGU_PINNED_SINCE", f"must be seconds since the epoch, got {raw!r}") from None


def _pinned_now(env: dict[str, str], scheme: str, host: str) -> dt.datetime | None:
    """TSUNAGU_PINNED_NOW: an ISO 8601 instant with its offset, e.g. 2027-03-31T14:59:00+00:00.

    It moves the app's clock (server/clock.py) so a browser test's server agrees with the test
    about what day it is. A real deployment must never run on a made-up date, so it is refused
    unless the origin is plain http:// on a loopback host."""
    raw = env.get("TSUNAGU_PINNED_NOW", "").strip()
    if not raw:
        return None
    if scheme != "http" or not is_loopback(host):
        raise ConfigError("TSUNAGU_PINNED_NOW", "is only allowed with a loopback http:// origin (tests)")
    try:
        at = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise ConfigError("TSUNAGU_PINNED_NOW", f"must be an ISO 8601 instant, got {raw!r}") from None
    if at.tzinfo is None:
        raise ConfigError("TSUNAGU_PINNED_NOW", f"needs a UTC offset (…+00:00), got {raw!r}")
    return at


def _data_key(env: dict[str, str], secret: str) -> tuple[bytes, bool]:
    """TSUNAGU_DATA_KEY: base64 of 32 random bytes, e.g. from
    `python -c "import os,base64;print(base64.b64encode(os.urandom(32)).decode())"`.

    Without it (development and tests only) the key is derived from the secret key, so a dev
    database stays readable across restarts; check_bind refuses that off loopback, because a
    key derived from a shared secret is not a key "kept apart" in the sense of the APPI.
    """
    raw = env.get("TSUNAGU_DATA_KEY", "").strip()
    if not raw:
        return hashlib.sha256(b"tsunagu-data-key-v1\x00" + secret.encode()).digest(), True
    try:
        key = base64.b64decode(raw, validate=True)
    except (ValueError, binascii.Error):
        raise ConfigError("TSUNAGU_DATA_KEY", "must be base64 of 32 bytes") from None
    if len(key) != 32:
        raise ConfigError("TSUNAGU_DATA_KEY", f"must be base64 of 32 bytes, got {len(key)} bytes")
    return key, False


def check_bind(settings: Settings, host: str) -> None:
    """Refuse unsafe combinations before serving.

    Off loopback the app faces real people: it needs its own secret and https.
    Demo mode hands out sign-in buttons, so it only ever runs on loopback.
    """
    if is_loopback(host):
        return
    if settings.demo:
        raise ConfigError("TSUNAGU_DEMO", "is only allowed when serving on a loopback address (127.0.0.1)")
    if settings.secret_is_default:
        raise ConfigError("TSUNAGU_SECRET_KEY", "must be set when serving on a non-loopback address")
    if not settings.https:
        raise ConfigError("TSUNAGU_ORIGIN", "must be an https:// origin when serving on a non-loopback address")
    if settings.data_key_is_default:
        raise ConfigError("TSUNAGU_DATA_KEY", "must be set when serving on a non-loopback address")
