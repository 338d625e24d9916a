"""The client's intake wizard: welcome and consent, one page at a time, safety, review, done."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext, refresh
from werkzeug.wrappers import Response

from .. import i18n, intakes, mail
from ..models import Clinic, Intake
from ..questionnaire import Definition, Item, Page
from ..questionnaire.conditions import is_answered, visible_items, visible_pages
from ..questionnaire.model import DECLINED
from ..questionnaire.model import Safety as SafetyConfig
from ..questionnaires import definition_of
from .display import sections
from .forms import ConsentForm, answers_from, page_form

bp = Blueprint("client", __name__, url_prefix="/i")


def _load(token: str) -> tuple[Intake, Definition]:
    """The intake behind a link, and its questionnaire in the client's language.

    An unknown link is a friendly 404.
    """
    intake = intakes.by_token(token)
    if intake is None:
        abort(404)
    if problem := intakes.link_problem(intake):
        # A friendly page that says whom to contact, never a stack trace.
        if intake.status != "invited":
            g.language = intake.language  # the language they answered in
        page = render_template("link_closed.html", intake=intake, problem=problem)
        abort(make_response(page, 410))
    definition = definition_of(intake.questionnaire)
    return intake, definition.in_language(_language(intake, definition))


def _language(intake: Intake, definition: Definition) -> str:
    """Pick the page's language; a choice from the link, or answering in it, sticks."""
    asked = request.args.get("lang")
    offered = definition.offered_languages
    language = i18n.choose(
        offered,
        asked=asked,
        stored=intake.language,
        settled=intake.status != "invited" or intake.consent_at is not None,
        accept=request.accept_languages,
    )
    if asked == language or request.method == "POST":
        intakes.set_language(intake, language)
    g.language = language
    g.languages = [(code, i18n.language_name(code)) for code in offered]
    refresh()  # the interface's locale follows the intake's language from here on
    return language


def _consented(intake: Intake, definition: Definition) -> bool:
    return definition.consent is None or intake.consent_at is not None


def _gate(intake: Intake, definition: Definition) -> Response | None:
    """Where a client goes instead: sent intakes to 'done', unsigned ones to the welcome."""
    if intake.submitted:
        return redirect(url_for(".done", token=intake.token))
    if not _consented(intake, definition):
        return redirect(url_for(".start", token=intake.token))
    return None


@bp.route("/<token>", methods=["GET", "POST"])
def start(token: str) -> Response | str:
    """Welcome and consent for a new client; a returning client resumes where they stopped."""
    intake, definition = _load(token)
    if intake.submitted:
        return redirect(url_for(".done", token=token))
    pages = visible_pages(definition, intake.answers)
    first = pages[0].id
    consented = _consented(intake, definition)
    if consented and intake.current_page and intake.status == "in_progress":
        return redirect(_page_url(intake, intake.current_page))
    form = ConsentForm()
    if consented and request.method == "POST":
        return redirect(_page_url(intake, first))
    if definition.consent is not None and form.validate_on_submit():
        version = f"{definition.consent.version}/{definition.language}"
        intakes.sign_consent(intake, form.consent_name.data or "", version, first)
        return redirect(_page_url(intake, first))
    return render_template(
        "client/welcome.html",
        intake=intake,
        definition=definition,
        first=first,
        section_count=len(pages),
        form=form,
        today=date.today(),
    )


@bp.route("/<token>/p/<page_id>", methods=["GET", "POST"])
def page(token: str, page_id: str) -> Response | str:
    """One page of questions; Next validates, Back and Save keep whatever is valid."""
    intake, definition = _load(token)
    if (elsewhere := _gate(intake, definition)) is not None:
        return elsewhere
    current = next((p for p in visible_pages(definition, intake.answers) if p.id == page_id), None)
    if current is None:
        if any(p.id == page_id for p in definition.pages):
            return redirect(url_for(".review", token=token))
        abort(404)
    if request.method == "POST":
        return _post_page(intake, definition, current)
    form = page_form(definition, current.items, strict=False, data=intake.answers)
    return _render_page(intake, definition, current, form, intake.answers)


def _post_page(intake: Intake, definition: Definition, current: Page) -> Response | str:
    """Validate and save one page, then move on, ask again, or show what needs fixing."""
    action = request.form.get("action", "next")
    strict = action == "next"
    # Questions shown by an answer on this same page count from the answers just sent.
    answers = intakes.merged(intake.answers, _sent_values(intake, definition, current))
    shown = visible_items(definition, current, answers)
    form = page_form(
        definition,
        current.items,
        strict=strict,
        formdata=request.form,
        data=intake.answers,
        enforce={item.id for item in shown},
    )
    form.validate()
    # A question that appeared since the page was drawn (no JavaScript to show it in
    # place) is shown first, not reported as an error: the client has not seen it yet.
    added = _not_seen(intake, definition, current, shown) if strict else ()
    for item in added:
        form[item.id].errors = []
    valid = not any(form[item.id].errors for item in shown)
    # Whatever is valid is saved on every post, so nothing is lost and a safety answer
    # is flagged even when another field on the page still needs fixing.
    values = answers_from(form, shown, valid_only=True)
    ask_again = (
        strict and valid and not added and _needs_asking_again(definition, shown, values, intake)
    )
    moving = valid and not added and not ask_again
    target = _target(intake, definition, current, action, values) if moving else current.id
    try:
        urgent = intakes.save_page(intake, definition, values, target, safety_asked=ask_again)
    except intakes.AlreadySubmitted:
        # Sent from another tab meanwhile: the answers are with the clinic, unchanged.
        return redirect(url_for(".done", token=intake.token))
    if urgent:
        return redirect(url_for(".support", token=intake.token, next=target))
    if moving and action == "save":
        return redirect(url_for(".saved", token=intake.token))
    if moving:
        flash(gettext("Your answers are saved."))
        return redirect(_page_url(intake, target))
    return _render_page(
        intake, definition, current, form, answers, ask_again=ask_again, added=added
    )


