"""A FHIR R4 Questionnaire (with the SDC extensions real forms use) as our YAML definition.

Groups become pages; questions keep their text, codes, options (codes and weights from
itemWeight or ordinalValue, also on a contained ValueSet), required, maxLength; enableWhen
becomes show_if; a calculatedExpression that sums answers' weights becomes a 'sum' measure.
Expressions are recognised by their shape, never evaluated. Whatever cannot be mapped is
noted with the item's linkId, for the admin to review before publishing.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ..questionnaire.model import ID_PATTERN, LANGUAGE_PATTERN, MAX_TITLE, SYSTEM_PATTERN
from . import (
    CALCULATED,
    EXT_DEFINITION,
    EXT_ITEM,
    EXT_MEASURE,
    EXT_OPTION_VALUE,
    EXT_SHOW_IF,
    HIDDEN,
    ITEM_CONTROL,
    ITEM_WEIGHT,
    MAX_VALUE,
    MIN_VALUE,
    OPTION_SYSTEM,
    ORDINAL_VALUE,
    TRANSLATION,
    VARIABLE,
)
from .conditions import condition_from

# Questions this many deep are flattened onto their page; deeper forms are refused.
MAX_DEPTH = 12
MAX_ITEMS = 2000


class NotAQuestionnaire(ValueError):
    """The file is not a FHIR Questionnaire we can read at all."""


@dataclass(frozen=True)
class Note:
    """Something of the Questionnaire not imported as it was, with the item's linkId."""

    link_id: str
    message: str

    def __str__(self) -> str:
        return f"{self.link_id}: {self.message}" if self.link_id else self.message


@dataclass
class Imported:
    """The definition as YAML-ready data, and every note about what changed on the way."""

    data: dict[str, Any]
    notes: list[Note] = field(default_factory=list)
    source: str = ""

    def yaml(self) -> str:
        """The definition as YAML text in the style of our built-in files, notes on top."""
        return to_yaml(self.data, self.notes, self.source)


# The FHIRPath shapes of "the sum of these answers' weights" that forms use.
_WEIGHT = r"\.answer\.value(?:Coding)?\.(?:ordinal|weight)\(\)"
_ALL_ANSWERS = re.compile(
    r"^%resource\.(?:answers\(\)|repeat\(item\)\.answer|(?:item\.)+answer)"
    r"\.value(?:Coding)?\.(?:ordinal|weight)\(\)$"
)
_LISTED = re.compile(r"^%resource\.repeat\(item\)\.where\((.+)\)" + _WEIGHT + "$")
_PATH = re.compile(
    r"^%(?:resource|context)(?:\.(?:item|repeat\(item\))\.where\(linkId\s*=\s*'([^']+)'\))+"
    + _WEIGHT
    + "$"
)
_IIF_EXISTS = re.compile(r"^iif\(\s*(%\w+)\.exists\(\)\s*,\s*(%\w+)\s*,\s*0\s*\)$")


def import_questionnaire(resource: Any, *, key: str | None = None) -> Imported:
    """Our definition from a FHIR Questionnaire given as parsed JSON."""
    if not isinstance(resource, Mapping) or resource.get("resourceType") != "Questionnaire":
        kind = resource.get("resourceType") if isinstance(resource, Mapping) else None
        raise NotAQuestionnaire(
            f"this is a {kind} resource, not a Questionnaire" if kind else
            "this is not a FHIR resource (no resourceType 'Questionnaire')"
        )  # fmt: skip
    if not isinstance(resource.get("item"), list) or not resource["item"]:
        raise NotAQuestionnaire("the Questionnaire has no items")
    try:
        return _Importer(resource).run(key)
    except RecursionError:
        raise NotAQuestionnaire("the Questionnaire is nested beyond reason") from None


