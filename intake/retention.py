"""Retention: each clinic's intakes are erased when its settings say they have been kept long
enough, by a daily job (the durable outbox) and by `flask --app intake retention apply`.

Three rules, per clinic (Settings): a submitted intake is erased `retention_months` after it
was sent (off unless the clinic sets it: how long clinical records must be kept is set by the
clinic's own law and profession, often years, so no default could be right for everyone);
an invitation never opened (nothing answered, no consent, its link closed) is erased
`unopened_days` after it was sent (90 by default: it holds only a name and contact details
typed by staff, of a person who never took part, and is kept no longer than it is useful);
an unfinished intake (invited, started, or stopped because the client said they are under 18;
its link closed) is erased `unfinished_days` after its last activity (off unless the clinic
sets it). Its last activity is the latest of: the invitation, the client's last save, a
reminder, the link's withdrawal, and any audited action about it (a re-sent link, a reminder,
the under-18 stop), so an intake someone is still working on is never "abandoned". An urgent
intake nobody has recorded a follow-up on is never erased as unfinished: its flag waits for a
person. Each intake is checked again under the erasure's row lock, so a link re-opened (or an
intake sent) while a run is under way keeps it.
"""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import func, or_, select

from . import erasure, follow_up, outbox
from .accounts import shown_once
from .db import db
from .models import (
    AuditEvent,
    Clinic,
    Intake,
    IntakeStatus,
    Job,
    JobState,
    utcnow,
)

log = logging.getLogger(__name__)

DAILY = "retention.daily"
EVERY = timedelta(days=1)


@dataclass(frozen=True)
class Due:
    """One intake a retention rule erases: ids, the rule and its date only (no names)."""

    intake_id: int
    clinic: str
    rule: str  # "submitted", "unopened" or "unfinished"
    # When it was sent (submitted), the invitation made (unopened), or last touched
    # (unfinished).
    since: datetime

    def line(self) -> str:
        """One line for the command's list."""
        what = {
            "submitted": "sent",
            "unopened": "invited, never opened",
            "unfinished": "unfinished, last activity",
        }[self.rule]
        return f"intake {self.intake_id}  clinic {self.clinic}  {what} {self.since:%Y-%m-%d}"


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the month's last day if the
    day does not exist then)."""
    total = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(total, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def due(now: datetime | None = None) -> list[Due]:
    """Every intake a clinic's retention settings erase now, oldest first."""
    now = now or utcnow()
    found: list[Due] = []
    for clinic in db.session.scalars(select(Clinic).order_by(Clinic.id)):
        if clinic.retention_months:
            cutoff = months_before(now, clinic.retention_months)
            sent = db.session.execute(
                select(Intake.id, Intake.submitted_at).where(
                    Intake.clinic_id == clinic.id,
                    Intake.status == IntakeStatus.SUBMITTED,
                    Intake.submitted_at <= cutoff,
                )
            )
            found += [Due(i, clinic.slug, "submitted", at) for i, at in sent if at is not None]
        if clinic.unopened_days:
            unopened = db.session.execute(
                select(Intake.id, Intake.created_at).where(
                    Intake.clinic_id == clinic.id,
                    Intake.status == IntakeStatus.INVITED,
                    Intake.consent_at.is_(None),
                    Intake.created_at <= now - timedelta(days=clinic.unopened_days),
                    # Only once its link is closed: a client may still open an open one.
                    or_(Intake.revoked_at.is_not(None), Intake.expires_at < now),
                )
            )
            found += [Due(i, clinic.slug, "unopened", at) for i, at in unopened]
        if clinic.unfinished_days:
            # An intake both rules erase is listed (and erased) once, by the rule above.
            listed = {d.intake_id for d in found}
            later = unfinished(clinic, clinic.unfinished_days, now)
            found += [d for d in later if d.intake_id not in listed]
    return sorted(found, key=lambda d: (d.since, d.intake_id))


# An intake's latest audited action: a re-sent or withdrawn link, a reminder, the under-18
# stop (the invitation itself is created_at).
_LAST_AUDITED = (
    select(func.max(AuditEvent.created_at))
    .where(AuditEvent.subject_type == "intake", AuditEvent.subject_id == Intake.id)
    .correlate(Intake)
    .scalar_subquery()
)


def unfinished(clinic: Clinic, days: int, now: datetime) -> list[Due]:
    """The clinic's intakes never sent, their link closed, untouched for `days` days."""
    cutoff = now - timedelta(days=days)
    rows = db.session.execute(
        select(
            Intake.id,
            Intake.created_at,
            Intake.updated_at,
            Intake.reminder_sent_at,
            Intake.revoked_at,
            _LAST_AUDITED,
        ).where(
            Intake.clinic_id == clinic.id,
            Intake.status.in_((IntakeStatus.INVITED, IntakeStatus.IN_PROGRESS)),
            Intake.created_at <= cutoff,
            # Only once its link is closed: a client may still come back to an open one.
            or_(Intake.revoked_at.is_not(None), Intake.expires_at < now),
            # An urgent flag waits for a person, however old, until someone has spoken with
            # the client (a call that reached nobody leaves it waiting).
            or_(Intake.urgent.is_(False), follow_up.reached_clause()),
        )
    )
    found = []
    for intake_id, *moments in rows:
        last = max(m for m in moments if m is not None)
        if last <= cutoff:
            found.append(Due(intake_id, clinic.slug, "unfinished", last))
    return found


def _still_due(intake: Intake, rule: str, now: datetime) -> bool:
    """What the listing found, checked again on the locked row: still sent (submitted), or
    still unsent with its link closed (unopened, unfinished)."""
    if rule == "submitted":
        return intake.status == IntakeStatus.SUBMITTED
    closed = intake.revoked_at is not None or (
        intake.expires_at is not None and intake.expires_at < now
    )
    return closed and intake.status in (IntakeStatus.INVITED, IntakeStatus.IN_PROGRESS)


def apply(now: datetime | None = None, *, dry_run: bool = False) -> list[Due]:
    """Erase every intake due (or, dry_run, only say which); returns them."""
    now = now or utcnow()
    found = due(now)
    if dry_run:
        return found
    for item in found:
        intake = db.session.get(Intake, item.intake_id)
        if intake is None:
            continue
        try:
            erasure.erase(
                intake,
                reason="retention",
                rule=item.rule,
                still_due=partial(_still_due, rule=item.rule, now=now),
            )
        except erasure.AlreadyErased:
            continue  # another run got there first, or staff kept it meanwhile
    if found:
        log.info("retention erased %d intake(s)", len(found))
    return found


@outbox.handler(DAILY, max_attempts=3, lease=lambda: 3600)
def _daily(_: dict[str, Any]) -> None:
    # The next run is recorded before this one works, so a failure never ends the chain.
    outbox.schedule(DAILY, {}, key=DAILY, run_at=utcnow() + EVERY)
    db.session.commit()
    apply()
    # Links and notes kept for a page that was never shown: expired, emptied here.
    shown_once.forget_stale()


def schedule_daily() -> None:
    """Make sure the daily run is waiting (in the caller's transaction); due now when none
    was, so a new deployment applies its clinics' settings on its first start."""
    waiting = db.session.scalar(
        select(Job.id)
        .where(Job.kind == DAILY, Job.state.in_((JobState.PENDING, JobState.RUNNING)))
        .limit(1)
    )
    if waiting is None:
        outbox.schedule(DAILY, {}, key=DAILY)
