"""Sync keys: the phone seals each outbox entry to the server's current public key.

The envelope (made by web/static/js/offline-seal.js with WebCrypto):
  {"v": 1, "kid": <key id>, "epk": <b64url raw P-256 point of a one-time key>,
   "iv": <b64url 12 bytes>, "ct": <b64url AES-256-GCM ciphertext+tag>}
AES key = HKDF-SHA256(ECDH(one-time private, server public), salt=epk, info="tsunagu-outbox-v1");
the associated data is "<kid>|<client id>|<kind>", so an envelope cannot be moved to another entry.

Rotation: rotate() makes a new current key and retires the previous one; a retired key keeps
decrypting for `retain_days` (TSUNAGU_SYNC_KEY_RETAIN_DAYS), then is refused.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server import sealing
from server.db import utcnow
from server.offline.models import SyncKey

INFO = b"tsunagu-outbox-v1"
COLUMN = "sync_keys.private"
DEFAULT_RETAIN_DAYS = 30


class Unreadable(Exception):
    """The envelope is malformed, sealed to an unknown or expired key, or was tampered with."""


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _new_key() -> SyncKey:
    private = ec.generate_private_key(ec.SECP256R1())
    numbers = private.public_key().public_numbers()
    jwk = {"kty": "EC", "crv": "P-256", "x": b64u(numbers.x.to_bytes(32, "big")),
           "y": b64u(numbers.y.to_bytes(32, "big")), "ext": True}
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return SyncKey(kid=secrets.token_hex(8), public_jwk=json.dumps(jwk), private_sealed=sealing.seal(pem, COLUMN),
                   created_at=utcnow())


async def current_key(session: AsyncSession) -> SyncKey:
    """The key phones seal to; made on first use."""
    key = (await session.scalars(select(SyncKey).where(SyncKey.retired_at.is_(None))
                                 .order_by(SyncKey.id.desc()))).first()
    if key is None:
        key = _new_key()
        session.add(key)
        await session.flush()
    return key


async def rotate(session: AsyncSession, *, retain_days: int = DEFAULT_RETAIN_DAYS) -> SyncKey:
    """A new current key; the previous ones retire and keep decrypting for retain_days."""
    now = utcnow()
    await session.execute(update(SyncKey).where(SyncKey.retired_at.is_(None))
                          .values(retired_at=now, expires_at=now + dt.timedelta(days=retain_days)))
    key = _new_key()
    session.add(key)
    await session.flush()
    return key


async def open_envelope(session: AsyncSession, envelope: object, *, client_id: str, kind: str,
                        cache: dict | None = None) -> dict:
    """The entry's content as a dict, or Unreadable."""
    if not isinstance(envelope, dict) or envelope.get("v") != 1:
        raise Unreadable("format")
    try:
        kid, epk, iv, ct = (str(envelope[k]) for k in ("kid", "epk", "iv", "ct"))
        epk_raw, iv_raw, ct_raw = unb64u(epk), unb64u(iv), unb64u(ct)
    except (KeyError, ValueError, TypeError):
        raise Unreadable("format") from None
    cache = cache if cache is not None else {}
    if kid not in cache:
        row = (await session.scalars(select(SyncKey).where(SyncKey.kid == kid))).first()
        if row is None or (row.expires_at is not None and row.expires_at <= utcnow()):
            cache[kid] = None
        else:
            cache[kid] = serialization.load_pem_private_key(sealing.unseal(row.private_sealed, COLUMN).encode(), None)
    private = cache[kid]
    if private is None:
        raise Unreadable("key")
    try:
        peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), epk_raw)
        shared = private.exchange(ec.ECDH(), peer)
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=epk_raw, info=INFO).derive(shared)
        plain = AESGCM(key).decrypt(iv_raw, ct_raw, f"{kid}|{client_id}|{kind}".encode())
        data = json.loads(plain.decode())
    except (InvalidTag, ValueError, UnicodeDecodeError):
        raise Unreadable("content") from None
    if not isinstance(data, dict):
        raise Unreadable("content")
    return data


def seal_for_tests(public_jwk: str, kid: str, data: dict, *, client_id: str, kind: str) -> dict:
    """What the phone does, in Python (tests and the benchmark)."""
    jwk = json.loads(public_jwk)
    server_public = ec.EllipticCurvePublicNumbers(
        int.from_bytes(unb64u(jwk["x"]), "big"), int.from_bytes(unb64u(jwk["y"]), "big"), ec.SECP256R1()).public_key()
    one_time = ec.generate_private_key(ec.SECP256R1())
    epk = one_time.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=epk, info=INFO).derive(one_time.exchange(ec.ECDH(), server_public))
    iv = secrets.token_bytes(12)
    ct = AESGCM(key).encrypt(iv, json.dumps(data).encode(), f"{kid}|{client_id}|{kind}".encode())
    return {"v": 1, "kid": kid, "epk": b64u(epk), "iv": b64u(iv), "ct": b64u(ct)}
