"""The JSON API at /api/v1/: one blueprint, its token gate, rate limit, audit and JSON errors.

A request carries `Authorization: Bearer <token>`; the token names the clinic, so every query
is scoped to it (another clinic's records answer 404, as on staff pages). Sessions and cookies
play no part: nothing here reads the signed-in person, so a browser gets nothing without a
token, and the audit entry names the token, never a person.
"""

from __future__ import annotations

from flask import Blueprint, g, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from .. import api_tokens, throttle
from ..models import ApiScope, ApiToken
from ..web import csrf
from .errors import JSON_ERRORS, error

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # no cookies are read here: a token in a header cannot be forged by a page

# Endpoints anyone may read (the API's description).
PUBLIC = {"api.openapi"}


def token() -> ApiToken:
    """The token of this request (the gate has checked it)."""
    found: ApiToken = g.api_token
    return found


def may_invite() -> bool:
    """Whether this request's token may create invitations."""
    return token().scope == ApiScope.READ_INVITE


@bp.before_request
def gate() -> Response | None:
    """Token, then rate limit; nothing else of the request is looked at before both pass."""
    if request.endpoint in PUBLIC:
        return None
    found = api_tokens.authenticate(request.headers.get("Authorization"))
    if found is None:
        return error(401)
    g.api_token = found
    wait = throttle.take("api_token", found.id)
    if wait:
        response = error(429)
        response.headers["Retry-After"] = str(wait)
        return response
    return None


@bp.after_request
def audited(response: Response) -> Response:
    """Every request made with a token is audited, refused ones too."""
    found = g.get("api_token")
    if found is not None:
        api_tokens.record_use(found, request.method, request.path, response.status_code)
    return response


@bp.teardown_request
def _forget(_: BaseException | None) -> None:
    # One request's token and identity never outlive it (tests share one app context).
    g.pop("api_token", None)


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException) -> Response:
    """Errors raised by the API's views, as JSON."""
    return error(exc.code or 500, None if exc.code in JSON_ERRORS else exc.description)


def is_api_request() -> bool:
    """Whether the request is for the API (its errors are JSON, even before routing)."""
    return request.path.startswith(bp.url_prefix or "/api/v1")


from . import routes  # noqa: E402,F401  (routes on bp)
