"""The client's intake wizard: welcome, one page at a time, safety, review, done."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from .. import intakes
from ..brief.content import answer_text
from ..models import Intake
from ..questionnaire import Definition, Item, Page
from ..questionnaire.conditions import is_answered, visible_items, visible_pages
from ..questionnaire.model import DECLINED
from ..questionnaire.model import Safety as SafetyConfig
from ..questionnaires import definition_of
from .forms import answers_from, page_form

bp = Blueprint("client", __name__, url_prefix="/i")


def _load(token: str) -> tuple[Intake, Definition]:
    """The intake behind a link; an unknown link is a friendly 404."""
    intake = intakes.by_token(token)
    if intake is None:
        abort(404)
    return intake, definition_of(intake.questionnaire)


@bp.get("/<token>")
def start(token: str) -> Response | str:
    """Welcome a new client, or resume where they stopped."""
    intake, definition = _load(token)
    if intake.submitted:
        return redirect(url_for(".done", token=token))
    if intake.status == "in_progress" and intake.current_page:
        return redirect(_page_url(intake, definition, intake.current_page))
    pages = visible_pages(definition, intake.answers)
    return render_template(
        "client/welcome.html", intake=intake, definition=definition, first=pages[0].id
    )


@bp.route("/<token>/p/<page_id>", methods=["GET", "POST"])
def page(token: str, page_id: str) -> Response | str:
    """One page of questions; Next validates, Back and Save keep whatever is valid."""
    intake, definition = _load(token)
    if intake.submitted:
        return redirect(url_for(".done", token=token))
    pages = visible_pages(definition, intake.answers)
    current = next((p for p in pages if p.id == page_id), None)
    if current is None:
        if any(p.id == page_id for p in definition.pages):
            return redirect(url_for(".review", token=token))
        abort(404)
    items = visible_items(definition, current, intake.answers)
    action = request.form.get("action", "next")
    strict = request.method == "POST" and action == "next"
    form = page_form(
        definition,
        items,
        strict=strict,
        formdata=request.form if request.method == "POST" else None,
        data=intake.answers,
    )
    ask_again = False
    if request.method == "POST":
        # Whatever is valid is saved on every post, so nothing is lost and a safety
        # answer is flagged even when another field on the page still needs fixing.
        valid = form.validate()
        values = answers_from(form, items, valid_only=True)
        ask_again = strict and valid and _needs_asking_again(definition, items, values, intake)
        moving = valid and not ask_again
        target = _target(intake, definition, current, action, values) if moving else current.id
        urgent = intakes.save_page(intake, definition, values, target, safety_asked=ask_again)
        if urgent:
            return redirect(url_for(".support", token=token, next=target))
        if moving:
            if action == "save":
                return redirect(url_for(".saved", token=token))
            return redirect(_page_url(intake, definition, target))
    index = pages.index(current)
    return render_template(
        "client/page.html",
        intake=intake,
        definition=definition,
        page=current,
        items=items,
        form=form,
        number=index + 1,
        total=len(pages),
        first=index == 0,
        ask_again=ask_again,
    )


def _needs_asking_again(
    definition: Definition, items: tuple[Item, ...], values: dict[str, Any], intake: Intake
) -> bool:
    """A blank safety item is asked once more; never imputed."""
    safety = definition.safety
    if safety is None or intake.safety_asked:
        return False
    if not any(item.id == safety.item for item in items):
        return False
    value = values.get(safety.item)
    return not is_answered(value) or value == DECLINED


def _target(
    intake: Intake, definition: Definition, current: Page, action: str, values: dict[str, Any]
) -> str:
    """Where the client goes next, with visibility worked out from the new answers."""
    pages = visible_pages(definition, intakes.merged(intake.answers, values))
    ids = [p.id for p in pages]
    index = ids.index(current.id) if current.id in ids else 0
    if action == "back":
        return ids[index - 1] if index > 0 else current.id
    if action == "save":
        return current.id
    return ids[index + 1] if index + 1 < len(ids) else "review"


def _page_url(intake: Intake, definition: Definition, page_id: str) -> str:
    if page_id == "review":
        return url_for(".review", token=intake.token)
    return url_for(".page", token=intake.token, page_id=page_id)


@bp.get("/<token>/support")
def support(token: str) -> Response | str:
    """Crisis information first, then a way back into the intake."""
    intake, definition = _load(token)
    if definition.safety is None:
        abort(404)
    target = request.args.get("next", "")
    known = target == "review" or any(p.id == target for p in definition.pages)
    return render_template(
        "client/support.html",
        intake=intake,
        safety=definition.safety,
        crisis=_crisis(intake, definition.safety),
        continue_url=_page_url(intake, definition, target if known else "review"),
    )


def _crisis(intake: Intake, safety: SafetyConfig) -> dict[str, str]:
    """The clinic's own crisis contacts win over the questionnaire's defaults."""
    return {
        "text": intake.clinic.crisis_text or safety.crisis_text,
        "emergency": intake.clinic.emergency_number or safety.emergency_number,
    }


@bp.get("/<token>/saved")
def saved(token: str) -> Response | str:
    """Confirms the answers are saved and how to come back."""
    intake, _ = _load(token)
    if intake.submitted:
        return redirect(url_for(".done", token=token))
    link = url_for(".start", token=token, _external=True)
    return render_template("client/saved.html", intake=intake, link=link)


@bp.route("/<token>/review", methods=["GET", "POST"])
def review(token: str) -> Response | str:
    """Every answer before sending; Submit scores and closes the intake."""
    intake, definition = _load(token)
    if intake.submitted:
        return redirect(url_for(".done", token=token))
    missing = _first_missing(definition, intake)
    if request.method == "POST":
        if missing is None:
            try:
                intakes.submit(intake, definition)
            except intakes.AlreadySubmitted:
                pass  # a double click: the first submit already did the work
            return redirect(url_for(".done", token=token))
    rows = [
        (
            page,
            [
                (item, answer_text(definition, item, intake.answers.get(item.id)))
                for item in visible_items(definition, page, intake.answers)
            ],
        )
        for page in visible_pages(definition, intake.answers)
    ]
    return render_template("client/review.html", intake=intake, rows=rows, missing=missing)


def _first_missing(definition: Definition, intake: Intake) -> tuple[Page, str] | None:
    """The first required question still unanswered, with the page it is on."""
    for page in visible_pages(definition, intake.answers):
        for item in visible_items(definition, page, intake.answers):
            if item.required and not is_answered(intake.answers.get(item.id)):
                if item.decline and intake.answers.get(item.id) == DECLINED:
                    continue
                return page, item.prompt
    return None


@bp.get("/<token>/done")
def done(token: str) -> Response | str:
    """What happens next, in the product's respectful voice."""
    intake, definition = _load(token)
    if not intake.submitted:
        return redirect(url_for(".start", token=token))
    crisis = _crisis(intake, definition.safety) if intake.urgent and definition.safety else None
    return render_template("client/done.html", intake=intake, crisis=crisis)
