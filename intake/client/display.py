"""The client's own answers as they read them back, in their language (review page and copy)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import format_date, gettext

from ..questionnaire import Definition, Item, Page
from ..questionnaire import answers as wording
from ..questionnaire.conditions import visible_items, visible_pages


@dataclass(frozen=True)
class Section:
    """One page of the questionnaire with the client's answer to each question on it."""

    page: Page
    answers: tuple[tuple[Item, str], ...]


def sections(definition: Definition, answers: Mapping[str, Any]) -> list[Section]:
    """Every page and question the client was shown, with their answers as text."""
    return [
        Section(
            page,
            tuple(
                (item, answer_text(definition, item, answers.get(item.id)))
                for item in visible_items(definition, page, answers)
            ),
        )
        for page in visible_pages(definition, answers)
    ]


def answer_text(definition: Definition, item: Item, value: Any) -> str:
    """An answer as the client gave it: option labels, dates in their language, blanks named.

    Never fails: a stored value that no longer reads (a hand-made record, an older rule)
    is shown as it is, so the client can always open their own review and copy.
    """
    try:
        return wording.answer_text(definition, item, value, _words())
    except Exception:
        return str(value)


def _words() -> wording.Words:
    """The answer words in the client's language (looked up per request)."""
    return wording.Words(
        declined=gettext("Preferred not to answer"),
        not_answered=gettext("Not answered"),
        agreed=gettext("Agreed"),
        not_agreed=gettext("Not agreed"),
        yes=gettext("Yes"),
        no=gettext("No"),
        ruler=lambda value: gettext("%(value)s out of 10", value=value),
        scale_value=False,
        date=lambda value: format_date(value, "long"),
    )
