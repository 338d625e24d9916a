"""Render brief PDFs outside requests, store them, and say where each intake's PDF stands.

A submitted intake is rendered by a job: on RQ (Redis) when REDIS_URL is configured, else on
one background thread of this process. The PDF is stored with its content hash and the
version that made it (template files, renderer, clinic branding); a download is served from
the store only while that version is current. Anything else asks for a new render.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
import weasyprint
from flask import Flask, current_app, has_app_context
from sqlalchemy import select

from . import briefs
from .brief.render import TEMPLATES_DIR, render_pdf
from .briefs import branding_of
from .db import db
from .models import Intake, utcnow
from .pdf_store import BriefPdf

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# A job queued or running for longer than this is taken as lost (a worker died): staff may retry.
STUCK_AFTER = timedelta(minutes=10)
JOB_TIMEOUT_S = 300
# Code whose change can change the PDF: the brief, how it is assembled from stored rows, and
# the questionnaire/scoring code that names and explains what the brief shows.
_PACKAGE = Path(__file__).resolve().parent
BRIEF_CODE = tuple(
    sorted(
        [
            *(_PACKAGE / "brief").glob("*.py"),
            *(_PACKAGE / "questionnaire").glob("*.py"),
            _PACKAGE / "briefs.py",
            _PACKAGE / "scoring.py",
        ]
    )
)
# Files in report_templates/ that never reach the brief PDF (the web page, the client's copy).
NOT_IN_PDF = ("screen.css", "print.js", "answers.")

# Status words for lists and pages.
NOT_SUBMITTED = "not_submitted"
READY = "ready"
PREPARING = "preparing"
FAILED = "failed"


def init_app(app: Flask) -> None:
    """Register the `flask briefs` commands."""
    app.cli.add_command(briefs_cli)


# Versions


def version_of(intake: Intake, templates: str | None = None) -> str:
    """The version an intake's PDF must have to be current: templates, code, branding, data."""
    digest = hashlib.sha256()
    digest.update((templates or template_version()).encode())
    digest.update(branding_of(intake.clinic).fingerprint().encode())
    # Facts shown in the brief that live outside the immutable answers.
    for part in (intake.client_name, intake.clinic.name, str(intake.urgent), intake.language):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()


def template_version() -> str:
    """A hash of every file that makes the PDF, recomputed only when one of them changed."""
    files = [
        p
        for p in sorted(TEMPLATES_DIR.rglob("*"))
        if p.is_file() and not p.name.startswith(NOT_IN_PDF)
    ]
    signature = tuple(
        (str(p), stat.st_size, stat.st_mtime_ns)
        for p in (*files, *BRIEF_CODE)
        for stat in (p.stat(),)
    )
    return _hash_files(signature)


_version_cache: dict[tuple[tuple[str, int, int], ...], str] = {}


def _hash_files(signature: tuple[tuple[str, int, int], ...]) -> str:
    """The content hash of the files named in signature (cached per signature)."""
    if signature not in _version_cache:
        digest = hashlib.sha256(weasyprint.__version__.encode())
        for name, _, _ in signature:
            digest.update(name.encode() + b"\0" + Path(name).read_bytes())
        _version_cache.clear()
        _version_cache[signature] = digest.hexdigest()
    return _version_cache[signature]


# Reading the store


def record_of(intake: Intake) -> BriefPdf | None:
    """The store row of an intake, if any job was ever asked for."""
    row: BriefPdf | None = db.session.scalar(
        select(BriefPdf).where(BriefPdf.intake_id == intake.id)
    )
    return row


def status(intake: Intake) -> str:
    """Where an intake's PDF stands: not_submitted, ready, preparing or failed."""
    if not intake.submitted:
        return NOT_SUBMITTED
    return _status(record_of(intake), version_of(intake))


