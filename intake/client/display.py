"""The client's own answers as they read them back, in their language (review page and copy)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import format_date, gettext

from ..questionnaire import Definition, Item, ItemType, Page
from ..questionnaire.conditions import is_answered, visible_items, visible_pages
from ..questionnaire.model import DECLINED


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
    """An answer as the client gave it: option labels, dates in their language, blanks named."""
    if value == DECLINED:
        return gettext("Preferred not to answer")
    if not is_answered(value):
        return gettext("Not answered")
    if item.type is ItemType.CONSENT:
        return gettext("Agreed") if value else gettext("Not agreed")
    if item.type is ItemType.YES_NO:
        return gettext("Yes") if value == "yes" else gettext("No")
    if item.type is ItemType.AGREEMENT:
        low, _ = definition.scale_for(item)
        return definition.scale_labels(item)[int(value) - low]
    if item.type is ItemType.RULER:
        return gettext("%(value)s out of 10", value=value)
    if item.options:
        by_value = {o.value: o.label for o in item.options}
        values = value if isinstance(value, list) else [value]
        return "; ".join(by_value.get(v, str(v)) for v in values)
    if item.type is ItemType.DATE:
        try:
            return format_date(date.fromisoformat(str(value)), "long")
        except ValueError:
            return str(value)
    return str(value)
