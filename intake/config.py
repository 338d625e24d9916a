"""Configuration: defaults, then instance/config.py, then the environment."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from . import crypto

PROJECT_ROOT = Path(__file__).resolve().parents[1]

# Only for development and tests; production refuses to start with it.
DEV_SECRET = "dev-only-secret-change-me"
# Where `make run` serves; production refuses to start without a real public address.
DEV_BASE_URL = "http://127.0.0.1:5000"
TRUE = ("1", "true", "yes")


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
        # A pool per process: see pool_options() and the README's "Deploying".
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        "DB_POOL_SIZE": 5,
        "DB_MAX_OVERFLOW": 5,
        "DB_PGBOUNCER": False,
        "FORMS_DIR": str(PROJECT_ROOT / "forms"),
        "DEFAULT_QUESTIONNAIRE": "readiness",
        # The address clients reach (INTAKE_PUBLIC_BASE_URL). Unset, links use the address the
        # app serves (see mail.base_url); production requires it.
        "PUBLIC_BASE_URL": None,
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
        # Embedded (no Redis): the web process sweeps for due jobs itself.
        "WEB_SWEEPER": True,
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
        # Production: SQLite only when asked for; logs as JSON lines; /metrics for scrapers.
        "ALLOW_SQLITE": False,
        "LOG_FORMAT": None,
        "METRICS_TOKEN": None,
        "METRICS_NETWORKS": ("127.0.0.0/8", "::1/128"),
        # Client data at rest (intake/crypto.py): AES-GCM keys, the first encrypts and all
        # decrypt; the blind-index keys of name search, the first writes and all are looked
        # up (SEARCH_KEY: one key, as before; SEARCH_KEYS, when set, takes its place). Unset
        # outside production: a key file made once in the instance folder (mode 0600).
        # Production requires both kinds.
        "ENCRYPTION_KEYS": None,
        "SEARCH_KEYS": None,
        "SEARCH_KEY": None,
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
    if os.environ.get("INTAKE_SMTP_STARTTLS", "").lower() in TRUE:
        env["SMTP_STARTTLS"] = True
    if idle := os.environ.get("INTAKE_STAFF_IDLE_MINUTES"):
        env["STAFF_IDLE_MINUTES"] = int(idle)
    if hours := os.environ.get("INTAKE_STAFF_SESSION_HOURS"):
        env["STAFF_SESSION_HOURS"] = int(hours)
    if proxies := os.environ.get("INTAKE_TRUSTED_PROXIES"):
        env["TRUSTED_PROXIES"] = int(proxies)
    if os.environ.get("INTAKE_WEB_SWEEPER", "").lower() in ("0", "false", "no"):
        env["WEB_SWEEPER"] = False
    if redis := os.environ.get("INTAKE_REDIS_URL"):
        env["REDIS_URL"] = redis
    if os.environ.get("INTAKE_PRODUCTION", "").lower() in TRUE:
        env["PRODUCTION"] = True
    if os.environ.get("INTAKE_ALLOW_SQLITE", "").lower() in TRUE:
        env["ALLOW_SQLITE"] = True
    if os.environ.get("INTAKE_DB_PGBOUNCER", "").lower() in TRUE:
        env["DB_PGBOUNCER"] = True
    for name in ("DB_POOL_SIZE", "DB_MAX_OVERFLOW"):
        if value := os.environ.get(f"INTAKE_{name}"):
            env[name] = int(value)
    if log_format := os.environ.get("INTAKE_LOG_FORMAT"):
        env["LOG_FORMAT"] = log_format
    if token := os.environ.get("INTAKE_METRICS_TOKEN"):
        env["METRICS_TOKEN"] = token
    if keys := os.environ.get("INTAKE_ENCRYPTION_KEYS"):
        env["ENCRYPTION_KEYS"] = keys
    if search := os.environ.get("INTAKE_SEARCH_KEY"):
        env["SEARCH_KEY"] = search
    if searches := os.environ.get("INTAKE_SEARCH_KEYS"):
        env["SEARCH_KEYS"] = searches
    if networks := os.environ.get("INTAKE_METRICS_NETWORKS"):
        env["METRICS_NETWORKS"] = tuple(n.strip() for n in networks.split(",") if n.strip())
    return env


def check(app: Flask) -> None:
    """Refuse to start in production without a real secret, PostgreSQL, Redis or a public URL;
    production cookies are locked."""
    cfg = app.config
    if cfg["PRODUCTION"]:
        secret = cfg.get("SECRET_KEY")
        if not secret or secret == DEV_SECRET or len(str(secret)) < 32:
            raise ConfigError(
                "SECRET_KEY is missing or too short for production: set SECRET_KEY in the"
                " environment or instance/config.py to a random string of 32+ characters"
                " (python -c 'import secrets; print(secrets.token_hex(32))')."
            )
        if str(cfg["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite") and not cfg["ALLOW_SQLITE"]:
            raise ConfigError(
                "Production mode runs on PostgreSQL: set INTAKE_DATABASE_URL="
                "postgresql+psycopg://USER@HOST:5432/DB. A single machine with one web process"
                " may keep SQLite if you set INTAKE_ALLOW_SQLITE=1 (see the README's Deploying)."
            )
        if not cfg.get("REDIS_URL"):
            raise ConfigError(
                "Production mode needs Redis for background jobs (brief PDFs): set"
                " INTAKE_REDIS_URL=redis://HOST:6379/0 and run `flask --app intake jobs worker`."
            )
        if not cfg.get("PUBLIC_BASE_URL") or cfg["PUBLIC_BASE_URL"] == DEV_BASE_URL:
            raise ConfigError(
                "Production mode needs the address clients reach, for the links in emails and"
                " on pages: set INTAKE_PUBLIC_BASE_URL, e.g. https://intake.example.org."
            )
        if not cfg.get("ENCRYPTION_KEYS") or not crypto.search_keys(cfg):
            raise ConfigError(
                "Production mode needs the keys that encrypt client data at rest: set"
                " INTAKE_ENCRYPTION_KEYS and INTAKE_SEARCH_KEYS (or INTAKE_SEARCH_KEY; each"
                " key from `flask --app intake keys generate`), kept apart from the database's"
                " backups."
            )
        # __Host-: only ever set over HTTPS, for this exact host and path "/", so neither a
        # sibling subdomain nor plain HTTP can plant or read it.
        cfg["SESSION_COOKIE_NAME"] = "__Host-session"
        cfg["SESSION_COOKIE_SECURE"] = True
        cfg["SESSION_COOKIE_PATH"] = "/"
        cfg["SESSION_COOKIE_DOMAIN"] = None
        cfg["PREFERRED_URL_SCHEME"] = "https"
    cfg["SQLALCHEMY_ENGINE_OPTIONS"] = pool_options(cfg)


def pool_options(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Engine options: one pool per process, checked before use, named in pg_stat_activity.

    pool_pre_ping replaces a connection that PostgreSQL (or a failover, or PgBouncer) closed
    since its last use, so a restarted database costs no failed requests. Each gunicorn
    worker holds up to DB_POOL_SIZE + DB_MAX_OVERFLOW connections.
    """
    options = dict(cfg.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if str(cfg["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        options.setdefault("pool_size", int(cfg["DB_POOL_SIZE"]))
        options.setdefault("max_overflow", int(cfg["DB_MAX_OVERFLOW"]))
        options.setdefault("pool_timeout", 10)
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("application_name", f"intake-{process_role()}")
        connect_args.setdefault("connect_timeout", 5)
        if cfg.get("DB_PGBOUNCER"):
            # Transaction pooling hands each transaction any server connection: psycopg's
            # server-side prepared statements would not be there.
            connect_args["prepare_threshold"] = None
        options["connect_args"] = connect_args
    return options


def process_role() -> str:
    """What this process is, as PostgreSQL and the logs name it: web, worker or cli.

    gunicorn.conf.py sets INTAKE_PROCESS_ROLE=web; `briefs worker` is recognised by name.
    """
    if role := os.environ.get("INTAKE_PROCESS_ROLE"):
        return role
    return "worker" if "worker" in sys.argv[1:] else "cli"
