"""Configuration: defaults, instance file, environment, and a safe production start.

Every test here points INTAKE_INSTANCE_PATH at its own empty folder, so a developer's
instance/config.py can never change what they see.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from intake import create_app, crypto
from intake.config import ConfigError

# Reads and writes no database: run once, in the SQLite pass (tests/conftest.py).
pytestmark = pytest.mark.no_database

# What production mode needs, all set: each refusal test takes one away.
PRODUCTION_ENV = {
    "SECRET_KEY": "x" * 40,
    "INTAKE_DATABASE_URL": "postgresql+psycopg://intake@db.internal:5432/intake",
    "INTAKE_REDIS_URL": "redis://redis.internal:6379/0",
    "INTAKE_PUBLIC_BASE_URL": "https://intake.north.example",
    "INTAKE_ENCRYPTION_KEYS": "ZG9ub3R1c2VvdXRzaWRldGVzdHN0aGlzaXNhdGVzdGs=",
    "INTAKE_SEARCH_KEY": "c2VhcmNoLWtleS1mb3ItdGVzdHMtb25seS0zMi1ieXQ=",
}


@pytest.fixture(autouse=True)
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty instance folder of the test's own, and no deployment settings inherited."""
    monkeypatch.setenv("INTAKE_INSTANCE_PATH", str(tmp_path))
    for name in (
        *PRODUCTION_ENV,
        "INTAKE_SEARCH_KEYS",
        "INTAKE_PRODUCTION",
        "INTAKE_ALLOW_SQLITE",
        "INTAKE_DB_PGBOUNCER",
    ):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_production_without_secret_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTAKE_PRODUCTION", "1")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()


def test_production_with_secret_starts_with_secure_cookies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("INTAKE_PRODUCTION", "1")
    for name, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("INTAKE_DATABASE_URL", "sqlite:///:memory:")
    monkeypatch.setenv("INTAKE_ALLOW_SQLITE", "1")
    app = create_app()
    assert app.config["SECRET_KEY"] == "x" * 40
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///:memory:"


def test_test_config_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTAKE_DATABASE_URL", "sqlite:///elsewhere.sqlite")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///:memory:", "TESTING": True})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///:memory:"


def test_the_instance_file_is_read_and_the_environment_wins(
    instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (instance / "config.py").write_text(
        "MAIL_FROM = 'North <intake@north.example>'\nSTAFF_IDLE_MINUTES = 30\n"
    )
    monkeypatch.setenv("INTAKE_STAFF_IDLE_MINUTES", "20")
    app = create_app()
    assert app.instance_path == str(instance)
    assert app.config["MAIL_FROM"] == "North <intake@north.example>"
    assert app.config["STAFF_IDLE_MINUTES"] == 20
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance}/intake.sqlite"


def test_the_development_secret_is_refused_in_production(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from intake.config import DEV_SECRET

    monkeypatch.setenv("INTAKE_PRODUCTION", "1")
    monkeypatch.setenv("SECRET_KEY", DEV_SECRET)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()


def test_production_cookies_are_host_only_secure_and_http_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("INTAKE_PRODUCTION", "1")
    for name, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("INTAKE_DATABASE_URL", "sqlite:///:memory:")
    monkeypatch.setenv("INTAKE_ALLOW_SQLITE", "1")
    app = create_app()
    response = app.test_client().get("/staff/login", base_url="https://intake.example")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=")
    for part in ("Secure", "HttpOnly", "Path=/", "SameSite=Lax"):
        assert part in cookie, cookie
    assert "Domain=" not in cookie


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("INTAKE_DATABASE_URL", "sqlite:////srv/intake.sqlite", "runs on PostgreSQL"),
        ("INTAKE_REDIS_URL", None, "needs Redis for background jobs"),
        ("INTAKE_PUBLIC_BASE_URL", None, "INTAKE_PUBLIC_BASE_URL"),
        ("INTAKE_PUBLIC_BASE_URL", "http://127.0.0.1:5000", "INTAKE_PUBLIC_BASE_URL"),
        ("SECRET_KEY", "dev-only-secret-change-me", "SECRET_KEY"),
        ("INTAKE_ENCRYPTION_KEYS", None, "INTAKE_ENCRYPTION_KEYS"),
        ("INTAKE_SEARCH_KEY", None, "INTAKE_SEARCH_KEYS"),
    ],
)
def test_production_refuses_to_start_without_what_it_needs(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str | None, message: str
) -> None:
    monkeypatch.setenv("INTAKE_PRODUCTION", "1")
    for key, good in PRODUCTION_ENV.items():
        monkeypatch.setenv(key, good)
    if value is None:
        monkeypatch.delenv(name)
    else:
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        create_app()