class _Importer:
    def __init__(self, q: Mapping[str, Any]) -> None:
        self.q = q
        self.notes: list[Note] = []
        self.own = _json_ext(q, EXT_DEFINITION) or {}
        self.language = str(self.own.get("language") or q.get("language") or "en")
        if not re.match(LANGUAGE_PATTERN, self.language):
            self.note("", f"language '{self.language}' is not a code such as 'en'; using 'en'")
            self.language = "en"
        self.value_sets = {
            f"#{r.get('id')}": r
            for r in q.get("contained") or []
            if isinstance(r, Mapping) and r.get("resourceType") == "ValueSet"
        }
        self.ids: dict[str, str] = {}  # linkId -> our item id
        self.items: dict[str, dict[str, Any]] = {}  # our item id -> our item
        self.order: list[str] = []  # our item ids, in the order asked
        self.calculated: list[Mapping[str, Any]] = []
        self.variables: dict[str, str] = {}
        self.languages_seen: list[set[str]] = []
        self.count = 0

    def note(self, link_id: str, message: str) -> None:
        self.notes.append(Note(link_id, message))

    def run(self, key: str | None) -> Imported:
        q = self.q
        self._collect_variables(q)
        data: dict[str, Any] = {
            "id": key or self.own.get("id") or _ident(str(q.get("name") or q.get("id") or "")),
            "version": self.own.get("version") or 1,
            "title": self._text(q, "title") or self._text(q, "name") or "Imported questionnaire",
            "language": self.language,
        }
        if not re.match(ID_PATTERN, str(data["id"])):
            data["id"] = "imported"
        title = data["title"]
        longest = max(len(t) for t in ([title] if isinstance(title, str) else title.values()))
        if longest > MAX_TITLE:
            self.note("", f"the title is longer than {MAX_TITLE} characters; shortened")
            data["title"] = _shorten(title)
        for name in ("description", "copyright"):
            if (value := self._text(q, name)) is not None:
                data[name] = value
        codes = self._codes(q.get("code"), "")
        if codes:
            data["codes"] = codes
        pages = self._pages(q.get("item") or [])
        measures = self._measures()
        own_keys = {k: v for k, v in self.own.items() if k not in ("id", "version", "language")}
        data.update({k: v for k, v in own_keys.items() if k != "languages"})
        data["pages"] = pages
        if measures:
            data["dimensions"] = measures
        self._languages(data, own_keys.get("languages"))
        self._ignored(q, data)
        order = ["id", "version", "title", "language", "languages", "description", "copyright",
                 "codes", "consent", "scales", "bands", "pages", "dimensions", "indices",
                 "flags", "safety", "adult_item", "brief", "examples"]  # fmt: skip
        ordered = {k: data[k] for k in order if k in data}
        source = str(q.get("url") or q.get("id") or "a FHIR Questionnaire")
        if q.get("version"):
            source += f" (version {q['version']})"
        return Imported(ordered, self.notes, source)

    # Pages and items.

    def _pages(self, top: list[Any]) -> list[dict[str, Any]]:
        pages: list[dict[str, Any]] = []
        loose: list[Mapping[str, Any]] = []
        intro: Any = None
        for entry in top:
            if not isinstance(entry, Mapping):
                continue
            if entry.get("type") == "group":
                if loose:
                    pages.append(self._page(None, loose, len(pages), intro))
                    loose, intro = [], None
                pages.append(self._page(entry, entry.get("item") or [], len(pages), intro))
                intro = None
            elif entry.get("type") == "display" and not loose:
                intro = self._join(intro, self._text(entry, "text"))
            else:
                loose.append(entry)
        if loose or intro is not None:
            pages.append(self._page(None, loose, len(pages), intro))
        pages = [p for p in pages if p["items"]]
        if not pages:
            raise NotAQuestionnaire("none of the Questionnaire's items is a question we can ask")
        seen: set[str] = set()
        for page in pages:
            page["id"] = _unique(page["id"], seen)
        return pages

    def _page(
        self, group: Mapping[str, Any] | None, children: list[Any], n: int, intro: Any
    ) -> dict[str, Any]:
        link = str(group.get("linkId", "")) if group else ""
        own_page: dict[str, Any] = {"id": _ident(link) if link else f"page_{n + 1}"}
        title = self._text(group, "text") if group else None
        own_page["title"] = title if title is not None else f"Part {n + 1}"
        if group:
            self._collect_variables(group)
            if group.get("repeats"):
                self.note(link, "a repeating group is asked once")
            # Read before the page's own questions are known: a page shows on earlier answers.
            show_if = self._show_if(group, link)
            if show_if is not None:
                own_page["show_if"] = show_if
        items: list[dict[str, Any]] = []
        for child in children:
            if isinstance(child, Mapping) and child.get("type") == "display" and not items:
                intro = self._join(intro, self._text(child, "text"))
                continue
            items.extend(self._questions(child, 0))
        if intro is not None:
            own_page["intro"] = intro
        own_page["items"] = items
        return own_page

    def _questions(self, entry: Any, depth: int) -> Iterator[dict[str, Any]]:
        if not isinstance(entry, Mapping):
            return
        self.count += 1
        link = str(entry.get("linkId", ""))
        if depth > MAX_DEPTH or self.count > MAX_ITEMS:
            raise NotAQuestionnaire(f"{link}: the Questionnaire is nested or sized beyond reason")
        kind = entry.get("type")
        if _ext(entry, CALCULATED):
            self.calculated.append(entry)
            return
        if kind == "group":
            self.note(link, "a group inside a page: its questions are asked on the page")
            self._collect_variables(entry)
            for child in entry.get("item") or []:
                yield from self._questions(child, depth + 1)
            return
        if kind == "display":
            if not _is_help(entry):
                self.note(link, "a text shown between questions is not kept")
            return
        item = self._item(entry, link)
        if item is not None:
            yield item
        for child in entry.get("item") or []:
            if isinstance(child, Mapping) and _is_help(child):
                continue
            self.note(link, "questions under a question are asked after it, on the same page")
            yield from self._questions(child, depth + 1)

    def _item(self, entry: Mapping[str, Any], link: str) -> dict[str, Any] | None:
        own = _json_ext(entry, EXT_ITEM) or {}
        kind = str(entry.get("type", ""))
        if _bool_ext(entry, HIDDEN):
            self.note(link, "a hidden question is not asked")
            return None
        our_type = own.get("type") or self._type(entry, kind, link)
        if our_type is None:
            return None
        item_id = _unique(_ident(link), set(self.items))
        prompt = self._text(entry, "text")
        if prompt is None:
            self.note(link, "the question has no text; its linkId is shown instead")
            prompt = link or item_id
        if entry.get("prefix"):
            prompt = _prefixed(str(entry["prefix"]), prompt)
        item: dict[str, Any] = {"id": item_id, "type": our_type, "prompt": prompt}
        help_text = next(
            (self._text(c, "text") for c in entry.get("item") or [] if _is_help(c)), None
        )
        if help_text is not None:
            item["help"] = help_text
        if entry.get("required") is True:
            item["required"] = True
        if our_type in ("single_choice", "multiple_choice"):
            options = self._options(entry, link)
            if not options:
                self.note(link, "a choice question without answers we can read is not asked")
                return None
            item["options"] = options
        if isinstance(entry.get("maxLength"), int) and entry["maxLength"] > 0:
            if our_type in ("short_text", "long_text"):
                item["max_length"] = min(entry["maxLength"], 100_000)
            else:
                self.note(link, "maxLength only applies to text answers here; not kept")
        if entry.get("repeats") and our_type != "multiple_choice":
            self.note(link, "answered more than once in FHIR; asked once here")
        item.update({k: v for k, v in own.items() if k != "type"})
        codes = self._codes(entry.get("code"), link)
        if codes:
            item["codes"] = codes
        show_if = self._show_if(entry, link)
        if show_if is not None:
            item["show_if"] = show_if
        for key in ("initial", "answerConstraint"):
            if entry.get(key):
                self.note(link, f"'{key}' is not kept")
        for ext in entry.get("extension") or []:
            if (
                isinstance(ext, Mapping)
                and "valueExpression" in ext
                and ext.get("url") != VARIABLE
            ):
                self.note(link, f"expression {_short_url(ext.get('url'))} is not evaluated")
        self.ids[link] = item_id
        self.items[item_id] = item
        self.order.append(item_id)
        return item

    def _type(self, entry: Mapping[str, Any], kind: str, link: str) -> str | None:
        if kind in ("choice", "open-choice"):
            if kind == "open-choice":
                self.note(link, "an answer typed in besides the choices is not offered")
            return "multiple_choice" if entry.get("repeats") else "single_choice"
        simple = {"string": "short_text", "text": "long_text", "boolean": "yes_no",
                  "date": "date", "url": "short_text"}  # fmt: skip
        if kind in simple:
            return simple[kind]
        if kind == "dateTime":
            self.note(link, "a date and time is asked as a date")
            return "date"
        if kind in ("integer", "decimal"):
            low, high = _number_ext(entry, MIN_VALUE), _number_ext(entry, MAX_VALUE)
            if kind == "integer" and low == 0 and high == 10:
                return "ruler"
            self.note(link, f"a {kind} answer is asked as short text (no number entry here)")
            return "short_text"
        if kind == "time":
            self.note(link, "a time is asked as short text")
            return "short_text"
        self.note(link, f"a '{kind}' question cannot be asked here; not imported")
        return None

    def _options(self, entry: Mapping[str, Any], link: str) -> list[dict[str, Any]]:
        raw: list[tuple[dict[str, Any] | None, Any, Any, Any]] = []  # coding, label, weight, own
        if entry.get("answerOption"):
            for answer in entry["answerOption"]:
                if not isinstance(answer, Mapping):
                    continue
                coding = answer.get("valueCoding")
                weight = _weight(answer) if _weight(answer) is not None else _weight(coding)
                ours = _option_value(answer)
                own = None
                if ours is not None:
                    weight, own = ours.get("weight"), ours["value"]
                if isinstance(coding, Mapping):
                    label = self._text(coding, "display") or coding.get("code")
                    raw.append((dict(coding), label, weight, own))
                elif "valueInteger" in answer:
                    number = answer["valueInteger"]
                    raw.append((None, str(number), weight, number if own is None else own))
                elif "valueString" in answer:
                    words = str(answer["valueString"])
                    label = self._text(answer, "valueString") or words
                    raw.append((None, label, weight, words if own is None else own))
                else:
                    self.note(link, "an answer that is not a code, number or text is left out")
        elif entry.get("answerValueSet"):
            raw = self._value_set(str(entry["answerValueSet"]), link)
        weights = [w for _, _, w, _ in raw]
        whole = [w for w in weights if w is not None and float(w).is_integer()]
        by_weight = len(whole) == len(raw) and len({int(w) for w in whole}) == len(raw)
        options: list[dict[str, Any]] = []
        taken: set[str] = set()
        for coding, label, weight, own in raw:
            if own is not None:
                value: Any = own
            elif by_weight:
                value = int(weight)
            elif coding is not None:
                value = str(coding.get("code") or label)
            else:
                value = label
            if repr(value) in taken:
                self.note(link, f"the answer '{value}' is offered twice; kept once")
                continue
            taken.add(repr(value))
            option: dict[str, Any] = {"value": value, "label": label or str(value)}
            if weight is not None:
                option["weight"] = int(weight) if float(weight).is_integer() else weight
            system = coding.get("system") if coding is not None else None
            # Our own export names options without a code in a system of ours: not a code.
            made_up = isinstance(system, str) and system.startswith(OPTION_SYSTEM)
            if coding is not None and coding.get("code") and _system_ok(system) and not made_up:
                code = {"system": coding["system"], "code": str(coding["code"]).strip()}
                option["code"] = code
            options.append(option)
        return options

    def _value_set(self, ref: str, link: str) -> list[tuple[dict[str, Any] | None, Any, Any, Any]]:
        value_set = self.value_sets.get(ref)
        if value_set is None:
            self.note(link, f"answerValueSet {ref} cannot be resolved offline; not imported")
            return []
        found: list[tuple[dict[str, Any] | None, Any, Any, Any]] = []
        expansion = (value_set.get("expansion") or {}).get("contains") or []
        for concept in expansion:
            if isinstance(concept, Mapping) and concept.get("code"):
                coding = {"system": concept.get("system"), "code": concept.get("code")}
                label = self._text(concept, "display") or concept["code"]
                found.append((coding, label, _weight(concept), None))
        if found:
            return found
        for include in (value_set.get("compose") or {}).get("include") or []:
            if not isinstance(include, Mapping):
                continue
            if include.get("filter") or include.get("valueSet") or not include.get("concept"):
                self.note(link, f"answerValueSet {ref} lists no codes we can read offline")
                continue
            for concept in include["concept"]:
                if isinstance(concept, Mapping) and concept.get("code"):
                    coding = {"system": include.get("system"), "code": concept["code"]}
                    label = self._text(concept, "display") or concept["code"]
                    found.append((coding, label, _weight(concept), None))
        return found

    def _show_if(self, entry: Mapping[str, Any], link: str) -> dict[str, Any] | None:
        own = _json_ext(entry, EXT_SHOW_IF)
        if own is not None:
            return dict(own)
        entries = [e for e in entry.get("enableWhen") or [] if isinstance(e, Mapping)]
        if _ext(
            entry,
            "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-enableWhenExpression",
        ):  # noqa: E501
            self.note(link, "enableWhenExpression is not evaluated; the question is always shown")
        if not entries:
            return None
        condition, problems = condition_from(
            entries, entry.get("enableBehavior"), lambda e: self._compared(e)
        )
        for problem in problems:
            self.note(link, f"{problem}; that part of the condition is left out")
        return condition

    def _compared(self, entry: Mapping[str, Any]) -> tuple[str, Any] | None:
        """The item an enableWhen reads (asked earlier) and the stored value it compares."""
        item_id = self.ids.get(str(entry.get("question")))
        if item_id is None:
            return None
        item = self.items[item_id]
        if entry.get("operator") == "exists":
            return item_id, bool(entry.get("answerBoolean", True))
        if "answerCoding" in entry:
            code = (entry.get("answerCoding") or {}).get("code")
            for option in item.get("options") or []:
                if (option.get("code") or {}).get("code") == code or option["value"] == code:
                    return item_id, option["value"]
            return None
        if "answerBoolean" in entry:
            flag = bool(entry["answerBoolean"])
            if item["type"] == "yes_no":
                return item_id, "yes" if flag else "no"
            return item_id, flag
        for key in ("answerInteger", "answerDecimal", "answerDate", "answerString"):
            if key in entry:
                return item_id, entry[key]
        return None

    # Measures.

    def _collect_variables(self, node: Mapping[str, Any]) -> None:
        for ext in node.get("extension") or []:
            if isinstance(ext, Mapping) and ext.get("url") == VARIABLE:
                expression = ext.get("valueExpression") or {}
                if expression.get("name") and isinstance(expression.get("expression"), str):
                    self.variables[str(expression["name"])] = expression["expression"]

    def _measures(self) -> list[dict[str, Any]]:
        own = [_json(e.get("valueString")) for e in _exts(self.q, EXT_MEASURE)]
        measures = [m for m in own if isinstance(m, dict)]
        if measures:
            return measures
        out: list[dict[str, Any]] = []
        for entry in self.calculated:
            link = str(entry.get("linkId", ""))
            ext = _ext(entry, CALCULATED) or {}
            expression = ext.get("valueExpression") or {}
            text = str(expression.get("expression") or "")
            links = self._summed(text, depth=0)
            if links is None:
                self.note(link, f"calculatedExpression '{text}' is not a sum of answers' weights"
                          " we recognise; not evaluated, not imported")  # fmt: skip
                continue
            ids = [self.ids[x] for x in links if x in self.ids]
            if len(ids) != len(links) or not ids:
                self.note(link, "the total sums questions that were not imported; not imported")
                continue
            unscored = [i for i in ids if not _scores(self.items[i])]
            if unscored:
                self.note(link, f"the total sums {', '.join(unscored)}, whose answers have no"
                          " weights; not imported")  # fmt: skip
                continue
            low = sum(min(o["weight"] for o in self.items[i]["options"]) for i in ids)
            high = sum(max(o["weight"] for o in self.items[i]["options"]) for i in ids)
            if not (float(low).is_integer() and float(high).is_integer()):
                self.note(link, "the total is not a whole number; not imported")
                continue
            measure_id = _unique(_ident(link), {m["id"] for m in out})
            label = _plain(self._text(entry, "text")) or measure_id
            measure: dict[str, Any] = {
                "id": measure_id,
                "label": label,
                "description": str(expression.get("description") or "")
                or f"The sum of the answers' weights to {len(ids)} questions.",
                "method": "sum",
                "items": ids,
                "range": [int(low), int(high)],
                "bands": [{"id": "total", "label": "Total", "min": int(low), "max": int(high)}],
            }
            codes = self._codes(entry.get("code"), link)
            if codes:
                measure["codes"] = codes
            out.append(measure)
            self.note(link, f"total '{measure_id}': the form gives no bands, so one band covers"
                      f" {int(low)}-{int(high)}; add the instrument's bands")  # fmt: skip
            self.note(link, f"total '{measure_id}': a blank answer leaves it unscored (FHIR's"
                      " sum would count it as 0); set max_missing and proration to follow the"
                      " instrument's rule")  # fmt: skip
        return out

    def _summed(self, expression: str, depth: int) -> list[str] | None:
        """The linkIds whose weights an expression sums, or None for any other shape."""
        text = " ".join(expression.split())
        if depth > 8 or not text:
            return None
        terms = _split(text, "+")
        if len(terms) > 1:
            found: list[str] = []
            for term in terms:
                one = self._summed(term, depth + 1)
                if one is None:
                    return None
                found.extend(one)
            return found
        iif = re.match(r"^iif\((.*)\)$", text)
        if iif:
            parts = _split(iif.group(1), ",")
            if len(parts) == 3 and parts[2].strip() in ("{}", "0"):
                return self._summed(parts[1], depth + 1)
            if len(parts) == 3 and _IIF_EXISTS.match(text):
                return self._summed(parts[1], depth + 1)
            return None
        if text.startswith("(") and text.endswith(")"):
            return self._summed(text[1:-1], depth + 1)
        if text.endswith(".sum()"):
            return self._collection(text[: -len(".sum()")], depth + 1)
        exists = _IIF_EXISTS.match(text)
        if exists and exists.group(1) == exists.group(2):
            return self._summed(exists.group(2), depth + 1)
        if re.match(r"^%\w+$", text):
            name = text[1:]
            if name in self.variables:
                return self._summed(self.variables[name], depth + 1)
            return None
        path = _PATH.match(text)
        if path:
            return [re.findall(r"linkId\s*=\s*'([^']+)'", text)[-1]]
        return None

    def _collection(self, text: str, depth: int) -> list[str] | None:
        """The linkIds a collection of weights comes from (before its .sum())."""
        text = text.strip()
        if _ALL_ANSWERS.match(text):
            return [link for link, i in self.ids.items() if _scores(self.items[i])]
        listed = _LISTED.match(text)
        if listed:
            inside = listed.group(1)
            names = re.findall(r"'([^']+)'", inside)
            shape = re.fullmatch(
                r"\s*linkId\s+in\s+\(\s*'[^']+'(?:\s*\|\s*'[^']+')*\s*\)\s*|"
                r"\s*linkId\s*=\s*'[^']+'(?:\s+or\s+linkId\s*=\s*'[^']+')*\s*",
                inside,
            )
            return names if shape and names else None
        if re.match(r"^%\w+$", text) and text[1:] in self.variables:
            return self._collection(self.variables[text[1:]], depth + 1)
        return None

    # Texts, codes, languages.

    def _text(self, node: Any, key: str) -> Any:
        """A text and its translations: a string, or {language: text} when translated."""
        if not isinstance(node, Mapping) or not isinstance(node.get(key), str):
            return None
        base = node[key].strip()
        if not base:
            return None
        translations: dict[str, str] = {}
        for ext in (node.get(f"_{key}") or {}).get("extension") or []:
            if not isinstance(ext, Mapping) or ext.get("url") != TRANSLATION:
                continue
            parts = {e.get("url"): e for e in ext.get("extension") or [] if isinstance(e, Mapping)}
            lang = (parts.get("lang") or {}).get("valueCode")
            words = (parts.get("content") or {}).get("valueString")
            if isinstance(lang, str) and re.match(LANGUAGE_PATTERN, lang) and words:
                translations[lang] = str(words).strip()
        if not translations:
            return base
        self.languages_seen.append(set(translations) | {self.language})
        return {self.language: base, **translations}

    def _join(self, first: Any, second: Any) -> Any:
        if first is None:
            return second
        if second is None:
            return first
        if isinstance(first, str) and isinstance(second, str):
            return f"{first}\n\n{second}"
        return _plain(first) + "\n\n" + _plain(second)

    def _codes(self, codes: Any, link: str) -> list[dict[str, Any]]:
        out = []
        for code in codes or []:
            if not isinstance(code, Mapping) or not code.get("code"):
                continue
            if not _system_ok(code.get("system")):
                self.note(link, f"code '{code.get('code')}' has no code system URI; not kept")
                continue
            kept = {"system": code["system"], "code": str(code["code"]).strip()}
            if code.get("display"):
                kept["display"] = str(code["display"]).strip()
            out.append(kept)
        return out

    def _languages(self, data: dict[str, Any], own: Any) -> None:
        """Offer a language only when every translated text has it (forms check asks that)."""
        if own:
            data["languages"] = own
            return
        if not self.languages_seen:
            return
        common = set.intersection(*self.languages_seen)
        dropped = set.union(*self.languages_seen) - common
        if dropped:
            self.note("", f"translations into {', '.join(sorted(dropped))} are incomplete;"
                      " not kept")  # fmt: skip
        if common == {self.language}:
            _strip_translations(data, self.language)
            return
        _strip_translations(data, self.language, keep=common)
        untranslated = _untranslated(data)
        if untranslated:
            self.note("", f"{untranslated} texts have no translation; only '{self.language}'"
                      " is offered")  # fmt: skip
            _strip_translations(data, self.language)
            return
        data["languages"] = [self.language, *sorted(common - {self.language})]

    def _ignored(self, q: Mapping[str, Any], data: Mapping[str, Any]) -> None:
        for ext in q.get("extension") or []:
            if (
                isinstance(ext, Mapping)
                and "valueExpression" in ext
                and ext.get("url") != VARIABLE
            ):
                self.note("", f"expression {_short_url(ext.get('url'))} is not evaluated")
        if "safety" not in data:
            self.note(
                "",
                "no safety item is set: if a question asks about thoughts of self-harm"
                " (such as the PHQ-9's item 9), add a 'safety' block so that an answer"
                " above its threshold shows crisis contacts and flags the intake urgent",
            )


