"""Urgent safety notices: email the assigned therapist and the clinic's admins, as a durable job;
and when no one has recorded speaking with the client within the clinic's time, remind the
admins (an escalation scheduled with the flag, that does nothing once contact is recorded).

The notice is recorded in the same transaction as the urgent flag, so it cannot be lost if
the process dies, and it is sent outside the request: a slow or broken SMTP server never holds
up the client's crisis page. It is retried with backoff until it goes out; the dashboard says
when one is still waiting. The email holds no answers, only a link to the staff area: email is
not a safe channel for clinical content.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import current_app, render_template
from sqlalchemy import or_, select

from . import audit, follow_up, mail, metrics, outbox, referrals
from .db import db
from .models import AuditEvent, Intake, IntakeStatus, Job, Role, Staff, utcnow

log = logging.getLogger(__name__)

URGENT = "urgent.notify"
SUBJECT = "An intake needs urgent attention"
ESCALATE = "urgent.escalate"
ESCALATION_SUBJECT = "Reminder: nobody has spoken with the client of an urgent intake yet"


def _delays() -> tuple[float, ...]:
    return tuple(float(d) for d in current_app.config.get("NOTIFY_RETRY_DELAYS", (30, 120, 600)))


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


def urgent(intake: Intake) -> Job | None:
    """Record that staff must hear of this urgent intake; sent once the caller commits.

    The reminder to the admins is scheduled in the same transaction, for the clinic's
    escalation time from now. None when the notice is held back: a flood of self-referrals
    from one address (the flag itself always stands and is pinned on the dashboard; the hold
    is audited), and then the reminder is held back with it, as it too is an email per intake.
    """
    if not referrals.notice_allowed(intake):
        return None
    minutes = intake.clinic.urgent_escalation_minutes or 60
    outbox.schedule(
        ESCALATE,
        {"intake_id": intake.id},
        key=f"{ESCALATE}:{intake.id}",
        run_at=utcnow() + timedelta(minutes=minutes),
    )
    return outbox.schedule(URGENT, {"intake_id": intake.id}, key=f"{URGENT}:{intake.id}")


def waiting(intake_ids: list[int]) -> dict[int, Job]:
    """The urgent notices not sent yet, by intake (for the dashboard)."""
    return outbox.waiting(URGENT, "intake_id", intake_ids)


# Never given up: retried (the last delay repeats) until the email goes out.
@outbox.handler(URGENT, max_attempts=None, backoff=_delays, lease=lambda: 120)
def _send(params: dict[str, Any]) -> None:
    deliver(int(params["intake_id"]))


def deliver(intake_id: int) -> None:
    """Send the notice now and audit it; raises when it could not go (so it is tried again)."""
    intake = db.session.get(Intake, intake_id)
    if intake is None or not intake.urgent:
        return  # erased meanwhile (an erasure clears the flag with the rest)
    people = recipients(intake)
    if not people:
        log.error("urgent intake %s: the clinic has no active staff to notify", intake.id)
        return
    to = [p.email for p in people]
    link = mail.external_url("staff.intake", intake_id=intake.id)
    body = render_template("email/urgent_intake.txt", clinic=intake.clinic, link=link)
    try:
        # The flag is saved and pinned on the dashboard; when no email could go, the log and
        # the audit say why, and the job tries again.
        _send_or_audit(intake, to, SUBJECT, body, "intake.urgent_notify_failed")
    except Exception:
        metrics.urgent_notice(sent=False)
        raise
    metrics.urgent_notice(sent=True)
    audit.record(
        "intake.urgent_notified", clinic_id=intake.clinic_id, subject=intake, to=", ".join(to)
    )


def admins(intake: Intake) -> list[Staff]:
    """The clinic's active admins (who hear of an urgent intake nobody has followed up)."""
    return list(
        db.session.scalars(
            select(Staff)
            .where(
                Staff.clinic_id == intake.clinic_id,
                Staff.active.is_(True),
                Staff.role == Role.ADMIN,
            )
            .order_by(Staff.id)
        )
    )


