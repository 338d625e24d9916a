"""The staff workspace: the clinic's intakes (the dashboard), reviewing and reassigning."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from .. import dashboard, lifecycle, notify
from ..access import active_staff, active_staff_member, intake_or_404
from ..accounts import shown_once
from ..brief import store
from . import bp


@bp.get("/")
def intakes() -> str:
    """Every intake of the clinic, urgent first, filtered and paged."""
    filters = dashboard.Filters.from_args(request.args)
    result = dashboard.page(
        current_user.clinic_id, filters, request.args.get("after"), request.args.get("before")
    )
    return render_template(
        "staff/intakes.html",
        page=result,
        filters=filters,
        therapists=active_staff(),
        pdf_status=store.statuses(result.rows),
        notices=notify.waiting([row.id for row in result.rows if row.urgent]),
    )


@bp.post("/intakes/<int:intake_id>/reviewed")
def mark_reviewed(intake_id: int) -> BaseResponse:
    """Note that the brief has been read."""
    item = intake_or_404(intake_id)
    if not item.submitted:
        flash("An intake can be marked reviewed once the client has sent it.")
    elif item.reviewed_at is None:
        lifecycle.mark_reviewed(item, current_user)
        shown_once.note(f"{item.client_name}'s intake is marked reviewed.")
    return redirect(_back(intake_id))


@bp.post("/intakes/<int:intake_id>/therapist")
def reassign(intake_id: int) -> BaseResponse:
    """Give the intake to another therapist of the clinic."""
    item = intake_or_404(intake_id)
    raw = request.form.get("therapist_id", "")
    therapist = active_staff_member(dashboard.row_id(raw))
    if raw and therapist is None:
        flash("Please choose a therapist from the list.")
        return redirect(_back(intake_id))
    lifecycle.reassign(item, therapist)
    who = therapist.name if therapist else "nobody"
    shown_once.note(f"{item.client_name}'s intake is now with {who}.")
    return redirect(_back(intake_id))


def _back(intake_id: int) -> str:
    """Back to the invitation page the form was on."""
    return url_for("staff.invitation", intake_id=intake_id)
