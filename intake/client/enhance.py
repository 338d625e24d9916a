"""What the wizard adds on top of plain pages: autosave for the script, the client's PDF copy."""

from __future__ import annotations

import io

from flask import jsonify, redirect, request, send_file, url_for
from werkzeug.wrappers import Response

from .. import intakes
from ..questionnaire.conditions import visible_items, visible_pages
from . import own_copy
from .forms import answers_from, page_form
from .views import _consented, _load, bp


@bp.post("/<token>/p/<page_id>/autosave")
def autosave(token: str, page_id: str) -> tuple[Response, int]:
    """Save a page's valid answers as the client types; say which questions to show.

    The same form validation as the page's Save button; CSRF comes in the X-CSRFToken
    header (Flask-WTF checks it). The safety answer is left for the client's own Next, so
    that the crisis page always follows it (the page post flags the intake at once).
    """
    intake, definition = _load(token)
    if intake.submitted or not _consented(intake, definition):
        return jsonify(saved=False, reason="closed"), 409
    pages = visible_pages(definition, intake.answers)
    current = next((p for p in pages if p.id == page_id), None)
    if current is None:
        return jsonify(saved=False, reason="not_shown"), 404
    form = page_form(
        definition, current.items, strict=False, formdata=request.form, data=intake.answers
    )
    form.validate()
    sent = answers_from(form, current.items, valid_only=True)
    shown = visible_items(definition, current, intakes.merged(intake.answers, sent))
    safety = definition.safety.item if definition.safety else None
    values = {i.id: sent[i.id] for i in shown if i.id in sent and i.id != safety}
    try:
        # None: where the client resumes stays what it is under the row lock, so a late
        # autosave can never pull them back a page after they pressed Next.
        intakes.save_page(intake, definition, values, None)
    except intakes.AlreadySubmitted:
        return jsonify(saved=False, reason="closed"), 409
    errors = {i.id: str(form[i.id].errors[0]) for i in shown if form[i.id].errors}
    return jsonify(saved=True, visible=[i.id for i in shown], errors=errors), 200


@bp.get("/<token>/answers.pdf")
def answers_copy(token: str) -> Response:
    """The client's own copy of what they sent, as a PDF download."""
    intake, definition = _load(token)
    if not intake.submitted:
        return redirect(url_for(".start", token=token))
    pdf = own_copy.answers_pdf(intake, definition)
    response = send_file(
        io.BytesIO(pdf),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=own_copy.filename(intake),
    )
    # Private answers: never kept by a shared cache or the browser's history.
    response.headers["Cache-Control"] = "no-store"
    return response
