"""The audit log page: clinic admins read and filter it; nothing here can change it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import render_template, request, url_for
from flask_login import current_user
from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from .. import audit, dates
from ..access import admin_only, client_names, clinic_audit, clinic_audit_actions, clinic_staff
from ..db import db
from ..models import AuditEvent
from . import bp
from .forms import AuditFilterForm

PER_PAGE = 50
MAX_PAGE = 100_000


@bp.get("/audit")
@admin_only
def audit_log() -> str:
    """The clinic's audit log, newest first, filtered by action, person and dates."""
    staff = {s.id: s for s in db.session.scalars(clinic_staff())}
    actions = db.session.scalars(clinic_audit_actions()).all()
    form = AuditFilterForm(request.args)
    form.action.choices = [SelectChoice("", "Any action")] + sorted(
        (SelectChoice(a, audit.label(a)) for a in actions), key=lambda c: c.label
    )
    form.actor.choices = [SelectChoice("", "Anyone")] + [
        SelectChoice(str(i), s.name) for i, s in staff.items()
    ]
    valid = form.validate() and _last_day_has_a_next(form)
    query = _filtered(clinic_audit(), form) if valid else clinic_audit()
    page = db.paginate(
        query.options(selectinload(AuditEvent.actor)),
        # Bounded: a page number past 64 bits must not reach the database as an offset.
        page=min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE),
        per_page=PER_PAGE,
        error_out=False,
    )
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    intake_ids = {e.subject_id for e in page.items if e.subject_type == "intake"}
    return render_template(
        "staff/audit.html",
        form=form,
        page=page,
        staff=staff,
        names={i: s.name for i, s in staff.items()},
        clients=client_names(intake_ids),
        label=audit.label,
        describe=audit.describe,
        page_url=lambda n: url_for("staff.audit_log", **{**args, "page": n}),
    )


def _last_day_has_a_next(form: AuditFilterForm) -> bool:
    """The end date filters up to the day after it, so 31 Dec 9999 cannot be one."""
    if form.end.data and form.end.data >= date.max:
        form.end.errors = [*form.end.errors, "Choose an earlier date."]
        return False
    return True


def _filtered(query: Select[Any], form: AuditFilterForm) -> Select[Any]:
    """The log narrowed to the form's filters (dates are whole days in the clinic's zone)."""
    if form.action.data:
        query = query.where(AuditEvent.action == form.action.data)
    if form.actor.data:
        person = int(form.actor.data)
        # "By person" covers what they did and what was done to their account (failed sign-ins).
        query = query.where(
            or_(
                AuditEvent.actor_id == person,
                and_(AuditEvent.subject_type == "staff", AuditEvent.subject_id == person),
            )
        )
    if form.start.data:
        start = dates.day_start(form.start.data, current_user.clinic.time_zone)
        query = query.where(AuditEvent.created_at >= start)
    if form.end.data:
        day_after = dates.day_start(
            form.end.data + timedelta(days=1), current_user.clinic.time_zone
        )
        query = query.where(AuditEvent.created_at < day_after)
    return query
