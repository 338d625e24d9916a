"""Configuration: defaults, then instance/config.py, then the environment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parents[1]

# Only for development and tests; production refuses to start with it.
DEV_SECRET = "dev-only-secret-change-me"


class ConfigError(RuntimeError):
    """The configuration cannot run the application safely."""


def instance_path() -> str | None:
    """The per-deployment folder (config.py, the SQLite file, the outbox).

    INTAKE_INSTANCE_PATH names it; unset, Flask's default: instance/ beside the package.
    """
    return os.environ.get("INTAKE_INSTANCE_PATH") or None


def defaults(app: Flask) -> dict[str, Any]:
    """Settings every deployment starts from."""
    return {
        "SECRET_KEY": DEV_SECRET,
        "SQLALCHEMY_DATABASE_URI": "sqlite:///" + os.path.join(app.instance_path, "intake.sqlite"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "FORMS_DIR": str(PROJECT_ROOT / "forms"),
        "DEFAULT_QUESTIONNAIRE": "readiness",
        "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        "PRODUCTION": False,
        "MAIL_FROM": "Intake <no-reply@localhost>",
        "SMTP_HOST": None,
        "SMTP_PORT": 25,
        "SMTP_STARTTLS": False,
        "SMTP_USERNAME": None,
        "SMTP_PASSWORD": None,
        "REDIS_URL": None,
        # Background jobs (brief PDFs, urgent notices): "auto" runs them on RQ when REDIS_URL
        # is set (`flask --app intake jobs worker`), else on a background thread of the web
        # process; "eager" runs them at once in the caller (tests).
        "JOB_RUNNER": "auto",
        "JOB_QUEUE": "intake-jobs",
        # How often the worker (or, in the embedded default, the web process) looks for jobs
        # that are due (a retry, an escalation) or whose runner died.
        "JOB_SWEEP_SECONDS": 10,
        "BRIEF_RETRY_DELAYS": (10, 60),
        # The longest one brief's layout may take; it runs in a child process stopped there.
        "BRIEF_TIME_LIMIT": 120,
        # An urgent notice that could not be sent is tried again after these waits (the last
        # one repeats, for ever: it is never dropped).
        "NOTIFY_RETRY_DELAYS": (30, 60, 120, 300, 600),
        "STAFF_IDLE_MINUTES": 15,
        # A staff session ends this long after sign-in, however active.
        "STAFF_SESSION_HOURS": 12,
        # Counters of failed sign-ins and floods (intake/throttle.py): Redis when REDIS_URL
        # or THROTTLE_STORAGE_URL is set (shared by every web process), else memory.
        "THROTTLE_STORAGE_URL": None,
        "THROTTLE_RULES": {},
        "THROTTLE_PREFIX": "intake",
        # How many reverse proxies in front set X-Forwarded-For/-Proto (0: none trusted).
        "TRUSTED_PROXIES": 0,
        # Webhooks on submission: the waits between tries, and how long one call may take.
        # In production only public HTTPS addresses are called (WEBHOOK_ALLOW_PRIVATE).
        "WEBHOOK_RETRY_DELAYS": (30, 120, 600, 1800, 3600),
        "WEBHOOK_TIMEOUT": 10,
        "STAFF_INVITE_DAYS": 7,
        "PASSWORD_RESET_MINUTES": 60,
    }


def from_environment() -> dict[str, Any]:
    """Settings named in the environment, which win over files."""
    env: dict[str, Any] = {}
    if url := os.environ.get("INTAKE_DATABASE_URL"):
        env["SQLALCHEMY_DATABASE_URI"] = url
    if secret := os.environ.get("SECRET_KEY"):
        env["SECRET_KEY"] = secret
    if base := os.environ.get("INTAKE_PUBLIC_BASE_URL"):
        env["PUBLIC_BASE_URL"] = base.rstrip("/")
    for name in ("SMTP_HOST", "SMTP_PORT", "SMTP_USERNAME", "SMTP_PASSWORD", "MAIL_FROM"):
        if value := os.environ.get(f"INTAKE_{name}"):
            env[name] = value
    if os.environ.get("INTAKE_SMTP_STARTTLS", "").lower() in ("1", "true", "yes"):
        env["SMTP_STARTTLS"] = True
    if idle := os.environ.get("INTAKE_STAFF_IDLE_MINUTES"):
        env["STAFF_IDLE_MINUTES"] = int(idle)
    if hours := os.environ.get("INTAKE_STAFF_SESSION_HOURS"):
        env["STAFF_SESSION_HOURS"] = int(hours)
    if proxies := os.environ.get("INTAKE_TRUSTED_PROXIES"):
        env["TRUSTED_PROXIES"] = int(proxies)
    if redis := os.environ.get("INTAKE_REDIS_URL"):
        env["REDIS_URL"] = redis
    if os.environ.get("INTAKE_PRODUCTION", "").lower() in ("1", "true", "yes"):
        env["PRODUCTION"] = True
    return env


def check(app: Flask) -> None:
    """Refuse to start in production without a real secret; production cookies are locked."""
    if app.config["PRODUCTION"]:
        secret = app.config.get("SECRET_KEY")
        if not secret or secret == DEV_SECRET or len(str(secret)) < 32:
            raise ConfigError(
                "SECRET_KEY is missing or too short for production: set SECRET_KEY in the"
                " environment or instance/config.py to a random string of 32+ characters"
                " (python -c 'import secrets; print(secrets.token_hex(32))')."
            )
        # __Host-: only ever set over HTTPS, for this exact host and path "/", so neither a
        # sibling subdomain nor plain HTTP can plant or read it.
        app.config["SESSION_COOKIE_NAME"] = "__Host-session"
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["SESSION_COOKIE_PATH"] = "/"
        app.config["SESSION_COOKIE_DOMAIN"] = None
        app.config["PREFERRED_URL_SCHEME"] = "https"
