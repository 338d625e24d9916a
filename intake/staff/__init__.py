"""The staff area: one blueprint, its sign-in gate shared by every route in it."""

from __future__ import annotations

from flask import Blueprint, request
from flask_login import current_user
from werkzeug.wrappers import Response

from ..auth import login_manager

bp = Blueprint("staff", __name__, url_prefix="/staff")

# Endpoints anyone may reach; every other staff route needs a signed-in user.
PUBLIC: set[str] = {"staff.login"}


@bp.before_request
def require_login() -> Response | None:
    """The one place that keeps anonymous visitors out of the staff area."""
    if request.endpoint not in PUBLIC and not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


def public(endpoint: str) -> None:
    """Mark an endpoint (such as a password reset page) as reachable without sign-in."""
    PUBLIC.add(endpoint)


from . import accounts, admin, audit_log, briefs, workspace  # noqa: E402,F401  (routes on bp)
