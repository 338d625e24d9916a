"""The intake behind a client link: found, checked, and spoken in the client's language."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, g, make_response, redirect, render_template, request, url_for
from flask_babel import refresh
from werkzeug.wrappers import Response

from .. import clients, clinics, i18n, intake_sets, lifecycle
from ..models import Intake, IntakeStatus
from ..questionnaire import Definition
from ..questionnaire.flow import CONTACT, GOALS, REVIEW, steps
from . import bp

T = TypeVar("T")

# The steps that have addresses of their own (every other step is a page of questions).
_STEP_ENDPOINTS = {REVIEW: ".review", CONTACT: ".contact", GOALS: ".goals"}


def load(token: str, *, answering: bool = False) -> tuple[Intake, Definition]:
    """The intake behind a link, and its questionnaire in the client's language.

    An unknown link is a friendly 404; a withdrawn or expired one a 410 that says whom
    to contact. A post reads the row under its lock (held until the post saves, or until
    it is answered), so what it checks is what it changes. A post that first settles the
    client's language commits that, which ends the lock: the save then reads the row again
    under it (lifecycle._lock). answering: a page of questions or its save, which reads
    less of the intake (lifecycle.by_token); a page's save (a view wrapped in
    saved_as_read) reads it without the lock, and its write checks that nothing changed.
    """
    intake = lifecycle.by_token(
        token,
        lock=request.method == "POST",
        answering=answering,
        optimistic=answering and g.get(_AS_READ, False),
    )
    if intake is None:
        abort(404)
    if problem := lifecycle.link_problem(intake):
        if intake.status != IntakeStatus.INVITED:
            g.language = intake.language  # the language they answered in
        page = render_template("link_closed.html", intake=intake, problem=problem)
        abort(make_response(page, 410))
    definition = walked(intake)
    g.setdefault(i18n.CLIENT_CLINIC, intake.clinic)  # the time zone its dates are read in
    return intake, definition.in_language(_language(intake, definition))


# g key: this request's page save reads without the lock (False: again, under it).
_AS_READ = "saved_as_read"


def saved_as_read(view: Callable[..., T]) -> Callable[..., T]:
    """A view that saves a page of answers: its first read takes no lock (lifecycle.by_token's
    optimistic), and should its write find the row changed since (another tab, a late
    autosave, the intake sent meanwhile), the view runs once more from a read under the
    lock. Nothing before the save writes but a language settled, which is the same again."""

    @functools.wraps(view)
    def run(*args: Any, **kwargs: Any) -> T:
        setattr(g, _AS_READ, True)
        try:
            return view(*args, **kwargs)
        except lifecycle.ReadAgainLocked:
            setattr(g, _AS_READ, False)
            return view(*args, **kwargs)
        finally:
            g.pop(_AS_READ, None)

    return run


@bp.teardown_request
def _release_row(_: BaseException | None) -> None:
    # A post that saved nothing (a page shown again with its errors) frees the row now.
    lifecycle.release_lock()


def walked(intake: Intake) -> Definition:
    """The definition the client walks through (intake_sets.walk_of)."""
    return intake_sets.walk_of(intake)


def copyright_of(intake: Intake, definition: Definition, page_id: str) -> str | None:
    """The copyright line under a page: its own questionnaire's, in the page's language."""
    if not intake.more_parts:
        return definition.copyright
    part = intake_sets.bundle_for(intake).part_of_page(page_id)
    if part is None or part.copyright is None:
        return None
    return part.copyright.in_language(definition.language)


def _language(intake: Intake, definition: Definition) -> str:
    """Pick the page's language; a choice from the link, or answering in it, sticks."""
    asked = request.args.get("lang")
    offered = clinics.client_languages(intake.clinic, definition)
    language = i18n.choose(
        offered,
        asked=asked,
        stored=intake.language,
        settled=intake.status != IntakeStatus.INVITED or intake.consent_at is not None,
        accept=request.accept_languages,
    )
    if asked == language or request.method == "POST":
        lifecycle.set_language(intake, language)
    g.language = language
    g.languages = [(code, i18n.language_name(code)) for code in offered]
    refresh()  # the interface's locale follows the intake's language from here on
    return language


def consented(intake: Intake, definition: Definition) -> bool:
    """Whether the client may answer: consent given, or none asked."""
    return definition.consent is None or intake.consent_at is not None


def gate(intake: Intake, definition: Definition) -> Response | None:
    """Where a client goes instead: sent intakes to 'done', stopped ones (under 18) to what to
    do instead, unsigned ones to the welcome."""
    if intake.submitted:
        return redirect(url_for(".done", token=intake.token))
    if intake.under_age_at is not None:
        return redirect(url_for(".under_age", token=intake.token))
    if not consented(intake, definition):
        return redirect(url_for(".start", token=intake.token))
    return None


def page_url(intake: Intake, page_id: str, *, saved: bool = False) -> str:
    """The address of a page of the intake, of its contact or goals step, or of the review;
    with saved, flagged to say the answers were just saved (i18n.SAVED: a query flag, not a
    flash, which is kept in the session and so signed the cookie again on every save)."""
    if (endpoint := _STEP_ENDPOINTS.get(page_id)) is not None:
        url = url_for(endpoint, token=intake.token)
    else:
        url = url_for(".page", token=intake.token, page_id=page_id)
    # The flag is the whole query: added as is, not by url_for's general query encoding
    # (half a percent of a page save's work).
    return f"{url}?{i18n.SAVED}=1" if saved else url


@bp.app_template_global()
def from_review() -> bool:
    """Whether the client came to this step from the review to change an answer (the step's
    form carries it along, so a page sent back with what needs fixing still knows)."""
    return (request.values.get("from") or "") == REVIEW


def next_or_review(target: str, action: str) -> str:
    """Where a step's Next goes: a change made from the review goes back to it, not through
    every later step."""
    return REVIEW if action == "next" and from_review() else target


@bp.app_template_global()
def just_saved() -> bool:
    """Whether this page is shown right after a save (?saved=1), to say the answers are saved."""
    # Only a page shown, never a post: a page's form posts to its own address, flag and all.
    return request.method == "GET" and request.args.get(i18n.SAVED) == "1"


def moved_on(intake: Intake, moving: bool, action: str, target: str) -> Response | None:
    """Where a step goes once its answers are saved: Save to the 'saved' page, Next or Back to
    the target (saying they were saved); None when it stays to show what needs fixing."""
    if not moving:
        return None
    if action == "save":
        return redirect(url_for(".saved", token=intake.token))
    return redirect(page_url(intake, target, saved=True))


def progress(intake: Intake, definition: Definition, step: str) -> tuple[int, int]:
    """(k, n) for "Step k of n": where this step is among the client's steps."""
    order = steps(definition, intake.answers, goals=clients.asks_goals(intake, definition))
    return (order.index(step) + 1 if step in order else 1), len(order)
