"""The staff area: one blueprint, its sign-in gate, its 403 page and its template helpers."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user
from werkzeug.wrappers import Response

from ..accounts.auth import has_password, login_manager
from ..brief.build import reach_of
from ..brief.content import language_name
from ..clinics import missing_crisis_contacts
from ..follow_up import waited
from ..models import Staff
from ..questionnaire.follow_ups import staff_words

bp = Blueprint("staff", __name__, url_prefix="/staff")

# Endpoints anyone may reach; every other staff route needs a signed-in user.
PUBLIC: set[str] = {"staff.login"}


@bp.before_request
def require_login() -> Response | None:
    """The one place that keeps anonymous visitors out of the staff area."""
    if current_user.is_authenticated:
        return None
    ended = accounts.session_ended()  # ended on the server: say why
    if ended is not None:
        return ended
    if request.endpoint not in PUBLIC:
        return login_manager.unauthorized()
    return None


def public(endpoint: str) -> None:
    """Mark an endpoint (such as a password reset page) as reachable without sign-in."""
    PUBLIC.add(endpoint)


@bp.errorhandler(403)
def forbidden(_: Exception) -> tuple[str, int]:
    """A page that says why, instead of a bare 403."""
    return render_template("staff/forbidden.html"), 403


def account_state(member: Staff) -> str:
    """Active, invited (no password yet) or deactivated."""
    if not member.active:
        return "Deactivated"
    return "Active" if has_password(member) else "Invited, not joined yet"


def crisis_missing() -> list[str]:
    """What the signed-in person's clinic must still set before clients can be invited."""
    if not current_user.is_authenticated:
        return []
    return missing_crisis_contacts(current_user.clinic)


@bp.context_processor
def _helpers() -> dict[str, object]:
    return {
        "account_state": account_state,
        "crisis_missing": crisis_missing,
        "reach_of": reach_of,
        "waited": waited,
        "language_name": language_name,
        "follow_up_words": staff_words,
    }


from . import (  # noqa: E402,F401  (routes on bp)
    account,
    accounts,
    api_access,
    audit_log,
    brief_pages,
    clients,
    exports,
    intake_sets,
    invitations,
    questionnaires,
    rights,
    settings,
    team,
    workspace,
)
