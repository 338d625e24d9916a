"""A client's data rights from the intake's page: everything held about them as a zip, their
data erased (admins only), and their link to their own copy closed at once."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response as BaseResponse

from .. import audit, erasure, lifecycle
from ..access import admin_only, intake_or_404
from ..exports import client as client_export
from . import bp
from .forms import EraseForm


@bp.get("/intakes/<int:intake_id>/client-data.zip")
@admin_only
def export_client(intake_id: int) -> Response:
    """Everything held about the client, as one zip (audited; never kept by a cache)."""
    item = intake_or_404(intake_id)
    data = client_export.archive(item)
    audit.record("client.exported", subject=item, via="staff page")
    response = Response(
        data,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{client_export.filename(item)}"'},
    )
    response.cache_control.no_store = True
    return response


@bp.route("/intakes/<int:intake_id>/erase", methods=["GET", "POST"])
@admin_only
def erase_client(intake_id: int) -> BaseResponse | tuple[str, int]:
    """Ask for the client's name (or the word erase), then erase everything held about them."""
    item = intake_or_404(intake_id)
    form = EraseForm()
    if form.validate_on_submit() and form.confirmed(item.client_name):
        try:
            erasure.erase(item)
        except erasure.AlreadyErased:
            pass  # a double click: the first press did it
        # The intake's number only: the flash message travels in the session cookie.
        flash(f"Intake {intake_id} is erased: nothing the client gave on it is kept.")
        return redirect(url_for("staff.intakes"))
    status = 400 if form.is_submitted() else 200
    return render_template("staff/erase.html", intake=item, form=form), status


@bp.post("/intakes/<int:intake_id>/close-link")
def close_link(intake_id: int) -> BaseResponse:
    """Close a sent intake's link at once, so the client's own copy no longer opens."""
    item = intake_or_404(intake_id)
    if not item.submitted:
        flash("Before the client sends, withdraw the link instead.")
    elif lifecycle.link_problem(item) is not None:
        flash("The link is already closed.")
    else:
        lifecycle.close_copy(item)
        flash("The link is closed: the client's confirmation and own copy no longer open.")
    return redirect(url_for("staff.invitation", intake_id=intake_id))
