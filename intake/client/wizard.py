"""The client's intake wizard: welcome and consent, one page at a time, safety, review, done."""

from __future__ import annotations

import io
from typing import Any

from flask import abort, redirect, render_template, request, send_file, url_for
from flask_babel import format_date, gettext
from werkzeug.wrappers import Response

from .. import clients, clinics, dates, intake_sets, lifecycle, phones
from ..models import Intake, IntakeStatus, utcnow
from ..questionnaire import Definition, Item, Page
from ..questionnaire.conditions import visible_items, visible_pages
from ..questionnaire.flow import (
    CONTACT,
    GOALS,
    REVIEW,
    asks_again,
    first_missing,
    merge_answers,
    next_page,
    safety_not_asked,
    skips_safety,
    steps,
)
from ..questionnaire.follow_ups import needs_help_now
from ..referrals import SELF_REFERRAL
from . import bp, own_copy
from .display import contact_summary, profile_gaps, sections
from .forms import ConsentForm, ContactForm, answers_from, contact_data, page_form
from .links import (
    consented,
    copyright_of,
    gate,
    load,
    moved_on,
    next_or_review,
    page_url,
    progress,
    saved_as_read,
)


@bp.route("/i/<token>", methods=["GET", "POST"])
def start(token: str) -> Response | str:
    """Welcome and consent for a new client; a returning client resumes where they stopped."""
    intake, definition = load(token)
    if intake.submitted:
        return redirect(url_for(".done", token=token))
    if intake.under_age_at is not None:
        return redirect(url_for(".under_age", token=token))
    order = steps(definition, intake.answers, goals=clients.asks_goals(intake, definition))
    first = order[0]
    signed = consented(intake, definition)
    if signed and intake.current_page and intake.status == IntakeStatus.IN_PROGRESS:
        return redirect(page_url(intake, intake.current_page))
    form = ConsentForm()
    if signed and request.method == "POST":
        return redirect(page_url(intake, first))
    if definition.consent is not None and form.validate_on_submit():
        version = f"{definition.consent.version}/{definition.language}"
        lifecycle.sign_consent(intake, form.consent_name.data or "", version, first)
        return redirect(page_url(intake, first))
    return render_template(
        "client/welcome.html",
        intake=intake,
        definition=definition,
        first=first,
        section_count=len(order),
        # Every page shown, the contact step (always asked), and the goals step if asked.
        section_most=len(definition.pages) + 1 + clients.asks_goals(intake, definition),
        parts=intake_sets.titles_of(intake, definition.language),
        form=form,
        # The day the client signs, where the clinic is (the server's day is UTC's).
        today=dates.local(utcnow(), intake.clinic.time_zone).date(),
    )


@bp.route("/i/<token>/p/<page_id>", methods=["GET", "POST"])
@saved_as_read
def page(token: str, page_id: str) -> Response | str:
    """One page of questions; Next validates, Back and Save keep whatever is valid."""
    intake, definition = load(token, answering=True)
    if (elsewhere := gate(intake, definition)) is not None:
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
    # Questions shown by an answer on this same page count from the answers just sent (on a
    # page without conditional questions every question shows whatever the answers).
    answers = intake.answers
    if any(item.show_if is not None for item in current.items):
        answers = merge_answers(intake.answers, _sent_values(intake, definition, current))
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
    # Whatever is valid is saved on every post, so nothing is lost and a safety answer
    # is flagged even when another field on the page still needs fixing. Taken before the
    # errors of newly shown questions are set aside below: a value that failed validation
    # is never stored, whichever question it was sent for.
    values = answers_from(form, shown, valid_only=True)
    for item in added:
        form[item.id].errors = []
    valid = not any(form[item.id].errors for item in shown)
    ask_again = (
        strict
        and valid
        and not added
        and asks_again(definition, shown, values, intake.safety_asked)
    )
    moving = valid and not added and not ask_again
    skipped = strict and moving and skips_safety(definition, shown, values, intake.safety_asked)
    target = current.id
    if moving:
        target = next_or_review(
            next_page(
                definition,
                merge_answers(intake.answers, values),
                current.id,
                action,
                goals=clients.asks_goals(intake, definition),
            ),
            action,
        )
    help_now_before = needs_help_now(definition, intake.answers)
    try:
        urgent = lifecycle.save_page(
            intake,
            definition,
            values,
            target,
            safety_asked=ask_again,
            safety_skipped=skipped,
        )
    except lifecycle.AlreadySubmitted:
        # Sent from another tab meanwhile: the answers are with the clinic, unchanged.
        return redirect(url_for(".done", token=intake.token))
    # Under 18: no more questions, whatever else the page still needs; the clinic is told.
    under_age = lifecycle.said_under_age(definition, intake.answers)
    if under_age:
        try:
            lifecycle.stop_under_age(intake)
        except lifecycle.AlreadySubmitted:
            # Sent from another tab between this save and the stop: it is with the clinic.
            return redirect(url_for(".done", token=intake.token))
    # "Right now: yes" shows the crisis page again, led by the emergency number, even when
    # the intake was already urgent (a follow-up answered on a later visit).
    if urgent or (needs_help_now(definition, intake.answers) and not help_now_before):
        return redirect(url_for(".support", token=intake.token, next=target))
    if under_age:
        return redirect(url_for(".under_age", token=intake.token))
    if (onward := moved_on(intake, moving, action, target)) is not None:
        return onward
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
    shown = visible_items(definition, current, answers)
    number, total = progress(intake, definition, current.id)
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
        number=number,
        total=total,
        first=number == 1,
        ask_again=ask_again,
        autosave_url=url_for(".autosave", token=intake.token, page_id=current.id),
        copyright=copyright_of(intake, definition, current.id),
    )


