"""Clinic settings (admins only): name, logo, brand colour, crisis contacts, defaults."""

from __future__ import annotations

import secrets

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.wrappers import Response as BaseResponse
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from .. import audit, drafts, logos
from ..access import require_admin
from ..db import db
from ..models import Clinic, utcnow
from . import bp
from .forms import phone_number

# The fields a form change is recorded for in the audit log (the logo is noted separately).
TRACKED = (
    "name",
    "accent_color",
    "crisis_text",
    "emergency_number",
    "default_questionnaire",
    "link_expiry_days",
)


class SettingsForm(FlaskForm):
    """Everything a clinic admin can change about the clinic."""

    name = StringField(
        "Clinic name",
        validators=[
            DataRequired("Please enter the clinic's name."),
            Length(max=200),
            # The name goes into email subjects, where a line break would split the header.
            Regexp(
                r"^[^\x00-\x1f\x7f]*$",
                message="Please keep the name on one line, without special characters.",
            ),
        ],
    )
    logo = FileField("Logo (PNG, JPEG or SVG, up to 256 KB)")
    remove_logo = BooleanField("Remove the current logo")
    accent_color = StringField(
        "Brand colour",
        validators=[
            DataRequired("Please give a colour such as #1f5f7a."),
            Regexp(r"^#[0-9a-fA-F]{6}$", message="Use the form #rrggbb, for example #1f5f7a."),
        ],
    )
    crisis_text = TextAreaField(
        "Crisis contacts shown on the safety page", validators=[Optional(), Length(max=2000)]
    )
    emergency_number = StringField(
        "Emergency number",
        validators=[
            Optional(),
            Length(max=40),
            phone_number(),
        ],
    )
    default_questionnaire = SelectField("Default questionnaire for new invitations")
    link_expiry_days = IntegerField(
        "Client links stay open for (days)",
        validators=[
            DataRequired("Please give a number of days from 1 to 365."),
            NumberRange(1, 365, "Please give a number of days from 1 to 365."),
        ],
    )
    self_referral = BooleanField("Offer a public self-referral link")


@bp.route("/settings", methods=["GET", "POST"])
def settings() -> BaseResponse | str:
    """Show and change the clinic's settings."""
    require_admin()
    clinic: Clinic = current_user.clinic
    form = SettingsForm(obj=clinic)
    keys = sorted({v.key: v.title for v in drafts.available(clinic.id)}.items())
    form.default_questionnaire.choices = [(key, f"{title} ({key})") for key, title in keys]
    if not form.is_submitted():
        form.self_referral.data = clinic.self_referral_token is not None
    if form.validate_on_submit():
        logo = _checked_logo(form)
        if logo is not None or not form.logo.errors:
            _apply(clinic, form, logo)
            flash("Settings saved.")
            return redirect(url_for("staff.settings"))
    return render_template("staff/settings.html", form=form, clinic=clinic)


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


def _apply(clinic: Clinic, form: SettingsForm, logo: tuple[bytes, str] | None) -> None:
    """Store the changes, stamp the time (briefs re-render with new branding), audit."""
    before = {name: getattr(clinic, name) for name in TRACKED}
    for name in TRACKED:
        value = getattr(form, name).data
        setattr(clinic, name, value.strip() if isinstance(value, str) else value)
    clinic.crisis_text = clinic.crisis_text or None
    clinic.emergency_number = clinic.emergency_number or None
    changed = [name for name in TRACKED if getattr(clinic, name) != before[name]]
    if logo is not None:
        clinic.logo, clinic.logo_mime = logo
        changed.append("logo")
    elif form.remove_logo.data and clinic.logo is not None:
        clinic.logo = clinic.logo_mime = None
        changed.append("logo")
    if form.self_referral.data and clinic.self_referral_token is None:
        clinic.self_referral_token = secrets.token_urlsafe(16)
        changed.append("self_referral")
    elif not form.self_referral.data and clinic.self_referral_token is not None:
        clinic.self_referral_token = None
        changed.append("self_referral")
    if changed:
        clinic.settings_updated_at = utcnow()
        audit.record("settings.changed", subject=clinic, fields=changed, commit=False)
    db.session.commit()


@bp.get("/settings/logo")
def logo() -> Response:
    """The clinic's logo, served so that even an SVG can never run anything."""
    require_admin()
    clinic: Clinic = current_user.clinic
    if clinic.logo is None or clinic.logo_mime is None:
        abort(404)
    response = Response(clinic.logo, mimetype=clinic.logo_mime)
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
