"""Configuration: defaults, instance file, environment, and a safe production start.

Every test here points INTAKE_INSTANCE_PATH at its own empty folder, so a developer's
instance/config.py can never change what they see.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from intake import create_app
from intake.config import ConfigError


@pytest.fixture(autouse=True)
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty instance folder of the test's own, and no deployment settings inherited."""
    monkeypatch.setenv("INTAKE_INSTANCE_PATH", str(tmp_path))
    for name in ("INTAKE_PRODUCTION", "SECRET_KEY", "INTAKE_DATABASE_URL"):
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
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("INTAKE_DATABASE_URL", "sqlite:///:memory:")
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
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("INTAKE_DATABASE_URL", "sqlite:///:memory:")
    app = create_app()
    response = app.test_client().get("/staff/login", base_url="https://intake.example")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=")
    for part in ("Secure", "HttpOnly", "Path=/", "SameSite=Lax"):
        assert part in cookie, cookie
    assert "Domain=" not in cookie
