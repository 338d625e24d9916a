"""A client across intakes: their staff page (every intake, each measure's trend, their
goals) and the re-invitation that links a new intake to them (never matched by name)."""

from __future__ import annotations

from flask import abort, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from .. import audit, clients, clinics, intake_sets, phones
from ..accounts import shown_once
from ..brief.render import render_history
from ..history import client_history
from ..models import Client, Intake, IntakeStatus
from . import bp
from .forms import InviteForm
from .invitations import chosen_questionnaires, invite_form, invite_from_form


def client_or_404(client_id: int) -> Client:
    """One of the signed-in user's clinic's clients; another clinic's is as none."""
    found = clients.client_or_404(client_id, current_user.clinic_id)
    if found is None:
        abort(404)
    if clients.erased(found):
        # Their own clinic's record: staff are told it was erased, not that it never was.
        abort(410)
    return found


def _reinvite_form(client: Client) -> InviteForm:
    """The invitation form (a questionnaire or an intake set: a re-invitation may re-ask only
    what can move), filled in from the client's latest intake still held."""
    form = invite_form(current_user.clinic)
    form.region = current_user.clinic.phone_region
    if not form.is_submitted():
        kept = [i for i in client.intakes if i.status != IntakeStatus.ERASED]
        latest = kept[-1] if kept else None
        form.client_name.data = latest.client_name if latest else client.name
        if latest is not None:
            form.email.data = latest.email or ""
            # As staff pages show numbers (+1 201-555-0123); it is read back to the same E.164.
            form.phone.data = phones.display(latest.phone)
            form.questionnaire_id.data = _asked(latest)
            form.therapist_id.data = str(latest.therapist_id or current_user.id)
    return form


def _asked(intake: Intake) -> str:
    """The invitation form's choice for what an intake asked: the intake set that asks the
    same questionnaires in the same order (a set's first questionnaire alone would drop the
    rest), else its questionnaire version."""
    keys = [v.key for v in intake_sets.versions_of(intake)]
    if len(keys) > 1:
        for row in intake_sets.sets_of(intake.clinic_id):
            if list(row.questionnaires) == keys:
                return f"set:{row.id}"
    return str(intake.questionnaire_id)


def _page(client: Client, form: InviteForm | None) -> str:
    history = client_history(client)
    audit.record("client.record_viewed", subject=client)
    # An erased intake is a tombstone: nothing of it is shown, not even that it was.
    intakes = [i for i in client.intakes if i.status != IntakeStatus.ERASED]
    return render_template(
        "staff/client.html",
        client=client,
        intakes=intakes,
        # Every questionnaire an intake asks (an intake set's too), not just its first.
        asks={i.id: intake_sets.versions_of(i) for i in intakes},
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
    item = invite_from_form(clinic, form, asked, client=found)
    shown_once.note(
        f"A new intake for {found.name}: their answers will show next to earlier ones."
    )
    return redirect(url_for("staff.invitation", intake_id=item.id))
