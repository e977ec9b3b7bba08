"""Sealing 要配慮個人情報 (health, disability, notes) with AES-256-GCM.

The key (TSUNAGU_DATA_KEY) lives outside the database, so a copy of the database alone
does not reveal sensitive data. Each value is nonce(12) || ciphertext+tag; the associated
data names the column, so a sealed value cannot be moved to another column unnoticed.
"""
from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = b"\x01"
_AEAD: AESGCM | None = None


def configure(key: bytes) -> None:
    global _AEAD
    if len(key) != 32:
        raise ValueError("the data key must be 32 bytes")
    _AEAD = AESGCM(key)


def configured() -> bool:
    """Whether a data key is set (the demo seeder sets one from the settings when run on its own)."""
    return _AEAD is not None


def _aead() -> AESGCM:
    if _AEAD is None:
        raise RuntimeError("sealing.configure() was not called")
    return _AEAD


def seal(text: str | None, column: str) -> bytes | None:
    if not text:
        return None
    nonce = os.urandom(12)
    return VERSION + nonce + _aead().encrypt(nonce, text.encode(), column.encode())


def unseal(blob: bytes | None, column: str) -> str | None:
    if not blob:
        return None
    if blob[:1] != VERSION:
        raise ValueError("unknown sealed format")
    try:
        return _aead().decrypt(blob[1:13], blob[13:], column.encode()).decode()
    except InvalidTag:
        raise ValueError("sealed value does not match its key or column") from None
