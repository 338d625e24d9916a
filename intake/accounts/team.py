"""The one place that changes staff accounts: invitations, passwords, roles, sign-in records."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app, render_template
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import audit, mail, throttle
from ..db import db
from ..mail import Delivery
from ..models import Clinic, Role, Staff, utcnow
from . import sessions, tokens
from .auth import NO_PASSWORD, hash_password


class EmailTaken(Exception):
    """Another account at the same clinic already uses this email."""


class LastAdmin(Exception):
    """The change would leave the clinic without an active admin."""


class OwnAccount(Exception):
    """Admins cannot deactivate themselves (another admin can)."""


def normal_email(email: str) -> str:
    """An email as accounts are looked up by: trimmed, lower case."""
    return email.strip().lower()[:254]


def accounts_by_email(email: str) -> list[Staff]:
    """The accounts with this email, in any letter case (one per clinic at most)."""
    return list(
        db.session.scalars(
            select(Staff).where(func.lower(Staff.email) == normal_email(email)).order_by(Staff.id)
        )
    )


def find_by_email(email: str) -> Staff | None:
    """The first account with this email (tests and scripts; sign-in uses accounts_by_email)."""
    found = accounts_by_email(email)
    return found[0] if found else None


def find_in_clinic(clinic_id: int, email: str) -> Staff | None:
    """The clinic's account with this email, if any."""
    return db.session.scalar(
        select(Staff).where(
            Staff.clinic_id == clinic_id, func.lower(Staff.email) == normal_email(email)
        )
    )


def invite(
    clinic: Clinic, name: str, email: str, role: Role, by: Staff
) -> tuple[Staff, str, Delivery]:
    """Create an account without a password and send its set-password link; returns the link.

    Only this clinic's accounts can make an email "taken": whether the address has an
    account at another clinic is never revealed (the person then has one at each).
    """
    email = normal_email(email)
    if find_in_clinic(clinic.id, email) is not None:
        raise EmailTaken(email)
    staff = Staff(
        clinic_id=clinic.id, name=name.strip(), email=email, role=role, password_hash=NO_PASSWORD
    )
    db.session.add(staff)
    try:
        db.session.flush()
    except IntegrityError as exc:  # the same email, invited at the same moment
        db.session.rollback()
        raise EmailTaken(email) from exc
    audit.record("staff.invited", subject=staff, commit=False, email=email, role=role)
    link, delivery = _send_invitation(staff, by)
    return staff, link, delivery


def resend_invitation(staff: Staff, by: Staff) -> tuple[str, Delivery]:
    """A fresh link for someone who has not joined yet; the earlier link stops working."""
    audit.record("staff.invitation_resent", subject=staff, commit=False, email=staff.email)
    return _send_invitation(staff, by)


def _send_invitation(staff: Staff, by: Staff) -> tuple[str, Delivery]:
    days = int(current_app.config["STAFF_INVITE_DAYS"])
    token = tokens.issue(staff, tokens.INVITE, timedelta(days=days))
    db.session.commit()
    link = mail.external_url("staff.join", token=token)
    body = render_template(
        "email/staff_invitation.txt",
        staff=staff,
        by=by,
        clinic=staff.clinic,
        role=staff.role.label,
        link=link,
        days=days,
    )
    return link, mail.deliver(staff.email, f"You are invited to {staff.clinic.name}", body)


def join(token: str, name: str, password: str) -> Staff | None:
    """Accept an invitation: set name and password; None if the link is not usable."""
    staff = tokens.consume(token, tokens.INVITE)
    if staff is None:
        return None
    staff.name = name.strip()
    staff.password_hash = hash_password(password)
    sessions.end_all(staff, "password")
    audit.record(
        "staff.joined", clinic_id=staff.clinic_id, actor_id=staff.id, subject=staff, commit=False
    )
    db.session.commit()
    return staff


def request_reset(email: str) -> None:
    """Email a reset link to each active account with this email; callers say the same
    either way. At most a few emails an hour per address (RULES["reset_account"]).

    The emails go out after the response (mail.send_later), so neither the mail server's
    speed nor whether there was anything to send shows in the response time.
    """
    email = normal_email(email)
    accounts = [s for s in accounts_by_email(email) if s.active]
    limited = bool(accounts) and bool(throttle.take("reset_account", email))
    extra: dict[str, Any] = {"sent": False, "reason": "too many requests"} if limited else {}
    people: list[Staff | None] = [*accounts] or [None]
    for staff in people:
        audit.record(
            "staff.password_reset_requested",
            clinic_id=staff.clinic_id if staff else None,
            subject=staff,
            commit=False,
            email=email,
            **extra,
        )
    if limited or not accounts:
        db.session.commit()
        return
    minutes = int(current_app.config["PASSWORD_RESET_MINUTES"])
    links = [
        (staff, tokens.issue(staff, tokens.RESET, timedelta(minutes=minutes)))
        for staff in accounts
    ]
    db.session.commit()
    for staff, token in links:
        link = mail.external_url("staff.reset_password", token=token)
        body = render_template(
            "email/staff_password_reset.txt", staff=staff, link=link, minutes=minutes
        )
        mail.send_later(staff.email, "Reset your password", body)


