"""Signing in: password, clinic choice, second factor, sign-out, idle and lifetime limits,
invitations accepted, passwords reset."""

from __future__ import annotations

from typing import Any

from flask import (
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from .. import throttle
from ..accounts import auth, team, tokens, two_factor
from ..accounts.auth import (
    MIN_PASSWORD,
    end_session,
    idle_too_long,
    start_session,
    touch_session,
)
from ..db import db
from ..models import Staff
from . import PUBLIC, bp, public
from .forms import (
    ChooseClinicForm,
    CodeForm,
    ForgotPasswordForm,
    JoinForm,
    LoginForm,
    SetPasswordForm,
)

LOCKED = (
    "Too many sign-in attempts. Please wait {wait} and try again, or reset your password"
    " with “Forgot your password?” below."
)
ENDED = {
    "idle": "You were signed out after {minutes} minutes without activity. Please sign in again.",
    "lifetime": "You were signed out after {hours} hours. Please sign in again.",
}


@bp.before_request
def idle_limit() -> BaseResponse | None:
    """End a staff session that saw no request for STAFF_IDLE_MINUTES, checked on the server."""
    if not current_user.is_authenticated:
        return None
    if not idle_too_long():
        touch_session()
        return None
    team.signed_out(current_user._get_current_object(), "idle")
    end_session("idle")
    return _signed_out_again("idle")


def session_ended() -> BaseResponse | None:
    """Said when the server ended this browser's session (idle there, or past its lifetime)."""
    ended = g.get("session_ended")
    if not ended:
        return None
    staff_id, _, reason = ended
    staff = db.session.get(Staff, staff_id)
    if staff is not None:
        team.signed_out(staff, reason)
    session.clear()
    return _signed_out_again(reason)


def _signed_out_again(reason: str) -> BaseResponse | None:
    config = current_app.config
    flash(
        ENDED.get(reason, ENDED["idle"]).format(
            minutes=config["STAFF_IDLE_MINUTES"], hours=config["STAFF_SESSION_HOURS"]
        )
    )
    if request.endpoint in PUBLIC:
        return None  # a reset or invitation link still opens, now signed out
    target = request.full_path if request.method == "GET" else None
    return redirect(url_for("staff.login", next=target))


@bp.route("/login", methods=["GET", "POST"])
def login() -> BaseResponse | str | tuple[str, int]:
    """Sign in with email and password; then a clinic to choose or a code, when needed."""
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("staff/login.html", form=form)
    email = team.normal_email(form.email.data or "")
    address = throttle.client_address()
    wait = throttle.wait("login_address", address) or throttle.wait("login_account", email)
    if wait:
        form.password.errors.append(LOCKED.format(wait=throttle.minutes(wait)))
        return render_template("staff/login.html", form=form), 429
    accounts = team.accounts_by_email(email)
    matched = auth.matching(accounts, form.password.data or "")
    if not matched:
        team.sign_in_failed(email, accounts)
        for rule, key, scope in (
            ("login_account", email, "account"),
            ("login_address", address, "address"),
        ):
            if throttle.hit(rule, key):
                team.sign_in_locked(email, accounts, scope, throttle.wait(rule, key))
        form.password.errors.append("That email and password do not match an account.")
        return render_template("staff/login.html", form=form)
    active = [staff for staff in matched if staff.active]
    if not active:
        team.sign_in_failed(email, matched, reason="deactivated")
        form.email.errors.append(
            "This account is deactivated. Please ask your clinic's admin to reactivate it."
        )
        return render_template("staff/login.html", form=form)
    throttle.clear("login_account", email)
    next_url = _safe_next(request.args.get("next"))
    if len(active) > 1:
        auth.begin_pending([s.id for s in active], "choose", next_url)
        return redirect(url_for("staff.login_choose"))
    return _second_step(active[0], next_url)


def _second_step(staff: Staff, next_url: str) -> BaseResponse:
    """After the password: a code when enrolled, enrolment when required, else signed in."""
    if staff.two_factor:
        auth.begin_pending([staff.id], "code", next_url)
        return redirect(url_for("staff.login_code"))
    if staff.clinic.require_two_factor:
        secret = two_factor.sealed(two_factor.new_secret())
        auth.begin_pending([staff.id], "enrol", next_url, secret=secret)
        return redirect(url_for("staff.login_enrol"))
    start_session(staff)
    team.signed_in(staff)
    return redirect(next_url)


def _safe_next(target: str | None) -> str:
    """Only a path on this site, so a crafted link cannot bounce a user elsewhere.

    "//host", "/\\host" and "/<tab>/host" all leave the site in a browser (which drops
    control characters and reads a backslash as a slash), so none of them is a path here.
    """
    if (
        target
        and target.startswith("/")
        and target[1:2] not in ("/", "\\")
        and "\\" not in target
        and not any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in target)
    ):
        return target
    return url_for("staff.intakes")


@bp.route("/login/clinic", methods=["GET", "POST"])
def login_choose() -> BaseResponse | str:
    """One email, accounts at several clinics, the same password: which one now."""
    state = auth.pending("choose")
    accounts = auth.pending_staff(state) if state else []
    if state is None or not accounts:
        return _start_again()
    form = ChooseClinicForm()
    form.account.choices = [(str(s.id), s.clinic.name) for s in accounts]
    if form.validate_on_submit():
        chosen = next(s for s in accounts if str(s.id) == form.account.data)
        return _second_step(chosen, state["next"])
    return render_template("staff/login_choose.html", form=form)


