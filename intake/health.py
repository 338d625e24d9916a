"""Health checks for load balancers and orchestrators: /healthz (alive) and /readyz (can serve).

Both are cheap, never audited, set no cookie and say nothing secret: /readyz names what is
unreachable and the kind of error, never an address, a user or a message from a server.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, jsonify
from sqlalchemy import text
from werkzeug.wrappers import Response

from .db import db

REDIS_TIMEOUT_S = 2.0


def init_app(app: Flask) -> None:
    """Register /healthz and /readyz."""
    app.add_url_rule("/healthz", "healthz", healthz, methods=["GET"])
    app.add_url_rule("/readyz", "readyz", readyz, methods=["GET"])


def healthz() -> Response:
    """The process answers (no database or Redis touched)."""
    return _answer({"status": "ok"}, 200)


def readyz() -> Response:
    """The database, and Redis when configured, answer: 200, else 503 with the reason."""
    checks = {"database": _database()}
    if current_app.config.get("REDIS_URL"):
        checks["redis"] = _redis()
    ready = all(result == "ok" for result in checks.values())
    return _answer(
        {"status": "ready" if ready else "unavailable", "checks": checks}, 200 if ready else 503
    )


def _database() -> str:
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        return f"unreachable ({type(exc).__name__})"
    return "ok"


def _redis() -> str:
    try:
        redis_client().ping()
    except Exception as exc:
        return f"unreachable ({type(exc).__name__})"
    return "ok"


def redis_client() -> Any:
    """One client (and connection pool) per process, with short timeouts."""
    from redis import Redis

    ext = current_app.extensions
    if "intake_health_redis" not in ext:
        ext["intake_health_redis"] = Redis.from_url(
            current_app.config["REDIS_URL"],
            socket_connect_timeout=REDIS_TIMEOUT_S,
            socket_timeout=REDIS_TIMEOUT_S,
        )
    return ext["intake_health_redis"]


def _answer(body: dict[str, Any], status: int) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response
