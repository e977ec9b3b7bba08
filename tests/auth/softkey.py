"""A software authenticator for server-level passkey tests: an EC P-256 key speaking WebAuthn JSON.

It builds what a browser would post: attestation "none" with authData
(rpIdHash | flags | signCount | attestedCredentialData) and assertions signed over
authData || sha256(clientDataJSON). Knobs let tests produce the bad answers too:
no user verification, another origin or rp id, a chosen sign count.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import struct

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftKey:
    def __init__(self, *, rp_id: str = "localhost", origin: str = "http://localhost:8000",
                 sign_count: int = 0, counter_step: int = 1, synced: bool = True) -> None:
        self.rp_id = rp_id
        self.origin = origin
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.sign_count = sign_count
        self.counter_step = counter_step
        self.synced = synced
        self.user_handle: bytes | None = None

    def cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    def _auth_data(self, *, uv: bool, rp_id: str | None, attested: bool, count: int) -> bytes:
        flags = UP | (UV if uv else 0) | ((BE | BS) if self.synced else 0) | (AT if attested else 0)
        data = hashlib.sha256((rp_id or self.rp_id).encode()).digest() + bytes([flags]) + struct.pack(">I", count)
        if attested:
            data += b"\x00" * 16 + struct.pack(">H", len(self.credential_id)) + self.credential_id + self.cose_key()
        return data

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin or self.origin,
                           "crossOrigin": False}, separators=(",", ":")).encode()

    def create(self, public_key: dict, *, uv: bool = True, origin: str | None = None,
               rp_id: str | None = None) -> dict:
        """Answer navigator.credentials.create() for the server's options ({"publicKey": ...}'s value)."""
        self.user_handle = unb64(public_key["user"]["id"])
        client_data = self._client_data("webauthn.create", public_key["challenge"], origin)
        auth_data = self._auth_data(uv=uv, rp_id=rp_id, attested=True, count=self.sign_count)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": b64(self.credential_id), "rawId": b64(self.credential_id), "type": "public-key",
            "response": {"clientDataJSON": b64(client_data), "attestationObject": b64(attestation),
                         "transports": ["internal", "hybrid"]},
            "authenticatorAttachment": "platform", "clientExtensionResults": {},
        }

    def get(self, public_key: dict, *, uv: bool = True, origin: str | None = None, rp_id: str | None = None,
            sign_count: int | None = None) -> dict:
        """Answer navigator.credentials.get(); the counter steps forward unless a count is given."""
        if sign_count is None:
            self.sign_count += self.counter_step
            sign_count = self.sign_count
        client_data = self._client_data("webauthn.get", public_key["challenge"], origin)
        auth_data = self._auth_data(uv=uv, rp_id=rp_id, attested=False, count=sign_count)
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        response = {"clientDataJSON": b64(client_data), "authenticatorData": b64(auth_data),
                    "signature": b64(signature)}
        if self.user_handle:
            response["userHandle"] = b64(self.user_handle)
        return {"id": b64(self.credential_id), "rawId": b64(self.credential_id), "type": "public-key",
                "response": response, "authenticatorAttachment": "platform", "clientExtensionResults": {}}