# Helpers over plain JSON.


def _ext(node: Any, url: str) -> Mapping[str, Any] | None:
    return next(iter(_exts(node, url)), None)


def _exts(node: Any, url: str) -> list[Mapping[str, Any]]:
    if not isinstance(node, Mapping):
        return []
    return [
        e for e in node.get("extension") or [] if isinstance(e, Mapping) and e.get("url") == url
    ]


def _json(text: Any) -> Any:
    try:
        return json.loads(text) if isinstance(text, str) else None
    except (ValueError, RecursionError):
        return None


def _json_ext(node: Any, url: str) -> dict[str, Any] | None:
    found = _ext(node, url)
    value = _json(found.get("valueString")) if found else None
    return value if isinstance(value, dict) else None


def _bool_ext(node: Any, url: str) -> bool:
    found = _ext(node, url)
    return bool(found and found.get("valueBoolean") is True)


def _number_ext(node: Any, url: str) -> float | None:
    found = _ext(node, url)
    if not found:
        return None
    for key in ("valueInteger", "valueDecimal"):
        if isinstance(found.get(key), int | float):
            return float(found[key])
    return None


def _weight(node: Any) -> float | None:
    """An answer's weight: itemWeight first (SDC 3, R5), then the older ordinalValue, from an
    extension or a concept's property."""
    if not isinstance(node, Mapping):
        return None
    for url in (ITEM_WEIGHT, ORDINAL_VALUE):
        number = _number_ext(node, url)
        if number is not None:
            return number
    for prop in node.get("property") or []:
        if isinstance(prop, Mapping) and prop.get("code") in ("itemWeight", "ordinalValue"):
            for key in ("valueDecimal", "valueInteger"):
                if isinstance(prop.get(key), int | float):
                    return float(prop[key])
    return None


