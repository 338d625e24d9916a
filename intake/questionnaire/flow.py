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
# The wizard's own step, not a page of the definition (no page id can start with "_"): how
# the clinic may reach the client, asked of every questionnaire before its safety page.
CONTACT = "_contact"
# The wizard's goals step: the client's own goals, named and rated 0-10 (see Definition.goals).
GOALS = "_goals"


def merge_answers(answers: Mapping[str, Any] | None, values: Mapping[str, Any]) -> dict[str, Any]:
    """Stored answers updated with one page's values; None clears an answer."""
    out = dict(answers or {})
    for key, value in values.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def steps(
    definition: Definition, answers: Mapping[str, Any], *, goals: bool | None = None
) -> tuple[str, ...]:
    """The steps a client with these answers goes through, in order: the pages shown, and the
    contact step just before the page that holds the safety item (last when there is none).

    goals: whether the goals step is asked (None: when the definition asks for it). It comes
    after the page of the question the goals build on, else just before the contact step.
    """
    ids = [p.id for p in visible_pages(definition, answers)]
    at = len(ids)
    if definition.safety is not None and definition.has_item(definition.safety.item):
        safety_page = definition.page_of(definition.safety.item).id
        if safety_page in ids:
            at = ids.index(safety_page)
    ids.insert(at, CONTACT)
    if goals is None:
        goals = definition.goals is not None
    if goals:
        where = ids.index(CONTACT)
        if definition.goals is not None and definition.has_item(definition.goals.after):
            page = definition.page_of(definition.goals.after).id
            if page in ids:
                where = ids.index(page) + 1
        ids.insert(where, GOALS)
    return tuple(ids)


def next_page(
    definition: Definition,
    answers: Mapping[str, Any],
    current: str,
    action: str,
    *,
    goals: bool | None = None,
) -> str:
    """The step id (a page, CONTACT, GOALS or REVIEW) a client goes to from the current step.

    action is next, back or save; visibility is worked out from the answers given, which
    include the ones just sent.
    """
    ids = list(steps(definition, answers, goals=goals))
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


def skips_safety(
    definition: Definition, items: Sequence[Item], values: Mapping[str, Any], already: bool
) -> bool:
    """Whether moving on leaves the safety item blank (or declined) after asking it again:
    the clinic is then asked to check in with the client."""
    safety = definition.safety
    if safety is None or not already or not any(item.id == safety.item for item in items):
        return False
    value = values.get(safety.item)
    return not is_answered(value) or value == DECLINED


def safety_not_asked(
    definition: Definition, answers: Mapping[str, Any], asked: bool
) -> tuple[Page, Item] | None:
    """The safety question with its page, when the client has not answered it (nor declined)
    and has not yet been asked it again: they came to the review by its address, or left its
    page by Back or Save. Asked again and still left blank, it is the client's choice."""
    safety = definition.safety
    if safety is None or asked or safety.item in answers:
        return None
    for page in visible_pages(definition, answers):
        for item in visible_items(definition, page, answers):
            if item.id == safety.item:
                return page, item
    return None


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
