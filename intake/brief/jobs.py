"""Brief PDFs as background jobs: asked for on submit (and when stale), rendered outside
requests with a hard time limit, stored with the version that made them.

A failed render is tried MAX_ATTEMPTS times in all, then staff see "PDF failed: retry". Asking
for a render never raises: the submission or page that asked must never fail because of the PDF.
"""

from __future__ import annotations

import hashlib
import logging
import time

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import defer

from .. import audit, metrics, outbox
from ..db import db
from ..models import BriefPdf, Intake, IntakeStatus, PdfState, utcnow
from . import store
from .build import branding_of, brief_for
from .render import render_pdf

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
RENDER = "brief.render"
# Asks for a new PDF of every brief that went stale (a clinic's branding, or a deploy that
# changed the templates or the brief code), so none waits for someone to open it.
REFRESH = "brief.refresh"
_REFRESH_BATCH = 200


def _retry_delays() -> tuple[float, ...]:
    """Seconds to wait before the second and third attempts."""
    return tuple(float(d) for d in current_app.config.get("BRIEF_RETRY_DELAYS", (10, 60)))


def time_limit() -> float | None:
    """The most one render may take (seconds), or None to render in this process unbounded."""
    limit = current_app.config.get("BRIEF_TIME_LIMIT")
    return float(limit) if limit else None


def _lease() -> float:
    # Longer than a render may take, so a slow render is never taken for a dead worker.
    return max(10.0, (time_limit() or 300.0) * 1.5)


@outbox.handler(RENDER, max_attempts=None, backoff=_retry_delays, lease=_lease)
def _render_job(params: dict[str, int]) -> None:
    # The brief's own record counts attempts, so one killed mid-render counts too.
    render_one(int(params["intake_id"]))


@outbox.handler(REFRESH, max_attempts=3, lease=lambda: 1800)
def _refresh_job(params: dict[str, int | None]) -> None:
    refresh(params.get("clinic_id"))


def schedule_refresh(clinic_id: int | None = None) -> None:
    """Ask, in the caller's transaction, for every stale PDF (of one clinic, or all) anew."""
    key = f"{REFRESH}:{clinic_id if clinic_id is not None else 'all'}"
    outbox.schedule(REFRESH, {"clinic_id": clinic_id}, key=key)


def refresh(clinic_id: int | None = None) -> int:
    """Queue a render for each submitted intake whose stored PDF is not current and not
    already asked for at the current version; returns how many were queued."""
    query = (
        select(Intake, BriefPdf)
        .outerjoin(BriefPdf, BriefPdf.intake_id == Intake.id)
        .where(Intake.status == IntakeStatus.SUBMITTED)
        .options(defer(Intake.answers), defer(Intake.result), defer(BriefPdf.pdf))
        .order_by(Intake.id)
    )
    if clinic_id is not None:
        query = query.where(Intake.clinic_id == clinic_id)
    templates = store.template_version()
    stale: list[int] = []
    for intake, row in db.session.execute(query).all():
        wanted = store.version_of(intake, templates)
        current = row is not None and row.state == PdfState.READY and row.version == wanted
        asked = row is not None and row.state != PdfState.READY and row.wanted_version == wanted
        if not current and not asked:
            stale.append(intake.id)
    for start in range(0, len(stale), _REFRESH_BATCH):
        for intake_id in stale[start : start + _REFRESH_BATCH]:
            found = db.session.get(Intake, intake_id)
            if found is not None:
                request_pdf(found)
        db.session.commit()
    if stale:
        log.info("asked for %d stale brief PDF(s) anew", len(stale))
    return len(stale)


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


def request_pdf(intake: Intake, *, retry: bool = False) -> None:
    """Record that the intake's PDF is wanted, in the caller's transaction (the caller commits).

    retry: a person asked again after a failure, so the attempt count starts afresh.
    """
    row = store.record_of(intake) or BriefPdf(intake_id=intake.id)
    wanted = store.version_of(intake)
    if retry or row.wanted_version != wanted or row.state == PdfState.READY:
        row.attempts = 0
    row.state = PdfState.QUEUED
    row.wanted_version = wanted
    row.error = None
    row.queued_at = row.updated_at = utcnow()
    db.session.add(row)
    outbox.schedule(RENDER, {"intake_id": intake.id}, key=f"{RENDER}:{intake.id}")


def enqueue(intake: Intake, *, retry: bool = False) -> None:
    """Ask for the intake's PDF now, in a commit of its own; never raises."""
    try:
        request_pdf(intake, retry=retry)
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("could not queue the brief render of intake %s", intake.id)


def retry(intake: Intake) -> None:
    """A person asks again for a PDF whose render failed: recorded with the new request."""
    audit.record("brief.retried", subject=intake, commit=False)
    enqueue(intake, retry=True)


def render_one(intake_id: int) -> None:
    """Render and store one intake's PDF now, once: a current PDF is left as it is.

    A failure is recorded, and raised while attempts remain so the job is tried again.
    """
    intake = db.session.get(Intake, intake_id)
    if intake is None or not intake.submitted:
        log.warning("brief render skipped: intake %s is gone or not submitted", intake_id)
        return
    row = store.record_of(intake) or BriefPdf(intake_id=intake_id, attempts=0)
    version = store.version_of(intake)
    if row.state == PdfState.READY and row.version == version:
        return  # already done (a job handed out twice, or rendered meanwhile)
    if (row.attempts or 0) >= MAX_ATTEMPTS:
        # Its runner died on the last attempt: give up as a failed render would.
        row.state, row.updated_at = PdfState.FAILED, utcnow()
        row.error = row.error or "the render stopped before it finished"
        db.session.commit()
        return
    row.state, row.attempts, row.updated_at = PdfState.RENDERING, (row.attempts or 0) + 1, utcnow()
    db.session.add(row)
    db.session.commit()
    started = time.perf_counter()
    try:
        pdf = render_pdf(
            brief_for(intake), branding=branding_of(intake.clinic), time_limit=time_limit()
        )
    except Exception as exc:
        metrics.observe_render(time.perf_counter() - started, failed=True)
        db.session.rollback()
        row.error = f"{type(exc).__name__}: {exc}"[:2000]
        row.state = PdfState.FAILED if row.attempts >= MAX_ATTEMPTS else PdfState.QUEUED
        row.updated_at = utcnow()
        db.session.commit()
        log.exception("brief render of intake %s failed (attempt %s)", intake_id, row.attempts)
        if row.state == PdfState.QUEUED:
            raise
        return
    if not _still_wanted(intake_id):
        # Erased while it rendered: nothing of the client is stored again.
        db.session.rollback()
        log.info("brief of intake %s not stored: the intake was erased meanwhile", intake_id)
        return
    row.pdf, row.size = pdf, len(pdf)
    row.sha256 = hashlib.sha256(pdf).hexdigest()
    row.version, row.state, row.error = version, PdfState.READY, None
    row.rendered_at = row.updated_at = utcnow()
    db.session.commit()
    metrics.observe_render(time.perf_counter() - started)
    log.info(
        "brief of intake %s rendered in %.2f s (%d bytes)",
        intake_id,
        time.perf_counter() - started,
        len(pdf),
    )


def _still_wanted(intake_id: int) -> bool:
    """Whether the intake is still sent and its store row still there, checked under the
    intake's row lock, the one an erasure takes: a render that ends after it stores nothing."""
    status = db.session.scalar(
        select(Intake.status).where(Intake.id == intake_id).with_for_update()
    )
    kept = db.session.scalar(select(BriefPdf.id).where(BriefPdf.intake_id == intake_id))
    return status == IntakeStatus.SUBMITTED and kept is not None
