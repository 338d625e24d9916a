"""Staff sign-in: argon2 password hashes, Flask-Login sessions and their idle limit."""

from __future__ import annotations

import time

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app, session
from flask_login import LoginManager, login_user, logout_user

from ..db import db
from ..models import Staff

_hasher = PasswordHasher()
login_manager = LoginManager()
login_manager.login_view = "staff.login"
login_manager.login_message = "Please sign in to see this page."
login_manager.session_protection = "strong"

# What an invited person's password hash holds until they set one: nothing verifies against it.
NO_PASSWORD = ""
# Seconds since the epoch of the staff member's last request, kept in the signed session.
LAST_SEEN = "staff_last_seen"


def init_app(app: Flask) -> None:
    """Attach the login manager to the app."""
    login_manager.init_app(app)


@login_manager.user_loader
def _load_user(session_id: str) -> Staff | None:
    # The id carries a fingerprint of the password (Staff.get_id): a reset ends other sessions,
    # and a deactivated account is signed out on its next request.
    user_id, _, _ = session_id.partition(":")
    staff = db.session.get(Staff, int(user_id)) if user_id.isdigit() else None
    if staff is None or not staff.active or staff.get_id() != session_id:
        return None
    return staff


def hash_password(password: str) -> str:
    """An argon2id hash of a password."""
    return _hasher.hash(password)


def has_password(staff: Staff) -> bool:
    """Whether the person has set a password (an invitation not yet accepted has none)."""
    return staff.password_hash != NO_PASSWORD


def verify_password(staff: Staff | None, password: str) -> bool:
    """Whether the password is right; also spends the same time when there is no user."""
    if staff is None or not has_password(staff):
        # Hash anyway so response time does not tell which emails have accounts.
        _hasher.hash(password)
        return False
    try:
        return _hasher.verify(staff.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def start_session(staff: Staff) -> None:
    """Sign a staff member in on this browser and start the idle clock."""
    # A fresh session: nothing from before sign-in (such as the CSRF secret) carries over.
    session.clear()
    login_user(staff)
    session[LAST_SEEN] = time.time()


def end_session() -> None:
    """Sign out on this browser."""
    logout_user()
    session.pop(LAST_SEEN, None)


def idle_too_long() -> bool:
    """Whether the signed-in session saw no request for STAFF_IDLE_MINUTES (or has no clock)."""
    last_seen = session.get(LAST_SEEN)
    limit = float(current_app.config["STAFF_IDLE_MINUTES"]) * 60
    return not isinstance(last_seen, int | float) or time.time() - last_seen > limit


def touch_session() -> None:
    """Note activity now, so the idle limit counts from this request."""
    session[LAST_SEEN] = time.time()
