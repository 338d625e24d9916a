"""Everything held about one client, as one zip: what an admin hands over when a client asks
for their data (the staff page and `flask --app intake clients export`).

Read through the same functions the rest of the service uses: parts_of for answers and
scores, the brief's store for its PDF, own_copy for the client's copy, the FHIR Bundle.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime
from typing import Any

from flask_babel import force_locale
from sqlalchemy import select

from .. import audit
from ..brief import store
from ..brief.build import pdf_for
from ..client import own_copy
from ..db import db
from ..intake_sets import versions_of, walk_of
from ..models import AuditEvent, ClientGoal, Intake, PdfState, QuestionnaireVersion, Staff
from . import parts_of
from .fhir import intake_bundle

README = """Everything {clinic} holds about one client (intake {id}), exported on {now} UTC.

client.json      who they are and how they may be reached (the invitation and the contact step)
consent.json     the consent they gave: typed name, time, wording version
answers.json     their answers, by question id, with each question's text
scores.json      the scores worked out from the answers (what the brief shows)
goals.json       the goals they named in their own words, and each rating (0-10) by intake
urgent.json      the safety flag, what the client was shown, and staff follow-ups with notes
audit.json       the audit log's entries about this intake (who did what, when)
brief.pdf        the therapist's brief
my-answers.pdf   the client's own copy of their answers
fhir.json        the same answers and scores as a FHIR R4 Bundle
Files for what does not exist yet (an intake not sent has no brief) are left out.
"""


def filename(intake: Intake) -> str:
    """The archive's file name: the intake's id only, never the client's name."""
    return f"intake-{intake.id}-client-data.zip"


def archive(intake: Intake) -> bytes:
    """The zip of everything held about the intake's client."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        now = datetime.now().replace(microsecond=0).isoformat(" ")
        zf.writestr("README.txt", README.format(clinic=intake.clinic.name, id=intake.id, now=now))
        for name, content in _json_files(intake).items():
            zf.writestr(name, json.dumps(content, indent=2, ensure_ascii=False, default=_plain))
        if intake.submitted:
            zf.writestr("brief.pdf", _brief_pdf(intake))
            definition = walk_of(intake).in_language(intake.language)
            with force_locale(intake.language):
                zf.writestr("my-answers.pdf", own_copy.answers_pdf(intake, definition))
    return buffer.getvalue()


def _json_files(intake: Intake) -> dict[str, Any]:
    contact = intake.contact
    files: dict[str, Any] = {
        "client.json": {
            "intake_id": intake.id,
            "name": intake.client_name,
            "invitation": {"email": intake.email, "phone": intake.phone},
            "contact_step": None
            if contact is None
            else {
                "declined": contact.declined,
                "phone": contact.phone,
                "email": contact.email,
                "voicemail_ok": contact.voicemail_ok,
                "texts_ok": contact.texts_ok,
                "safe_times": contact.safe_times,
                "confirmed_at": contact.confirmed_at,
            },
            "language": intake.language,
            "source": intake.source,
            "invited_at": intake.created_at,
            "started_at": intake.started_at,
            "submitted_at": intake.submitted_at,
            "therapist": intake.therapist.name if intake.therapist else None,
        },
        "consent.json": {
            "name_typed": intake.consent_name,
            "given_at": intake.consent_at,
            "wording_version": intake.consent_version,
        },
        "answers.json": _answers(intake),
        "urgent.json": {
            "urgent": intake.urgent,
            "flagged_at": intake.urgent_at,
            "safety_question_left_blank_at": intake.safety_skipped_at,
            "crisis_contacts_shown": intake.crisis_shown,
            "follow_ups": [
                {
                    "at": f.created_at,
                    "outcome": f.outcome.label,
                    "by": f.staff.name,
                    "note": f.note,
                }
                for f in intake.follow_ups
            ],
        },
        "goals.json": _goals(intake),
        "audit.json": _audit(intake),
    }
    if intake.submitted:
        files["scores.json"] = intake.result
        if intake.more_parts:  # several questionnaires: each one's scores, in order
            files["scores.json"] = [
                {"questionnaire": _version(part.version), "scores": part.result.to_json()}
                for part in parts_of(intake)
            ]
        files["fhir.json"] = intake_bundle(intake)
    return files


def _goals(intake: Intake) -> list[dict[str, Any]]:
    """The client's own goals (across their intakes: one person's record), with every rating."""
    if intake.client_id is None:
        return []
    goals = db.session.scalars(
        select(ClientGoal)
        .where(ClientGoal.client_id == intake.client_id)
        .order_by(ClientGoal.created_at, ClientGoal.id)
    )
    return [
        {
            "goal": goal.text,
            "named_on_intake": goal.intake_id,
            "ratings": [
                {"intake_id": r.intake_id, "rating": r.rating, "at": r.updated_at}
                for r in sorted(goal.ratings, key=lambda r: (r.updated_at, r.id))
            ],
        }
        for goal in goals
    ]


def _answers(intake: Intake) -> dict[str, Any]:
    """The answers by question id, with the question's text (also before sending)."""
    version = intake.questionnaire
    # Every question the client was asked (for several questionnaires, all of them).
    definition = walk_of(intake).in_language(intake.language)
    texts = {item.id: str(item.prompt) for page in definition.pages for item in page.items}
    answers = dict(intake.answers or {})
    parts = list(parts_of(intake))
    if len(parts) == 1:
        answers = dict(parts[0].answers)
    out = {
        "questionnaire": _version(version),
        "sent": intake.submitted,
        "answers": [
            {"question_id": key, "question": texts.get(key, key), "answer": value}
            for key, value in answers.items()
        ],
    }
    if intake.more_parts:
        out["questionnaires"] = [_version(v) for v in versions_of(intake)]
    return out


def _version(version: QuestionnaireVersion) -> dict[str, Any]:
    return {"id": version.key, "version": version.version, "title": version.title}


def _audit(intake: Intake) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(AuditEvent, Staff.name)
        .outerjoin(Staff, Staff.id == AuditEvent.actor_id)
        .where(AuditEvent.subject_type == "intake", AuditEvent.subject_id == intake.id)
        .order_by(AuditEvent.created_at, AuditEvent.id)
    ).all()
    return [
        {
            "at": event.created_at,
            "action": event.action,
            "what": audit.label(event.action),
            "by": name or "the client or the system",
            "detail": event.detail or {},
        }
        for event, name in rows
    ]


def _brief_pdf(intake: Intake) -> bytes:
    """The stored brief PDF, or (none stored yet) the brief rendered now."""
    row = store.record_of(intake)
    if row is not None and row.state == PdfState.READY and row.pdf:
        return row.pdf
    return pdf_for(intake)


def _plain(value: Any) -> Any:
    """Dates and other values JSON has no type for, as text."""
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat()
    return str(value)
