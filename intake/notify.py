"""Urgent safety notices: email the assigned therapist and the clinic's admins at once."""

from __future__ import annotations

import logging
import threading

from flask import Flask, current_app, render_template
from sqlalchemy import or_, select

from . import audit, mail, referrals
from .db import db
from .models import Intake, Role, Staff

log = logging.getLogger(__name__)


def recipients(intake: Intake) -> list[Staff]:
    """Who hears of an urgent intake: its therapist and the clinic's admins, if active."""
    conditions = [Staff.role == Role.ADMIN]
    if intake.therapist_id is not None:
        conditions.append(Staff.id == intake.therapist_id)
    return list(
        db.session.scalars(
            select(Staff)
            .where(Staff.clinic_id == intake.clinic_id, Staff.active.is_(True), or_(*conditions))
            .order_by(Staff.id)
        )
    )


def urgent(intake: Intake) -> None:
    """Tell staff an intake needs urgent attention, off the request path; never raises.

    The client is on their way to the crisis page: a slow or broken SMTP server must never
    hold that page up or stop it, so the email is written here (templates need the request)
    and sent from a background thread (at once, in the caller, when NOTIFY_SYNC is true;
    unset, it follows TESTING). The email holds no answers, only a link to the staff area:
    email is not a safe channel for clinical content.
    """
    if not referrals.notice_allowed(intake):
        return  # a flood of self-referrals: flagged on the dashboard, emails held back
    try:
        people = recipients(intake)
        if not people:
            log.error("urgent intake %s: the clinic has no active staff to notify", intake.id)
            return
        to = [p.email for p in people]
        link = mail.external_url("staff.intake", intake_id=intake.id)
        body = render_template("email/urgent_intake.txt", clinic=intake.clinic, link=link)
        app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
        sync = app.config.get("NOTIFY_SYNC")
        if sync if sync is not None else app.testing:
            deliver(intake.id, to, body)
            return
        thread = threading.Thread(
            target=_in_thread, args=(app, intake.id, to, body), name="urgent-notify", daemon=True
        )
        thread.start()
        with _threads_lock:
            _threads[:] = [t for t in _threads if t.is_alive()] + [thread]
    except Exception as exc:
        log.exception("could not notify staff of urgent intake %s", intake.id)
        _audit_failure(intake.id, exc)


_threads_lock = threading.Lock()
_threads: list[threading.Thread] = []


def wait_for_notices(timeout: float = 30) -> None:
    """Wait until the notices sent from background threads are out (tests, shutdown)."""
    with _threads_lock:
        pending = list(_threads)
        _threads.clear()
    for thread in pending:
        thread.join(timeout)


def _in_thread(app: Flask, intake_id: int, to: list[str], body: str) -> None:
    """The notice in its own thread, with its own app context and session."""
    with app.app_context():
        deliver(intake_id, to, body)


def deliver(intake_id: int, to: list[str], body: str) -> None:
    """Send a written notice and record in the audit log whether it went; never raises."""
    try:
        mail.send(to, "An intake needs urgent attention", body)
    except Exception as exc:
        # The flag is already saved and pinned on the dashboard; the log and audit say why
        # no email came (mail.send has logged its own errors).
        if not isinstance(exc, mail.MailError):
            log.exception("urgent notice for intake %s failed", intake_id)
        _audit_failure(intake_id, exc)
        return
    try:
        intake = db.session.get(Intake, intake_id)
        audit.record(
            "intake.urgent_notified",
            clinic_id=intake.clinic_id if intake else None,
            subject=intake,
            to=", ".join(to),
        )
    except Exception:
        db.session.rollback()
        log.exception("could not audit the urgent notice of intake %s", intake_id)


def _audit_failure(intake_id: int, exc: Exception) -> None:
    """Record that no email went out (and never raise while doing so)."""
    try:
        db.session.rollback()
        intake = db.session.get(Intake, intake_id)
        audit.record(
            "intake.urgent_notify_failed",
            clinic_id=intake.clinic_id if intake else None,
            subject=intake,
            error=str(exc) or type(exc).__name__,
        )
    except Exception:
        db.session.rollback()
        log.exception("could not audit the failed urgent notice of intake %s", intake_id)
