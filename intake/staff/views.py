"""The staff area: sign in, the clinic's intakes, and each intake's brief."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from markupsafe import Markup
from sqlalchemy import func, select
from werkzeug.wrappers import Response as BaseResponse

from .. import briefs
from ..access import clinic_intakes, intake_or_404
from ..auth import login_manager, verify_password
from ..brief.render import TEMPLATES_DIR, render_html
from ..db import db
from ..models import Staff
from .forms import LoginForm

bp = Blueprint("staff", __name__, url_prefix="/staff")
PUBLIC = {"staff.login"}
ASSET_SUFFIXES = (".css", ".svg", ".png", ".jpg", ".woff2", ".ttf")


@bp.before_request
def require_login() -> BaseResponse | None:
    """Every staff route needs a signed-in user, except the sign-in page itself."""
    if request.endpoint not in PUBLIC and not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


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


@bp.get("/intakes/<int:intake_id>")
def intake(intake_id: int) -> str:
    """One intake: its brief when submitted, its progress otherwise."""
    item = intake_or_404(intake_id)
    if not item.submitted:
        return render_template("staff/pending.html", intake=item)
    nav = Markup(render_template("staff/brief_nav.html", intake=item))
    css = url_for("staff.brief_asset", filename="screen.css")
    return render_html(briefs.brief_for(item), screen=True, css_url=css, nav_html=nav)


@bp.get("/intakes/<int:intake_id>/brief.pdf")
def brief_pdf(intake_id: int) -> BaseResponse:
    """The brief as a PDF download."""
    item = intake_or_404(intake_id)
    if not item.submitted:
        flash("The brief is ready once the client has sent their answers.")
        return redirect(url_for("staff.intake", intake_id=intake_id))
    pdf = briefs.pdf_for(item)
    name = f"brief-{item.id}.pdf"
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/brief-assets/<path:filename>")
def brief_asset(filename: str) -> Response:
    """The brief's screen stylesheet and its assets (never the template sources)."""
    if not filename.endswith(ASSET_SUFFIXES):
        abort(404)
    return send_from_directory(TEMPLATES_DIR, filename)
