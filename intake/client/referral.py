"""A clinic's public self-referral link: a person gives their name and gets their own intake."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, url_for
from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from .. import audit, drafts, intakes
from ..db import db
from ..models import Clinic

bp = Blueprint("referral", __name__, url_prefix="/r")


class ReferralForm(FlaskForm):
    """Who is asking."""

    client_name = StringField(
        lazy_gettext("Your name"),
        validators=[DataRequired(lazy_gettext("Please enter your name.")), Length(max=200)],
    )
    email = StringField(
        lazy_gettext("Your email (optional)"),
        validators=[
            Optional(),
            Length(max=254),
            Email(lazy_gettext("This does not look like an email address.")),
        ],
    )


@bp.route("/<token>", methods=["GET", "POST"])
def start(token: str) -> Response | str:
    """Ask for a name, then open a new intake for that person."""
    clinic = db.session.scalar(select(Clinic).where(Clinic.self_referral_token == token))
    if clinic is None:
        abort(404)
    version = drafts.latest_for(clinic.id, clinic.default_questionnaire) or drafts.latest_for(
        clinic.id, current_app.config["DEFAULT_QUESTIONNAIRE"]
    )
    if version is None:
        abort(404)
    form = ReferralForm()
    if form.validate_on_submit():
        intake = intakes.invite(
            clinic,
            form.client_name.data or "",
            version,
            email=(form.email.data or "").strip(),
            source="self_referral",
        )
        audit.record("client.self_referred", clinic_id=clinic.id, subject=intake)
        return redirect(url_for("client.start", token=intake.token))
    return render_template("client/referral.html", form=form, clinic=clinic)
