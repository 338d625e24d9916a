"""/healthz and /readyz: cheap, not audited, no cookie, and no secret in a failure."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from intake import create_app
from intake.db import db
from intake.models import AuditEvent


def test_healthz_answers_without_touching_anything(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_readyz_checks_the_database(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ready", "checks": {"database": "ok"}}
    assert "Set-Cookie" not in response.headers
    assert db.session.query(AuditEvent).count() == 0  # never audited


def test_readyz_says_redis_is_unreachable_without_saying_where(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://:hunter2@127.0.0.1:1/0")
    app.extensions.pop("intake_health_redis", None)
    try:
        response = client.get("/readyz")
    finally:
        app.extensions.pop("intake_health_redis", None)
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["checks"]["database"] == "ok"
    assert response.json["checks"]["redis"].startswith("unreachable (")
    body = response.get_data(as_text=True)
    assert "hunter2" not in body and "127.0.0.1" not in body


def test_readyz_says_the_database_is_unreachable_without_saying_where(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    down: Any = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://intake:hunter2@127.0.0.1:1/intake",
        }
    )
    with down.app_context():
        response = down.test_client().get("/readyz")
        db.engine.dispose()
    assert response.status_code == 503
    assert response.json["checks"]["database"].startswith("unreachable (")
    body = response.get_data(as_text=True)
    assert "hunter2" not in body and "127.0.0.1" not in body and "intake:" not in body
