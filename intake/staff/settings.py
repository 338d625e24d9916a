"""Clinic settings (admins only): name, logo, colour, defaults; safety and crisis contacts."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from .. import catalogue, clinics, colours, i18n, logos, mail, phones
from ..access import admin_only
from ..accounts import shown_once
from ..brief.content import language_name
from ..models import Clinic
from . import bp
from .forms import SettingsForm, safety_form


@bp.route("/settings", methods=["GET", "POST"])
@admin_only
def settings() -> BaseResponse | str:
    """Show and change the clinic's settings."""
    clinic: Clinic = current_user.clinic
    form = SettingsForm(obj=clinic)
    keys = sorted({v.key: v.title for v in catalogue.available(clinic.id)}.items())
    fallback = current_app.config["DEFAULT_QUESTIONNAIRE"]
    # "Not chosen" is a choice of its own, so a form saved for other fields keeps it as it is.
    form.default_questionnaire.choices = [
        ("", f"The deployment's default ({fallback}), whichever version is newest")
    ] + [(key, f"{title} ({key})") for key, title in keys]
    if not form.is_submitted():
        form.self_referral.data = clinic.self_referral_hash is not None
        form.default_questionnaire.data = clinic.default_questionnaire or ""
    if form.is_submitted():
        valid = form.validate()
        # Checked even when another field is wrong, so every error shows at once (but not
        # for a post that failed its CSRF check: nothing of it is used).
        logo = None if form.csrf_token.errors else _checked_logo(form)
        if valid and not form.logo.errors:
            clinics.update_settings(
                clinic,
                {name: getattr(form, name).data for name in clinics.TRACKED},
                logo=logo,
                remove_logo=bool(form.remove_logo.data),
                self_referral=bool(form.self_referral.data),
            )
            flash("Settings saved.")
            _show_referral_once(clinic)
            return redirect(url_for("staff.settings"))
    return render_template(
        "staff/settings.html",
        form=form,
        clinic=clinic,
        colour_ok=colours.passes(clinic.accent_color),
        referral_link=shown_once.take(NEW_REFERRAL_LINK),
    )


# The shown-once kind of a self-referral link just made, shown on the next settings page
# (only its hash is stored; kept on the server, not in the cookie).
NEW_REFERRAL_LINK = "new_referral_link"


def _show_referral_once(clinic: Clinic) -> None:
    """Keep a self-referral link made by this request for the next page to show, once."""
    if clinic.self_referral_token is not None:
        link = mail.external_url("client.referral", token=clinic.self_referral_token)
        shown_once.keep(NEW_REFERRAL_LINK, link)


@bp.post("/settings/referral-link")
@admin_only
def new_referral_link() -> BaseResponse:
    """Make a new self-referral link; the old one stops working at once."""
    clinic: Clinic = current_user.clinic
    if clinic.self_referral_hash is None:
        flash("Self-referral is off: turn it on to get a link.")
    else:
        clinics.new_referral_link(clinic)
        _show_referral_once(clinic)
        flash("A new self-referral link is ready; the old one no longer works.")
    return redirect(url_for("staff.settings"))


def _checked_logo(form: SettingsForm) -> tuple[bytes, str] | None:
    """The validated upload, or None (with an error on the field when it was refused)."""
    upload = form.logo.data
    if not upload or not getattr(upload, "filename", ""):
        return None
    try:
        return logos.validate(upload.read(logos.MAX_BYTES + 1))
    except logos.LogoError as exc:
        form.logo.errors = [str(exc)]
        return None


@bp.get("/settings/logo")
@admin_only
def logo() -> Response:
    """The clinic's logo, served so that even an SVG can never run anything."""
    clinic: Clinic = current_user.clinic
    if clinic.logo is None or clinic.logo_mime is None:
        abort(404)
    response = Response(clinic.logo, mimetype=clinic.logo_mime)
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/settings/safety", methods=["GET", "POST"])
@admin_only
def safety_settings() -> BaseResponse | str:
    """The clinic's crisis contacts, languages, safety procedure and urgent reminders."""
    clinic: Clinic = current_user.clinic
    languages = [(code, language_name(code)) for code in i18n.interface_languages()]
    stored = {name: getattr(clinic, name) for name in clinics.SAFETY}
    stored["client_languages"] = list(clinics.offered_languages(clinic))
    form = safety_form(languages, phones.regions(), stored)
    if form.validate_on_submit():
        changed = clinics.update_safety(
            clinic,
            {
                "client_languages": list(form.client_languages.data or ()),
                "emergency_number": form.emergency_number.data or "",
                "crisis_texts": form.crisis_texts(),
                "safety_procedure": form.safety_procedure.data or "",
                "urgent_escalation_minutes": form.urgent_escalation_minutes.data,
                "phone_region": form.phone_region.data or "",
            },
        )
        flash("Safety settings saved." if changed else "Nothing was changed.")
        return redirect(url_for("staff.safety_settings"))
    return render_template(
        "staff/settings_safety.html",
        form=form,
        clinic=clinic,
        missing=clinics.missing_crisis_contacts(clinic),
    )