def _sent_values(intake: Intake, definition: Definition, current: Page) -> dict[str, Any]:
    """The valid answers in the post, for every question of the page, shown or not."""
    form = page_form(
        definition, current.items, strict=False, formdata=request.form, data=intake.answers
    )
    form.validate()
    return answers_from(form, current.items, valid_only=True)


def _not_seen(
    intake: Intake, definition: Definition, current: Page, shown: tuple[Item, ...]
) -> tuple[Item, ...]:
    """Questions shown now that were not on the client's screen when they sent the page.

    The page lists what it showed in 'shown' (the script keeps it current as questions
    appear in place); without it, the page showed what the stored answers showed.
    """
    if "shown" in request.form:
        seen = set(request.form.get("shown", "").split())
    else:
        seen = {item.id for item in visible_items(definition, current, intake.answers)}
    return tuple(item for item in shown if item.id not in seen)


def _render_page(
    intake: Intake,
    definition: Definition,
    current: Page,
    form: Any,
    answers: dict[str, Any],
    *,
    ask_again: bool = False,
    added: tuple[Item, ...] = (),
) -> str:
    pages = visible_pages(definition, intake.answers)
    shown = visible_items(definition, current, answers)
    index = next((n for n, p in enumerate(pages) if p.id == current.id), 0)
    return render_template(
        "client/page.html",
        intake=intake,
        definition=definition,
        page=current,
        items=current.items,
        hidden={item.id for item in current.items} - {item.id for item in shown},
        errors=[item for item in shown if form[item.id].errors],
        added=added,
        form=form,
        number=index + 1,
        total=len(pages),
        first=index == 0,
        ask_again=ask_again,
        autosave_url=url_for(".autosave", token=intake.token, page_id=current.id),
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


def _page_url(intake: Intake, page_id: str) -> str:
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
        crisis=crisis_contacts(intake.clinic, definition.safety),
        continue_url=_page_url(intake, target if known else "review"),
    )


def crisis_contacts(clinic: Clinic, safety: SafetyConfig) -> dict[str, str]:
    """The clinic's own crisis contacts win over the questionnaire's defaults."""
    return {
        "text": clinic.crisis_text or safety.crisis_text,
        "emergency": clinic.emergency_number or safety.emergency_number,
    }


@bp.get("/<token>/saved")
def saved(token: str) -> Response | str:
    """Confirms the answers are saved and how to come back."""
    intake, _ = _load(token)
    if intake.submitted:
        return redirect(url_for(".done", token=token))
    # On PUBLIC_BASE_URL, never the Host header a request happened to carry.
    link = mail.external_url("client.start", token=token)
    return render_template("client/saved.html", intake=intake, link=link)


@bp.route("/<token>/review", methods=["GET", "POST"])
def review(token: str) -> Response | str:
    """Every answer before sending; Submit scores and closes the intake."""
    intake, definition = _load(token)
    if (elsewhere := _gate(intake, definition)) is not None:
        return elsewhere
    missing = _first_missing(definition, intake)
    if request.method == "POST" and missing is None:
        try:
            intakes.submit(intake, definition)
        except intakes.AlreadySubmitted:
            pass  # a double click: the first submit already did the work
        return redirect(url_for(".done", token=token))
    return render_template(
        "client/review.html",
        intake=intake,
        sections=sections(definition, intake.answers),
        missing=missing,
        tried=request.method == "POST",
    )


def _first_missing(definition: Definition, intake: Intake) -> tuple[Page, Item] | None:
    """The first required question still unanswered, with the page it is on."""
    for page in visible_pages(definition, intake.answers):
        for item in visible_items(definition, page, intake.answers):
            if item.required and not is_answered(intake.answers.get(item.id)):
                if item.decline and intake.answers.get(item.id) == DECLINED:
                    continue
                return page, item
    return None


@bp.get("/<token>/done")
def done(token: str) -> Response | str:
    """What happens next, in the product's respectful voice, and the client's own copy."""
    intake, definition = _load(token)
    if not intake.submitted:
        return redirect(url_for(".start", token=token))
    crisis = (
        crisis_contacts(intake.clinic, definition.safety)
        if intake.urgent and definition.safety
        else None
    )
    return render_template("client/done.html", intake=intake, crisis=crisis)


from . import enhance  # noqa: E402, F401  (autosave and the PDF copy: routes on bp)
