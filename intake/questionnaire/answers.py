"""How a stored answer reads (option labels, scale words, dates, blanks named), and which
values a question accepts at all.

One rule for the brief (in the clinic's language) and for the client's own pages (in
theirs); each passes its Words. A stored value that no longer fits its question (an edited
definition, a hand-made record) reads as itself, never as an error. Answers written by hand
(worked examples, `forms score`) are checked with answer_problem before they are scored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from .conditions import is_answered
from .model import DECLINED, Definition, Item, ItemType


def _long_date(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


@dataclass(frozen=True)
class Words:
    """The words an answer is told in."""

    declined: str = "Preferred not to answer"
    not_answered: str = "Not answered"
    agreed: str = "Agreed"
    not_agreed: str = "Not agreed"
    yes: str = "Yes"
    no: str = "No"
    ruler: Callable[[Any], str] = "{} of 10".format
    scale_value: bool = True  # "Agree (4)" for readers who compare numbers
    date: Callable[[date], str] = _long_date


ENGLISH = Words()


def answer_text(definition: Definition, item: Item, value: Any, words: Words = ENGLISH) -> str:
    """An answer as a reader sees it."""
    if value == DECLINED:
        return words.declined
    if not is_answered(value):
        return words.not_answered
    if item.type is ItemType.CONSENT:
        return words.agreed if value else words.not_agreed
    if item.type is ItemType.YES_NO:
        return words.yes if value == "yes" else words.no
    if item.type is ItemType.AGREEMENT:
        return _scale_word(definition, item, value, words)
    if item.type is ItemType.RULER:
        return words.ruler(value)
    if item.options:
        by_value = {o.value: o.label for o in item.options}
        values = value if isinstance(value, list) else [value]
        return "; ".join(str(by_value.get(v, v)) for v in values)
    if item.type is ItemType.DATE:
        try:
            return words.date(date.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    return str(value)


def _scale_word(definition: Definition, item: Item, value: Any, words: Words) -> str:
    low, _ = definition.scale_for(item)
    labels = definition.scale_labels(item)
    # An agreement scale's points are whole numbers, so its low end is one too.
    start = int(low)
    position = value - start if isinstance(value, int) and not isinstance(value, bool) else -1
    if not 0 <= position < len(labels):
        return str(value)
    return f"{labels[position]} ({value})" if words.scale_value else labels[position]


def answer_problems(definition: Definition, answers: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(item id, problem) for each answer that names no question or does not fit its own."""
    problems = []
    for key, value in answers.items():
        if not definition.has_item(key):
            problems.append((key, f"unknown item '{key}'"))
        elif (problem := answer_problem(definition, definition.item(key), value)) is not None:
            problems.append((key, problem))
    return problems


def answer_problem(definition: Definition, item: Item, value: Any) -> str | None:
    """Why a value is not an answer to this question, or None when it is (blanks are fine).

    The client's form offers only these answers; this is the same rule for answers written
    by hand, so that an example can never score a 9 on a 1-5 scale.
    """
    if value == DECLINED:
        return None if item.decline else "this question does not offer 'prefer not to answer'"
    if value is None or (isinstance(value, str | list) and not value):
        return None
    kind = item.type
    if kind in (ItemType.AGREEMENT, ItemType.RULER):
        low, high = definition.scale_for(item)
        if definition.item_value(item, value) is None:
            return f"{value!r} is not on this question's scale (whole numbers {low} to {high})"
        return None
    if kind in (ItemType.SHORT_TEXT, ItemType.LONG_TEXT):
        if not isinstance(value, str):
            return f"{value!r} is not text"
        if item.max_length is not None and len(value) > item.max_length:
            return f"the answer is longer than this question's {item.max_length} characters"
        return None
    if kind is ItemType.YES_NO:
        return None if value in ("yes", "no") else f"{value!r} is not 'yes' or 'no'"
    if kind is ItemType.CONSENT:
        return None if value is True else f"{value!r} is not true (a consent is given or blank)"
    if kind is ItemType.DATE:
        try:
            date.fromisoformat(str(value))
        except ValueError:
            return f"{value!r} is not a date written as YYYY-MM-DD"
        return None if isinstance(value, str) else f"{value!r} is not a date written as text"
    allowed = [o.value for o in item.options or ()]
    given = value if kind is ItemType.MULTIPLE_CHOICE and isinstance(value, list) else [value]
    if kind is ItemType.MULTIPLE_CHOICE and not isinstance(value, list):
        return f"{value!r} is not a list of this question's options"
    for one in given:
        if not any(one == a and type(one) is type(a) for a in allowed):
            return f"{one!r} is not one of this question's options ({_listed(allowed)})"
    if len(set(map(repr, given))) != len(given):
        return "an option is chosen twice"
    return None


def _listed(values: list[Any]) -> str:
    return ", ".join(repr(v) if isinstance(v, str) else str(v) for v in values)
