"""The staff workspace: sign in and out, and the clinic's intakes."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_user, logout_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response as BaseResponse

from ..access import clinic_intakes
from ..auth import verify_password
from ..db import db
from ..models import Staff
from . import bp
from .forms import LoginForm


@bp.route("/login", methods=["GET", "POST"])
def login() -> BaseResponse | str:
    """Sign in with email and password."""
    form = LoginForm()
    if form.validate_on_submit():
        email = (form.email.data or "").strip().lower()
        staff = db.session.scalar(select(Staff).where(func.lower(Staff.email) == email))
        if verify_password(staff, form.password.data or ""):
            login_user(staff)
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append("That email and password do not match an account.")
    return render_template("staff/login.html", form=form)


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so a crafted link cannot bounce a user elsewhere."""
    if target and target.startswith("/") and not urlsplit(target).netloc:
        return target
    return url_for("staff.intakes")


@bp.post("/logout")
def logout() -> BaseResponse:
    """Sign out."""
    logout_user()
    flash("You are signed out.")
    return redirect(url_for("staff.login"))


@bp.get("/")
def intakes() -> str:
    """The clinic's intakes, urgent first."""
    rows = db.session.scalars(clinic_intakes()).all()
    return render_template("staff/intakes.html", intakes=rows)