def test_production_starts_with_postgresql_redis_and_a_public_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("INTAKE_PRODUCTION", "1")
    for key, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(key, value)
    app = create_app()
    assert app.config["PUBLIC_BASE_URL"] == "https://intake.north.example"
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    # One pool per process, checked before each use, named in pg_stat_activity.
    assert options["pool_pre_ping"] is True and options["hide_parameters"] is True
    assert options["pool_size"] == 5 and options["max_overflow"] == 5
    assert options["connect_args"]["application_name"].startswith("intake-")


def test_pgbouncer_mode_prepares_no_statements(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(key, value)
    assert (
        "prepare_threshold" not in create_app().config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]
    )
    monkeypatch.setenv("INTAKE_DB_PGBOUNCER", "1")
    options = create_app().config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["connect_args"]["prepare_threshold"] is None


def test_sqlite_in_production_only_when_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTAKE_PRODUCTION", "1")
    for key, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("INTAKE_DATABASE_URL", "sqlite:////srv/intake.sqlite")
    monkeypatch.setenv("INTAKE_ALLOW_SQLITE", "1")
    assert create_app().config["SQLALCHEMY_DATABASE_URI"] == "sqlite:////srv/intake.sqlite"


def test_the_embedded_default_needs_nothing(instance: Path) -> None:
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance}/intake.sqlite"
    # Its encryption keys are made once in the instance folder, readable by its owner only,
    # and the next start reads the same ones.
    keys = instance / crypto.KEY_FILE
    assert keys.stat().st_mode & 0o777 == 0o600
    first = app.extensions["intake_keyring"]
    assert create_app().extensions["intake_keyring"] == first
    assert app.config["REDIS_URL"] is None and not app.config["PRODUCTION"]


def test_configured_keys_win_and_a_bad_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = crypto.new_key(), crypto.new_key()
    monkeypatch.setenv("INTAKE_ENCRYPTION_KEYS", f"{new}, {old}")
    monkeypatch.setenv("INTAKE_SEARCH_KEY", crypto.new_key())
    ring = create_app().extensions["intake_keyring"]
    decoded = [base64.urlsafe_b64decode(k) for k in (new, old)]
    assert [kid for kid, _ in ring.keys] == [crypto.key_id(k) for k in decoded]
    monkeypatch.setenv("INTAKE_ENCRYPTION_KEYS", "too-short")
    with pytest.raises(crypto.CryptoError, match="32 bytes"):
        create_app()


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"INTAKE_SEARCH_KEY": "old"}, ["old"]),
        ({"INTAKE_SEARCH_KEYS": "new,old"}, ["new", "old"]),
        ({"INTAKE_SEARCH_KEYS": "new, old", "INTAKE_SEARCH_KEY": "old"}, ["new", "old"]),
        # After a rotation: a leaked key left in INTAKE_SEARCH_KEY is no longer used.
        ({"INTAKE_SEARCH_KEYS": "new", "INTAKE_SEARCH_KEY": "old"}, ["new"]),
    ],
)
def test_production_starts_with_the_search_keys_newest_first(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], expected: list[str]
) -> None:
    made = {"old": crypto.new_key(), "new": crypto.new_key()}
    monkeypatch.setenv("INTAKE_PRODUCTION", "1")
    for key, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("INTAKE_SEARCH_KEY")
    for key, value in environment.items():
        monkeypatch.setenv(key, ", ".join(made[k.strip()] for k in value.split(",")))
    ring = create_app().extensions["intake_keyring"]
    assert ring.search_keys == tuple(base64.urlsafe_b64decode(made[k]) for k in expected)
    monkeypatch.setenv("INTAKE_SEARCH_KEYS", f"{made['new']},not-a-key")
    with pytest.raises(crypto.CryptoError, match="32 bytes"):
        create_app()
