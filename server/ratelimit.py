"""A small in-process sliding-window limiter for sign-in and invitation routes.

One process serves the app (SQLite has one writer), so memory is the right place; the
window is per client address and bucket.
"""
from __future__ import annotations

import time
from collections import defaultdict, deque

from server.errors import RateLimited

_hits: dict[tuple[str, str], deque[float]] = defaultdict(deque)
LIMIT = 20
WINDOW = 60.0


def configure(per_minute: int) -> None:
    global LIMIT
    LIMIT = per_minute


def reset() -> None:
    _hits.clear()


def hit(bucket: str, key: str, *, limit: int | None = None, window: float = WINDOW) -> None:
    limit = limit or LIMIT
    now = time.monotonic()
    q = _hits[(bucket, key)]
    while q and q[0] <= now - window:
        q.popleft()
    if len(q) >= limit:
        raise RateLimited(retry_after=int(q[0] + window - now) + 1)
    q.append(now)
