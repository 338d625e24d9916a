"""The audit log: record who viewed, downloaded, invited, changed or signed in."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import event

from .db import db
from .models import AuditEvent


def record(
    action: str,
    *,
    clinic_id: int | None = None,
    subject: Any = None,
    actor_id: int | None = None,
    commit: bool = True,
    **detail: Any,
) -> AuditEvent:
    """Append one event; actor and clinic default to the signed-in user."""
    signed_in = has_request_context() and current_user.is_authenticated
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
