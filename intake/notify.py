"""Urgent safety notices: email the assigned therapist and the clinic's admins at once."""

from __future__ import annotations

import logging

from flask import render_template
from sqlalchemy import or_, select

from . import audit, mail
from .access import ADMIN
from .db import db
from .models import Intake, Staff

log = logging.getLogger(__name__)


def recipients(intake: Intake) -> list[Staff]:
    """Who hears of an urgent intake: its therapist and the clinic's admins, if active."""
    conditions = [Staff.role == ADMIN]
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
    """Tell staff an intake needs urgent attention; never fails the client's request.

    The email holds no answers, only a link to the staff area: email is not a safe channel
    for clinical content.
    """
    people = recipients(intake)
    if not people:
        log.error("urgent intake %s: the clinic has no active staff to notify", intake.id)
        return
    link = mail.external_url("staff.intake", intake_id=intake.id)
    body = render_template("email/urgent_intake.txt", clinic=intake.clinic, link=link)
    try:
        mail.send([p.email for p in people], "An intake needs urgent attention", body)
    except mail.MailError as exc:
        # The flag is already saved and pinned on the dashboard; the log and audit say why
        # no email came.
        audit.record(
            "intake.urgent_notify_failed",
            clinic_id=intake.clinic_id,
            subject=intake,
            error=str(exc),
        )
        return
    audit.record(
        "intake.urgent_notified",
        clinic_id=intake.clinic_id,
        subject=intake,
        to=", ".join(p.email for p in people),
    )
