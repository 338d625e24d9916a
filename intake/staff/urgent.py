"""The urgent panel of staff pages: how to reach the client, the clinic's safety procedure, what
the client was shown, and the record of contact (contacted or tried, by whom, when, a note)."""

from __future__ import annotations

from typing import Any

from .. import follow_up
from ..brief.build import consent_of, crisis_shown_of, reach_of
from ..intake_sets import walk_of
from ..models import Intake
from ..questionnaire import Definition
from ..questionnaire.follow_ups import FollowUpAnswers, follow_up_answers
from ..questionnaire.model import DECLINED
from .forms import FollowUpForm


def safety_answers(item: Intake) -> FollowUpAnswers | None:
    """What the client answered to the safety follow-ups (None: the questionnaire has none).

    Read through what the client walked: in an intake set, the PHQ-9's item 9 may stand for
    the readiness safety item, and the follow-ups are asked after it."""
    return follow_up_answers(walk_of(item), item.answers or {})


def panel(item: Intake, form: FollowUpForm | None = None) -> dict[str, Any]:
    """What the urgent panel (staff/_urgent.html) shows for one intake."""
    since = item.urgent_at if item.urgent else item.safety_skipped_at
    return {
        "needed": follow_up.needs_follow_up(item),
        "reach": reach_of(item),
        "shown": crisis_shown_of(item),
        "consent": consent_of(item),
        "procedure": item.clinic.safety_procedure,
        "follow_ups": list(item.follow_ups),
        "answers": safety_answers(item) if item.urgent else None,
        # Until someone has spoken with the client: a call that reached nobody still waits.
        "waited": "" if follow_up.reached(item.follow_ups) else follow_up.waited(since),
        "form": form or FollowUpForm(formdata=None),
    }


def _said(definition: Definition, item_id: str, value: Any) -> str:
    """One answer as the client chose it, in the definition's (the brief's) language."""
    if value is None or value == "":
        return "Not answered"
    if value == DECLINED:
        return "Preferred not to answer"
    for option in definition.item(item_id).options or ():
        if option.value == value and type(option.value) is type(value):
            return option.label.in_language(definition.language)
    return str(value)


def safety_summary(item: Intake) -> dict[str, Any]:
    """What the safety summary of an intake in progress shows: the safety question and its
    follow-ups as asked and answered, when, how to reach the client, and the record of
    contact; none of the other answers."""
    definition = walk_of(item)
    answers = item.answers or {}
    questions: list[tuple[str, str]] = []
    if definition.safety is not None:
        for item_id in definition.safety.asked_items:
            prompt = " ".join(
                definition.item(item_id).prompt.in_language(definition.language).split()
            )
            questions.append((prompt, _said(definition, item_id, answers.get(item_id))))
    return {"questions": questions, "answers": safety_answers(item)}
