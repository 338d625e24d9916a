"""A clinic's public self-referral link: a person gives their name and gets their own intake."""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, url_for
from werkzeug.wrappers import Response

from .. import catalogue, clinics, i18n, intake_sets, lifecycle, referrals
from . import bp
from .forms import ReferralForm


@bp.route("/r/<token>", methods=["GET", "POST"])
def referral(token: str) -> Response | str | tuple[str, int]:
    """Ask for a name, then open a new intake for that person (within the link's limits)."""
    clinic = clinics.by_referral_token(token)
    if clinic is None:
        abort(404)
    version = catalogue.default_for(clinic, current_app.config["DEFAULT_QUESTIONNAIRE"])
    if version is None:
        abort(404)
    # The set the clinic chose for this link, else its default questionnaire alone.
    asked = intake_sets.referral_versions(clinic) or version
    if clinics.missing_crisis_contacts(clinic):
        # Closed until the clinic's crisis contacts are set: never a built-in default.
        return render_template("client/referral.html", form=None, clinic=clinic), 503
    form = ReferralForm()
    if form.validate_on_submit():
        if form.homepage.data:
            # Only a robot fills the field people never see: nothing is created.
            return render_template("client/referral.html", form=ReferralForm(formdata=None),
                                   clinic=clinic)  # fmt: skip
        why = referrals.refusal(clinic)
        if why is not None:
            # The clinic's own contacts (set, or the link would be closed above).
            crisis = clinics.crisis_for(clinic, i18n.select_locale())
            page = render_template(
                "client/referral_full.html", clinic=clinic, why=why, crisis=crisis
            )
            return page, 429
        referrals.count(clinic)
        intake = lifecycle.invite(
            clinic,
            form.client_name.data or "",
            asked,
            email=(form.email.data or "").strip(),
            source=lifecycle.SELF_REFERRAL,
        )
        return redirect(url_for(".start", token=intake.token))
    return render_template("client/referral.html", form=form, clinic=clinic)