def statuses(intakes: Iterable[Intake]) -> dict[int, str]:
    """status() for many intakes with one query (for lists)."""
    items = list(intakes)
    ids = [i.id for i in items if i.submitted]
    rows = {
        r.intake_id: r
        for r in db.session.scalars(select(BriefPdf).where(BriefPdf.intake_id.in_(ids)))
    }
    templates = template_version()
    return {
        i.id: _status(rows.get(i.id), version_of(i, templates)) if i.submitted else NOT_SUBMITTED
        for i in items
    }


def _status(row: BriefPdf | None, current: str) -> str:
    if row is None:
        return PREPARING
    if row.state == "ready" and row.version == current:
        return READY
    if row.state == "failed" and row.wanted_version == current:
        return FAILED
    if row.state in ("queued", "rendering") and utcnow() - row.updated_at > STUCK_AFTER:
        return FAILED
    return PREPARING


def current_pdf(intake: Intake) -> BriefPdf | None:
    """The stored PDF if it is current; otherwise None, and a render is asked for if needed.

    A stale PDF is never served: the HTML brief is always there meanwhile, so a render is
    never done on the request path (no one waits 0.4 s or more for a download).
    """
    row = record_of(intake)
    current = version_of(intake)
    if row is not None and row.state == "ready" and row.version == current:
        return row
    if row is None or row.wanted_version != current:
        enqueue(intake)
    return None


# Asking for renders


def enqueue(intake: Intake, *, retry: bool = False) -> None:
    """Ask for the intake's PDF to be rendered outside this request; never raises.

    retry: a person asked again after a failure, so the attempt count starts afresh.
    """
    try:
        row = record_of(intake) or BriefPdf(intake_id=intake.id)
        if retry or row.wanted_version != version_of(intake) or row.state == "ready":
            row.attempts = 0
        row.state = "queued"
        row.wanted_version = version_of(intake)
        row.error = None
        row.queued_at = row.updated_at = utcnow()
        db.session.add(row)
        db.session.commit()
        _dispatch(current_app._get_current_object(), intake.id)  # type: ignore[attr-defined]
    except Exception:
        # The submission or page that asked must never fail because of the PDF.
        db.session.rollback()
        log.exception("could not queue the brief render of intake %s", intake.id)


def _mode(app: Flask) -> str:
    """rq, thread or eager (eager renders at once, in the caller: for tests only)."""
    mode = str(app.config.get("BRIEF_RENDERER") or "auto")
    if mode == "auto":
        return "rq" if app.config.get("REDIS_URL") else "thread"
    return mode


def _dispatch(app: Flask, intake_id: int) -> None:
    mode = _mode(app)
    if mode == "eager":
        _attempts(intake_id, delays=(0,) * (MAX_ATTEMPTS - 1))
        return
    if mode == "rq":
        try:
            _queue(app).enqueue(
                render_job,
                intake_id,
                job_timeout=JOB_TIMEOUT_S,
                retry=_rq_retry(app),
                description=f"brief PDF of intake {intake_id}",
            )
            return
        except Exception:
            # Redis down: the in-process thread still renders; say so in the log.
            log.exception("RQ enqueue failed for intake %s; rendering in a thread", intake_id)
    future = _executor().submit(_in_thread, app, intake_id)
    with _executor_lock:
        _futures[:] = [f for f in _futures if not f.done()] + [future]


def _queue(app: Flask) -> Any:
    """The RQ queue briefs are rendered from."""
    from redis import Redis
    from rq import Queue

    connection = Redis.from_url(app.config["REDIS_URL"])
    return Queue(app.config.get("BRIEF_QUEUE", "intake-briefs"), connection=connection)


def _rq_retry(app: Flask) -> Any:
    from rq import Retry

    return Retry(max=MAX_ATTEMPTS - 1, interval=list(_delays(app)) or [0])


def _delays(app: Flask) -> tuple[int, ...]:
    """Seconds to wait before the second and third attempts."""
    return tuple(int(d) for d in app.config.get("BRIEF_RETRY_DELAYS", (10, 60)))


# Running renders


_executor_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_futures: list[Future[None]] = []


def _executor() -> ThreadPoolExecutor:
    """One render thread per process: renders are CPU-bound and run one at a time anyway."""
    global _pool
    with _executor_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="brief-render")
        return _pool


