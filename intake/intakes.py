"""The one place that changes intakes: invite, save a page, flag urgent, submit."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from .db import db
from .models import Clinic, Intake, QuestionnaireVersion, Staff, utcnow
from .questionnaire import Definition
from .scoring import is_urgent, score

# 32 bytes of randomness: 256 bits, far beyond guessing.
TOKEN_BYTES = 32


class AlreadySubmitted(Exception):
    """A submitted intake is immutable."""


def invite(
    clinic: Clinic,
    client_name: str,
    questionnaire: QuestionnaireVersion,
    therapist: Staff | None = None,
) -> Intake:
    """Create an intake with a fresh unguessable link token."""
    intake = Intake(
        clinic_id=clinic.id,
        client_name=client_name.strip(),
        questionnaire_id=questionnaire.id,
        therapist_id=therapist.id if therapist else None,
        token=secrets.token_urlsafe(TOKEN_BYTES),
        answers={},
    )
    db.session.add(intake)
    db.session.commit()
    return intake


def by_token(token: str) -> Intake | None:
    """The intake a client link points to, if any."""
    return db.session.scalar(select(Intake).where(Intake.token == token))


def save_page(
    intake: Intake,
    definition: Definition,
    values: Mapping[str, Any],
    page_id: str,
    *,
    safety_asked: bool = False,
) -> bool:
    """Merge one page's answers and commit; returns whether this save made it urgent.

    The urgent flag is committed here, before any response is sent, so it holds even if
    the client closes the browser on the very next page.
    """
    _lock(intake)
    answers = merged(intake.answers, values)
    intake.answers = answers
    now = utcnow()
    if intake.status == "invited":
        intake.status = "in_progress"
        intake.started_at = now
    intake.current_page = page_id
    intake.updated_at = now
    intake.safety_asked = intake.safety_asked or safety_asked
    newly_urgent = not intake.urgent and is_urgent(definition, answers)
    if newly_urgent:
        intake.urgent = True
        intake.urgent_at = now
    db.session.commit()
    return newly_urgent


def merged(answers: Mapping[str, Any] | None, values: Mapping[str, Any]) -> dict[str, Any]:
    """Stored answers updated with one page's values; None clears an answer."""
    out = dict(answers or {})
    for key, value in values.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def submit(intake: Intake, definition: Definition) -> None:
    """Score the answers, store the result with the intake, and close it for changes."""
    _lock(intake)
    result = score(definition, intake.answers or {})
    intake.result = result.to_json()
    intake.status = "submitted"
    intake.submitted_at = intake.updated_at = utcnow()
    if result.urgent and not intake.urgent:
        intake.urgent, intake.urgent_at = True, intake.submitted_at
    db.session.commit()


def _lock(intake: Intake) -> None:
    """Reload the row under a lock, so a double submit or a late save cannot race."""
    db.session.scalar(
        select(Intake)
        .where(Intake.id == intake.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if intake.submitted:
        db.session.rollback()
        raise AlreadySubmitted(intake.id)
