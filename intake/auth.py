"""Staff sign-in: password hashing with argon2 and Flask-Login sessions."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask
from flask_login import LoginManager

from .db import db
from .models import Staff

_hasher = PasswordHasher()
login_manager = LoginManager()
login_manager.login_view = "staff.login"
login_manager.login_message = "Please sign in to see this page."
login_manager.session_protection = "strong"


def init_app(app: Flask) -> None:
    """Attach the login manager to the app."""
    login_manager.init_app(app)


@login_manager.user_loader
def _load_user(user_id: str) -> Staff | None:
    return db.session.get(Staff, int(user_id)) if user_id.isdigit() else None


def hash_password(password: str) -> str:
    """An argon2id hash of a password."""
    return _hasher.hash(password)


def verify_password(staff: Staff | None, password: str) -> bool:
    """Whether the password is right; also spends the same time when there is no user."""
    if staff is None:
        # Hash anyway so response time does not tell which emails have accounts.
        _hasher.hash(password)
        return False
    try:
        return _hasher.verify(staff.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
