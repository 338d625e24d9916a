"""An intake in the staff area: its page (the brief, or its progress), the record of contact
after an urgent flag, the stored PDF download, retries, assets."""

from __future__ import annotations

import posixpath
from pathlib import PurePosixPath

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from .. import audit, follow_up, throttle
from ..access import intake_or_404
from ..accounts import shown_once
from ..brief import jobs
from ..brief.build import branding_of, brief_for
from ..brief.render import TEMPLATES_DIR, render_html
from ..brief.store import status as pdf_status
from ..headers import csp_nonce
from ..models import FollowUp, Intake, PdfStatus
from . import bp
from .forms import FollowUpForm
from .urgent import panel, safety_summary

# Seconds a script should wait before asking again for a PDF being prepared.
PDF_RETRY_AFTER = 10
ASSET_SUFFIXES = (".css", ".js", ".svg", ".png", ".jpg", ".woff2", ".ttf")


@bp.get("/intakes/<int:intake_id>")
def intake(intake_id: int) -> str:
    """One intake: its brief when submitted (with the PDF's status), its progress otherwise."""
    return intake_page(intake_or_404(intake_id))


def intake_page(item: Intake, form: FollowUpForm | None = None) -> str:
    """The intake page, with the urgent panel (and its form, as posted, when given)."""
    urgent = panel(item, form)
    if not item.submitted:
        return render_template("staff/pending.html", intake=item, urgent=urgent)
    audit.record("brief.viewed", subject=item)
    ready = jobs.current_pdf(item) is not None  # asks for a render when missing or stale
    status = PdfStatus.READY if ready else pdf_status(item)
    nav = Markup(
        render_template("staff/brief_nav.html", intake=item, status=status, urgent=urgent)
    )
    branding = branding_of(item.clinic)
    own_css = branding.css_name(".screen.css")
    return render_html(
        brief_for(item),
        screen=True,
        style_nonce=csp_nonce(),
        css_url=url_for("staff.brief_asset", filename="screen.css"),
        extra_css_urls=[url_for("staff.brief_asset", filename=own_css)] if own_css else [],
        nav_html=nav,
        branding=branding,
    )


@bp.get("/intakes/<int:intake_id>/safety")
def safety(intake_id: int) -> BaseResponse | str:
    """The safety summary of an urgent intake still in progress: the safety answers, when,
    how to reach the client and the record of contact, without the rest of the answers."""
    item = intake_or_404(intake_id)
    if not item.urgent:
        abort(404)
    if item.submitted:
        # Sent: the brief is there, with its urgent box on page one.
        return redirect(url_for("staff.intake", intake_id=intake_id))
    audit.record("intake.safety_summary_viewed", subject=item)
    return render_template(
        "staff/safety_summary.html", intake=item, urgent=panel(item), summary=safety_summary(item)
    )


@bp.post("/intakes/<int:intake_id>/follow-up")
def record_follow_up(intake_id: int) -> BaseResponse | str:
    """Record that someone contacted the client, or tried to, after an urgent flag."""
    item = intake_or_404(intake_id)
    if not follow_up.needs_follow_up(item):
        flash("Contact is recorded here only for urgent intakes or an unanswered safety question.")
        return redirect(url_for("staff.intake", intake_id=intake_id))
    form = FollowUpForm()
    if not form.validate_on_submit():
        # The same page again, with the message beside the field and the note kept.
        return intake_page(item, form)
    outcome = FollowUp(form.outcome.data)
    follow_up.record(item, current_user, outcome, form.note.data)
    shown_once.note(f"Recorded for {item.client_name}: {outcome.label.lower()}.")
    return redirect(url_for("staff.intake", intake_id=intake_id))


@bp.get("/intakes/<int:intake_id>/brief.pdf")
def brief_pdf(intake_id: int) -> BaseResponse:
    """The brief as a PDF, from the store; never rendered here (the HTML brief is always there)."""
    item = intake_or_404(intake_id)
    if not item.submitted:
        flash("The brief is ready once the client has sent their answers.")
        return redirect(url_for("staff.intake", intake_id=intake_id))
    stored = jobs.current_pdf(item)
    if stored is None or stored.pdf is None or stored.sha256 is None:
        if pdf_status(item) == PdfStatus.FAILED:
            # Nothing is coming by itself: the brief page offers the retry.
            flash("The PDF could not be made. The brief below is the same document.")
            return redirect(url_for("staff.intake", intake_id=intake_id))
        # 202 and Retry-After: a script can tell "not yet" from a PDF, a person reads why.
        page = render_template("staff/pdf_pending.html", intake=item)
        response = Response(page, status=202, mimetype="text/html")
        response.headers["Retry-After"] = str(PDF_RETRY_AFTER)
        response.cache_control.no_store = True
        return response
    response = Response(
        stored.pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="brief-{item.id}.pdf"'},
    )
    audit.record("brief.downloaded", subject=item)
    response.set_etag(stored.sha256)
    response.cache_control.no_store = True  # clinical content: never kept by the browser
    return response.make_conditional(request)


@bp.post("/intakes/<int:intake_id>/brief/retry")
def retry_brief(intake_id: int) -> BaseResponse:
    """Ask again for a PDF whose render failed."""
    item = intake_or_404(intake_id)
    if not item.submitted or pdf_status(item) != PdfStatus.FAILED:
        # Only a failed (or stuck) render is retried: presses while one is queued or ready
        # add no work for the shared renderer.
        flash("The PDF is already being prepared." if item.submitted else "Not submitted yet.")
    elif wait := throttle.take("brief_retry_clinic", item.clinic_id):
        flash(f"Many PDFs were retried just now. Please try again in {throttle.minutes(wait)}.")
    else:
        jobs.retry(item)
        flash("The PDF is being prepared again.")
    return redirect(url_for("staff.intake", intake_id=intake_id))


@bp.get("/brief-assets/<path:filename>")
def brief_asset(filename: str) -> Response:
    """The brief's screen stylesheet and its assets (never the template sources).

    A clinic's own files under clinics/ are served only to that clinic's staff.
    """
    if not filename.endswith(ASSET_SUFFIXES):
        abort(404)
    # Normalised first, so "fonts/../clinics/other.css" is judged as what it opens.
    parts = PurePosixPath(posixpath.normpath(filename)).parts
    if parts and parts[0] == "clinics":
        slug = current_user.clinic.slug
        if len(parts) < 2 or (parts[1] != f"{slug}.css" and parts[1] != slug):
            abort(404)
    return send_from_directory(TEMPLATES_DIR, filename)
