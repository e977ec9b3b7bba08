"""Jinja environment, content-hashed static URLs, and page-or-block rendering for htmx."""
from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from litestar import Request
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Response, Template
from litestar.template.config import TemplateConfig

from server import i18n
from server.config import WEB
from server.security import nonce_for

STATIC = WEB / "static"


@lru_cache(maxsize=None)
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


@pass_context
def csp_nonce(ctx) -> str:  # noqa: ANN001
    return nonce_for(ctx["request"].scope)


@pass_context
def current_of(ctx):  # noqa: ANN001, ANN201
    """The request's Current (who is signed in), or None on pages rendered before it was resolved."""
    request = ctx.get("request")
    return getattr(request.state, "current", None) if request is not None else None


def make_environment() -> Environment:
    env = Environment(
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
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(env))


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
