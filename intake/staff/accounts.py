"""Signing in: sign in and out, the idle limit, invitations accepted, passwords reset."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from ..accounts import team, tokens
from ..accounts.auth import (
    end_session,
    idle_too_long,
    start_session,
    touch_session,
    verify_password,
)
from . import PUBLIC, bp, public
from .forms import MIN_PASSWORD, ForgotPasswordForm, JoinForm, LoginForm, SetPasswordForm


@bp.before_request
def idle_limit() -> BaseResponse | None:
    """End a staff session that saw no request for STAFF_IDLE_MINUTES, checked on the server."""
    if not current_user.is_authenticated:
        return None
    if not idle_too_long():
        touch_session()
        return None
    team.signed_out(current_user._get_current_object(), "idle")
    end_session()
    minutes = current_app.config["STAFF_IDLE_MINUTES"]
    flash(f"You were signed out after {minutes} minutes without activity. Please sign in again.")
    if request.endpoint in PUBLIC:
        return None  # a reset or invitation link still opens, now signed out
    target = request.full_path if request.method == "GET" else None
    return redirect(url_for("staff.login", next=target))


@bp.route("/login", methods=["GET", "POST"])
def login() -> BaseResponse | str:
    """Sign in with email and password."""
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data or ""
        staff = team.find_by_email(email)
        if staff is not None and verify_password(staff, form.password.data or ""):
            if staff.active:
                start_session(staff)
                team.signed_in(staff)
                return redirect(_safe_next(request.args.get("next")))
            team.sign_in_failed(email, staff, reason="deactivated")
            form.email.errors.append(
                "This account is deactivated. Please ask your clinic's admin to reactivate it."
            )
        else:
            team.sign_in_failed(email, staff)
            form.password.errors.append("That email and password do not match an account.")
    return render_template("staff/login.html", form=form)


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so a crafted link cannot bounce a user elsewhere."""
    # Browsers read a backslash as a slash, so "/\evil.example" would leave the site too.
    if target and target.startswith("/") and "\\" not in target and not urlsplit(target).netloc:
        return target
    return url_for("staff.intakes")


@bp.post("/logout")
def logout() -> BaseResponse:
    """Sign out."""
    team.signed_out(current_user._get_current_object(), "manual")
    end_session()
    flash("You are signed out.")
    return redirect(url_for("staff.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password() -> str:
    """Ask for a reset link; the answer is the same whether or not the email has an account."""
    form = ForgotPasswordForm()
    minutes = current_app.config["PASSWORD_RESET_MINUTES"]
    if form.validate_on_submit():
        team.request_reset(form.email.data or "")
        return render_template("staff/accounts_forgot_sent.html", minutes=minutes)
    return render_template("staff/accounts_forgot.html", form=form, minutes=minutes)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> BaseResponse:
    """Choose a new password from an emailed link, which then stops working."""
    member = tokens.peek(token, tokens.RESET)
    if member is None:
        return _link_page("staff/accounts_link_invalid.html", 410, joining=False)
    form = SetPasswordForm()
    if form.validate_on_submit():
        if team.reset_password(token, form.password.data or "") is None:
            return _link_page("staff/accounts_link_invalid.html", 410, joining=False)
        flash("Your password is changed. Please sign in with it.")
        return redirect(url_for("staff.login"))
    return _link_page(
        "staff/accounts_set_password.html",
        form=form,
        member=member,
        joining=False,
        heading="Choose a new password",
        button="Save the new password",
    )


@bp.route("/join/<token>", methods=["GET", "POST"])
def join(token: str) -> BaseResponse:
    """Accept an invitation: confirm the name, choose a password, and start working."""
    member = tokens.peek(token, tokens.INVITE)
    if member is None:
        return _link_page("staff/accounts_link_invalid.html", 410, joining=True)
    form = JoinForm(name=member.name)
    if form.validate_on_submit():
        joined = team.join(token, form.name.data or "", form.password.data or "")
        if joined is None:
            return _link_page("staff/accounts_link_invalid.html", 410, joining=True)
        start_session(joined)
        team.signed_in(joined)
        flash(f"Welcome to {joined.clinic.name}.")
        return redirect(url_for("staff.intakes"))
    return _link_page(
        "staff/accounts_set_password.html",
        form=form,
        member=member,
        joining=True,
        role=member.role.label.lower(),
        heading="Join your clinic",
        button="Set the password and sign in",
    )


def _link_page(template: str, status: int = 200, **context: Any) -> BaseResponse:
    """A page opened from an emailed link; its address holds a secret, so no Referer leaks it."""
    response = make_response(render_template(template, min_length=MIN_PASSWORD, **context), status)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


for _endpoint in ("forgot_password", "reset_password", "join"):
    public(f"staff.{_endpoint}")
