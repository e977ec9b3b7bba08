"""Small parsing helpers shared by every domain's handlers.

Handlers parse text into typed values here; a value that does not parse becomes None (or an
empty list) and the service function reports it as a field error: never a 500.
"""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from litestar import Request
from litestar.datastructures import FormMultiDict

from server.errors import NotFound
from server.i18n import TOKYO

if TYPE_CHECKING:  # a shared piece: the scope gate (which sits on the domains' models) is only named here
    from server.scope import Scope


async def form(request: Request) -> FormMultiDict:
    return await request.form()


def text(data: FormMultiDict, name: str, limit: int = 4000) -> str:
    value = data.get(name)
    return value[:limit] if isinstance(value, str) else ""


def many(data: FormMultiDict, name: str, limit: int = 50) -> list[str]:
    return [v for v in data.getall(name, []) if isinstance(v, str)][:limit]


def integer(value: str | None, low: int = -(2**31), high: int = 2**31 - 1) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None


def ints(values: list[str]) -> list[int]:
    return [i for i in (integer(v, 1) for v in values) if i is not None]


def decimal(value: str | None) -> float | None:
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) < 1e6 else None  # not NaN


def date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value).strip())
    except (TypeError, ValueError):
        return None


def local_datetime(value: str | None) -> dt.datetime | None:
    """A <input type=datetime-local> value, read as Asia/Tokyo."""
    try:
        parsed = dt.datetime.fromisoformat(str(value).strip())
    except (TypeError, ValueError):
        return None
    if parsed.year < 1900:
        return None
    return parsed.replace(tzinfo=TOKYO) if parsed.tzinfo is None else parsed


def flag(data: FormMultiDict, name: str) -> bool:
    return data.get(name) in ("1", "on", "true", "yes")


def municipality_of(scope: Scope, requested: str | int | None = None) -> int:
    """The municipality a coordinator works on: the requested one if they coordinate it, else their first."""
    wanted = integer(requested) if requested is not None else None
    if wanted is not None and wanted in scope.coordinated:
        return wanted
    if not scope.coordinated:
        raise NotFound()
    return min(scope.coordinated)
