"""Client invitations: invite, show and copy the link, send it, revoke, re-send, remind."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as BaseResponse
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from .. import audit, drafts, mail
from .. import intakes as lifecycle
from ..access import intake_or_404
from ..models import Clinic, Intake
from . import bp
from .forms import phone_number
from .workspace import clinic_staff, staff_member

EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class InviteForm(FlaskForm):
    """Whom to invite, with which questionnaire, for which therapist."""

    client_name = StringField(
        "Client's name",
        validators=[DataRequired("Please enter the client's name."), Length(max=200)],
    )
    email = StringField(
        "Email (optional)",
        validators=[Optional(), Length(max=254), Regexp(EMAIL, message="This is not an email.")],
    )
    phone = StringField(
        "Phone (optional)",
        validators=[
            Optional(),
            Length(max=40),
            phone_number(),
        ],
    )
    therapist_id = SelectField("Therapist", coerce=str)
    questionnaire_id = SelectField("Questionnaire", coerce=str)
    send_email = BooleanField("Send the link to the client by email now")

    def validate_send_email(self, field: BooleanField) -> None:
        """Sending needs an address."""
        if field.data and not (self.email.data or "").strip():
            raise ValidationError("Enter the client's email to send the link, or untick this.")


def _invite_form(clinic: Clinic) -> InviteForm:
    """The form with this clinic's therapists and questionnaires as choices."""
    form = InviteForm()
    form.therapist_id.choices = [("", "Not assigned yet")] + [
        (str(s.id), s.name) for s in clinic_staff()
    ]
    versions = drafts.available(clinic.id)
    form.questionnaire_id.choices = [
        (str(v.id), f"{v.title} ({'built-in' if v.clinic_id is None else 'clinic'}, v{v.version})")
        for v in versions
    ]
    if not form.is_submitted():
        default = drafts.latest_for(clinic.id, clinic.default_questionnaire) or drafts.latest_for(
            clinic.id, current_app.config["DEFAULT_QUESTIONNAIRE"]
        )
        form.questionnaire_id.data = str(default.id) if default else None
        form.therapist_id.data = str(current_user.id)
    return form


@bp.route("/invite", methods=["GET", "POST"])
def invite() -> BaseResponse | str:
    """Invite a client and show the link."""
    clinic = current_user.clinic
    form = _invite_form(clinic)
    if form.validate_on_submit():
        version = drafts.usable_version(clinic.id, int(form.questionnaire_id.data))
        therapist = staff_member(int(form.therapist_id.data)) if form.therapist_id.data else None
        item = lifecycle.invite(
            clinic,
            form.client_name.data or "",
            version,  # type: ignore[arg-type]  # the choices only hold usable versions
            therapist,
            email=(form.email.data or "").strip(),
            phone=(form.phone.data or "").strip(),
        )
        audit.record("client.invited", subject=item, emailed=bool(form.send_email.data))
        if form.send_email.data:
            _send(item, "invitation")
        return redirect(url_for("staff.invitation", intake_id=item.id))
    return render_template("staff/invite.html", form=form)


@bp.get("/intakes/<int:intake_id>/invitation")
def invitation(intake_id: int) -> str:
    """The link with a copy button, its state, and what can be done with it."""
    item = intake_or_404(intake_id)
    return render_template(
        "staff/invitation.html",
        intake=item,
        link=client_link(item),
        problem=lifecycle.link_problem(item),
        therapists=clinic_staff(),
    )


@bp.post("/intakes/<int:intake_id>/revoke")
def revoke(intake_id: int) -> BaseResponse:
    """Withdraw the link at once."""
    item = intake_or_404(intake_id)
    try:
        lifecycle.revoke(item)
    except lifecycle.AlreadySubmitted:
        # The link is the client's way to their confirmation and own copy: it stays.
        flash("The client has already sent their answers; the link stays open for their copy.")
        return redirect(url_for("staff.invitation", intake_id=intake_id))
    audit.record("client.link_revoked", subject=item)
    flash("The link is withdrawn; it no longer opens.")
    return redirect(url_for("staff.invitation", intake_id=intake_id))


@bp.post("/intakes/<int:intake_id>/resend")
def resend(intake_id: int) -> BaseResponse:
    """Open the link again for another full period, and email it when there is an address."""
    item = intake_or_404(intake_id)
    if item.submitted:
        flash("The client has already sent their answers.")
        return redirect(url_for("staff.invitation", intake_id=intake_id))
    lifecycle.resend(item)
    emailed = bool(item.email) and _send(item, "invitation")
    audit.record("client.link_resent", subject=item, emailed=emailed)
    flash("The link is open again" + (" and was emailed." if emailed else "."))
    return redirect(url_for("staff.invitation", intake_id=intake_id))


@bp.post("/intakes/<int:intake_id>/remind")
def remind(intake_id: int) -> BaseResponse:
    """Email a gentle reminder about an unfinished intake."""
    item = intake_or_404(intake_id)
    if item.submitted or lifecycle.link_problem(item) or not item.email:
        flash("A reminder needs an email address and an open, unfinished intake.")
        return redirect(url_for("staff.invitation", intake_id=intake_id))
    if _send(item, "reminder"):
        lifecycle.reminded(item)
        audit.record("client.reminded", subject=item)
        flash("Reminder sent.")
    return redirect(url_for("staff.invitation", intake_id=intake_id))


@bp.app_template_global()
def client_link(item: Intake) -> str:
    """The address the client opens, on the public base URL."""
    return mail.external_url("client.start", token=item.token)


def _send(item: Intake, kind: str) -> bool:
    """Email the link (an invitation or a reminder); a mail failure is said, never a 500."""
    body = render_template(
        f"staff/invite_{kind}.txt", intake=item, link=client_link(item), clinic=item.clinic
    )
    subject = (
        f"{item.clinic.name}: a few questions before we meet"
        if kind == "invitation"
        else f"{item.clinic.name}: a reminder about your questions"
    )
    try:
        mail.send(item.email or "", subject, body)
    except mail.MailError:
        flash("The email could not be sent just now. Please copy the link and send it yourself.")
        return False
    return True
