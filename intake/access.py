"""Who may see what: every staff query is scoped to the signed-in user's clinic here."""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import Select, select

from .db import db
from .models import Intake


def clinic_intakes() -> Select[tuple[Intake]]:
    """The signed-in user's clinic's intakes, urgent first, newest first."""
    return (
        select(Intake)
        .where(Intake.clinic_id == current_user.clinic_id)
        .order_by(Intake.urgent.desc(), Intake.created_at.desc(), Intake.id.desc())
    )


def intake_or_404(intake_id: int) -> Intake:
    """One of the user's clinic's intakes; another clinic's is indistinguishable from none."""
    intake = db.session.scalar(
        select(Intake).where(Intake.id == intake_id, Intake.clinic_id == current_user.clinic_id)
    )
    if intake is None:
        abort(404)
    return intake
