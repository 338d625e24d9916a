"""Evaluate declarative conditions and work out which pages and items a client sees."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .model import DECLINED, Condition, Definition, Item, Page

Answers = Mapping[str, Any]


def is_answered(value: Any) -> bool:
    """Whether a stored answer counts as given (declined and blank do not)."""
    if value is None or value == DECLINED:
        return False
    if isinstance(value, str | list | tuple):
        return len(value) > 0
    return True


def numeric(value: Any) -> float | None:
    """An answer as a number, or None when it is missing or not numeric."""
    if isinstance(value, bool) or not is_answered(value):
        return None
    if isinstance(value, int | float):
        return float(value)
    return None


@dataclass(frozen=True)
class Context:
    """What a condition may read: answers, and once scored, scores and indices."""

    answers: Answers
    scores: Mapping[str, float | None] = field(default_factory=dict)
    indices: Mapping[str, float | None] = field(default_factory=dict)


def holds(cond: Condition, ctx: Context) -> bool:
    """Whether a condition holds; any comparison on a missing value is false."""
    if cond.all is not None:
        return all(holds(c, ctx) for c in cond.all)
    if cond.any is not None:
        return any(holds(c, ctx) for c in cond.any)
    kind, ref = cond.subject
    op, operand = cond.operator
    value: Any
    if kind == "item":
        value = ctx.answers.get(ref)
    elif kind == "score":
        value = ctx.scores.get(ref)
    elif kind == "index":
        value = ctx.indices.get(ref)
    else:
        # A mean needs every item: averaging only the answered ones would let one answer
        # stand in for a missing one (the readiness model never imputes).
        nums = [numeric(ctx.answers.get(r)) for r in ref]
        given = [n for n in nums if n is not None]
        value = sum(given) / len(given) if given and len(given) == len(nums) else None
    if op == "answered":
        return is_answered(value) is bool(operand)
    if not is_answered(value):
        return False
    return _compare(op, value, operand)


def _compare(op: str, value: Any, operand: Any) -> bool:
    if op in ("equals", "not_equals", "one_of"):
        wanted = set(operand) if op == "one_of" else {operand}
        try:
            given = set(value) if isinstance(value, list | tuple) else {value}
        except TypeError:
            # A stored value no question could give (a hand-made record): it matches nothing.
            return op == "not_equals"
        hit = bool(given & wanted)
        return not hit if op == "not_equals" else hit
    number = numeric(value)
    if number is None:
        return False
    return {
        "at_least": number >= operand,
        "at_most": number <= operand,
        "above": number > operand,
        "below": number < operand,
    }[op]


def visible_pages(definition: Definition, answers: Answers) -> tuple[Page, ...]:
    """The pages a client with these answers is shown, in order."""
    ctx = Context(seen_answers(definition, answers))
    return tuple(p for p in definition.pages if p.show_if is None or holds(p.show_if, ctx))


def visible_items(definition: Definition, page: Page, answers: Answers) -> tuple[Item, ...]:
    """The items of a page a client with these answers is shown."""
    ctx = Context(seen_answers(definition, answers))
    return tuple(i for i in page.items if i.show_if is None or holds(i.show_if, ctx))


def seen_answers(definition: Definition, answers: Answers) -> dict[str, Any]:
    """Only the answers to items the client is shown now.

    A client may answer a conditional item and later change the answer that showed it;
    the stale answer must then neither be scored nor appear in the brief.
    """
    seen: dict[str, Any] = {}
    # Conditions read earlier pages only, so evaluating against what is seen so far gives
    # the same result as against everything, and drops chains of stale answers. (The
    # context reads `seen` itself, so it sees each answer as it is added.)
    so_far = Context(seen)
    for page_shown_if, items in definition.conditions_in_order:
        if page_shown_if is not None and not holds(page_shown_if, so_far):
            continue
        for item_id, shown_if in items:
            if item_id in answers and (shown_if is None or holds(shown_if, so_far)):
                seen[item_id] = answers[item_id]
    return seen
