"""How a client moves through a definition: answers merged, the next page, what to ask again.

Pure: the wizard's rules over a definition and answers, so they are tested as tables and
every view that needs one calls the same function.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .conditions import is_answered, visible_items, visible_pages
from .model import DECLINED, Definition, Item, Page

# Where the client goes after the last page.
REVIEW = "review"


def merge_answers(answers: Mapping[str, Any] | None, values: Mapping[str, Any]) -> dict[str, Any]:
    """Stored answers updated with one page's values; None clears an answer."""
    out = dict(answers or {})
    for key, value in values.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def next_page(
    definition: Definition, answers: Mapping[str, Any], current: str, action: str
) -> str:
    """The page id (or REVIEW) a client goes to from the current page.

    action is next, back or save; visibility is worked out from the answers given, which
    include the ones just sent.
    """
    ids = [p.id for p in visible_pages(definition, answers)]
    index = ids.index(current) if current in ids else 0
    if action == "back":
        return ids[index - 1] if index > 0 else current
    if action == "save":
        return current
    return ids[index + 1] if index + 1 < len(ids) else REVIEW


def asks_again(
    definition: Definition, items: Sequence[Item], values: Mapping[str, Any], already: bool
) -> bool:
    """Whether a blank (or declined) safety item on this page is asked once more; never imputed."""
    safety = definition.safety
    if safety is None or already or not any(item.id == safety.item for item in items):
        return False
    value = values.get(safety.item)
    return not is_answered(value) or value == DECLINED


def first_missing(definition: Definition, answers: Mapping[str, Any]) -> tuple[Page, Item] | None:
    """The first required question the client is shown and has not answered, with its page.

    A question that offers 'prefer not to answer' counts as answered when declined.
    """
    for page in visible_pages(definition, answers):
        for item in visible_items(definition, page, answers):
            if item.required and not is_answered(answers.get(item.id)):
                if item.decline and answers.get(item.id) == DECLINED:
                    continue
                return page, item
    return None
