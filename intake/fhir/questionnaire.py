"""A definition as a FHIR R4 Questionnaire (with the SDC extensions forms use).

Pages are groups, questions keep their codes, answers carry their codes and weights
(ordinalValue and itemWeight), a total is an SDC calculatedExpression that sums its items'
weights, translations use FHIR's translation extension. What FHIR has no place for travels in
our own extensions, so importing this export gives back the same definition.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..questionnaire.model import (
    DEFAULT_SCALE,
    Coding,
    Condition,
    Definition,
    Dimension,
    Item,
    ItemType,
    Text,
)
from . import (
    CALCULATED,
    EXT_DEFINITION,
    EXT_ITEM,
    EXT_MEASURE,
    EXT_OPTION_VALUE,
    EXT_SHOW_IF,
    ITEM_CONTROL,
    ITEM_CONTROL_SYSTEM,
    ITEM_WEIGHT,
    MAX_VALUE,
    MIN_VALUE,
    ORDINAL_VALUE,
    TRANSLATION,
)
from .conditions import condition_from, enable_when, option_coding

# Definition keys FHIR has no element for, carried whole in EXT_DEFINITION.
OWN_KEYS = (
    "id",
    "version",
    "language",
    "languages",
    "consent",
    "scales",
    "bands",
    "indices",
    "flags",
    "safety",
    "adult_item",
    "brief",
    "examples",
)


def questionnaire(
    definition: Definition, *, url: str, resource_id: str, date: str | None = None
) -> dict[str, Any]:
    """The Questionnaire resource of one definition version (a JSON-ready dict)."""
    d = definition
    out: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": resource_id,
        "url": url,
        "version": str(d.version),
        "name": _name(d.id),
        **text("title", d.title, d),
        "status": "active",
        "language": d.language,
    }
    if date:
        out["date"] = date
    if d.description:
        out.update(text("description", d.description, d))
    if d.copyright:
        out.update(text("copyright", d.copyright, d))
    if d.codes:
        out["code"] = [coding(c) for c in d.codes]
    own = d.model_dump(mode="json", include=set(OWN_KEYS), exclude_defaults=True)
    own.update(id=d.id, version=d.version)
    extensions = [_json_extension(EXT_DEFINITION, own)]
    extensions += [
        _json_extension(EXT_MEASURE, m.model_dump(mode="json", exclude_defaults=True))
        for m in d.dimensions
    ]
    out["extension"] = extensions
    out["item"] = [_page(d, n) for n in range(len(d.pages))]
    return out


def text(key: str, value: Text, definition: Definition) -> dict[str, Any]:
    """A text element and, when it has other languages, its translation extensions."""
    out: dict[str, Any] = {key: value.in_language(definition.language)}
    others = [
        {
            "url": TRANSLATION,
            "extension": [
                {"url": "lang", "valueCode": lang},
                {"url": "content", "valueString": words},
            ],
        }
        for lang, words in value.translations.items()
        if lang != definition.language
    ]
    if others:
        out[f"_{key}"] = {"extension": others}
    return out


def coding(code: Coding) -> dict[str, Any]:
    """A Coding as FHIR writes it."""
    return code.model_dump(exclude_none=True)


def _name(key: str) -> str:
    # A computable name: starts with a capital letter, then letters, digits, underscores.
    return key[:1].upper() + key[1:]


def _json_extension(url: str, data: Any) -> dict[str, Any]:
    return {"url": url, "valueString": json.dumps(data, ensure_ascii=False, sort_keys=True)}


def _page(d: Definition, index: int) -> dict[str, Any]:
    page = d.pages[index]
    group: dict[str, Any] = {"linkId": page.id, **text("text", page.title, d), "type": "group"}
    items: list[dict[str, Any]] = []
    if page.intro:
        items.append({"linkId": f"{page.id}.intro", **text("text", page.intro, d),
                      "type": "display"})  # fmt: skip
    items += [_item(d, item) for item in page.items]
    items += [_total(d, m) for m in d.dimensions if m.is_sum and page_of_total(d, m) == index]
    group["item"] = items
    if page.show_if is not None:
        _add_conditional(group, d, page.show_if)
    return group


def page_of_total(d: Definition, measure: Dimension) -> int:
    """The page a total is shown on: the one with the last of its items."""
    pages = [n for n, p in enumerate(d.pages) for i in p.items if i.id in measure.items]
    return max(pages, default=len(d.pages) - 1)


_TYPES = {
    ItemType.SHORT_TEXT: "string",
    ItemType.LONG_TEXT: "text",
    ItemType.SINGLE_CHOICE: "choice",
    ItemType.MULTIPLE_CHOICE: "choice",
    ItemType.AGREEMENT: "choice",
    ItemType.RULER: "integer",
    ItemType.YES_NO: "boolean",
    ItemType.DATE: "date",
    ItemType.CONSENT: "boolean",
}


def _item(d: Definition, item: Item) -> dict[str, Any]:
    out: dict[str, Any] = {"linkId": item.id, **text("text", item.prompt, d)}
    out["type"] = _TYPES[item.type]
    if item.codes:
        out["code"] = [coding(c) for c in item.codes]
    if item.required:
        out["required"] = True
    if item.type is ItemType.MULTIPLE_CHOICE:
        out["repeats"] = True
    if item.max_length is not None:
        out["maxLength"] = item.max_length
    extensions: list[dict[str, Any]] = []
    if item.type is ItemType.RULER:
        extensions += [
            {"url": MIN_VALUE, "valueInteger": 0},
            {"url": MAX_VALUE, "valueInteger": 10},
            _control("slider"),
        ]
    # What FHIR cannot say: our item type where FHIR's is shared, and our own keys.
    own = item.model_dump(
        mode="json",
        include={"decline", "scale", "low_label", "high_label", "short"},
        exclude_defaults=True,
    )
    own["type"] = item.type.value
    extensions.append(_json_extension(EXT_ITEM, own))
    out["extension"] = extensions
    if item.type in (ItemType.SINGLE_CHOICE, ItemType.MULTIPLE_CHOICE, ItemType.AGREEMENT):
        out["answerOption"] = _options(d, item)
    if item.show_if is not None:
        _add_conditional(out, d, item.show_if)
    if item.help:
        help_item = {"linkId": f"{item.id}.help", **text("text", item.help, d), "type": "display"}
        out["item"] = [{**help_item, "extension": [_control("help")]}]
    return out


def _control(code: str) -> dict[str, Any]:
    return {
        "url": ITEM_CONTROL,
        "valueCodeableConcept": {"coding": [{"system": ITEM_CONTROL_SYSTEM, "code": code}]},
    }


def _options(d: Definition, item: Item) -> list[dict[str, Any]]:
    if item.type is ItemType.AGREEMENT:
        low, high = d.scale_for(item)
        pairs: list[tuple[Any, Any, Any]] = [(p, p, None) for p in range(int(low), int(high) + 1)]
        explicit = set()
        texts = d.scales.get(item.scale or "", DEFAULT_SCALE).labels
    else:
        pairs = [(o.value, o.score, o.label) for o in item.options or ()]
        explicit = {repr(o.value) for o in item.options or () if o.weight is not None}
        texts = None
    options = []
    for n, (value, weight, label) in enumerate(pairs):
        value_coding = option_coding(d, item, value)
        label = label if label is not None else (texts[n] if texts else None)
        if isinstance(label, Text):
            value_coding.update(text("display", label, d))
        extensions: list[dict[str, Any]] = []
        if weight is not None:
            extensions += [
                {"url": ORDINAL_VALUE, "valueDecimal": weight},
                {"url": ITEM_WEIGHT, "valueDecimal": weight},
            ]
        value_coding["extension"] = extensions
        # The stored value, and the weight only when the file gave one (else the value is it).
        own = {"value": value, **({"weight": weight} if repr(value) in explicit else {})}
        options.append(
            {"valueCoding": value_coding, "extension": [_json_extension(EXT_OPTION_VALUE, own)]}
        )
    return options


def _add_conditional(out: dict[str, Any], d: Definition, cond: Condition) -> None:
    """A condition added to an element, keeping the extensions it already carries."""
    conditional = _conditional(d, cond)
    extra = conditional.pop("extension", [])
    out.update(conditional)
    if extra:
        out["extension"] = [*out.get("extension", []), *extra]


def _conditional(d: Definition, cond: Condition) -> dict[str, Any]:
    """enableWhen where FHIR can say the condition, and ours wherever it says less."""
    out: dict[str, Any] = {}
    mapped = enable_when(d, cond)
    if mapped is not None:
        entries, behavior = mapped
        out["enableWhen"] = entries
        if len(entries) > 1:
            out["enableBehavior"] = behavior
        back, _ = condition_from(entries, behavior, lambda e: _read_back(d, e))
        if back is not None and Condition.model_validate(back) == cond:
            return out
    out["extension"] = [_json_extension(EXT_SHOW_IF, cond.model_dump(exclude_none=True))]
    return out


def _read_back(d: Definition, entry: Mapping[str, Any]) -> tuple[str, Any] | None:
    """The stored value an enableWhen entry of our own export compares with."""
    ref = str(entry.get("question"))
    if not d.has_item(ref):
        return None
    item = d.item(ref)
    if "answerCoding" in entry:
        code = entry["answerCoding"].get("code")
        values = (
            list(range(int(d.scale_for(item)[0]), int(d.scale_for(item)[1]) + 1))
            if item.type is ItemType.AGREEMENT
            else [o.value for o in item.options or ()]
        )
        for value in values:
            if option_coding(d, item, value).get("code") == code:
                return ref, value
        return None
    if "answerBoolean" in entry:
        flag = entry["answerBoolean"]
        if entry.get("operator") == "exists":
            return ref, flag
        return ref, ("yes" if flag else "no") if item.type is ItemType.YES_NO else flag
    for key in ("answerInteger", "answerDecimal", "answerDate", "answerString"):
        if key in entry:
            return ref, entry[key]
    return None


def total_link_id(d: Definition, measure: Dimension) -> str:
    """The linkId of a total's item: its id, unless a question has that id."""
    return measure.id if not d.has_item(measure.id) else f"{measure.id}.total"


def _total(d: Definition, measure: Dimension) -> dict[str, Any]:
    """A total as SDC writes it: a read-only item whose calculatedExpression sums weights."""
    link = total_link_id(d, measure)
    listed = " | ".join(f"'{i}'" for i in measure.items)
    expression = f"%resource.repeat(item).where(linkId in ({listed})).answer.value.weight().sum()"
    out: dict[str, Any] = {
        "linkId": link,
        "text": measure.label,
        "type": "integer",
        "readOnly": True,
        "extension": [
            {
                "url": CALCULATED,
                "valueExpression": {
                    "description": measure.description,
                    "language": "text/fhirpath",
                    "expression": expression,
                },
            },
        ],
    }
    if measure.codes:
        out["code"] = [coding(c) for c in measure.codes]
    return out
