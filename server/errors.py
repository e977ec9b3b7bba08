"""Domain errors and how they become HTTP answers.

Services raise these; handlers never build error responses by hand. Every error page is
rendered in the person's language, with the CSP nonce, and never shows a stack trace.
"""
from __future__ import annotations

import hmac
import logging
from urllib.parse import quote

from litestar import Request, Response
from litestar.datastructures import Cookie
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    ValidationException,
)
from litestar.middleware.csrf import (
    CSRF_SECRET_LENGTH,
    generate_csrf_hash,
    generate_csrf_token,
)
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import Empty
from litestar.utils.scope.state import ScopeState

from server.i18n import N_, negotiate, set_locale
from server.i18n import gettext as _

log = logging.getLogger("tsunagu")


class DomainError(Exception):
    status = 400
    default = N_("The request could not be handled.")

    def __init__(self, message: str | None = None, *, fields: dict[str, str] | None = None) -> None:
        super().__init__(message or self.default)
        self.message = message or self.default
        self.fields = fields or {}


class NotFound(DomainError):
    """Also what an id outside the person's scope answers: we do not confirm it exists."""

    status = 404
    default = N_("This page does not exist, or you do not have access to it.")


class Invalid(DomainError):
    status = 422
    default = N_("Please check what you entered.")


class Conflict(DomainError):
    status = 409
    default = N_("This was changed by someone else. Please reload and try again.")


class Forbidden(DomainError):
    status = 403
    default = N_("You cannot do this.")


class NotSignedIn(DomainError):
    status = 401
    default = N_("Please sign in.")


class StepUpRequired(DomainError):
    """Opening full records, notes or exports needs a passkey check within the last 60 minutes."""

    status = 401
    default = N_("Please confirm it is you with your passkey.")


class RateLimited(DomainError):
    status = 429
    default = N_("Too many attempts. Please wait a moment and try again.")

    def __init__(self, retry_after: int) -> None:
        super().__init__()
        self.retry_after = max(1, int(retry_after))


TITLES = {
    400: N_("Something was wrong with the request"),
    401: N_("Please sign in"),
    403: N_("Not allowed"),
    404: N_("Page not found"),
    405: N_("Not allowed"),
    409: N_("Changed meanwhile"),
    413: N_("Too large"),
    422: N_("Please check what you entered"),
    429: N_("Too many attempts"),
    500: N_("Something went wrong on our side"),
    503: N_("Temporarily unavailable"),
}
MESSAGES = {
    400: N_("The request could not be handled."),
    401: N_("Please sign in."),
    403: N_("You cannot do this. If the page has been open a long time, reload it and try again."),
    404: N_("This page does not exist, or you do not have access to it."),
    405: N_("This address cannot be used that way."),
    409: N_("This was changed by someone else. Please reload and try again."),
    413: N_("The file or form is too large."),
    422: N_("Please check what you entered."),
    429: N_("Too many attempts. Please wait a moment and try again."),
    500: N_("Please try again in a moment. Nothing you entered was half-saved."),
    503: N_("Please try again in a moment."),
}


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _csrf_cookie_for_error_page(request: Request) -> Cookie | None:
    """Give an error page a working CSRF token (its language switch and sign-out are forms).

    The router's own 404/405 answer before the CSRF middleware runs, and a refused POST never
    gets a token: without this the page's forms would carry an empty token and fail again.
    """
    config = getattr(request.app, "csrf_config", None)
    if config is None:
        return None
    state = ScopeState.from_scope(request.scope)
    if state.csrf_token is not Empty and state.csrf_token:
        return None
    cookie = request.cookies.get(config.cookie_name, "")
    n = CSRF_SECRET_LENGTH
    if len(cookie) > n and hmac.compare_digest(cookie[n:], generate_csrf_hash(cookie[:n], config.secret)):
        state.csrf_token = cookie
        return None
    state.csrf_token = token = generate_csrf_token(config.secret)
    return Cookie(key=config.cookie_name, value=token, path=config.cookie_path, secure=config.cookie_secure,
                  httponly=config.cookie_httponly, samesite=config.cookie_samesite, domain=config.cookie_domain)


def error_response(request: Request, status: int, message: str | None = None,
                   headers: dict[str, str] | None = None, fields: dict[str, str] | None = None) -> Response:
    if not getattr(request.state, "locale_set", False):
        set_locale(negotiate(None, request.cookies.get("lang"), request.headers.get("accept-language")))
    title = _(TITLES.get(status, TITLES[400]))
    text = _(message) if message else _(MESSAGES.get(status, MESSAGES[400]))
    if _wants_json(request) or request.url.path == "/sync":
        return Response({"error": text, "fields": {k: _(v) for k, v in (fields or {}).items()}},
                        status_code=status, headers=headers)
    cookie = _csrf_cookie_for_error_page(request)
    return Template(template_name="errors/error.html",
                    context={"status": status, "title": title, "message": text, "fields": fields or {}},
                    status_code=status, headers=headers, cookies=[cookie] if cookie else None)


def domain_error_handler(request: Request, exc: DomainError) -> Response:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    if isinstance(exc, (NotSignedIn, StepUpRequired)) and not _wants_json(request) \
            and request.method == "GET" and "hx-request" not in request.headers:
        target = "/stepup" if isinstance(exc, StepUpRequired) else "/signin"
        # Keep the query (an export's table and format), encoded so it stays one parameter.
        wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return Redirect(f"{target}?next={quote(wanted, safe='/')}", status_code=303)
    return error_response(request, exc.status, exc.message, headers, exc.fields)


def http_error_handler(request: Request, exc: HTTPException) -> Response:
    # Keep the status and headers (Retry-After from a rate limit, Allow from a 405).
    status = exc.status_code
    headers = dict(exc.headers or {})
    if isinstance(exc, ValidationException):
        status = max(status, 400)
    if isinstance(exc, NotAuthorizedException) and "csrf" in str(exc.detail).lower():
        status = 403
    if status >= 500:
        log.error("HTTP %s on %s %s: %s", status, request.method, request.url.path, exc.detail)
    return error_response(request, status, None, headers)


def internal_error_handler(request: Request, exc: Exception) -> Response:
    log.exception("Unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(request, HTTP_500_INTERNAL_SERVER_ERROR)


EXCEPTION_HANDLERS = {
    DomainError: domain_error_handler,
    HTTPException: http_error_handler,
    Exception: internal_error_handler,
}
