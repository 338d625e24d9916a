"""Intake and readiness assessment for psychotherapy practices."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError, CSRFProtect

from . import config, i18n
from .db import db, migrate

csrf = CSRFProtect()


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application: config, extensions, blueprints, CLI."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(config.defaults(app))
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_mapping(config.from_environment())
    else:
        app.config.from_mapping(test_config)
    config.check(app)
    os.makedirs(app.instance_path, exist_ok=True)

    db.init_app(app)
    migrate.init_app(app, db)
    csrf.init_app(app)
    i18n.init_app(app)

    from . import auth, cli, rendering
    from .client.referral import bp as referral_bp
    from .client.views import bp as client_bp
    from .staff import bp as staff_bp
    from .staff import invitations, questionnaires, settings  # noqa: F401  (routes on staff_bp)

    auth.init_app(app)
    app.register_blueprint(client_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(referral_bp)
    cli.init_app(app)
    rendering.init_app(app)
    _errors(app)

    @app.get("/")
    def home() -> str:
        return render_template("home.html")

    return app


def _errors(app: Flask) -> None:
    """Friendly pages for the errors a person can meet; never a stack trace."""

    @app.errorhandler(404)
    def not_found(_: Exception) -> tuple[str, int]:
        return render_template("error.html", code=404), 404

    @app.errorhandler(CSRFError)
    def csrf_failed(_: Exception) -> tuple[str, int]:
        return render_template("error.html", code=400, csrf=True), 400

    @app.errorhandler(413)
    def too_large(_: Exception) -> tuple[str, int]:
        return render_template("error.html", code=413), 413

    @app.errorhandler(500)
    def server_error(_: Exception) -> tuple[str, int]:
        db.session.rollback()
        return render_template("error.html", code=500), 500
