"""The safety follow-ups' answers (right now / ever tried), as the crisis page and staff read
them: never scored, never a risk level, only what the client said."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .conditions import seen_answers
from .model import FOLLOW_UP_VALUES, Definition

# What staff read for each stored answer (the staff area is in English).
STAFF_WORDS = {"yes": "Yes", "no": "No", "rather_not_say": "Would rather not say"}


@dataclass(frozen=True)
class FollowUpAnswers:
    """The two follow-up answers; None where a question was not answered (or not asked)."""

    now: str | None
    ever: str | None

    @property
    def any(self) -> bool:
        """Whether either question has an answer."""
        return self.now is not None or self.ever is not None

    @property
    def now_yes(self) -> bool:
        """Whether the client said they are having thoughts of ending their life right now."""
        return self.now == "yes"


def follow_up_answers(
    definition: Definition, answers: Mapping[str, Any]
) -> FollowUpAnswers | None:
    """The follow-up answers of an intake, or None when its questionnaire has no follow-ups.

    A stored value that is not one of yes, no, rather_not_say reads as unanswered, and so
    does a stale one (the question is no longer shown: the safety answer was changed).
    """
    safety = definition.safety
    if safety is None or safety.follow_ups is None:
        return None
    asked = (safety.follow_ups.now, safety.follow_ups.ever)
    # Only an answer given can be one still shown; most intakes (and most of every page's
    # saves) have none, and working out what is shown walks the whole questionnaire.
    if any(item in answers for item in asked):
        answers = seen_answers(definition, answers)

    def value(item_id: str) -> str | None:
        given = answers.get(item_id)
        return given if isinstance(given, str) and given in FOLLOW_UP_VALUES else None

    return FollowUpAnswers(now=value(safety.follow_ups.now), ever=value(safety.follow_ups.ever))


def needs_help_now(definition: Definition, answers: Mapping[str, Any]) -> bool:
    """Whether the crisis page leads with the emergency number and "stay with someone": the
    client answered "right now: yes"."""
    found = follow_up_answers(definition, answers)
    return found is not None and found.now_yes


def staff_words(value: str | None) -> str:
    """One follow-up answer as staff read it ('Not answered' when blank)."""
    return STAFF_WORDS.get(value or "", "Not answered")
