"""Logs: JSON lines in production, a request id on every line, carried into background work.

Every request gets an id (the X-Request-ID it came with, if well-formed, else a new one),
answered in the X-Request-ID header and put on every log line written while it runs. The
id reaches work done elsewhere through carry() (a thread) and job_meta() / bound() (a
queued job). Nothing here logs a request's form data: answers never reach a log line.
"""

from __future__ import annotations

import contextvars
import logging
import re
import secrets
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

from flask import Flask, g, request
from pythonjsonlogger.json import JsonFormatter
from werkzeug.wrappers import Response

HEADER = "X-Request-ID"
JOB_META_KEY = "request_id"
# An incoming id is kept only if it is short and plain, so it cannot forge log lines.
_WELL_FORMED = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
# Client link tokens and emailed staff tokens open someone's records: never in an access log.
_TOKEN_PATHS = re.compile(r"(/(?:i|r|staff/join|staff/password/reset)/)[^/?\s]+")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(levelname)s %(name)s %(message)s %(request_id)s"
# Ours, the server's and the queue's lines at INFO; libraries (WeasyPrint's progress, fontTools,
# Alembic) only from WARNING.
INFO_LOGGERS = ("intake", "gunicorn", "rq")
ACCESS_FORMAT = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms rid=%({x-request-id}o)s'

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "intake_request_id", default=None
)
P = ParamSpec("P")
R = TypeVar("R")


def current_request_id() -> str | None:
    """The id of the request (or job) this code runs for, if any."""
    return _request_id.get()


@contextmanager
def bound(request_id: str | None) -> Iterator[str]:
    """Run a block under a request id: the one given, or a new one."""
    value = request_id if request_id and _WELL_FORMED.match(request_id) else new_id()
    reset = _request_id.set(value)
    try:
        yield value
    finally:
        _request_id.reset(reset)


def carry(function: Callable[P, R]) -> Callable[P, R]:
    """The function, to run in another thread under this request's id (and context)."""
    context = contextvars.copy_context()

    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        return context.run(function, *args, **kwargs)

    return run


def job_meta() -> dict[str, str]:
    """What a queued job carries so the worker logs under the request that asked for it.

    For RQ: queue.enqueue(..., meta=logs.job_meta()); the worker then runs the job inside
    bound(job.meta.get(JOB_META_KEY)).
    """
    rid = current_request_id()
    return {JOB_META_KEY: rid} if rid else {}


def worker_class() -> type[Any]:
    """RQ's SimpleWorker, each job run under the request id it was queued with (job_meta)."""
    from rq import SimpleWorker

    class RequestIdWorker(SimpleWorker):
        """Logs each job's lines under its request id, else under 'job-<id>'."""

        def execute_job(self, job: Any, queue: Any) -> Any:
            with bound(job.meta.get(JOB_META_KEY) or f"job-{job.id}"):
                return super().execute_job(job, queue)

    return RequestIdWorker


def new_id() -> str:
    """A fresh request id: 32 random hex digits."""
    return secrets.token_hex(16)


def redact(path: str) -> str:
    """A path or request line with link tokens replaced by '…'."""
    return _TOKEN_PATHS.sub(r"\1…", path)


class RequestIdFilter(logging.Filter):
    """Puts the current request id (or '-') on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Add record.request_id; never drops a record."""
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id() or "-"
        return True


class RedactFilter(logging.Filter):
    """Takes link tokens out of every line (the development server logs each request line)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the message when it holds a link path; never drops a record."""
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


_RENAMED = {"levelname": "level", "name": "logger"}


def json_formatter() -> JsonFormatter:
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request id."""
    return JsonFormatter(JSON_FIELDS, rename_fields=_RENAMED, timestamp="time")


def access_json_formatter() -> JsonFormatter:
    """gunicorn's access lines as JSON (see AccessJsonFormatter)."""
    return AccessJsonFormatter("%(levelname)s %(name)s", rename_fields=_RENAMED, timestamp="time")


