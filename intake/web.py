"""What both blueprints share: CSRF, error pages, the home page, and Jinja's filters and names."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, g, has_request_context, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy.exc import DBAPIError
from werkzeug.routing import IntegerConverter

from . import outbox, retention
from .accounts import shown_once
from .brief import jobs
from .dates import day, moment
from .db import db
from .mail import delivery_note, external_url
from .models import PdfStatus, Progress, Role

log = logging.getLogger(__name__)
# Every POST, PUT, PATCH and DELETE is refused 400 without a valid token before any view runs
# (the API's blueprint alone is exempt: it reads no cookie).
csrf = CSRFProtect()
# The largest id our id columns hold: INTEGER, 32-bit signed on PostgreSQL (a larger number
# in a query is a database error there, not "no such row"; found by the API's schema test).
MAX_ID = 2**31 - 1


class App(Flask):
    """Flask, asking more cheaply whether a view or hook is a coroutine function."""

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """The function itself when its code is plain (not async); Flask's own check else.

        Flask asks inspect of every hook and view, on every request: some fifteen per client
        page save, a fortieth of its work. A function's code (a method's, through it) says
        so in one attribute; anything else (a partial, a callable object) goes Flask's way.
        """
        code = getattr(func, "__code__", None)
        # From Python 3.12 a plain function may be marked as a coroutine function
        # (inspect.markcoroutinefunction): marked ones go Flask's way too.
        marked = getattr(func, "_is_coroutine_marker", None) is not None
        if code is not None and not code.co_flags & inspect.CO_COROUTINE and not marked:
            return func
        return super().ensure_sync(func)


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing serializer made once per set of keys.

    Flask makes it anew on every request (some forty calls of every client page and save);
    it keeps nothing between uses, so one made for the same keys serves every request.
    """

    def __init__(self) -> None:
        self._made: tuple[tuple[Any, ...], URLSafeTimedSerializer] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """Flask's serializer for the app's current keys (made again if they change)."""
        if not app.secret_key:
            return None
        # SECRET_KEY_FALLBACKS: Flask 3.1 on (read as Flask's own method reads it).
        keys = (*(app.config.get("SECRET_KEY_FALLBACKS") or ()), app.secret_key)
        made = self._made
        if made is None or made[0] != keys:
            serializer = super().get_signing_serializer(app)
            assert serializer is not None  # a secret key is set
            made = self._made = (keys, serializer)
        return made[1]


class IdConverter(IntegerConverter):
    """<int:...> in every route: ids beyond what a column holds are a 404, never a database
    overflow."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002
        kwargs.setdefault("max", MAX_ID)
        kwargs.setdefault("fixed_digits", 0)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    """CSRF on every form, friendly error pages, the home page, template filters and names."""
    app.url_map.converters["int"] = IdConverter
    app.session_interface = CookieSessions()
    csrf.init_app(app)
    app.before_request(refuse_nul)
    _errors(app)
    app.add_template_filter(clinic_day, "day")
    app.add_template_filter(clinic_moment, "datetime")
    app.add_template_global(external_url)
    app.add_template_global(delivery_note)
    app.add_template_global(shown_once.notes, "private_notes")

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

    icon = (Path(app.static_folder or "static") / "favicon.ico").read_bytes()

    @app.get("/favicon.ico")
    def favicon() -> Response:
        # Browsers ask for it on every page, often as the page is closed: one small icon,
        # read once and served from memory, so a dropped request leaves no file open.
        return Response(icon, mimetype="image/x-icon")


def clinic_zone() -> str | None:
    """The time zone of the clinic whose page this is: the signed-in user's, or one a view
    or a job named (g.time_zone); None (UTC) when there is none."""
    zone = g.get("time_zone") if g else None
    if zone:
        return str(zone)
    if has_request_context() and getattr(current_user, "is_authenticated", False):
        return current_user.clinic.time_zone or None
    return None


def clinic_day(value: date | datetime | None, style: str = "short", blank: str = "–") -> str:
    """The |day filter: dates.day in the clinic's time zone."""
    return day(value, style, blank, zone=clinic_zone())


def clinic_moment(value: datetime | None, style: str = "short", blank: str = "–") -> str:
    """The |datetime filter: dates.moment in the clinic's time zone."""
    return moment(value, style, blank, zone=clinic_zone())


def _refresh_once(app: Flask) -> None:
    """With no worker (whose start does it), the web process's first request asks for the
    PDFs a deploy made stale (templates, brief code), so none waits to be opened."""
    if app.extensions.get("intake.refresh_asked"):
        return
    app.extensions["intake.refresh_asked"] = True
    try:
        jobs.schedule_refresh()
        retention.schedule_daily()  # the clinics' retention settings, applied once a day
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("could not ask for stale brief PDFs or the daily retention run")


def refuse_nul(*_: Any) -> None:
    """Refuse a request whose address, query or form holds a NUL character.

    No person types one, PostgreSQL cannot store one, and no field of ours means anything
    with it: the request is answered 400 before any view (or database) sees it.
    """
    # The request itself, not its proxy: read here many times, on every request.
    current = request._get_current_object()  # type: ignore[attr-defined]
    values = [current.path, *(current.view_args or {}).values()]
    writes = current.method in ("POST", "PUT", "PATCH")
    for fields in (current.args, current.form) if writes else (current.args,):
        for key, given in fields.lists():
            values.extend(given)
            if writes:  # a change's field names are checked too
                values.append(key)
    if any("\x00" in str(value) for value in values):
        abort(400)


def _errors(app: Flask) -> None:
    """Friendly pages for the errors a person can meet; never a stack trace. The API's
    errors are JSON, also those raised before any of its views (an unknown address)."""

    def page(code: int, **kw: Any) -> Any:
        if request.path.startswith("/api/"):
            from .api.errors import error

            return error(code)
        return render_template("error.html", code=code, **kw), code

    @app.errorhandler(404)
    def not_found(_: Exception) -> Any:
        return page(404)

    @app.errorhandler(410)
    def gone(_: Exception) -> Any:
        return page(410)

    @app.errorhandler(405)
    def not_allowed(exc: Any) -> Any:
        response = page(405)
        if request.path.startswith("/api/"):
            response.headers["Allow"] = ", ".join(exc.valid_methods or ())
            return response
        return exc.get_response()

    @app.errorhandler(400)
    def bad_request(_: Exception) -> Any:
        return page(400)

    @app.errorhandler(CSRFError)
    def csrf_failed(_: Exception) -> tuple[str, int]:
        return render_template("error.html", code=400, csrf=True), 400

    @app.errorhandler(413)
    def too_large(_: Exception) -> Any:
        return page(413)

    @app.errorhandler(500)
    def server_error(_: Exception) -> Any:
        db.session.rollback()
        return page(500)

    @app.errorhandler(DBAPIError)
    def connection_lost(exc: DBAPIError) -> Any:
        # PostgreSQL dropped the connection mid-request (a restart, a failover): the pool has
        # already replaced it, so the same request succeeds in a moment. Anything else is a
        # real error and goes the usual way.
        if not exc.connection_invalidated:
            raise exc
        db.session.rollback()
        log.warning("database connection lost during %s %s", request.method, request.endpoint)
        response = page(503)
        if isinstance(response, tuple):
            return (*response, {"Retry-After": "1"})
        response.headers["Retry-After"] = "1"
        return response
