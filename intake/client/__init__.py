"""The client's side: one blueprint for the intake link, its pages, and self-referral."""

from __future__ import annotations

from flask import Blueprint, g

from ..accounts.auth import login_manager

bp = Blueprint("client", __name__)


@bp.before_request
def _as_the_link_holder() -> None:
    # A client's pages act for the holder of the link alone, never as a staff member signed
    # in in the same browser (nothing done here is theirs). Nor do they load the staff
    # sign-in: its "strong" protection finds a session with no staff member's mark and
    # rewrites it, so every page the client opened signed the session cookie again and sent
    # a remember-me deletion. Flask-Login's own setter (private, like g._login_user below;
    # test_client_pages_leave_the_cookies_alone notices if either changes).
    login_manager._update_request_context_with_user()  # the anonymous user


@bp.teardown_request
def _end_as_the_link_holder(_: BaseException | None) -> None:
    # Only for this request, where one app context serves several (a test's requests).
    g.pop("_login_user", None)


from . import autosave, branding, goals, referral, wizard  # noqa: E402,F401  (routes on bp)
