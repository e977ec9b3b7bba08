"""Reading coordinator forms: ids from form fields, and the coordinator's municipality.

A malformed id is a clear 422 on the field, never a 500.
"""
from __future__ import annotations

from litestar import Request

from server.errors import Invalid, NotFound
from server.i18n import N_
from server.scope import Scope


async def read_form(request: Request):  # litestar's FormMultiDict
    return await request.form()


def opt_int(value: str | None, field: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise Invalid(fields={field: N_("Please choose from the list.")}) from None


def ints(values: list[str], field: str) -> list[int]:
    return [i for i in (opt_int(v, field) for v in values) if i is not None]


def flag(value: str | None) -> bool:
    return (value or "").lower() in ("1", "on", "true", "yes")


def town_of(scope: Scope) -> int:
    """The municipality a coordinator manages (the lowest id if they coordinate several)."""
    scope.require("coordinator")
    if not scope.coordinated:
        raise NotFound()
    return min(scope.coordinated)
