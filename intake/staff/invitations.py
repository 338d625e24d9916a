"""Client invitations: invite, show the link once and copy it, send it, revoke, re-send, remind.

Only a hash of a link's token is stored, so a link is shown to staff once, on the page right
after it was made; re-sending makes a new one (the old one stops working).
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from .. import catalogue, clinics, intake_sets, lifecycle, mail, phones
from ..access import active_staff, active_staff_member, intake_or_404
from ..accounts import shown_once
from ..models import Client, Clinic, Intake, QuestionnaireVersion
from . import bp
from .forms import InviteForm
from .urgent import panel


def _say(delivery: mail.Delivery, to: str, what: str = "the link") -> None:
    """Tell the person what happened to the email, in the one wording (mail.delivery_note)."""
    # Kept on the server: the note holds the client's email address.
    shown_once.note(
        mail.delivery_note(delivery, to, what), "error" if delivery == "failed" else "info"
    )


# The shown-once kind of a link made by this browser's last invite or re-send.
NEW_LINK = "new_client_link"


def show_once(intake: Intake) -> None:
    """Keep a link just made for the next page (the invitation's), which shows it once.

    Kept on the server (accounts.shown_once): a link is a credential to the client's answers.
    """
    shown_once.keep(NEW_LINK, {"id": intake.id, "link": lifecycle.client_link(intake)})


def _shown_link(intake: Intake) -> str | None:
    """The link made just before this page, if it is this intake's (then forgotten)."""
    kept = shown_once.take(NEW_LINK)
    if isinstance(kept, dict) and kept.get("id") == intake.id:
        return str(kept.get("link"))
    return None


def invite_form(clinic: Clinic) -> InviteForm:
    """The form with this clinic's therapists and questionnaires as choices."""
    form = InviteForm()
    form.therapist_id.choices = [("", "Not assigned yet")] + [
        (str(s.id), s.name) for s in active_staff()
    ]
    form.questionnaire_id.choices = questionnaire_choices(clinic.id)
    if not form.is_submitted():
        default = catalogue.default_for(clinic, current_app.config["DEFAULT_QUESTIONNAIRE"])
        form.questionnaire_id.data = str(default.id) if default else None
        form.therapist_id.data = str(current_user.id)
    return form


def questionnaire_choices(clinic_id: int) -> list[tuple[str, str]]:
    """What an invitation may ask: each usable questionnaire version, and each intake set."""
    return [
        (str(v.id), f"{v.title} ({'built-in' if v.clinic_id is None else 'clinic'}, v{v.version})")
        for v in catalogue.available(clinic_id)
    ] + [
        # Several questionnaires through one link, in the set's order.
        (f"set:{s.id}", f"Intake set: {s.name} ({', '.join(s.questionnaires)})")
        for s in intake_sets.sets_of(clinic_id)
    ]


@bp.route("/invite", methods=["GET", "POST"])
def invite() -> BaseResponse | str:
    """Invite a client and show the link."""
    clinic = current_user.clinic
    if missing := clinics.missing_crisis_contacts(clinic):
        # Refused before any form: a client must never meet a built-in crisis default.
        return render_template("staff/invite.html", form=None, missing=missing)
    form = invite_form(clinic)
    form.region = clinic.phone_region
    if form.validate_on_submit() and (asked := chosen_questionnaires(clinic, form)) is not None:
        item = invite_from_form(clinic, form, asked)
        return redirect(url_for("staff.invitation", intake_id=item.id))
    return render_template("staff/invite.html", form=form)


def invite_from_form(
    clinic: Clinic,
    form: InviteForm,
    asked: QuestionnaireVersion | list[QuestionnaireVersion],
    client: Client | None = None,
) -> Intake:
    """Invite as a valid invitation form says (a re-invitation of client when given), send
    the link if asked, and keep it for the next page to show once."""
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
        client=client,
    )
    if form.send_email.data and item.email:
        _say(lifecycle.send_link(item), item.email)
    show_once(item)  # only a hash of the token is kept: the next page shows the link once
    return item


def chosen_questionnaires(
    clinic: Clinic, form: InviteForm
) -> QuestionnaireVersion | list[QuestionnaireVersion] | None:
    """The questionnaire, or a set's questionnaires, the form chose (None: said on the form)."""
    choice = form.questionnaire_id.data or ""
    if not choice.startswith("set:"):
        # The choices only hold usable versions.
        return catalogue.usable_version(clinic.id, int(choice))
    chosen = intake_sets.set_of(clinic.id, int(choice.removeprefix("set:")))
    if chosen is None:
        form.questionnaire_id.errors = ["This set no longer exists; choose another."]
        return None
    try:
        return intake_sets.resolve(clinic.id, chosen.questionnaires)
    except intake_sets.BundleError as exc:
        form.questionnaire_id.errors = [
            "This set cannot be sent as it stands: " + "; ".join(exc.problems)
        ]
        return None


@bp.get("/intakes/<int:intake_id>/invitation")
def invitation(intake_id: int) -> str:
    """The link with a copy button (only right after it was made), its state, and what can be
    done with it."""
    item = intake_or_404(intake_id)
    return render_template(
        "staff/invitation.html",
        intake=item,
        phone=phones.display(item.phone),
        link=_shown_link(item),
        problem=lifecycle.link_problem(item),
        copy_closes=lifecycle.copy_closes_at(item),
        therapists=active_staff(),
        urgent=panel(item),
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
    flash("The link is withdrawn; it no longer opens.")
    return redirect(url_for("staff.invitation", intake_id=intake_id))


@bp.post("/intakes/<int:intake_id>/resend")
def resend(intake_id: int) -> BaseResponse:
    """Open the link again for another full period, and email it when there is an address."""
    item = intake_or_404(intake_id)
    try:
        lifecycle.resend(item)
    except lifecycle.AlreadySubmitted:
        flash("The client has already sent their answers.")
        return redirect(url_for("staff.invitation", intake_id=intake_id))
    flash(
        "A new link is open; the one sent before no longer works"
        + ("." if item.email else ": copy it below and send it.")
    )
    if item.email:
        _say(lifecycle.send_link(item), item.email)
    show_once(item)
    return redirect(url_for("staff.invitation", intake_id=intake_id))


@bp.post("/intakes/<int:intake_id>/remind")
def remind(intake_id: int) -> BaseResponse:
    """Email a gentle reminder about an unfinished intake."""
    item = intake_or_404(intake_id)
    if item.under_age_at is not None:
        # Told at once what to do instead: a reminder to carry on would contradict it.
        flash("This client said they are under 18 and the intake stopped: no reminder sent.")
    elif item.submitted or lifecycle.link_problem(item) or not item.email:
        flash("A reminder needs an email address and an open, unfinished intake.")
    else:
        delivery = lifecycle.remind(item)
        _say(delivery, item.email, "a reminder")
        if delivery != "sent":
            # The reminder made a new link and the old one no longer opens: unless it reached
            # the client (not sent, or only written to the outbox folder), it is shown here
            # once, so staff can pass it on another way.
            show_once(item)
    return redirect(url_for("staff.invitation", intake_id=intake_id))
