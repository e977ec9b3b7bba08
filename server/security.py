"""Security headers on every response, error pages and static files included.

A before_send hook rather than middleware: Litestar runs it for every response the app
sends, including the router's own 404 and 405 and exception handlers' pages, so no page
can leave without its CSP.
"""
from __future__ import annotations

import secrets
from typing import Any

_OURS = {b"content-security-policy", b"x-content-type-options", b"referrer-policy",
         b"permissions-policy", b"x-frame-options", b"strict-transport-security",
         b"cross-origin-opener-policy"}


def csp(nonce: str) -> str:
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        f"style-src 'self' 'nonce-{nonce}'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def nonce_for(scope: Any) -> str:
    """One nonce per response; templates and the header read the same value."""
    state = scope.setdefault("state", {})
    if "csp_nonce" not in state:
        state["csp_nonce"] = secrets.token_urlsafe(16)
    return state["csp_nonce"]


def make_hook(*, https: bool):
    async def add_security_headers(message: Any, scope: Any) -> None:
        if message["type"] != "http.response.start":
            return
        path = scope.get("path", "")
        raw = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _OURS]
        raw += [
            (b"content-security-policy", csp(nonce_for(scope)).encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=(self), payment=(), usb=()"),
            (b"x-frame-options", b"DENY"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        if https:
            raw.append((b"strict-transport-security", b"max-age=63072000; includeSubDomains"))
        if not path.startswith("/static/") and not any(k.lower() == b"cache-control" for k, _ in raw):
            # Signed-in pages are never stored by the browser unless a later issue decides so.
            raw.append((b"cache-control", b"no-store"))
        elif path.startswith("/static/") and not any(k.lower() == b"cache-control" for k, _ in raw):
            # Asset URLs carry a content hash (?v=), so they may be cached for long.
            raw.append((b"cache-control", b"public, max-age=31536000, immutable"))
        message["headers"] = raw

    return add_security_headers
