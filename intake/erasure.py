"""Erasing a client: everything held about them is deleted (not hidden); a tombstone stays.

One function, erase(), lists every place a client's data lives and empties it in one commit:
rows that hold it are deleted, the intake row keeps only its dates, clinic and questionnaire
version (status "erased"), the audit entries about it lose what identified the client, and
one audit entry says it happened (with counts, never a name). A table added later that holds
a client's data gets its line here (DELETED_ROWS) and in tests/test_erasure.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from email import message_from_bytes
from email.policy import default as email_policy
from email.utils import getaddresses
from pathlib import Path
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import ColumnElement, delete, select

from . import audit
from .client import own_copy
from .db import db
from .models import (
    BriefPdf,
    Client,
    ClientContact,
    ClientGoal,
    GoalRating,
    Intake,
    IntakeNameWord,
    IntakePart,
    IntakeStatus,
    Job,
    JobState,
    UrgentFollowUp,
    utcnow,
)

log = logging.getLogger(__name__)

# Rows deleted outright, by table: the condition that finds an intake's rows. The outbox's
# jobs about it (the brief's render, urgent notices and reminders, webhook deliveries) go too;
# one already running is left to finish, and its handler finds the intake erased and does
# nothing (brief.jobs.render_one stores no PDF for it).
DELETED_ROWS: dict[str, tuple[type[Any], Callable[[int], ColumnElement[bool]]]] = {
    "client_contact": (ClientContact, lambda i: ClientContact.intake_id == i),
    "urgent_follow_up": (UrgentFollowUp, lambda i: UrgentFollowUp.intake_id == i),
    "intake_name_word": (IntakeNameWord, lambda i: IntakeNameWord.intake_id == i),
    "brief_pdf": (BriefPdf, lambda i: BriefPdf.intake_id == i),
    # The client's goals named on this intake (with every rating of them), and the ratings
    # given on it of goals named earlier.
    "goal_rating": (
        GoalRating,
        lambda i: (
            (GoalRating.intake_id == i)
            | GoalRating.goal_id.in_(select(ClientGoal.id).where(ClientGoal.intake_id == i))
        ),
    ),
    "client_goal": (ClientGoal, lambda i: ClientGoal.intake_id == i),
    # The scores of every questionnaire after the first, for an intake that asked several.
    "intake_part": (IntakePart, lambda i: IntakePart.intake_id == i),
    "job": (
        Job,
        lambda i: (Job.params["intake_id"].as_integer() == i) & (Job.state != JobState.RUNNING),
    ),
}

# The intake row's columns that are emptied (the rest is the tombstone: id, clinic,
# questionnaire version, source, language of the kind page, the link's hash, and dates).
CLEARED: dict[str, Any] = {
    "client_name": "",
    "email": None,
    "phone": None,
    "therapist_id": None,
    "reviewed_by_id": None,
    "consent_name": None,
    "current_page": None,
    "answers": {},
    "result": None,
    "crisis_shown": None,
    # Health facts too: that the client reported thoughts of self-harm, or left it blank.
    "urgent": False,
    "urgent_at": None,
    "safety_asked": False,
    "safety_skipped_at": None,
    # That the client said they are under 18.
    "under_age_at": None,
}


class AlreadyErased(Exception):
    """The intake was erased before (or, asked by retention, is no longer due)."""


def erase(
    intake: Intake,
    *,
    reason: str = "request",
    rule: str | None = None,
    still_due: Callable[[Intake], bool] | None = None,
) -> dict[str, int]:
    """Delete everything held about the intake's client, in one commit; returns how many
    rows of each table were deleted. reason: "request" (an admin) or "retention" (then rule
    names which retention rule: "submitted", "unopened" or "unfinished"). still_due, when
    given, is asked on the locked row: False leaves the intake as it is (AlreadyErased)."""
    locked = db.session.scalar(
        select(Intake)
        .where(Intake.id == intake.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if (
        locked is None
        or locked.status == IntakeStatus.ERASED
        or (still_due is not None and not still_due(locked))
    ):
        db.session.rollback()
        raise AlreadyErased(intake.id)
    words = personal_words(locked)
    deleted: dict[str, int] = {}
    for table, (model, condition) in DELETED_ROWS.items():
        result = db.session.execute(
            delete(model).where(condition(locked.id)).execution_options(synchronize_session=False)
        )
        deleted[table] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    _forget_client(locked)
    deleted["other_briefs_to_remake"] = _forget_in_later_briefs(locked)
    # What the session may still hold of the rows just deleted is stale: forget it.
    db.session.expire(locked, ["contact", "follow_ups", "name_words"])
    for name, value in CLEARED.items():
        setattr(locked, name, value)
    locked.status = IntakeStatus.ERASED
    locked.erased_at = locked.updated_at = utcnow()
    deleted["audit_entries_scrubbed"] = audit.scrub("intake", locked.id, words)
    extra: dict[str, Any] = {"rule": rule} if rule else {}
    audit.record(
        "client.erased",
        clinic_id=locked.clinic_id,
        subject=locked,
        commit=False,
        reason=reason,
        **extra,
        rows_deleted=sum(v for k, v in deleted.items() if k != "audit_entries_scrubbed"),
    )
    db.session.commit()
    own_copy.forget_all()
    deleted["emails_deleted"] = _delete_outbox_mail(words)
    return deleted


def _forget_client(intake: Intake) -> None:
    """The client record keeps the name staff know them by: emptied with their last intake."""
    if intake.client_id is None:
        return
    others = db.session.scalar(
        select(Intake.id).where(
            Intake.client_id == intake.client_id,
            Intake.id != intake.id,
            Intake.status != IntakeStatus.ERASED,
        )
    )
    client = db.session.get(Client, intake.client_id)
    if others is None and client is not None:
        client.display_name = ""


def _forget_in_later_briefs(intake: Intake) -> int:
    """The client's other briefs drew this intake in their history (scores, goals, dates):
    their stored PDFs are deleted, to be made again without it when next asked for."""
    if intake.client_id is None:
        return 0
    others = select(Intake.id).where(Intake.client_id == intake.client_id, Intake.id != intake.id)
    result = db.session.execute(
        delete(BriefPdf)
        .where(BriefPdf.intake_id.in_(others))
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def personal_words(intake: Intake) -> list[str]:
    """What identifies the client in free text: names, email addresses, phone numbers."""
    contact = intake.contact
    found = [
        intake.client_name,
        intake.consent_name,
        intake.email,
        intake.phone,
        contact.email if contact else None,
        contact.phone if contact else None,
    ]
    return sorted({w.strip() for w in found if w and len(w.strip()) >= 3})


def _delete_outbox_mail(words: list[str]) -> int:
    """Delete the emails to the client written to instance/outbox/ (no SMTP server set)."""
    if not has_app_context():
        return 0
    addresses = {w.lower() for w in words if "@" in w}
    folder = Path(current_app.instance_path) / "outbox"
    if not addresses or not folder.is_dir():
        return 0
    removed = 0
    for path in folder.glob("*.eml"):
        try:
            message = message_from_bytes(path.read_bytes(), policy=email_policy)
            to = {a.lower() for _, a in getaddresses(message.get_all("To", []))}
            if to & addresses:
                path.unlink()
                removed += 1
        except OSError:
            log.exception("could not read or delete an outbox email")
    return removed
