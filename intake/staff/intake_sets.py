"""Intake sets (admins): several questionnaires asked through one link, in a set order."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from .. import audit, catalogue, intake_sets
from ..access import admin_only
from ..db import db
from ..models import IntakeSet
from . import bp
from .forms import DeleteSetForm, IntakeSetForm, ReferralSetForm


def _set_form(existing: IntakeSet | None = None) -> IntakeSetForm:
    """The form with the clinic's published questionnaires as choices (blank: none)."""
    form = IntakeSetForm(obj=None)
    available = catalogue.available(current_user.clinic_id)
    choices = [("", "(none)")] + [(v.key, f"{v.title} ({v.key})") for v in available]
    for part in form.part_fields():
        part.choices = choices
    if existing is not None and not form.is_submitted():
        form.name.data = existing.name
        for part, key in zip(form.part_fields(), existing.questionnaires, strict=False):
            part.data = key
    return form


def _referral_form() -> ReferralSetForm:
    """The choice of what the self-referral link asks."""
    form = ReferralSetForm()
    default = catalogue.default_for(
        current_user.clinic, current_app.config["DEFAULT_QUESTIONNAIRE"]
    )
    label = f"The default questionnaire ({default.title})" if default else "The default"
    form.referral_set.choices = [("", label)] + [
        (str(s.id), s.name) for s in intake_sets.sets_of(current_user.clinic_id)
    ]
    if not form.is_submitted():
        form.referral_set.data = str(current_user.clinic.referral_set_id or "")
    return form


@bp.route("/sets", methods=["GET", "POST"])
@admin_only
def intake_set_list() -> BaseResponse | str:
    """The clinic's intake sets, and what the self-referral link asks."""
    clinic = current_user.clinic
    form = _referral_form()
    if form.validate_on_submit():
        chosen = intake_sets.set_of(clinic.id, int(form.referral_set.data or 0) or None)
        clinic.referral_set_id = chosen.id if chosen else None
        audit.record("settings.changed", subject=clinic, commit=False, fields=["self_referral"])
        db.session.commit()
        flash("Saved: the self-referral link now asks " + (chosen.name if chosen else
              "the default questionnaire") + ".")  # fmt: skip
        return redirect(url_for("staff.intake_set_list"))
    return render_template(
        "staff/intake_sets.html",
        sets=intake_sets.sets_of(clinic.id),
        titles={v.key: v.title for v in catalogue.available(clinic.id)},
        form=form,
    )


@bp.route("/sets/new", methods=["GET", "POST"])
@admin_only
def intake_set_new() -> BaseResponse | str:
    """Define a set: a name and the questionnaires, in order."""
    return _edit(None)


@bp.route("/sets/<int:set_id>", methods=["GET", "POST"])
@admin_only
def intake_set_edit(set_id: int) -> BaseResponse | str:
    """Change a set's name or questionnaires (intakes already sent keep what they asked)."""
    existing = intake_sets.set_of(current_user.clinic_id, set_id)
    if existing is None:
        abort(404)
    return _edit(existing)


def _edit(existing: IntakeSet | None) -> BaseResponse | str:
    form = _set_form(existing)
    if form.validate_on_submit():
        name = (form.name.data or "").strip()
        same = intake_sets.by_name(current_user.clinic_id, name)
        if same is not None and same is not existing:
            form.name.errors = [f"There is already a set named '{name}'."]
        else:
            try:
                intake_sets.save(current_user.clinic, name, form.chosen_keys(), existing)
            except intake_sets.BundleError as exc:
                db.session.rollback()
                form.place_problems(exc.problems, exc.positions)
            else:
                flash(f"Saved the set '{name}'.")
                return redirect(url_for("staff.intake_set_list"))
    return render_template("staff/intake_set_edit.html", form=form, existing=existing)


@bp.route("/sets/<int:set_id>/delete", methods=["GET", "POST"])
@admin_only
def intake_set_delete(set_id: int) -> BaseResponse | str:
    """Ask first, then remove a set; intakes sent with it keep what they asked."""
    clinic = current_user.clinic
    existing = intake_sets.set_of(clinic.id, set_id)
    if existing is None:
        abort(404)
    form = DeleteSetForm()
    if form.validate_on_submit():
        name = existing.name
        intake_sets.delete(clinic, existing)
        flash(f"Deleted the set '{name}'.")
        return redirect(url_for("staff.intake_set_list"))
    return render_template(
        "staff/intake_set_delete.html",
        existing=existing,
        titles={v.key: v.title for v in catalogue.available(clinic.id)},
        for_referral=clinic.referral_set_id == existing.id,
        form=form,
    )