def wait_for_renders(timeout: float = 60) -> None:
    """Wait until the background thread has finished what it was given (tests, shutdown)."""
    with _executor_lock:
        pending = list(_futures)
        _futures.clear()
    for future in pending:
        future.result(timeout=timeout)


def _in_thread(app: Flask, intake_id: int) -> None:
    """A render in the background thread, with its own app context and session."""
    try:
        with app.app_context():
            _attempts(intake_id, delays=_delays(app))
    except Exception:
        log.exception("brief render thread failed for intake %s", intake_id)


def _attempts(intake_id: int, delays: Iterable[float]) -> None:
    """Render, retrying after the given delays while attempts remain (thread and eager)."""
    waits = list(delays)
    while True:
        try:
            render_one(intake_id)
            return
        except Exception:
            if not waits or _gave_up(intake_id):
                return
            time.sleep(waits.pop(0))


def _gave_up(intake_id: int) -> bool:
    row = db.session.scalar(select(BriefPdf).where(BriefPdf.intake_id == intake_id))
    return row is None or row.state != "queued"


def render_job(intake_id: int) -> None:
    """The RQ job: render one intake's PDF (raises on failure so RQ retries it)."""
    if has_app_context():
        render_one(intake_id)
        return
    with _worker_app().app_context():
        render_one(intake_id)


_app: Flask | None = None


def _worker_app() -> Flask:
    """The app a bare `rq worker` process renders with, built once from its configuration."""
    global _app
    if _app is None:
        from . import create_app

        _app = create_app()
    return _app


def render_one(intake_id: int) -> None:
    """Render and store one intake's PDF now; record failures, re-raise them for retries."""
    intake = db.session.get(Intake, intake_id)
    if intake is None or not intake.submitted:
        log.warning("brief render skipped: intake %s is gone or not submitted", intake_id)
        return
    row = record_of(intake) or BriefPdf(intake_id=intake_id, attempts=0)
    row.state, row.attempts, row.updated_at = "rendering", (row.attempts or 0) + 1, utcnow()
    db.session.add(row)
    db.session.commit()
    version = version_of(intake)
    started = time.perf_counter()
    try:
        pdf = render_pdf(briefs.brief_for(intake), branding=branding_of(intake.clinic))
    except Exception as exc:
        db.session.rollback()
        row.error = f"{type(exc).__name__}: {exc}"[:2000]
        row.state = "failed" if row.attempts >= MAX_ATTEMPTS else "queued"
        row.updated_at = utcnow()
        db.session.commit()
        log.exception("brief render of intake %s failed (attempt %s)", intake_id, row.attempts)
        raise
    row.pdf, row.size = pdf, len(pdf)
    row.sha256 = hashlib.sha256(pdf).hexdigest()
    row.version, row.state, row.error = version, "ready", None
    row.rendered_at = row.updated_at = utcnow()
    db.session.commit()
    log.info(
        "brief of intake %s rendered in %.2f s (%d bytes)",
        intake_id,
        time.perf_counter() - started,
        len(pdf),
    )


# Command line


@click.group("briefs")
def briefs_cli() -> None:
    """Brief PDFs: the render worker and a sweep for stale ones."""


@briefs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    """Run an RQ worker for brief renders (needs REDIS_URL)."""
    from rq import SimpleWorker

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL is not set: renders run in the web process")
    queue = _queue(app)
    # SimpleWorker runs jobs in this process, inside this app context (no fork per job).
    SimpleWorker([queue], connection=queue.connection).work(burst=burst, with_scheduler=True)


@briefs_cli.command("refresh")
def refresh() -> None:
    """Queue a render for every submitted intake whose stored PDF is not current."""
    count = 0
    for intake in list(db.session.scalars(select(Intake).where(Intake.status == "submitted"))):
        if status(intake) != READY:
            enqueue(intake)
            count += 1
    if _mode(current_app) == "thread":
        wait_for_renders(timeout=3600)
    click.echo(f"queued {count} brief(s)")