def _option_value(option: Mapping[str, Any]) -> dict[str, Any] | None:
    """Our own export's stored value of an option, and its weight when the file gave one."""
    found = _json_ext(option, EXT_OPTION_VALUE)
    return found if found is not None and "value" in found else None


def _is_help(node: Any) -> bool:
    control = _ext(node, ITEM_CONTROL)
    codes = ((control or {}).get("valueCodeableConcept") or {}).get("coding") or []
    return (
        isinstance(node, Mapping)
        and node.get("type") == "display"
        and any(isinstance(c, Mapping) and c.get("code") == "help" for c in codes)
    )


def _scores(item: Mapping[str, Any]) -> bool:
    options = item.get("options") or []
    return (
        item.get("type") == "single_choice"
        and bool(options)
        and all("weight" in o for o in options)
    )


def _system_ok(system: Any) -> bool:
    return isinstance(system, str) and re.match(SYSTEM_PATTERN, system) is not None


def _ident(link: str) -> str:
    """Our id from a linkId: 'H1/T1/Q1' -> h1_t1_q1, '/44250-9' -> q_44250_9."""
    plain = re.sub(r"[^a-z0-9]+", "_", link.lower()).strip("_")
    if not plain or not plain[0].isalpha():
        plain = f"q_{plain}".rstrip("_")
    return plain[:64]


