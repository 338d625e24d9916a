"""Intake and readiness assessment for psychotherapy practices.

Importing the package loads nothing: the pure core (intake.questionnaire, intake.scoring,
intake.brief.content) imports without Flask or a database, and create_app imports the web
shell late, as Flask's tutorial does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application: config, extensions, blueprints, CLI."""
    import os

    from werkzeug.middleware.proxy_fix import ProxyFix

    from . import cli, config, crypto, headers, health, i18n, logs, metrics, throttle, web
    from .accounts import auth
    from .api import bp as api_bp
    from .client import bp as client_bp
    from .db import db, migrate
    from .staff import bp as staff_bp

    app = web.App(__name__, instance_relative_config=True, instance_path=config.instance_path())
    app.config.from_mapping(config.defaults(app))
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_mapping(config.from_environment())
    else:
        app.config.from_mapping(test_config)
    config.check(app)
    os.makedirs(app.instance_path, exist_ok=True)
    if proxies := int(app.config.get("TRUSTED_PROXIES") or 0):
        # The client's address and scheme as the proxies in front saw them (rate limits,
        # audit entries, secure cookies).
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )

    crypto.init_app(app)
    logs.init_app(app)
    metrics.init_app(app)
    db.init_app(app)
    migrate.init_app(app, db)
    i18n.init_app(app)
    auth.init_app(app)
    web.init_app(app)
    headers.init_app(app)
    throttle.init_app(app)
    health.init_app(app)
    app.register_blueprint(client_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(api_bp)
    cli.init_app(app)
    return app
