"""What both blueprints share: CSRF, error pages, the home page, and Jinja's filters and names."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, Response, render_template, send_from_directory
from flask_wtf.csrf import CSRFError, CSRFProtect

from . import outbox
from .brief import jobs
from .dates import day, moment
from .db import db
from .lifecycle import client_link
from .mail import delivery_note, external_url
from .models import PdfStatus, Progress, Role

log = logging.getLogger(__name__)
csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    """CSRF on every form, friendly error pages, the home page, template filters and names."""
    csrf.init_app(app)
    _errors(app)
    app.add_template_filter(day)
    app.add_template_filter(moment, "datetime")
    app.add_template_global(client_link)
    app.add_template_global(external_url)
    app.add_template_global(delivery_note)

    @app.template_global()
    def static_exists(filename: str) -> bool:
        """Whether a built asset is there (the editor bundle is built by `make assets`)."""
        folder = Path(app.static_folder or "static").resolve()
        path = (folder / filename).resolve()
        return path.is_relative_to(folder) and path.is_file()

    app.jinja_env.globals.update(Progress=Progress, PdfStatus=PdfStatus, Role=Role)

    @app.before_request
    def _sweep_in_the_background() -> None:
        # The embedded default has no worker: the web process looks for due jobs itself.
        outbox.start_web_sweeper(app)
        if outbox.runner(app) == "thread" and not app.testing:
            _refresh_once(app)

    @app.get("/")
    def home() -> str:
        return render_template("home.html")

    @app.get("/favicon.ico")
    def favicon() -> Response:
        # Browsers ask for it on every page; one small icon, cached for a day.
        return send_from_directory(
            app.static_folder or "static", "favicon.ico", max_age=86400, mimetype="image/x-icon"
        )


def _refresh_once(app: Flask) -> None:
    """With no worker (whose start does it), the web process's first request asks for the
    PDFs a deploy made stale (templates, brief code), so none waits to be opened."""
    if app.extensions.get("intake.refresh_asked"):
        return
    app.extensions["intake.refresh_asked"] = True
    try:
        jobs.schedule_refresh()
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("could not ask for stale brief PDFs")


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
