"""Who may see what: every staff query is scoped to the signed-in user's clinic here."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import abort
from flask_login import current_user
from sqlalchemy import Select, select

from .db import db
from .models import AuditEvent, Intake, IntakeStatus, Role, Staff

P = ParamSpec("P")
R = TypeVar("R")


def intake_or_404(intake_id: int) -> Intake:
    """One of the user's clinic's intakes; another clinic's is indistinguishable from none,
    and an erased one (a tombstone, with nothing to show) answers 410 Gone."""
    intake = db.session.scalar(
        select(Intake).where(Intake.id == intake_id, Intake.clinic_id == current_user.clinic_id)
    )
    if intake is None:
        abort(404)
    if intake.status == IntakeStatus.ERASED:
        # Their own clinic's record (from an old email or the audit log): staff are told it
        # was erased, not that it never was.
        abort(410)
    return intake


def is_admin() -> bool:
    """Whether the signed-in user is an admin of their clinic."""
    return bool(current_user.is_authenticated and current_user.role == Role.ADMIN)


def admin_only(view: Callable[P, R]) -> Callable[P, R]:
    """A view only clinic admins may open; the role is checked before any record is looked up."""

    @wraps(view)
    def checked(*args: P.args, **kwargs: P.kwargs) -> R:
        if not is_admin():
            abort(403)
        return view(*args, **kwargs)

    return checked


# Select[Any] below: SQLAlchemy 2.0 and 2.1 spell a typed Select differently.
def clinic_staff() -> Select[Any]:
    """The signed-in user's clinic's staff, by name."""
    return (
        select(Staff)
        .where(Staff.clinic_id == current_user.clinic_id)
        .order_by(Staff.name, Staff.id)
    )


def staff_member_or_404(staff_id: int) -> Staff:
    """One of the user's clinic's staff; another clinic's is indistinguishable from none."""
    staff = db.session.scalar(clinic_staff().where(Staff.id == staff_id))
    if staff is None:
        abort(404)
    return staff


def active_staff() -> list[Staff]:
    """The active staff of the signed-in user's clinic, by name (therapist choices)."""
    return list(db.session.scalars(clinic_staff().where(Staff.active.is_(True))))


def active_staff_member(staff_id: int | None) -> Staff | None:
    """One active staff member of the user's clinic, or None for any other id."""
    if staff_id is None:
        return None
    found: Staff | None = db.session.scalar(
        clinic_staff().where(Staff.id == staff_id, Staff.active.is_(True))
    )
    return found


def clinic_audit() -> Select[Any]:
    """The signed-in user's clinic's audit log, newest first."""
    return (
        select(AuditEvent)
        .where(AuditEvent.clinic_id == current_user.clinic_id)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    )


def clinic_audit_actions() -> Select[Any]:
    """The distinct actions in the signed-in user's clinic's audit log."""
    return (
        select(AuditEvent.action).where(AuditEvent.clinic_id == current_user.clinic_id).distinct()
    )


def client_names(intake_ids: Iterable[int | None]) -> dict[int, str]:
    """The client names of some of the user's clinic's intakes, by id (others are left out)."""
    wanted = {i for i in intake_ids if i is not None}
    if not wanted:
        return {}
    rows = db.session.execute(
        select(Intake.id, Intake.client_name).where(
            Intake.id.in_(wanted),
            Intake.clinic_id == current_user.clinic_id,
            Intake.status != IntakeStatus.ERASED,
        )
    )
    return {row.id: row.client_name for row in rows}
