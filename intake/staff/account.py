"""One's own account: password, two-factor sign-in, recovery codes, signed-in browsers."""

from __future__ import annotations

from flask import flash, redirect, render_template, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from ..accounts import auth, sessions, team, two_factor
from ..models import Staff
from . import bp
from .forms import ChangePasswordForm, CodeForm

# The secret being set up on the account page, until a code confirms it.
ENROLLING = "enrolling_secret"


def _me() -> Staff:
    return current_user._get_current_object()


@bp.get("/account")
def account() -> str:
    """Who I am, my sign-in settings, and the browsers I am signed in on."""
    me = _me()
    return render_template(
        "staff/account.html",
        me=me,
        live=sessions.live(me),
        is_current=sessions.is_current,
        remaining=two_factor.remaining_codes(me) if me.two_factor else 0,
    )


@bp.route("/account/password", methods=["GET", "POST"])
def change_password() -> BaseResponse | str:
    """A new password; the current one confirms it is me. Other browsers are signed out."""
    me = _me()
    form = ChangePasswordForm()
    form.password_context = (me.name, me.email, me.clinic.name, "intake")
    if form.validate_on_submit():
        if not auth.verify_password(me, form.current.data or ""):
            form.current.errors.append("That is not your current password.")
        else:
            ended = team.change_password(me, form.password.data or "")
            # The session id carries a fingerprint of the password: renew this browser's.
            auth.login_user_again(me)
            flash(
                "Your password is changed."
                + (f" {ended} other browser(s) were signed out." if ended else "")
            )
            return redirect(url_for("staff.account"))
    return render_template("staff/account_password.html", form=form, min_length=auth.MIN_PASSWORD)


@bp.route("/account/two-factor", methods=["GET", "POST"])
def two_factor_setup() -> BaseResponse | str:
    """Turn on two-factor sign-in: scan the code, type what the app shows."""
    me = _me()
    if me.two_factor:
        flash("Two-factor sign-in is already on for your account.")
        return redirect(url_for("staff.account"))
    secret = two_factor.unsealed(session.get(ENROLLING))
    if secret is None:
        secret = two_factor.new_secret()
        session[ENROLLING] = two_factor.sealed(secret)
    form = CodeForm()
    if form.validate_on_submit():
        if two_factor.code_matches(secret, form.code.data or ""):
            codes = two_factor.enrol(me, secret)
            session.pop(ENROLLING, None)
            return render_template(
                "staff/recovery_codes.html",
                codes=codes,
                next_url=url_for("staff.account"),
                enrolled=True,
            )
        form.code.errors.append("That code is not right. Codes change every 30 seconds.")
    return render_template(
        "staff/two_factor_enrol.html",
        form=form,
        qr=two_factor.qr_svg(two_factor.provisioning_uri(me, secret)),
        secret=two_factor.spaced(secret),
        required=False,
        clinic=me.clinic,
    )


@bp.post("/account/recovery-codes")
def renew_recovery_codes() -> BaseResponse | str:
    """New recovery codes; the old ones stop working."""
    me = _me()
    if not me.two_factor:
        flash("Recovery codes come with two-factor sign-in; turn it on first.")
        return redirect(url_for("staff.account"))
    codes = two_factor.renew_codes(me)
    return render_template(
        "staff/recovery_codes.html", codes=codes, next_url=url_for("staff.account"), enrolled=False
    )


@bp.post("/account/sign-out-elsewhere")
def sign_out_elsewhere() -> BaseResponse:
    """End every other browser's session of mine."""
    ended = team.end_sessions(_me(), keep_current=True)
    flash(
        f"Signed out on {ended} other browser(s)." if ended else "No other browser was signed in."
    )
    return redirect(url_for("staff.account"))
