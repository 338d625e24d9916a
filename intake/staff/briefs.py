"""Briefs in the staff area: the HTML page, the PDF download and the brief's assets."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, send_from_directory, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from .. import briefs
from ..access import intake_or_404
from ..brief.render import TEMPLATES_DIR, render_html
from . import bp

ASSET_SUFFIXES = (".css", ".svg", ".png", ".jpg", ".woff2", ".ttf")


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
