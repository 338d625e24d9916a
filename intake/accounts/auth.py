"""Staff sign-in: argon2 password hashes, password strength, Flask-Login and the sign-in steps."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable, Sequence
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app, g, session
from flask_login import LoginManager, login_user, logout_user
from zxcvbn import zxcvbn

from ..db import db
from ..models import Staff
from . import sessions

_hasher = PasswordHasher()
login_manager = LoginManager()
login_manager.login_view = "staff.login"
login_manager.login_message = "Please sign in to see this page."
login_manager.session_protection = "strong"

# What an invited person's password hash holds until they set one: nothing verifies against it.
NO_PASSWORD = ""
# Seconds since the epoch of the staff member's last request, kept in the signed session.
LAST_SEEN = "staff_last_seen"
# Long enough to resist guessing, short enough to remember as a phrase.
MIN_PASSWORD = 12
# zxcvbn's 0-4 score: 3 is "safely unguessable" against an online attack with throttling.
MIN_STRENGTH = 3
# A sign-in half done (password right; a clinic to choose or a code to give), in the session.
PENDING = "pending_sign_in"
PENDING_SECONDS = 300


def init_app(app: Flask) -> None:
    """Attach the login manager to the app."""
    login_manager.init_app(app)

    @app.before_request
    def _fresh() -> None:
        # Per-request notes start empty, even where one app context serves many requests.
        g.pop("staff_session", None)
        g.pop("session_ended", None)


@login_manager.user_loader
def _load_user(session_id: str) -> Staff | None:
    # The id carries a fingerprint of the password (Staff.get_id), and the session's row on
    # the server must still be live: sign-out, a new password, deactivation or "sign out
    # everywhere" end it there, so a copy of the cookie stops working at once.
    user_id, _, _ = session_id.partition(":")
    staff = db.session.get(Staff, int(user_id)) if user_id.isdigit() else None
    if staff is None or not staff.active or staff.get_id() != session_id:
        return None
    row, ended = sessions.current(staff)
    if row is None:
        if ended:
            g.session_ended = (staff.id, staff.clinic_id, ended)
        return None
    return staff


# Passwords -----------------------------------------------------------------------------


def hash_password(password: str) -> str:
    """An argon2id hash of a password."""
    return _hasher.hash(password)


def has_password(staff: Staff) -> bool:
    """Whether the person has set a password (an invitation not yet accepted has none)."""
    return staff.password_hash != NO_PASSWORD


_dummy: dict[int, str] = {}


def _dummy_hash() -> str:
    """A hash of a random password with the hasher's own parameters, made once per hasher."""
    key = id(_hasher)
    if key not in _dummy:
        _dummy[key] = _hasher.hash(secrets.token_hex(16))
    return _dummy[key]


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def verify_password(staff: Staff | None, password: str) -> bool:
    """Whether the password is right; with no account, the same argon2 work on a dummy hash."""
    if staff is None or not has_password(staff):
        # Verify anyway, against a hash of the same cost: the response time must not tell
        # which emails have accounts.
        _verify(_dummy_hash(), password)
        return False
    return _verify(staff.password_hash, password)


def matching(accounts: Sequence[Staff], password: str) -> list[Staff]:
    """The accounts (one email, perhaps at several clinics) this password opens.

    Always at least one argon2 verification, so an unknown email costs what a known one does.
    """
    usable = [staff for staff in accounts if has_password(staff)]
    if not usable:
        verify_password(None, password)
        return []
    return [staff for staff in usable if _verify(staff.password_hash, password)]


def password_problem(password: str, context: Iterable[str] = ()) -> str | None:
    """Why a new password is refused (too short, common, or easy to guess), or None."""
    if len(password) < MIN_PASSWORD:
        return f"Please use at least {MIN_PASSWORD} characters."
    texts = [str(text) for text in context if text]
    words = texts + [w for text in texts for w in text.replace("@", " ").split() if w]
    # zxcvbn (offline): dictionaries of common and breached passwords, names, keyboard
    # patterns, dates and repeats; the first 72 characters are plenty to judge.
    result = zxcvbn(password[:72], user_inputs=words[:20])
    if result["score"] >= MIN_STRENGTH:
        return None
    feedback = result.get("feedback") or {}
    hint = feedback.get("warning") or ""
    tips = " ".join(feedback.get("suggestions") or [])
    advice = " ".join(part for part in (hint, tips) if part)
    return (
        "This password is too easy to guess"
        + (f": {advice}" if advice else ".")
        + " A few unrelated words make a strong one."
    )


# Sessions ------------------------------------------------------------------------------


def start_session(staff: Staff) -> None:
    """Sign a staff member in on this browser and start the idle clock (caller commits)."""
    # A fresh session: nothing from before sign-in (such as the CSRF secret) carries over.
    session.clear()
    login_user(staff)
    sessions.begin(staff)
    session[LAST_SEEN] = time.time()


def login_user_again(staff: Staff) -> None:
    """Keep this browser signed in after its own password change (the id follows the hash)."""
    login_user(staff)


def end_session(reason: str = "manual") -> None:
    """Sign out on this browser, ending its session on the server too."""
    sessions.end(reason)
    logout_user()
    session.pop(LAST_SEEN, None)
    session.pop(sessions.TOKEN, None)


def idle_too_long() -> bool:
    """Whether the signed-in session saw no request for STAFF_IDLE_MINUTES (or has no clock)."""
    last_seen = session.get(LAST_SEEN)
    limit = float(current_app.config["STAFF_IDLE_MINUTES"]) * 60
    return not isinstance(last_seen, int | float) or time.time() - last_seen > limit


def touch_session() -> None:
    """Note activity now, so the idle limit counts from this request."""
    session[LAST_SEEN] = time.time()
    sessions.seen()


# A sign-in in steps ----------------------------------------------------------------------


def begin_pending(staff_ids: list[int], step: str, next_url: str, **extra: Any) -> None:
    """Remember a half-done sign-in (password checked) for a few minutes, in a fresh session."""
    session.clear()
    session[PENDING] = {
        "ids": staff_ids,
        "step": step,
        "at": time.time(),
        "next": next_url,
        **extra,
    }


def pending(step: str) -> dict[str, Any] | None:
    """The half-done sign-in at this step, if it is fresh."""
    state = session.get(PENDING)
    if not isinstance(state, dict) or state.get("step") != step:
        return None
    at = state.get("at")
    if not isinstance(at, int | float) or time.time() - at > PENDING_SECONDS:
        session.pop(PENDING, None)
        return None
    return state


def pending_staff(state: dict[str, Any]) -> list[Staff]:
    """The active accounts a half-done sign-in is for."""
    ids = [i for i in state.get("ids", []) if isinstance(i, int)]
    found = [db.session.get(Staff, i) for i in ids]
    return [staff for staff in found if staff is not None and staff.active]


def drop_pending() -> None:
    """Forget a half-done sign-in."""
    session.pop(PENDING, None)