def _unique(candidate: str, taken: set[str]) -> str:
    name, n = candidate, 2
    while name in taken:
        suffix = f"_{n}"
        name, n = candidate[: 64 - len(suffix)] + suffix, n + 1
    taken.add(name)
    return name


def _split(text: str, sep: str) -> list[str]:
    """Split at a separator outside brackets and quotes."""
    parts, depth, quote, start = [], 0, "", 0
    for n, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(text[start:n].strip())
            start = n + 1
    parts.append(text[start:].strip())
    return parts


def _plain(text: Any) -> str:
    if isinstance(text, dict):
        return str(next(iter(text.values()), ""))
    return "" if text is None else str(text)


def _prefixed(prefix: str, prompt: Any) -> Any:
    if isinstance(prompt, dict):
        return {lang: f"{prefix} {words}" for lang, words in prompt.items()}
    return f"{prefix} {prompt}"


def _shorten(text: Any) -> Any:
    if isinstance(text, dict):
        return {lang: words[: MAX_TITLE - 1] + "…" for lang, words in text.items()}
    return str(text)[: MAX_TITLE - 1] + "…"


def _short_url(url: Any) -> str:
    return str(url or "").rsplit("/", 1)[-1]


def _strip_translations(node: Any, language: str, keep: set[str] | None = None) -> None:
    """Keep only some languages in every {language: text} of imported data."""
    if isinstance(node, dict):
        for key, value in list(node.items()):
            if _is_translated(value) and language in value:
                kept = {k: v for k, v in value.items() if keep and k in keep}
                node[key] = kept if len(kept) > 1 else value[language]
            else:
                _strip_translations(value, language, keep)
    elif isinstance(node, list):
        for value in node:
            _strip_translations(value, language, keep)