@bp.route("/login/code", methods=["GET", "POST"])
def login_code() -> BaseResponse | str | tuple[str, int]:
    """The second step: a code from the authenticator app, or a recovery code."""
    state = auth.pending("code")
    accounts = auth.pending_staff(state) if state else []
    if state is None or not accounts:
        return _start_again()
    staff = accounts[0]
    form = CodeForm()
    if form.validate_on_submit():
        wait = throttle.wait("second_factor", staff.id)
        if wait:
            form.code.errors.append(
                f"Too many wrong codes. Please wait {throttle.minutes(wait)} and try again."
            )
            return render_template("staff/login_code.html", form=form), 429
        typed = form.code.data or ""
        if two_factor.verify(staff, typed) or two_factor.use_recovery_code(staff, typed):
            throttle.clear("second_factor", staff.id)
            start_session(staff)
            team.signed_in(staff)
            remaining = two_factor.remaining_codes(staff)
            if remaining <= 3 and not typed.strip().isdigit():
                flash(f"{remaining} recovery codes left; make new ones on your account page.")
            return redirect(state["next"])
        db.session.rollback()
        team.sign_in_failed(staff.email, staff, reason="code")
        if throttle.hit("second_factor", staff.id):
            team.sign_in_locked(
                staff.email, [staff], "code", throttle.wait("second_factor", staff.id)
            )
        form.code.errors.append("That code is not right. Codes change every 30 seconds.")
    return render_template("staff/login_code.html", form=form)


@bp.route("/login/two-factor", methods=["GET", "POST"])
def login_enrol() -> BaseResponse | str:
    """Enrolment at sign-in when the clinic requires two-factor sign-in."""
    state = auth.pending("enrol")
    accounts = auth.pending_staff(state) if state else []
    secret = two_factor.unsealed(state.get("secret")) if state else None
    if state is None or not accounts or secret is None:
        return _start_again()
    staff = accounts[0]
    form = CodeForm()
    if form.validate_on_submit():
        if two_factor.code_matches(secret, form.code.data or ""):
            codes = two_factor.enrol(staff, secret)
            start_session(staff)
            team.signed_in(staff)
            return render_template(
                "staff/recovery_codes.html", codes=codes, next_url=state["next"], enrolled=True
            )
        form.code.errors.append("That code is not right. Codes change every 30 seconds.")
    return _enrol_page(staff, secret, form, required=True)


def _enrol_page(staff: Staff, secret: str, form: CodeForm, *, required: bool) -> str:
    uri = two_factor.provisioning_uri(staff, secret)
    return render_template(
        "staff/two_factor_enrol.html",
        form=form,
        qr=two_factor.qr_svg(uri),
        secret=two_factor.spaced(secret),
        required=required,
        clinic=staff.clinic,
    )


def _start_again() -> BaseResponse:
    auth.drop_pending()
    flash("Please sign in again; that step took too long or was already done.")
    return redirect(url_for("staff.login"))


@bp.post("/logout")
def logout() -> BaseResponse:
    """Sign out (the session ends on the server too)."""
    team.signed_out(current_user._get_current_object(), "manual")
    end_session("manual")
    flash("You are signed out.")
    return redirect(url_for("staff.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password() -> str | tuple[str, int]:
    """Ask for a reset link; the answer is the same whether or not the email has an account."""
    form = ForgotPasswordForm()
    minutes = current_app.config["PASSWORD_RESET_MINUTES"]
    if form.validate_on_submit():
        wait = throttle.take("reset_address", throttle.client_address())
        if wait:
            form.email.errors.append(
                f"Too many requests from your connection. Please try again in"
                f" {throttle.minutes(wait)}."
            )
            return render_template("staff/accounts_forgot.html", form=form, minutes=minutes), 429
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
    form.password_context = _context(member)
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
    form.password_context = _context(member)
    if form.validate_on_submit():
        joined = team.join(token, form.name.data or "", form.password.data or "")
        if joined is None:
            return _link_page("staff/accounts_link_invalid.html", 410, joining=True)
        flash(f"Welcome to {joined.clinic.name}.")
        if joined.clinic.require_two_factor:
            secret = two_factor.sealed(two_factor.new_secret())
            auth.begin_pending([joined.id], "enrol", url_for("staff.intakes"), secret=secret)
            return redirect(url_for("staff.login_enrol"))
        start_session(joined)
        team.signed_in(joined)
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


def _context(member: Staff) -> tuple[str, ...]:
    """Words a password must not be made of: the person's name and email, the clinic."""
    return (member.name, member.email, member.clinic.name, "intake")


def _link_page(template: str, status: int = 200, **context: Any) -> BaseResponse:
    """A page opened from an emailed link; its address holds a secret, so no Referer leaks it."""
    response = make_response(render_template(template, min_length=MIN_PASSWORD, **context), status)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


for _endpoint in ("forgot_password", "reset_password", "join", "login_choose", "login_code",
                  "login_enrol"):  # fmt: skip
    public(f"staff.{_endpoint}")
