"""The audit log: record who viewed, downloaded, invited, changed or signed in."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from .db import db
from .models import AuditEvent

# How the log page names actions; an action without an entry is shown by its own name.
LABELS = {
    "staff.login": "Signed in",
    "staff.login_failed": "Failed sign-in",
    "staff.logout": "Signed out",
    "staff.invited": "Invited a colleague",
    "staff.invitation_resent": "Re-sent a colleague's invitation",
    "staff.joined": "Accepted an invitation",
    "staff.password_reset_requested": "Asked for a password reset",
    "staff.password_reset_completed": "Set a new password",
    "staff.role_changed": "Changed a role",
    "staff.deactivated": "Deactivated an account",
    "staff.reactivated": "Reactivated an account",
    "intake.urgent_notified": "Urgent intake: staff emailed",
    "intake.urgent_notify_failed": "Urgent intake: email failed",
    "intake.reviewed": "Marked an intake reviewed",
    "intake.reassigned": "Reassigned an intake",
    "client.invited": "Invited a client",
    "client.self_referred": "A client referred themselves",
    "client.link_resent": "Re-sent a client's link",
    "client.link_revoked": "Withdrew a client's link",
    "client.reminded": "Sent a client a reminder",
    "brief.viewed": "Viewed a brief",
    "brief.downloaded": "Downloaded a brief",
    "brief.retried": "Asked for a brief's PDF again",
    "questionnaire.created": "Created a questionnaire",
    "questionnaire.edited": "Edited a questionnaire draft",
    "questionnaire.published": "Published a questionnaire",
    "settings.changed": "Changed clinic settings",
    "export.csv": "Downloaded intakes as CSV",
    "export.dictionary": "Downloaded a data dictionary",
    "export.fhir": "Downloaded intakes as FHIR",
    "api.token_created": "Created an API token",
    "api.token_revoked": "Revoked an API token",
    "api.request": "API request",
    "api.webhook_set": "Set the submission webhook",
    "api.webhook_removed": "Removed the submission webhook",
    "api.webhook_delivered": "Webhook delivered",
    "api.webhook_failed": "Webhook delivery failed",
}


def label(action: str) -> str:
    """A readable name for an action."""
    return LABELS.get(action, action.replace(".", " ").replace("_", " ").capitalize())


def record(
    action: str,
    *,
    clinic_id: int | None = None,
    subject: Any = None,
    actor_id: int | None = None,
    commit: bool = True,
    anonymous: bool = False,
    **detail: Any,
) -> AuditEvent:
    """Append one event; actor and clinic default to the signed-in user (unless anonymous:
    an API request acts by its token, never by whatever browser session came along).

    Other modules log their own actions with it, e.g. record("brief.viewed", subject=intake).
    """
    signed_in = not anonymous and has_request_context() and current_user.is_authenticated
    entry = AuditEvent(
        clinic_id=clinic_id
        if clinic_id is not None
        else (current_user.clinic_id if signed_in else None),
        actor_id=actor_id if actor_id is not None else (current_user.id if signed_in else None),
        action=action,
        subject_type=type(subject).__name__.lower() if subject is not None else None,
        subject_id=getattr(subject, "id", None),
        detail=detail,
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    if commit:
        db.session.commit()
    return entry


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _immutable(*_: Any) -> None:
    # Entries cannot be edited from the application, whatever a view tries.
    raise PermissionError("audit events are append-only")


@event.listens_for(Session, "do_orm_execute")
def _no_bulk_changes(state: ORMExecuteState) -> None:
    # The same rule for update()/delete() statements, which skip the per-row events above.
    if (state.is_update or state.is_delete) and any(
        mapper.class_ is AuditEvent for mapper in state.all_mappers
    ):
        raise PermissionError("audit events are append-only")
