"""The clinic admin's team pages: list, invite, roles, deactivate and reactivate colleagues."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from ..access import admin_only, clinic_staff, staff_member_or_404
from ..accounts import team, two_factor
from ..accounts.auth import has_password
from ..db import db
from ..models import Role, Staff
from . import bp
from .forms import InviteStaffForm, RoleForm


@bp.get("/team", endpoint="team")
@admin_only
def team_list() -> str:
    """Everyone with an account at the clinic."""
    members = db.session.scalars(clinic_staff()).all()
    return render_template("staff/accounts_team.html", members=members)


@bp.route("/team/invite", methods=["GET", "POST"])
@admin_only
def invite_staff() -> str:
    """Invite a colleague: the link is shown here and emailed when SMTP is set up."""
    form = InviteStaffForm()
    if form.validate_on_submit():
        try:
            member, link, delivery = team.invite(
                current_user.clinic,
                form.name.data or "",
                form.email.data or "",
                Role(form.role.data),
                current_user._get_current_object(),
            )
        except team.EmailTaken:
            # Only this clinic's accounts are ever said to have an email.
            form.email.errors.append(
                "Someone at your clinic already has an account with this email."
            )
        else:
            return _invited(member, link, delivery)
    return render_template("staff/accounts_invite.html", form=form)


@bp.get("/team/<int:staff_id>")
@admin_only
def member(staff_id: int) -> str:
    """One colleague: role, invitation, access."""
    person = staff_member_or_404(staff_id)
    return render_template(
        "staff/accounts_member.html",
        member=person,
        joined=has_password(person),
        role_form=RoleForm(role=person.role),
    )


@bp.post("/team/<int:staff_id>/role")
@admin_only
def change_role(staff_id: int) -> BaseResponse:
    """Make a colleague an admin or a therapist (never leaving the clinic without an admin)."""
    person = staff_member_or_404(staff_id)
    form = RoleForm()
    if not form.validate_on_submit():
        flash("Please choose one of the roles listed.")
    else:
        try:
            team.change_role(person, Role(form.role.data))
        except team.LastAdmin:
            flash(f"{person.name} is the clinic's only admin. Make someone else an admin first.")
        else:
            flash(f"{person.name} is now {person.role.label.lower()}.")
            if person.id == current_user.id and person.role != Role.ADMIN:
                return redirect(url_for("staff.intakes"))  # the team pages are closed to them now
    return redirect(url_for("staff.member", staff_id=person.id))


@bp.post("/team/<int:staff_id>/deactivate")
@admin_only
def deactivate_staff(staff_id: int) -> BaseResponse:
    """Sign a colleague out for good until reactivated; their intakes stay with the clinic."""
    return _set_active(staff_member_or_404(staff_id), False)


@bp.post("/team/<int:staff_id>/reactivate")
@admin_only
def reactivate_staff(staff_id: int) -> BaseResponse:
    """Let a deactivated colleague sign in again."""
    return _set_active(staff_member_or_404(staff_id), True)


def _set_active(person: Staff, active: bool) -> BaseResponse:
    try:
        team.set_active(person, active, current_user._get_current_object())
    except team.LastAdmin:
        flash(f"{person.name} is the clinic's only admin. Make someone else an admin first.")
    except team.OwnAccount:
        flash("You cannot deactivate your own account; another admin can.")
    else:
        flash(f"{person.name} is {'reactivated' if active else 'deactivated'}.")
    return redirect(url_for("staff.member", staff_id=person.id))


@bp.post("/team/<int:staff_id>/sign-out")
@admin_only
def sign_out_member(staff_id: int) -> BaseResponse:
    """Sign a colleague out on every browser (a lost laptop, a shared computer)."""
    person = staff_member_or_404(staff_id)
    ended = team.end_sessions(person)
    flash(f"{person.name} is signed out everywhere ({ended} session(s) ended).")
    return redirect(url_for("staff.member", staff_id=person.id))


@bp.post("/team/<int:staff_id>/two-factor/reset")
@admin_only
def reset_two_factor(staff_id: int) -> BaseResponse:
    """Turn off a colleague's two-factor sign-in (a lost phone); they set it up again."""
    person = staff_member_or_404(staff_id)
    if not person.two_factor:
        flash(f"{person.name} has no two-factor sign-in to reset.")
    else:
        two_factor.reset(person)
        flash(
            f"{person.name}'s two-factor sign-in is reset and they are signed out everywhere."
            + (
                " They will set it up again when they next sign in."
                if person.clinic.require_two_factor
                else ""
            )
        )
    return redirect(url_for("staff.member", staff_id=person.id))


@bp.post("/team/<int:staff_id>/resend")
@admin_only
def resend_staff_invitation(staff_id: int) -> BaseResponse | str:
    """A new invitation link for someone who has not joined; the old link stops working."""
    person = staff_member_or_404(staff_id)
    if has_password(person) or not person.active:
        flash(f"{person.name} does not need an invitation.")
        return redirect(url_for("staff.member", staff_id=person.id))
    link, delivery = team.resend_invitation(person, current_user._get_current_object())
    return _invited(person, link, delivery)


def _invited(person: Staff, link: str, delivery: str) -> str:
    days = current_app.config["STAFF_INVITE_DAYS"]
    return render_template(
        "staff/accounts_invited.html", member=person, link=link, delivery=delivery, days=days
    )