def reset_password(token: str, password: str) -> Staff | None:
    """Set a new password with a reset link, once; None if the link is not usable."""
    staff = tokens.consume(token, tokens.RESET)
    if staff is None:
        return None
    staff.password_hash = hash_password(password)
    sessions.end_all(staff, "password")
    audit.record(
        "staff.password_reset_completed",
        clinic_id=staff.clinic_id,
        actor_id=staff.id,
        subject=staff,
        commit=False,
    )
    db.session.commit()
    throttle.clear("login_account", staff.email)
    return staff


def change_password(staff: Staff, password: str) -> int:
    """A signed-in person sets a new password; their other sessions end. Returns how many."""
    staff.password_hash = hash_password(password)
    ended = sessions.end_all(staff, "password", keep_current=True)
    audit.record("staff.password_changed", subject=staff, commit=False, other_sessions=ended)
    db.session.commit()
    return ended


def end_sessions(staff: Staff, *, keep_current: bool = False) -> int:
    """Sign a person out everywhere (or everywhere else); returns how many sessions ended."""
    ended = sessions.end_all(staff, "everywhere", keep_current=keep_current)
    audit.record("staff.sessions_ended", subject=staff, commit=False, sessions=ended)
    db.session.commit()
    return ended


def change_role(staff: Staff, role: Role) -> None:
    """Make someone an admin or a therapist; never leaves the clinic without an active admin."""
    if role == staff.role:
        return
    if staff.role == Role.ADMIN:
        _keep_an_admin(staff)
    audit.record("staff.role_changed", subject=staff, commit=False, old=staff.role, new=role)
    staff.role = role
    db.session.commit()


def set_active(staff: Staff, active: bool, by: Staff) -> None:
    """Deactivate (signed out at once, cannot sign in) or reactivate an account."""
    if active == staff.active:
        return
    if not active:
        if staff.id == by.id:
            raise OwnAccount()
        if staff.role == Role.ADMIN:
            _keep_an_admin(staff)
    staff.active = active
    if not active:
        sessions.end_all(staff, "deactivated")
    action = "staff.reactivated" if active else "staff.deactivated"
    audit.record(action, subject=staff, commit=False, email=staff.email)
    db.session.commit()


def _keep_an_admin(leaving: Staff) -> None:
    """Raise LastAdmin unless another active admin stays; locks the admins so two changes
    made at the same moment cannot each leave the other as the last one."""
    admins = db.session.scalars(
        select(Staff.id)
        .where(
            Staff.clinic_id == leaving.clinic_id, Staff.role == Role.ADMIN, Staff.active.is_(True)
        )
        .order_by(Staff.id)
        .with_for_update()
    ).all()
    if not [a for a in admins if a != leaving.id]:
        db.session.rollback()
        raise LastAdmin()


def signed_in(staff: Staff) -> None:
    """Note a successful sign-in."""
    staff.last_login_at = utcnow()
    audit.record(
        "staff.login", clinic_id=staff.clinic_id, actor_id=staff.id, subject=staff, commit=False
    )
    db.session.commit()


def sign_in_failed(
    email: str, accounts: Staff | list[Staff] | None, reason: str = "password"
) -> None:
    """Note a failed sign-in: the email tried (never the password), for each clinic's admins."""
    found = accounts if isinstance(accounts, list) else [accounts] if accounts else []
    people: list[Staff | None] = [*found] or [None]
    for staff in people:
        audit.record(
            "staff.login_failed",
            clinic_id=staff.clinic_id if staff else None,
            subject=staff,
            commit=False,
            email=normal_email(email),
            reason=reason,
        )
    db.session.commit()


def sign_in_locked(email: str, accounts: list[Staff], scope: str, seconds: int) -> None:
    """Note that failed sign-ins locked an email or a client address for a while."""
    people: list[Staff | None] = [*accounts] or [None]
    for staff in people:
        audit.record(
            "staff.login_locked",
            clinic_id=staff.clinic_id if staff else None,
            subject=staff,
            commit=False,
            email=normal_email(email),
            scope=scope,
            seconds=seconds,
        )
    db.session.commit()


def signed_out(staff: Staff, reason: str) -> None:
    """Note a sign-out ('manual', 'idle' or 'lifetime')."""
    audit.record(
        "staff.logout", clinic_id=staff.clinic_id, actor_id=staff.id, subject=staff, reason=reason
    )
