"""After a worrying safety answer: staff record that they contacted the client (or tried), by
whom, when, with a short note; until someone has spoken with the client, the intake is
waiting (a call that reached nobody does not end the wait), and the dashboard says for how
long (notify.py reminds the admins when it waits too long)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, exists

from . import audit
from .db import db
from .models import FollowUp, Intake, Staff, UrgentFollowUp, utcnow

NOTE_MAX = 500


class NotNeeded(Exception):
    """Only an urgent intake, or one whose safety question was left blank, is followed up."""


def needs_follow_up(intake: Intake) -> bool:
    """Whether staff should reach the client: urgent, or the safety question left blank."""
    return bool(intake.urgent or intake.safety_skipped_at)


def reached(follow_ups: Iterable[UrgentFollowUp]) -> bool:
    """Whether staff recorded speaking with the client (trying alone does not count)."""
    return any(f.outcome is FollowUp.CONTACTED for f in follow_ups)


def reached_clause() -> ColumnElement[bool]:
    """reached() in SQL, correlated to the intake of the enclosing query."""
    return exists().where(
        UrgentFollowUp.intake_id == Intake.id, UrgentFollowUp.outcome == FollowUp.CONTACTED
    )


def record(intake: Intake, staff: Staff, outcome: FollowUp, note: str | None) -> UrgentFollowUp:
    """Record a contact (or an attempt) and its audit entry in one commit.

    The note stays on the record, never in the audit log: it may hold clinical detail.
    """
    if not needs_follow_up(intake):
        raise NotNeeded(intake.id)
    row = UrgentFollowUp(
        intake_id=intake.id,
        staff_id=staff.id,
        outcome=outcome,
        note=(note or "").strip()[:NOTE_MAX] or None,
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        "intake.urgent_followed_up",
        subject=intake,
        commit=False,
        outcome=outcome.value,
        waited_minutes=minutes_since(intake.urgent_at or intake.safety_skipped_at),
    )
    db.session.commit()
    return row


def minutes_since(moment: datetime | None, now: datetime | None = None) -> int | None:
    """Whole minutes from a stored moment until now."""
    if moment is None:
        return None
    return max(0, int(((now or utcnow()) - moment).total_seconds() // 60))


def waited(moment: datetime | None, now: datetime | None = None) -> str:
    """How long since a stored moment, as staff read it: '45 min', '2 h 5 min', '3 days'."""
    minutes = minutes_since(moment, now)
    if minutes is None:
        return ""
    if minutes < 1:
        return "less than a minute"
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    return f"{hours // 24} days"


@dataclass(frozen=True)
class Latest:
    """The latest follow-up of an intake, as the dashboard shows it, and whether anyone has
    spoken with the client yet."""

    at: datetime
    outcome: FollowUp
    by: str
    reached: bool
