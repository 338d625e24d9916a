"""Autosave for the page script: save what is valid as the client types, say what to show."""

from __future__ import annotations

from flask import jsonify, request
from werkzeug.wrappers import Response

from .. import lifecycle
from ..questionnaire.conditions import visible_items, visible_pages
from ..questionnaire.flow import merge_answers
from . import bp
from .forms import answers_from, page_form
from .links import consented, load, saved_as_read


@bp.post("/i/<token>/p/<page_id>/autosave")
@saved_as_read
def autosave(token: str, page_id: str) -> tuple[Response, int]:
    """Save a page's valid answers as the client types; say which questions to show.

    The same form validation as the page's Save button; CSRF comes in the X-CSRFToken
    header (Flask-WTF checks it). The safety answer and its follow-ups are left for the
    client's own Next, so that the crisis page always follows them (the page post flags the
    intake at once, and a later "right now: yes" shows the crisis page again).
    """
    intake, definition = load(token, answering=True)
    if intake.submitted or intake.under_age_at is not None or not consented(intake, definition):
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
    shown = visible_items(definition, current, merge_answers(intake.answers, sent))
    held = definition.safety.asked_items if definition.safety else ()
    values = {i.id: sent[i.id] for i in shown if i.id in sent and i.id not in held}
    try:
        # None: where the client resumes stays what it is under the row lock, so a late
        # autosave can never pull them back a page after they pressed Next.
        lifecycle.save_page(intake, definition, values, None)
    except lifecycle.AlreadySubmitted:
        return jsonify(saved=False, reason="closed"), 409
    errors = {i.id: str(form[i.id].errors[0]) for i in shown if form[i.id].errors}
    # The safety answers given here wait for Next: the page says so rather than "saved".
    waiting = [i.id for i in shown if i.id in held and sent.get(i.id) is not None]
    return jsonify(saved=True, visible=[i.id for i in shown], errors=errors, held=waiting), 200
