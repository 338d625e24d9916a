"""Render brief PDFs outside requests: on RQ (Redis) when configured, else a background thread.

A submitted intake is rendered by a job; a failed render is tried MAX_ATTEMPTS times in all,
then staff see "PDF failed: retry". Asking for a render never raises: the submission or
page that asked must never fail because of the PDF.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select

from .. import audit
from ..db import db
from ..models import BriefPdf, Intake, PdfState, utcnow
from . import store
from .build import branding_of, brief_for
from .render import render_pdf

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
JOB_TIMEOUT_S = 300


def current_pdf(intake: Intake) -> BriefPdf | None:
    """The stored PDF if it is current; otherwise None, and a render is asked for if needed.

    A stale PDF is never served: the HTML brief is always there meanwhile, so a render is
    never done on the request path (no one waits 0.4 s or more for a download).
    """
    row = store.record_of(intake)
    if store.is_current(row, intake):
        return row
    if row is None or row.wanted_version != store.version_of(intake):
        enqueue(intake)
    return None


def enqueue(intake: Intake, *, retry: bool = False) -> None:
    """Ask for the intake's PDF to be rendered outside this request; never raises.

    retry: a person asked again after a failure, so the attempt count starts afresh.
    """
    try:
        row = store.record_of(intake) or BriefPdf(intake_id=intake.id)
        wanted = store.version_of(intake)
        if retry or row.wanted_version != wanted or row.state == PdfState.READY:
            row.attempts = 0
        row.state = PdfState.QUEUED
        row.wanted_version = wanted
        row.error = None
        row.queued_at = row.updated_at = utcnow()
        db.session.add(row)
        db.session.commit()
        _dispatch(current_app._get_current_object(), intake.id)  # type: ignore[attr-defined]
    except Exception:
        db.session.rollback()
        log.exception("could not queue the brief render of intake %s", intake.id)


def retry(intake: Intake) -> None:
    """A person asks again for a PDF whose render failed: recorded with the new request."""
    audit.record("brief.retried", subject=intake, commit=False)
    enqueue(intake, retry=True)


def mode(app: Flask) -> str:
    """rq, thread or eager (eager renders at once, in the caller: for tests only)."""
    chosen = str(app.config.get("BRIEF_RENDERER") or "auto")
    if chosen == "auto":
        return "rq" if app.config.get("REDIS_URL") else "thread"
    return chosen


def _dispatch(app: Flask, intake_id: int) -> None:
    chosen = mode(app)
    if chosen == "eager":
        _attempts(intake_id, delays=(0,) * (MAX_ATTEMPTS - 1))
        return
    if chosen == "rq":
        try:
            queue(app).enqueue(
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


def queue(app: Flask) -> Any:
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
    return row is None or row.state != PdfState.QUEUED


def render_job(intake_id: int) -> None:
    """The RQ job: render one intake's PDF (raises on failure so RQ retries it).

    It runs in `flask --app intake briefs worker`, inside that command's app context.
    """
    render_one(intake_id)


def render_one(intake_id: int) -> None:
    """Render and store one intake's PDF now; record failures, re-raise them for retries."""
    intake = db.session.get(Intake, intake_id)
    if intake is None or not intake.submitted:
        log.warning("brief render skipped: intake %s is gone or not submitted", intake_id)
        return
    row = store.record_of(intake) or BriefPdf(intake_id=intake_id, attempts=0)
    row.state, row.attempts, row.updated_at = PdfState.RENDERING, (row.attempts or 0) + 1, utcnow()
    db.session.add(row)
    db.session.commit()
    version = store.version_of(intake)
    started = time.perf_counter()
    try:
        pdf = render_pdf(brief_for(intake), branding=branding_of(intake.clinic))
    except Exception as exc:
        db.session.rollback()
        row.error = f"{type(exc).__name__}: {exc}"[:2000]
        row.state = PdfState.FAILED if row.attempts >= MAX_ATTEMPTS else PdfState.QUEUED
        row.updated_at = utcnow()
        db.session.commit()
        log.exception("brief render of intake %s failed (attempt %s)", intake_id, row.attempts)
        raise
    row.pdf, row.size = pdf, len(pdf)
    row.sha256 = hashlib.sha256(pdf).hexdigest()
    row.version, row.state, row.error = version, PdfState.READY, None
    row.rendered_at = row.updated_at = utcnow()
    db.session.commit()
    log.info(
        "brief of intake %s rendered in %.2f s (%d bytes)",
        intake_id,
        time.perf_counter() - started,
        len(pdf),
    )
