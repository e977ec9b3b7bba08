"""Jinja environment, content-hashed static URLs, and page-or-block rendering for htmx."""
from __future__ import annotations

import contextvars
import hashlib
from functools import cache
from typing import Any

from jinja2 import (
    BytecodeCache,
    Environment,
    FileSystemLoader,
    pass_context,
    select_autoescape,
)
from litestar import Request
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Response, Template
from litestar.template.config import TemplateConfig
from litestar.types import Empty
from litestar.utils.scope.state import ScopeState

from server import i18n
from server.config import WEB
from server.security import nonce_for

STATIC = WEB / "static"


@cache
def _digest(path: str) -> str:
    try:
        return hashlib.sha256((STATIC / path).read_bytes()).hexdigest()[:10]
    except FileNotFoundError:
        return "missing"


def static_url(path: str) -> str:
    """Asset URLs carry a content hash, so they can be cached for a year and still update."""
    return f"/static/{path}?v={_digest(path)}"


def tel(number: str | None) -> str:
    return "tel:" + "".join(ch for ch in (number or "") if ch.isdigit() or ch == "+")


# The request being handled: macros imported without `with context` cannot see the template's
# `request`, yet their forms need the CSRF token (set by remember_request, a before_request hook).
_request: contextvars.ContextVar[Request | None] = contextvars.ContextVar("request", default=None)


async def remember_request(request: Request) -> None:
    # async on purpose: a sync hook may run in a worker thread, where setting the variable is lost.
    _request.set(request)


def _request_of(ctx) -> Request | None:
    return ctx.get("request") or _request.get()


@pass_context
def csp_nonce(ctx) -> str:
    return nonce_for(_request_of(ctx).scope)


@pass_context
def csrf_token(ctx) -> str:
    """Litestar's token for this request, also inside macros imported without context."""
    request = _request_of(ctx)
    token = ScopeState.from_scope(request.scope).csrf_token if request is not None else Empty
    return "" if token is Empty else token


@pass_context
def current_of(ctx):
    """The request's Current (who is signed in), or None on pages rendered before it was resolved."""
    request = _request_of(ctx)
    return getattr(request.state, "current", None) if request is not None else None


class _MemoryBytecodeCache(BytecodeCache):
    """Compiled templates shared by every Environment in the process (keyed by the source's checksum,
    so an edited template is recompiled): an app built per test does not compile everything again."""

    def __init__(self) -> None:
        self._store: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        code = self._store.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket) -> None:
        self._store[bucket.key] = bucket.bytecode_to_string()


_BYTECODE = _MemoryBytecodeCache()


def make_environment() -> Environment:
    env = Environment(
        bytecode_cache=_BYTECODE,
        loader=FileSystemLoader(str(WEB / "templates")),
        autoescape=select_autoescape(["html", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    i18n.install(env)
    env.globals.update(static_url=static_url, csp_nonce=csp_nonce, current=current_of)
    env.filters.update(tel=tel)
    return env


def template_config(settings: Any) -> TemplateConfig:
    env = make_environment()
    env.globals["settings"] = settings
    engine = JinjaTemplateEngine.from_environment(env)
    env.globals["csrf_token"] = csrf_token  # replaces Litestar's, which needs the template context
    return TemplateConfig(instance=engine)


def page(request: Request, name: str, context: dict[str, Any] | None = None, *, status: int = 200,
         block: str | None = None, headers: dict[str, str] | None = None) -> Response:
    """Render a page; for an htmx request naming a block, render just that block.

    The part htmx swaps is a named block inside the page template (templates mirror routes).
    """
    context = dict(context or {})
    if block and request.headers.get("hx-request") == "true":
        engine: JinjaTemplateEngine = request.app.template_engine  # type: ignore[assignment]
        tmpl = engine.engine.get_template(name)
        ctx = tmpl.new_context({"request": request, **context})
        html = "".join(tmpl.blocks[block](ctx))
        return Response(html, media_type="text/html", status_code=status, headers=headers)
    return Template(template_name=name, context=context, status_code=status, headers=headers)
