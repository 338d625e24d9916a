"""Configuration: defaults, instance file, environment, and a safe production start."""

from __future__ import annotations

import pytest

from intake import create_app
from intake.config import ConfigError


def test_production_without_secret_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTAKE_PRODUCTION", "1")
    monkeypatch.delenv("SECRET_KEY", raising=False)
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
