"""A client across intakes: their staff page (every intake, each measure's trend, their
goals) and the re-invitation that links a new intake to them (never matched by name)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from .. import audit, catalogue, clients, clinics, lifecycle
from ..access import active_staff, active_staff_member
from ..brief.render import render_history
from ..history import client_history
from ..models import Client, IntakeStatus
from . import bp
from .forms import InviteForm
from .invitations import _say, chosen_questionnaires, questionnaire_choices, show_once


def client_or_404(client_id: int) -> Client:
    """One of the signed-in user's clinic's clients; another clinic's is as none."""
    found = clients.client_or_404(client_id, current_user.clinic_id)
    if found is None:
        abort(404)
    return found


def _reinvite_form(client: Client) -> InviteForm:
    """The invitation form, filled in from the client's latest intake."""
    form = InviteForm()
    form.therapist_id.choices = [("", "Not assigned yet")] + [
        (str(s.id), s.name) for s in active_staff()
    ]
    # A questionnaire or an intake set: a re-invitation may re-ask only what can move.
    form.questionnaire_id.choices = questionnaire_choices(client.clinic_id)
    form.region = current_user.clinic.phone_region
    if not form.is_submitted():
        latest = client.intakes[-1] if client.intakes else None
        form.client_name.data = latest.client_name if latest else client.name
        form.email.data = latest.email if latest else ""
        form.phone.data = latest.phone if latest else ""
        chosen = latest.questionnaire if latest else None
        if chosen is None:
            chosen = catalogue.default_for(
                current_user.clinic, current_app.config["DEFAULT_QUESTIONNAIRE"]
            )
        form.questionnaire_id.data = str(chosen.id) if chosen else None
        therapist = latest.therapist_id if latest else None
        form.therapist_id.data = str(therapist or current_user.id)
    return form


def _page(client: Client, form: InviteForm | None) -> str:
    history = client_history(client)
    audit.record("client.record_viewed", subject=client)
    return render_template(
        "staff/client.html",
        client=client,
        # An erased intake is a tombstone: nothing of it is shown, not even that it was.
        intakes=[i for i in client.intakes if i.status != IntakeStatus.ERASED],
        history_html=render_history(history) if history.shown else None,
        form=form,
        missing=clinics.missing_crisis_contacts(current_user.clinic),
    )


@bp.route("/clients/<int:client_id>", methods=["GET", "POST"])
def client(client_id: int) -> BaseResponse | str:
    """A client's intakes over time, each measure's trend, their goals, and a re-invitation:
    a new intake of this client, with the questionnaire staff chose (re-ask what can move)."""
    found = client_or_404(client_id)
    clinic = current_user.clinic
    if clinics.missing_crisis_contacts(clinic):
        return _page(found, None)
    form = _reinvite_form(found)
    if not form.validate_on_submit() or (asked := chosen_questionnaires(clinic, form)) is None:
        return _page(found, form)
    therapist = (
        active_staff_member(int(form.therapist_id.data)) if form.therapist_id.data else None
    )
    item = lifecycle.invite(
        clinic,
        form.client_name.data or "",
        asked,
        therapist,
        email=(form.email.data or "").strip(),
        phone=form.phone_e164,
        emailed=bool(form.send_email.data),
        client=found,
    )
    if form.send_email.data and item.email:
        _say(lifecycle.send_link(item), item.email)
    show_once(item)  # only a hash of the token is kept: the next page shows the link once
    flash(f"A new intake for {found.name}: their answers will show next to earlier ones.")
    return redirect(url_for("staff.invitation", intake_id=item.id))