@bp.route("/i/<token>/contact", methods=["GET", "POST"])
def contact(token: str) -> Response | str:
    """How the clinic may reach the client (before the safety question), or that they would
    rather not say; prefilled from the invitation. Next needs an answer; Back and Save keep
    whatever is valid."""
    intake, definition = load(token)
    if (elsewhere := gate(intake, definition)) is not None:
        return elsewhere
    form = ContactForm(data=contact_data(intake.contact, intake.phone, intake.email))
    form.region = intake.clinic.phone_region
    if request.method == "POST":
        action = request.form.get("action", "next")
        valid = form.validate()
        moving = valid and (action != "next" or form.check_complete())
        goals = clients.asks_goals(intake, definition)
        target = CONTACT
        if moving:
            after = next_page(definition, intake.answers, CONTACT, action, goals=goals)
            target = next_or_review(after, action)
        try:
            lifecycle.save_contact(
                intake, form.values(), target, confirmed=moving and action == "next"
            )
        except lifecycle.AlreadySubmitted:
            return redirect(url_for(".done", token=intake.token))
        if (onward := moved_on(intake, moving, action, target)) is not None:
            return onward
    number, total = progress(intake, definition, CONTACT)
    return render_template(
        "client/contact.html",
        intake=intake,
        form=form,
        number=number,
        total=total,
        first=number == 1,
        example=phones.example(intake.clinic.phone_region),
    )


@bp.get("/i/<token>/support")
def support(token: str) -> Response | str:
    """Crisis information first, then a way back into the intake."""
    intake, definition = load(token)
    if definition.safety is None:
        abort(404)
    target = request.args.get("next", "")
    known = target in (REVIEW, CONTACT, GOALS) or any(p.id == target for p in definition.pages)
    crisis = clinics.crisis_for(intake.clinic, definition.language)
    lifecycle.note_crisis_shown(intake, crisis, "support")
    return render_template(
        "client/support.html",
        intake=intake,
        safety=definition.safety,
        crisis=crisis,
        help_now=needs_help_now(definition, intake.answers),
        continue_url=page_url(intake, target if known else REVIEW),
    )


@bp.get("/i/<token>/under-18")
def under_age(token: str) -> Response | str:
    """For a client who said they are under 18: what to do instead, kindly; no more questions."""
    intake, definition = load(token)
    if intake.under_age_at is None or intake.submitted:
        return redirect(url_for(".start", token=token))
    return render_template(
        "client/under_age.html",
        intake=intake,
        crisis=clinics.crisis_for(intake.clinic, definition.language),
        invited=intake.source != SELF_REFERRAL,
    )


@bp.get("/i/<token>/saved")
def saved(token: str) -> Response | str:
    """Confirms the answers are saved and how to come back."""
    intake, _ = load(token)
    if intake.submitted:
        return redirect(url_for(".done", token=token))
    # On PUBLIC_BASE_URL, never the Host header a request happened to carry.
    return render_template("client/saved.html", intake=intake, link=lifecycle.client_link(intake))


