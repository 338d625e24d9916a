"""Urgent safety notices: email the assigned therapist and the clinic's admins, as a durable job.

The notice is recorded in the same transaction as the urgent flag, so it cannot be lost if
the process dies, and it is sent outside the request: a slow or broken SMTP server never holds
up the client's crisis page. It is retried with backoff until it goes out; the dashboard says
when one is still waiting. The email holds no answers, only a link to the staff area: email is
not a safe channel for clinical content.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, render_template
from sqlalchemy import or_, select

from . import audit, mail, metrics, outbox, referrals
from .db import db
from .models import Intake, Job, Role, Staff

log = logging.getLogger(__name__)

URGENT = "urgent.notify"
SUBJECT = "An intake needs urgent attention"


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

    None when the notice is held back: a flood of self-referrals from one address (the flag
    itself always stands and is pinned on the dashboard; the hold is audited).
    """
    if not referrals.notice_allowed(intake):
        return None
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
    if intake is None:
        return
    people = recipients(intake)
    if not people:
        log.error("urgent intake %s: the clinic has no active staff to notify", intake.id)
        return
    to = [p.email for p in people]
    link = mail.external_url("staff.intake", intake_id=intake.id)
    body = render_template("email/urgent_intake.txt", clinic=intake.clinic, link=link)
    try:
        mail.send(to, SUBJECT, body)
    except Exception as exc:
        # The flag is saved and pinned on the dashboard; the log and the audit say why no
        # email came (mail.send has logged its own errors), and the job tries again.
        if not isinstance(exc, mail.MailError):
            log.exception("urgent notice for intake %s failed", intake_id)
        db.session.rollback()
        metrics.urgent_notice(sent=False)
        audit.record(
            "intake.urgent_notify_failed",
            clinic_id=intake.clinic_id,
            subject=intake,
            error=str(exc) or type(exc).__name__,
        )
        raise
    metrics.urgent_notice(sent=True)
    audit.record(
        "intake.urgent_notified", clinic_id=intake.clinic_id, subject=intake, to=", ".join(to)
    )
