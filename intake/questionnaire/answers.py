"""How a stored answer reads: option labels, scale words, dates, blanks named.

One rule for the brief (in the clinic's language) and for the client's own pages (in
theirs); each passes its Words. A stored value that no longer fits its question (an edited
definition, a hand-made record) reads as itself, never as an error.
"""

from __future__ import annotations

from collections.abc import Callable
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
    position = value - low if isinstance(value, int) and not isinstance(value, bool) else -1
    if not 0 <= position < len(labels):
        return str(value)
    return f"{labels[position]} ({value})" if words.scale_value else labels[position]
