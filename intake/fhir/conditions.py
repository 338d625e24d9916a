"""Our display conditions as FHIR enableWhen, and back: data both ways, never code.

A condition FHIR says exactly (one answer compared, several of them with all or any) maps to
enableWhen; a numeric comparison on a choice question becomes the list of its options that
satisfy it (FHIR compares codings only for equality). What enableWhen cannot say at all
(nested all/any, a mean of items) is left to our own extension on export.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..questionnaire.model import Condition, Definition, Item, ItemType
from . import OPTION_SYSTEM

_FHIR_OPS = {
    "equals": "=",
    "not_equals": "!=",
    "above": ">",
    "below": "<",
    "at_least": ">=",
    "at_most": "<=",
}
_OUR_OPS = {v: k for k, v in _FHIR_OPS.items()}
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "above": lambda a, b: a > b,
    "below": lambda a, b: a < b,
    "at_least": lambda a, b: a >= b,
    "at_most": lambda a, b: a <= b,
}
CHOICE_TYPES = (ItemType.SINGLE_CHOICE, ItemType.MULTIPLE_CHOICE, ItemType.AGREEMENT)


def option_coding(definition: Definition, item: Item, value: Any) -> dict[str, Any]:
    """The Coding that stands for one of an item's answers in FHIR."""
    if item.type is ItemType.AGREEMENT:
        low, _ = definition.scale_for(item)
        labels = definition.scale_labels(item)
        index = int(value) - int(low)
        coding = {"system": f"{OPTION_SYSTEM}/scale", "code": str(value)}
        if 0 <= index < len(labels):
            coding["display"] = labels[index]
        return coding
    for option in item.options or ():
        if option.value == value and type(option.value) is type(value):
            if option.code is not None:
                found = option.code.model_dump(exclude_none=True)
                found.setdefault("display", str(option.label))
                return found
            return {
                "system": f"{OPTION_SYSTEM}/{definition.id}/{item.id}",
                "code": str(option.value),
                "display": str(option.label),
            }
    return {"system": f"{OPTION_SYSTEM}/{definition.id}/{item.id}", "code": str(value)}


def _answers_of(definition: Definition, item: Item) -> list[Any]:
    """Every value a choice question stores."""
    if item.type is ItemType.AGREEMENT:
        low, high = definition.scale_for(item)
        return list(range(int(low), int(high) + 1))
    return [o.value for o in item.options or ()]


def enable_when(
    definition: Definition, cond: Condition
) -> tuple[list[dict[str, Any]], str] | None:
    """(enableWhen entries, enableBehavior) saying the same as a condition, or None."""
    if cond.all is not None or cond.any is not None:
        behavior = "all" if cond.all is not None else "any"
        entries: list[dict[str, Any]] = []
        for child in cond.all or cond.any or ():
            mapped = enable_when(definition, child)
            if mapped is None or (len(mapped[0]) > 1 and mapped[1] != behavior):
                return None
            entries.extend(mapped[0])
        return entries, behavior
    kind, ref = cond.subject
    if kind != "item" or not definition.has_item(ref):
        return None
    item = definition.item(ref)
    op, operand = cond.operator
    if op == "answered":
        return [{"question": ref, "operator": "exists", "answerBoolean": bool(operand)}], "all"
    if item.type in CHOICE_TYPES:
        values = _answers_of(definition, item)
        if op in ("equals", "not_equals"):
            if operand not in values:
                return None
            entry = {"question": ref, "operator": _FHIR_OPS[op]}
            return [{**entry, "answerCoding": option_coding(definition, item, operand)}], "all"
        if op == "one_of":
            chosen = [v for v in values if v in operand]
        else:
            numbers = [v for v in values if isinstance(v, int | float)]
            chosen = [v for v in numbers if _COMPARE[op](v, operand)]
        if not chosen:
            return None
        codings = [option_coding(definition, item, v) for v in chosen]
        return [{"question": ref, "operator": "=", "answerCoding": c} for c in codings], "any"
    if op == "one_of":
        return None
    fhir_op = _FHIR_OPS[op]
    if item.type in (ItemType.YES_NO, ItemType.CONSENT):
        if op not in ("equals", "not_equals"):
            return None
        value = operand == "yes" if item.type is ItemType.YES_NO else operand is True
        return [{"question": ref, "operator": fhir_op, "answerBoolean": value}], "all"
    if item.type is ItemType.RULER and isinstance(operand, int | float):
        key = "answerInteger" if float(operand).is_integer() else "answerDecimal"
        number = int(operand) if key == "answerInteger" else operand
        return [{"question": ref, "operator": fhir_op, key: number}], "all"
    if item.type is ItemType.DATE and isinstance(operand, str):
        return [{"question": ref, "operator": fhir_op, "answerDate": operand}], "all"
    if isinstance(operand, str) and op in ("equals", "not_equals"):
        return [{"question": ref, "operator": fhir_op, "answerString": operand}], "all"
    return None


def condition_from(
    entries: Sequence[Mapping[str, Any]],
    behavior: str | None,
    answer_value: Callable[[Mapping[str, Any]], tuple[str, Any] | None],
) -> tuple[dict[str, Any] | None, list[str]]:
    """Our condition (as data) from enableWhen entries, and what could not be said.

    answer_value turns one entry into (item id, the stored value it compares with), or None
    when the question or its answer cannot be found (reported by the caller's message).
    """
    parts: list[dict[str, Any]] = []
    problems: list[str] = []
    for entry in entries:
        operator = str(entry.get("operator", ""))
        found = answer_value(entry)
        if found is None:
            problems.append(
                f"enableWhen on '{entry.get('question')}' names no question asked before it"
            )
            continue
        item_id, value = found
        if operator == "exists":
            parts.append({"item": item_id, "answered": bool(value)})
        elif operator in _OUR_OPS:
            op = _OUR_OPS[operator]
            if op in _COMPARE and not isinstance(value, int | float | str):
                problems.append(f"enableWhen '{operator}' on '{entry.get('question')}'")
                continue
            parts.append({"item": item_id, op: value})
        else:
            problems.append(f"enableWhen operator '{operator}' is not one FHIR defines")
    if not parts:
        return None, problems
    if len(parts) == 1:
        return parts[0], problems
    items = {p["item"] for p in parts}
    if behavior == "any" and len(items) == 1 and all(set(p) == {"item", "equals"} for p in parts):
        # Several answers of one question: the one_of our numeric comparisons expand to.
        return {"item": items.pop(), "one_of": [p["equals"] for p in parts]}, problems
    return {"any" if behavior == "any" else "all": parts}, problems
