"""What both blueprints share: CSRF, error pages, the home page, and Jinja's filters and names."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy.exc import DBAPIError
from werkzeug.middleware.proxy_fix import ProxyFix

from .dates import day, moment
from .db import db
from .lifecycle import client_link
from .mail import external_url
from .models import PdfStatus, Progress, Role

csrf = CSRFProtect()
log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """CSRF on every form, friendly error pages, the home page, template filters and names."""
    if hops := int(app.config.get("PROXY_HOPS") or 0):
        # Behind that many reverse proxies: the client's address and scheme come from them.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )
    csrf.init_app(app)
    _errors(app)
    app.add_template_filter(day)
    app.add_template_filter(moment, "datetime")
    app.add_template_global(client_link)
    app.add_template_global(external_url)
    app.jinja_env.globals.update(Progress=Progress, PdfStatus=PdfStatus, Role=Role)

    @app.get("/")
    def home() -> str:
        return render_template("home.html")


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

    @app.errorhandler(DBAPIError)
    def connection_lost(exc: DBAPIError) -> tuple[str, int, dict[str, str]]:
        # PostgreSQL dropped the connection mid-request (a restart, a failover): the pool has
        # already replaced it, so the same request succeeds in a moment. Anything else is a
        # real error and goes the usual way.
        if not exc.connection_invalidated:
            raise exc
        db.session.rollback()
        log.warning("database connection lost during %s %s", request.method, request.endpoint)
        return render_template("error.html", code=503), 503, {"Retry-After": "1"}