@outbox.handler(ESCALATE, max_attempts=None, backoff=_delays, lease=lambda: 120)
def _escalate(params: dict[str, Any]) -> None:
    escalate(int(params["intake_id"]))


def escalate(intake_id: int) -> None:
    """Remind the admins of an urgent intake where nobody has spoken with the client yet (a
    recorded call that reached nobody does not count); nothing once someone has, or once the
    reminder went out (a job run twice sends it once)."""
    intake = db.session.get(Intake, intake_id)
    if intake is None or not intake.urgent:
        return
    if follow_up.reached(intake.follow_ups) or _escalated(intake):
        return
    people = admins(intake)
    if not people:
        log.error("urgent intake %s: the clinic has no active admin to remind", intake.id)
        return
    to = [p.email for p in people]
    waited = int((utcnow() - (intake.urgent_at or utcnow())).total_seconds() // 60)
    link = mail.external_url("staff.intake", intake_id=intake.id)
    body = render_template(
        "email/urgent_escalation.txt", clinic=intake.clinic, link=link, minutes=waited
    )
    _send_or_audit(intake, to, ESCALATION_SUBJECT, body, "intake.urgent_escalation_failed")
    audit.record(
        "intake.urgent_escalated",
        clinic_id=intake.clinic_id,
        subject=intake,
        to=", ".join(to),
        waited_minutes=waited,
    )


def _escalated(intake: Intake) -> bool:
    """Whether the reminder for this intake already went out (the audit log says so)."""
    return (
        db.session.scalar(
            select(AuditEvent.id)
            .where(
                AuditEvent.action == "intake.urgent_escalated",
                AuditEvent.subject_type == "intake",
                AuditEvent.subject_id == intake.id,
            )
            .limit(1)
        )
        is not None
    )


UNDER_AGE = "under_age.notify"
UNDER_AGE_SUBJECT = "An intake has stopped: please get in touch with the client"


def under_age(intake: Intake) -> Job | None:
    """Record that staff must hear that a client stopped at the 18-or-over question (sent
    once the caller commits, to the therapist and the admins); held back like the urgent
    notice during a flood of self-referrals (the dashboard still shows it)."""
    if not referrals.notice_allowed(intake):
        return None
    return outbox.schedule(UNDER_AGE, {"intake_id": intake.id}, key=f"{UNDER_AGE}:{intake.id}")


@outbox.handler(UNDER_AGE, max_attempts=None, backoff=_delays, lease=lambda: 120)
def _send_under_age(params: dict[str, Any]) -> None:
    deliver_under_age(int(params["intake_id"]))


def deliver_under_age(intake_id: int) -> None:
    """Send the notice now and audit it; raises when it could not go (so it is tried again).

    Like the urgent notice it holds no answers and not the reason: only a link."""
    intake = db.session.get(Intake, intake_id)
    if intake is None or intake.status == IntakeStatus.ERASED:
        return
    people = recipients(intake)
    if not people:
        log.error("intake %s stopped: the clinic has no active staff to notify", intake.id)
        return
    to = [p.email for p in people]
    link = mail.external_url("staff.intake", intake_id=intake.id)
    body = render_template("email/under_age.txt", clinic=intake.clinic, link=link)
    _send_or_audit(intake, to, UNDER_AGE_SUBJECT, body, "intake.under_age_notify_failed")
    audit.record(
        "intake.under_age_notified", clinic_id=intake.clinic_id, subject=intake, to=", ".join(to)
    )


def _send_or_audit(intake: Intake, to: list[str], subject: str, body: str, failed: str) -> None:
    """Send a notice to staff; when it cannot go, audit why and raise (the job tries again)."""
    try:
        mail.send(to, subject, body)
    except Exception as exc:
        if not isinstance(exc, mail.MailError):
            log.exception("%s for intake %s", failed, intake.id)
        db.session.rollback()
        audit.record(
            failed,
            clinic_id=intake.clinic_id,
            subject=intake,
            error=str(exc) or type(exc).__name__,
        )
        raise
