"""The wizard's goals step: the client names goals in their own words and rates each 0-10
(Goal-Based Outcomes style); on a later intake they re-rate the same words and may add one."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import lazy_gettext
from werkzeug.wrappers import Response
from wtforms import RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from .. import clients, lifecycle
from ..models import ClientGoal, Intake
from ..questionnaire import Definition
from ..questionnaire.answers import answer_text
from ..questionnaire.conditions import is_answered
from ..questionnaire.flow import GOALS, next_page
from . import bp
from .forms import ClientForm
from .links import gate, load, moved_on, next_or_review, progress

GOAL_MAX = 300
RATING_CHOICES = [SelectChoice(str(n), str(n)) for n in range(11)]
RATE_MESSAGE = lazy_gettext("Please choose a number from 0 to 10.")
NAME_ONE = lazy_gettext("Please write at least one goal, in your own words.")
TEXT_FIRST = lazy_gettext("Please write the goal this number is for, or clear the number.")


def goals_form(earlier: list[ClientGoal], slots: int, data: dict[str, Any]) -> Any:
    """A form with a 0-10 rating for each earlier goal and room for new ones (text + rating)."""

    class GoalsForm(ClientForm):
        pass

    for goal in earlier:
        setattr(
            GoalsForm,
            f"rate_{goal.id}",
            RadioField(goal.text, choices=RATING_CHOICES, validators=[Optional()]),
        )
    for n in range(1, slots + 1):
        setattr(
            GoalsForm,
            f"goal_{n}",
            StringField(
                lazy_gettext("Goal %(n)s", n=n),
                validators=[
                    Optional(),
                    Length(
                        max=GOAL_MAX,
                        message=lazy_gettext(
                            "Please keep this under %(limit)s characters.", limit=GOAL_MAX
                        ),
                    ),
                ],
            ),
        )
        setattr(
            GoalsForm,
            f"goal_{n}_rating",
            RadioField(
                lazy_gettext("How close are you to this goal now?"),
                choices=RATING_CHOICES,
                validators=[Optional()],
            ),
        )
    return GoalsForm(data=data)


def _number(value: Any) -> int | None:
    return int(value) if value not in (None, "", "None") else None


def _complete(form: Any, earlier: list[ClientGoal], slots: int) -> bool:
    """For Next: every earlier goal rated; a first intake names at least one goal; every
    named goal rated, and no rating without its goal. Says what is missing next to it."""
    ok = True
    for goal in earlier:
        field = form[f"rate_{goal.id}"]
        if _number(field.data) is None:
            field.errors = [*field.errors, RATE_MESSAGE]
            ok = False
    named = 0
    for n in range(1, slots + 1):
        text, rating = form[f"goal_{n}"], form[f"goal_{n}_rating"]
        given = bool((text.data or "").strip())
        named += given
        if given and _number(rating.data) is None:
            rating.errors = [*rating.errors, RATE_MESSAGE]
            ok = False
        if not given and _number(rating.data) is not None:
            text.errors = [*text.errors, TEXT_FIRST]
            ok = False
    if not earlier and named == 0 and slots:
        form["goal_1"].errors = [*form["goal_1"].errors, NAME_ONE]
        ok = False
    return ok


def _values(
    form: Any, earlier: list[ClientGoal], slots: int
) -> tuple[dict[int, int | None], list[tuple[str | None, int | None]]]:
    """What the post holds that is valid: earlier ratings, and new goals by position."""
    rated = {
        goal.id: _number(form[f"rate_{goal.id}"].data)
        for goal in earlier
        if not form[f"rate_{goal.id}"].errors
    }
    named: list[tuple[str | None, int | None]] = []
    for n in range(1, slots + 1):
        text, rating = form[f"goal_{n}"], form[f"goal_{n}_rating"]
        words = None if text.errors else " ".join((text.data or "").split()) or None
        named.append((words, None if rating.errors or not words else _number(rating.data)))
    return rated, named


def _initial(intake: Intake, earlier: list[ClientGoal], slots: int) -> dict[str, Any]:
    """The form's values from what is stored for this intake."""
    ratings = clients.ratings_on(intake)
    data: dict[str, Any] = {f"rate_{g.id}": str(ratings[g.id]) for g in earlier if g.id in ratings}
    for goal in clients.named_on(intake):
        if goal.position <= slots:
            data[f"goal_{goal.position}"] = goal.text
            if goal.id in ratings:
                data[f"goal_{goal.position}_rating"] = str(ratings[goal.id])
    return data


def _hopes(intake: Intake, definition: Definition) -> str | None:
    """The client's answer to the question the goals build on, if they gave one."""
    if definition.goals is None or not definition.has_item(definition.goals.after):
        return None
    value = (intake.answers or {}).get(definition.goals.after)
    if not is_answered(value):
        return None
    return answer_text(definition, definition.item(definition.goals.after), value)


@bp.route("/i/<token>/goals", methods=["GET", "POST"])
def goals(token: str) -> Response | str:
    """The client's own goals: named and rated (first intake), or re-rated (a later one).
    Next needs every goal rated; Back and Save keep whatever is valid."""
    intake, definition = load(token)
    if (elsewhere := gate(intake, definition)) is not None:
        return elsewhere
    if not clients.asks_goals(intake, definition):
        # Not asked (the clinic turned the step off meanwhile): on to the review.
        return redirect(url_for(".review", token=intake.token))
    earlier = clients.earlier_goals(intake)
    slots = clients.new_slots(earlier)
    if request.method == "POST":
        form = goals_form(earlier, slots, _initial(intake, earlier, slots))
        action = request.form.get("action", "next")
        valid = form.validate()
        moving = valid and (action != "next" or _complete(form, earlier, slots))
        target = GOALS
        if moving:
            after = next_page(definition, intake.answers, GOALS, action, goals=True)
            target = next_or_review(after, action)
        rated, named = _values(form, earlier, slots)
        try:
            lifecycle.save_goals(intake, rated, named, target)
        except lifecycle.AlreadySubmitted:
            return redirect(url_for(".done", token=intake.token))
        if (onward := moved_on(intake, moving, action, target)) is not None:
            return onward
    else:
        form = goals_form(earlier, slots, _initial(intake, earlier, slots))
    number, total = progress(intake, definition, GOALS)
    return render_template(
        "client/goals.html",
        intake=intake,
        form=form,
        earlier=earlier,
        slots=slots,
        hopes=_hopes(intake, definition),
        number=number,
        total=total,
        first=number == 1,
    )