class AccessFormatter(logging.Formatter):
    """gunicorn's access lines with link tokens redacted (text)."""

    def format(self, record: logging.LogRecord) -> str:
        """Redact the request line and path before gunicorn's format string is applied."""
        if isinstance(record.args, Mapping):
            record.args = _redacted_atoms(record.args)
        return super().format(record)


class AccessJsonFormatter(JsonFormatter):
    """gunicorn's access lines as JSON objects with named fields, tokens redacted."""

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        """Fields from gunicorn's atoms instead of its format string."""
        super().add_fields(log_data, record, message_dict)
        atoms = record.args if isinstance(record.args, Mapping) else {}
        log_data["message"] = "request"
        log_data.update(
            remote=atoms.get("h"),
            method=atoms.get("m"),
            path=redact(str(atoms.get("U", ""))),
            status=_int(atoms.get("s")),
            bytes=_int(atoms.get("B")),
            duration_ms=_int(atoms.get("M")),
            request_id=atoms.get("{x-request-id}o") or "-",
            user_agent=atoms.get("a"),
        )

    def format(self, record: logging.LogRecord) -> str:
        """The fields say it all: gunicorn's format string is not applied."""
        record.msg = "request"
        return super().format(record)


def _redacted_atoms(atoms: Mapping[str, Any]) -> Mapping[str, Any]:
    # gunicorn's atoms are a dict subclass that answers '-' for unknown keys: keep its type.
    copy = atoms.copy() if hasattr(atoms, "copy") else dict(atoms)
    for key in ("r", "U"):
        if key in copy:
            copy[key] = redact(str(copy[key]))
    return copy


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def chosen_format(config: Mapping[str, Any]) -> str:
    """'json' or 'text': LOG_FORMAT when set, else JSON in production."""
    wanted = str(config.get("LOG_FORMAT") or ("json" if config.get("PRODUCTION") else "text"))
    return "json" if wanted.lower() == "json" else "text"


def configure(log_format: str, level: int = logging.INFO) -> None:
    """Send every logger's records to stderr, one line each, with the request id."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactFilter())
    handler.setFormatter(json_formatter() if log_format == "json" else _text_formatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_intake", False)]:
        root.removeHandler(old)
    handler._intake = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    for name in INFO_LOGGERS:
        logging.getLogger(name).setLevel(level)


def _text_formatter() -> logging.Formatter:
    return logging.Formatter(TEXT_FORMAT)


def gunicorn_logconfig(log_format: str) -> dict[str, Any]:
    """gunicorn's logconfig_dict: its error and access logs in the same format as ours."""
    json = log_format == "json"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {
            "lines": {"()": json_formatter} if json else {"format": TEXT_FORMAT},
            "access": {"()": access_json_formatter}
            if json
            else {"()": AccessFormatter, "fmt": "%(message)s"},
        },
        "handlers": {
            "error": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "lines",
                "filters": ["request_id"],
            },
            "access": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "access",
            },
        },
        # The root logger's handler is the app's (logs.configure, when the master loads it).
        "root": {"level": "WARNING", "handlers": []},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["error"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
        },
    }


def init_app(app: Flask) -> None:
    """A request id for every request; log set-up outside tests (JSON in production)."""

    @app.before_request
    def _start() -> None:
        sent = request.headers.get(HEADER, "")
        rid = sent if _WELL_FORMED.match(sent) else new_id()
        g.request_id = rid
        g._request_id_reset = _request_id.set(rid)

    @app.after_request
    def _answer(response: Response) -> Response:
        if rid := g.get("request_id"):
            response.headers[HEADER] = rid
        return response

    @app.teardown_request
    def _end(_: BaseException | None) -> None:
        if (reset := g.pop("_request_id_reset", None)) is not None:
            try:
                _request_id.reset(reset)
            except ValueError:
                _request_id.set(None)  # torn down in another context: just clear it

    if not app.testing and (app.config.get("LOG_FORMAT") or app.config.get("PRODUCTION")):
        configure(chosen_format(app.config))