@bp.route("/i/<token>/review", methods=["GET", "POST"])
def review(token: str) -> Response | str:
    """Every answer before sending; Submit scores and closes the intake."""
    intake, definition = load(token)
    if (elsewhere := gate(intake, definition)) is not None:
        return elsewhere
    missing = _still_needed(intake, definition)
    if request.method == "POST" and missing is None:
        try:
            lifecycle.submit(intake, definition)
        except lifecycle.AlreadySubmitted:
            pass  # a double click: the first submit already did the work
        return redirect(url_for(".done", token=token))
    order = steps(definition, intake.answers, goals=clients.asks_goals(intake, definition))
    after = order.index(CONTACT) + 1
    return render_template(
        "client/review.html",
        intake=intake,
        sections=sections(definition, intake.answers),
        contact=contact_summary(intake.contact),
        contact_before=order[after] if after < len(order) else None,
        gaps=profile_gaps(definition, intake.answers, intake_sets.part_results(intake)),
        goals=_goals_summary(intake, definition),
        missing=missing,
        tried=request.method == "POST",
    )


def _still_needed(intake: Intake, definition: Definition) -> tuple[str, str, str] | None:
    """What must come before sending, as (heading, words, address of the step): a required
    question; how to reach the client, never confirmed; or the safety question, unanswered
    and not yet asked again (flow.safety_not_asked; a client who came to the review by its
    address skipped both; the wizard asks the contact step first)."""
    found = first_missing(definition, intake.answers)
    if found is not None:
        page, item = found
        address = f"{page_url(intake, page.id)}?from={REVIEW}"
        return gettext("One question still needs an answer"), item.prompt, address
    if intake.contact is None or intake.contact.confirmed_at is None:
        address = f"{page_url(intake, CONTACT)}?from={REVIEW}"
        heading = gettext("Please check how we can reach you")
        return heading, gettext("How we can reach you"), address
    found = safety_not_asked(definition, intake.answers, intake.safety_asked)
    if found is None:
        return None
    page, item = found
    address = f"{page_url(intake, page.id)}?from={REVIEW}"
    # It may be left blank once asked: the heading asks the client to see it, not answer it.
    return gettext("Before you send, please look at this question"), item.prompt, address


def _goals_summary(intake: Intake, definition: Definition) -> list[tuple[str, int | None]] | None:
    """The goals as the review lists them (their words, this intake's rating), if asked."""
    if not clients.asks_goals(intake, definition):
        return None
    ratings = clients.ratings_on(intake)
    goals = [*clients.earlier_goals(intake), *clients.named_on(intake)]
    return [(g.text, ratings.get(g.id)) for g in goals]


@bp.get("/i/<token>/done")
def done(token: str) -> Response | str:
    """What happens next, in the product's respectful voice, and the client's own copy."""
    intake, definition = load(token)
    if not intake.submitted:
        return redirect(url_for(".start", token=token))
    crisis = None
    if intake.urgent and definition.safety:
        crisis = clinics.crisis_for(intake.clinic, definition.language)
        lifecycle.note_crisis_shown(intake, crisis, "done")
    closes = lifecycle.copy_closes_at(intake)
    return render_template(
        "client/done.html",
        intake=intake,
        crisis=crisis,
        closes_on=format_date(closes, "long") if closes else None,
        help_now=crisis is not None and needs_help_now(definition, intake.answers),
    )


@bp.get("/i/<token>/answers.pdf")
def answers_copy(token: str) -> Response:
    """The client's own copy of what they sent, as a PDF download (sensitive answers left out
    unless ?sensitive=include)."""
    intake, definition = load(token)
    if not intake.submitted:
        return redirect(url_for(".start", token=token))
    # Left out unless the client chose to include them: someone else may see the file.
    include = request.args.get("sensitive") == "include"
    pdf = own_copy.cached_answers_pdf(intake, definition, leave_out_sensitive=not include)
    response = send_file(
        io.BytesIO(pdf),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=own_copy.filename(intake),
    )
    # Private answers: never kept by a shared cache or the browser's history.
    response.headers["Cache-Control"] = "no-store"
    return response