def _is_translated(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and bool(value)
        and all(isinstance(k, str) and re.match(LANGUAGE_PATTERN, k) for k in value)
        and all(isinstance(v, str) for v in value.values())
    )


_TEXT_KEYS = {"title", "intro", "prompt", "help", "label", "description", "copyright"}


def _untranslated(node: Any) -> int:
    """How many client-facing texts of imported pages are plain strings (one language)."""
    count = 0
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _TEXT_KEYS and isinstance(value, str) and key != "description":
                count += 1
            else:
                count += _untranslated(value)
    elif isinstance(node, list):
        count += sum(_untranslated(v) for v in node)
    return count


# YAML in the style of our built-in files: options and codes one per line, notes on top.


def to_yaml(data: dict[str, Any], notes: list[Note], source: str) -> str:
    """The imported definition as YAML text, with the notes as comments at the top."""
    yaml = YAML(typ="rt")
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.allow_unicode = True
    out = io.StringIO()
    header = [
        "# yaml-language-server: $schema=./schema.json",
        f"# Imported from {source} by `forms import-fhir`.",
    ]
    if notes:
        header.append("# Review before publishing; not imported as it was:")
        header += [f"#   {_one_line(str(n))}" for n in notes]
    else:
        header.append("# Everything was imported; review it, preview it and publish it.")
    out.write("\n".join(header) + "\n")
    yaml.dump(_styled(data, ()), out)
    return out.getvalue()


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _styled(node: Any, path: tuple[str, ...]) -> Any:
    if isinstance(node, dict):
        styled = CommentedMap((k, _styled(v, (*path, str(k)))) for k, v in node.items())
        if path and path[-1] in ("options", "codes", "code", "bands") or _is_translated(node):
            styled.fa.set_flow_style()
        return styled
    if isinstance(node, list):
        seq = CommentedSeq(_styled(v, path) for v in node)
        flat = all(isinstance(v, str | int | float) for v in node)
        if path and path[-1] in ("codes", "items", "range", "reverse", "languages") and flat:
            seq.fa.set_flow_style()
        return seq
    return node
