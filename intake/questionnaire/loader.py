"""Load questionnaire YAML into a Definition, with errors that name file, place and line."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.scalarbool import ScalarBoolean

from .answers import answer_problems
from .model import (
    DEFAULT_SCALE,
    FOLLOW_UP_VALUES,
    ID_PATTERN,
    LANGUAGE_PATTERN,
    NUMERIC_TYPES,
    TEXT_TYPES,
    Band,
    Condition,
    Definition,
    Dimension,
    ItemType,
    Text,
)

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition, located as precisely as we can."""

    source: str
    place: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        if self.place:
            return f"{where}: {self.place}: {self.message}"
        return f"{where}: {self.message}"


class DefinitionError(Exception):
    """A definition that cannot be used; carries every problem found."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def load_file(path: str | Path) -> Definition:
    """Read and validate one YAML definition file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        message = f"cannot read file: {exc.strerror or exc}"
        raise DefinitionError([Problem(str(path), "", None, message)]) from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        message = "cannot read file: it is not UTF-8 text; save it with UTF-8 encoding"
        raise DefinitionError([Problem(str(path), "", line, message)]) from exc
    return load_text(text, source=str(path))


def load_text(text: str, source: str = "<text>") -> Definition:
    """Parse and validate a definition given as YAML text."""
    tree = _parse(text, source)
    if not isinstance(tree, CommentedMap):
        raise DefinitionError([Problem(source, "", 1, "the file must be a mapping of keys")])
    data = _plain(tree)
    # Texts given in several languages read as the definition's own language by default.
    language = data.get("language")
    context = {"languages": (language,) if isinstance(language, str) else ("en",)}
    try:
        definition = Definition.model_validate(data, context=context)
    except ValidationError as exc:
        raise DefinitionError(list(_pydantic_problems(exc, tree, source))) from None
    checks = (
        *check_references(definition),
        *check_translations(definition),
        *check_language(data),
    )
    problems = [
        Problem(source, _place(path), _line(tree, path), message) for path, message in checks
    ]
    if problems:
        raise DefinitionError(problems)
    return definition


# Limits checked before the YAML parser sees a text: its cost grows much faster than the text
# (a 6 KB "[[[[...]]]]" took 46 s of CPU, and deeper nesting overflows the stack), so the
# shape is measured first by a linear scan, and only texts of a sane shape are parsed.
MAX_TEXT = 256 * 1024
MAX_FLOW_DEPTH = 16
MAX_INDENT = 80
MAX_DASHES = 8
# The parser's cost is linear in its events (~15 µs each); the built-in questionnaire has
# about 1,700. Counting stops at the cap, so no text keeps a worker busy for long.
MAX_EVENTS = 20_000


def check_shape(text: str, source: str) -> None:
    """Refuse, with file and line, a text too large or nested too deeply to parse quickly."""
    if len(text) > MAX_TEXT:
        message = f"the definition is larger than {MAX_TEXT // 1024} KB"
        raise DefinitionError([Problem(source, "", None, message)])
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise DefinitionError([Problem(source, "", line, "the text holds a NUL character")])
    depth, quote, line, previous = 0, "", 1, "\n"
    at_line_start = True
    n, length = 0, len(text)
    while n < length:
        ch = text[n]
        if ch == "\n":
            line, at_line_start = line + 1, True
            if quote == "":
                previous = ch
            n += 1
            continue
        if at_line_start and quote == "":
            stripped = text[n : n + MAX_INDENT * 2 + 1]
            indent = len(stripped) - len(stripped.lstrip(" "))
            dashes = re.match(r"(?:-[ \t]+)*", stripped[indent:])
            if indent > MAX_INDENT or (dashes and dashes.group(0).count("-") > MAX_DASHES):
                message = "this line is indented or nested too deeply; please flatten it"
                raise DefinitionError([Problem(source, "", line, message)])
            at_line_start = False
        if quote == '"':
            if ch == "\\":
                n += 2
                continue
            if ch == '"':
                quote = ""
        elif quote == "'":
            if ch == "'":
                quote = ""
        elif ch in "\"'" and previous in ":-[{,\n":
            quote = ch
        elif ch == "#" and text[n - 1 : n] in ("", " ", "\t", "\n"):
            end = text.find("\n", n)
            n = length if end < 0 else end
            continue
        elif ch in "[{":
            depth += 1
            if depth > MAX_FLOW_DEPTH:
                message = f"brackets are nested more than {MAX_FLOW_DEPTH} deep"
                raise DefinitionError([Problem(source, "", line, message)])
        elif ch in "]}":
            depth = max(0, depth - 1)
        if not ch.isspace():
            previous = ch
        n += 1


def _parse(text: str, source: str) -> Any:
    check_shape(text, source)
    yaml = YAML(typ="rt")
    try:
        # Aliases are refused before loading: expanding nested aliases grows exponentially
        # (a few hundred bytes can keep the server busy for minutes), and a definition
        # reads more clearly with its texts written out.
        for count, event in enumerate(yaml.parse(text)):
            if count > MAX_EVENTS:
                line = event.start_mark.line + 1 if event.start_mark else None
                message = (
                    f"the definition has more than {MAX_EVENTS:,} YAML values; split it or"
                    " simplify it"
                )
                raise DefinitionError([Problem(source, "", line, message)])
            if isinstance(event, AliasEvent):
                line = event.start_mark.line + 1 if event.start_mark else None
                message = "aliases (*name) are not supported here; write the value out in full"
                raise DefinitionError([Problem(source, "", line, message)])
        return yaml.load(text)
    except DefinitionError:
        raise
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        detail = exc.problem or exc.context or "invalid YAML"
        hint = _syntax_hint(exc)
        message = f"YAML syntax error: {detail}" + (f" ({hint})" if hint else "")
        raise DefinitionError([Problem(source, "", line, message)]) from None
    except Exception as exc:  # ruamel raises a few non-marked errors (duplicate keys, etc.)
        raise DefinitionError([Problem(source, "", None, f"YAML error: {exc}")]) from None


# Words that label a person instead of describing what they said (banned in every output).
BANNED_LABELS = re.compile(r"\b(resistant|unmotivated|non-?compliant|in denial)\b", re.I)


def check_language(node: Any, path: Path_ = ()) -> Iterator[tuple[Path_, str]]:
    """Every text of a definition reaches a client or a brief: none may label the person."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from check_language(value, path + (key,))
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield from check_language(value, path + (n,))
    elif isinstance(node, str) and (match := BANNED_LABELS.search(node)):
        yield (
            path,
            (
                f"'{match.group(0)}' labels the client (banned in our texts); describe what they"
                " said and what might help instead"
            ),
        )


def _syntax_hint(exc: MarkedYAMLError) -> str | None:
    """A plain-language pointer for the YAML mistakes people make most."""
    problem, context = exc.problem or "", exc.context or ""
    start = exc.context_mark.line + 1 if exc.context_mark else None
    if "quoted scalar" in context and start:
        return f"a quotation mark opened on line {start} is never closed"
    if "flow sequence" in context and start:
        return f"check the [...] list that starts on line {start}"
    if "flow mapping" in context and start:
        return f"check the {{...}} that starts on line {start}"
    if "'\\t'" in problem:
        return "indent with spaces, not tabs"
    if "mapping values are not allowed" in problem:
        return "check the indentation, or put quotes around text that contains ': '"
    if "block end" in problem:
        return "check the indentation of this line"
    return None


def _plain(node: Any) -> Any:
    """ruamel's round-trip nodes as plain dicts and lists, for pydantic."""
    if isinstance(node, CommentedMap):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, CommentedSeq):
        return [_plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    # ruamel keeps how a number was written (ScalarInt for 0, 0x1f, 1_000); plain values
    # compare by type as well as value (an option 0 is not the text "0").
    if isinstance(node, ScalarBoolean):
        return bool(node)
    if isinstance(node, bool):
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node


def _pydantic_problems(exc: ValidationError, tree: Any, source: str) -> Iterator[Problem]:
    data = _plain(tree)
    # Several errors at one place are a value that fits none of a union's types:
    # report them together, as the alternatives the file could have given.
    grouped: dict[Path_, list[str]] = {}
    for error in exc.errors():
        path = _file_path(error, data)
        message = _message(error)
        if message not in grouped.setdefault(path, []):
            grouped[path].append(message)
    for path, messages in grouped.items():
        yield Problem(source, _place(path), _line(tree, path), _join(messages))


def _file_path(error: Any, data: Any) -> Path_:
    """The error's location as keys and indexes of the file.

    Pydantic adds parts that are not in the file, such as the name of each type of a
    union ('int', 'str'); only a missing key may name something the file lacks.
    """
    loc = error["loc"]
    path: list[str | int] = []
    node = data
    for n, part in enumerate(loc):
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif not (error["type"] == "missing" and n == len(loc) - 1 and isinstance(node, dict)):
            continue
        path.append(part)
    return tuple(path)


# Pydantic's type errors, in words that do not assume Python.
_EXPECTED = {
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true/false",
    "bool_parsing": "true/false",
    "string_type": "text",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a group of 'key: value' lines",
    "model_type": "a group of 'key: value' lines",
    "model_attributes_type": "a group of 'key: value' lines",
}


def _message(error: Any) -> str:
    kind = error["type"]
    ctx = error.get("ctx", {})
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        return "unknown key (check spelling; see forms/schema.json)"
    if kind == "enum":
        return f"unknown value {error['input']!r}; expected one of {ctx.get('expected', '')}"
    if kind == "string_pattern_mismatch":
        if ctx.get("pattern") == ID_PATTERN:
            return (
                f"{error['input']!r} is not a valid identifier"
                " (start with a lower-case letter; then lower-case letters, digits, _)"
            )
        if ctx.get("pattern") == LANGUAGE_PATTERN:
            return f"{error['input']!r} is not a language code such as 'en' or 'en-GB'"
        return f"{error['input']!r} does not have the expected form ({ctx.get('pattern')})"
    if kind in _EXPECTED:
        return f"should be {_EXPECTED[kind]}, not {_shown(error['input'])}"
    if kind == "text_type":
        return (
            "should be text, or one text per language ('en: ...' lines),"
            f" not {_shown(error['input'])}"
        )
    if kind == "literal_error":
        return f"should be {ctx.get('expected')}, not {_shown(error['input'])}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "too_short":
        least = ctx.get("min_length", 1)
        return f"needs at least {least} {'entry' if least == 1 else 'entries'}"
    message = str(error["msg"])
    return message.removeprefix("Value error, ").removeprefix("Input ")


def _shown(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, dict):
        return "a group of 'key: value' lines"
    if isinstance(value, list):
        return "a list"
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:36] + "...'"


def _join(messages: list[str]) -> str:
    """'should be a whole number, not 1.5' + 'should be text, not 1.5' as one sentence."""
    if len(messages) == 1:
        return messages[0]
    typed = [m.removeprefix("should be ").rpartition(", not ") for m in messages]
    if all(m.startswith("should be ") for m in messages) and len({t[2] for t in typed}) == 1:
        options = [t[0] for t in typed]
        return f"should be {', '.join(options[:-1])} or {options[-1]}, not {typed[0][2]}"
    return "; ".join(messages)


def _place(path: Path_) -> str:
    """A readable place such as pages[2].items[0].type."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _line(tree: Any, path: Path_) -> int | None:
    """The 1-based line of the deepest node on the path that exists in the file."""
    node, line = tree, 1
    for part in path:
        try:
            if isinstance(node, CommentedMap) and part in node:
                line = node.lc.key(part)[0] + 1
                node = node[part]
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
                line = node.lc.item(part)[0] + 1
                node = node[part]
            else:
                break
        except (KeyError, IndexError, TypeError, AttributeError):
            break
    return line


def check_references(d: Definition) -> Iterator[tuple[Path_, str]]:
    """Cross-reference checks pydantic cannot see: ids, conditions, scoring, bands."""
    seen_pages: set[str] = set()
    order: dict[str, int] = {}
    for p, page in enumerate(d.pages):
        if page.id in seen_pages:
            yield ("pages", p, "id"), f"duplicate page id '{page.id}'"
        seen_pages.add(page.id)
        if page.show_if:
            yield from _check_condition(d, page.show_if, ("pages", p, "show_if"), order, p)
        for i, item in enumerate(page.items):
            here: Path_ = ("pages", p, "items", i)
            if item.id in order:
                yield here + ("id",), f"duplicate item id '{item.id}'"
            if item.scale and item.scale not in d.scales:
                yield here + ("scale",), f"unknown scale '{item.scale}'"
            if item.show_if:
                yield from _check_condition(d, item.show_if, here + ("show_if",), order, p)
            order.setdefault(item.id, p)
    profile = any(not dim.is_sum for dim in d.dimensions)
    yield from _check_bands(d.bands, ("bands",), required=profile)
    dims = set()
    for n, dim in enumerate(d.dimensions):
        here = ("dimensions", n)
        if dim.id in dims:
            yield here + ("id",), f"duplicate dimension id '{dim.id}'"
        dims.add(dim.id)
        for k, ref in enumerate(dim.items):
            yield from _numeric_item(d, ref, here + ("items", k), "a scored", choices=True)
        if len(set(dim.items)) != len(dim.items):
            yield here + ("items",), "an item is listed twice"
        for k, ref in enumerate(dim.reverse):
            if ref not in dim.items:
                yield here + ("reverse", k), f"'{ref}' is reversed but not among the items"
        if len(dim.items) - dim.allowed_missing < dim.min_answered:
            left = len(dim.items) - dim.allowed_missing
            yield (
                here,
                (
                    f"with {len(dim.items)} items and max_missing {dim.allowed_missing}, only"
                    f" {left} would be answered, fewer than min_answered {dim.min_answered};"
                    " lower max_missing or min_answered"
                ),
            )
        if dim.is_sum:
            yield from _check_sum(d, dim, here)
        else:
            yield from _check_mean(dim, here)
        band_ids = {b.id for b in d.bands_for(dim)}
        for key in dim.lines:
            if key not in band_ids:
                yield here + ("lines", key), f"'{key}' is not a band id"
    for n, index in enumerate(d.indices):
        for side in ("plus", "minus"):
            for k, ref in enumerate(getattr(index, side)):
                yield from _numeric_item(d, ref, ("indices", n, side, k), "an index")
    ids = {x.id for x in d.indices}
    for n, flag in enumerate(d.flags):
        yield from _check_condition(d, flag.when, ("flags", n, "when"), order, None, dims, ids)
    if d.safety:
        yield from _check_safety(d)
    if d.adult_item is not None:
        yield from _check_yes_no(d, d.adult_item, ("adult_item",), ("yes", "no"))
    if d.goals is not None and not d.has_item(d.goals.after):
        yield ("goals", "after"), f"unknown item '{d.goals.after}'"
    layout = d.brief
    for section in ("own_words", "expectations", "background", "practical"):
        for k, ref in enumerate(getattr(layout, section)):
            if not d.has_item(ref):
                yield ("brief", section, k), f"unknown item '{ref}'"
    for ruler in ("importance", "confidence"):
        ref = getattr(layout, ruler)
        if ref and (not d.has_item(ref) or d.item(ref).type is not ItemType.RULER):
            yield ("brief", ruler), f"'{ref}' must name a ruler item"
    if layout.gap_flag and layout.gap_flag not in {f.id for f in d.flags}:
        yield ("brief", "gap_flag"), f"unknown flag '{layout.gap_flag}'"
    for n, example in enumerate(d.examples):
        for key, problem in answer_problems(d, example.answers):
            yield ("examples", n, "answers", key), problem
        if example.expect.safety_unanswered is not None and d.safety is None:
            place = ("examples", n, "expect", "safety_unanswered")
            yield place, "this questionnaire has no safety item"
        for key in list(example.expect.scores) + list(example.expect.bands):
            if key not in dims:
                yield ("examples", n, "expect"), f"unknown dimension '{key}'"
        for key in example.expect.indices:
            if key not in ids:
                yield ("examples", n, "expect", "indices", key), f"unknown index '{key}'"


def check_translations(d: Definition) -> Iterator[tuple[Path_, str]]:
    """Every client-facing text in every language the definition offers, and no others."""
    offered = d.offered_languages
    if d.languages and d.language not in d.languages:
        yield ("languages",), f"must include the definition's own language '{d.language}'"
    if len(set(d.languages)) != len(d.languages):
        yield ("languages",), "a language is listed twice"
    names = ", ".join(offered)
    for path, text, given in _texts(d, ()):
        for lang in text.translations if given else ():
            if lang not in offered:
                yield path, f"'{lang}' is not among this definition's languages ({names})"
        missing = [lang for lang in offered if lang not in text.translations]
        if not text.translations:
            missing = [lang for lang in offered if lang != d.language]
        if missing:
            where = "" if given else "the built-in text "
            yield (
                path,
                (
                    f"{where}has no {' or '.join(repr(m) for m in missing)} translation"
                    f" (this definition's languages: {names})"
                ),
            )
    default_scale = DEFAULT_SCALE.labels[0].translations
    for p, page in enumerate(d.pages):
        for i, item in enumerate(page.items):
            unscaled = item.type is ItemType.AGREEMENT and item.scale is None
            lacking = [lang for lang in offered if lang not in default_scale]
            if unscaled and lacking:
                yield (
                    ("pages", p, "items", i),
                    (
                        f"the built-in agreement scale has no {' or '.join(map(repr, lacking))}"
                        " labels; name a scale from 'scales' with labels in every language"
                    ),
                )


def _texts(node: Any, path: Path_, given: bool = True) -> Iterator[tuple[Path_, Text, bool]]:
    """Every Text in a definition with its place, and whether the file gave it."""
    if isinstance(node, Text):
        yield path, node, given
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            here = given and name in node.model_fields_set
            yield from _texts(getattr(node, name), path + (name,), here)
    elif isinstance(node, tuple | list):
        for n, value in enumerate(node):
            yield from _texts(value, path + (n,), given)
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _texts(value, path + (str(key),), given)


def _numeric_item(
    d: Definition, ref: str, path: Path_, what: str, choices: bool = False
) -> Iterator[tuple[Path_, str]]:
    if not d.has_item(ref):
        yield path, f"unknown item '{ref}'"
        return
    item = d.item(ref)
    if item.type in NUMERIC_TYPES or (choices and d.is_numeric(item)):
        return
    kind = item.type.value
    message = f"'{ref}' is a {kind} item; {what} item must be an agreement scale or ruler"
    if choices:
        message += ", or a single choice whose options all score a number"
    yield path, message


# Keys that only a 'sum' measure takes, and what a 'mean' dimension does instead.
_SUM_ONLY = {
    "range": "a 'mean' dimension is always on 0-100",
    "rounding": "a 'mean' dimension is not rounded",
    "proration": "a 'mean' dimension averages the answers it has",
    "never_impute": "on a 'mean' dimension, limit blanks with max_missing",
    "unscored_items": "list them in the brief layout instead",
    "reliable_change": "a profile dimension has no published norms to judge change by",
    "cutoff": "a profile dimension is not a screen with a clinical cut-off",
}


def _check_mean(dim: Dimension, here: Path_) -> Iterator[tuple[Path_, str]]:
    """A 0-100 profile dimension takes none of the keys of a total on its own scale."""
    for key, why in _SUM_ONLY.items():
        if key in dim.model_fields_set and getattr(dim, key):
            yield here + (key,), f"'{key}' belongs to 'method: sum' measures ({why})"
    if dim.bands:
        yield from _check_bands(dim.bands, here + ("bands",), required=True)


def _check_sum(d: Definition, dim: Dimension, here: Path_) -> Iterator[tuple[Path_, str]]:
    """A total on its own scale: a range that fits its items, whole-number bands, no opener."""
    if dim.opener:
        yield (
            here + ("opener",),
            "'opener' belongs to 'mean' dimensions: a total on its own scale (such as a"
            " symptom measure) never suggests openers from its lowest scores",
        )
    for key in ("never_impute", "unscored_items"):
        for k, ref in enumerate(getattr(dim, key)):
            if not d.has_item(ref):
                yield here + (key, k), f"unknown item '{ref}'"
            elif key == "never_impute" and ref not in dim.items:
                yield here + (key, k), f"'{ref}' is not among the items"
            elif key == "unscored_items" and ref in dim.items:
                yield here + (key, k), f"'{ref}' is among the items, so it is scored"
    if not all(d.has_item(i) and d.is_numeric(d.item(i)) for i in dim.items):
        return  # reported above; the range cannot be worked out
    low, high = d.items_range(dim)
    if dim.cutoff is not None and not low < dim.cutoff <= high:
        yield here + ("cutoff",), f"the cut-off must lie above {low:g} and at most {high:g}"
    if low != int(low) or high != int(high):
        yield (
            here + ("items",),
            f"the items' weights give totals from {low:g} to {high:g}; a sum's total runs"
            " between whole numbers",
        )
        return
    if dim.range is not None and tuple(dim.range) != (low, high):
        yield (
            here + ("range",),
            f"the items' answers give totals from {low:g} to {high:g},"
            f" not {dim.range[0]} to {dim.range[1]}",
        )
        return
    yield from _check_whole_bands(dim.bands or (), here + ("bands",), int(low), int(high))


def _check_whole_bands(
    bands: Sequence[Band], path: Path_, low: int, high: int
) -> Iterator[tuple[Path_, str]]:
    """A total's bands: whole numbers, both ends included, from the lowest to the highest."""
    if not bands:
        yield path, f"a sum measure needs bands covering {low} to {high}"
        return
    for n, band in enumerate(bands):
        for end in ("min", "max"):
            if getattr(band, end) != int(getattr(band, end)):
                yield path + (n, end), "a total's bands start and end on whole numbers"
                return
        if band.max < band.min:
            yield path + (n, "max"), "a band's max must be at or above its min"
            return
    ordered = sorted(enumerate(bands), key=lambda pair: pair[1].min)
    if ordered[0][1].min != low:
        yield path + (ordered[0][0], "min"), f"the lowest band must start at {low}"
    for (_, below), (n, above) in zip(ordered, ordered[1:], strict=False):
        if above.min > below.max + 1:
            gap = f"{below.max + 1:g} to {above.min - 1:g}"
            yield path + (n, "min"), f"gap between bands: nothing covers {gap}"
        elif above.min <= below.max:
            yield path + (n, "min"), f"band '{above.id}' overlaps band '{below.id}'"
    if ordered[-1][1].max != high:
        yield path + (ordered[-1][0], "max"), f"the highest band must end at {high}"


def _check_condition(
    d: Definition,
    cond: Condition,
    path: Path_,
    order: dict[str, int],
    page: int | None,
    dims: set[str] | None = None,
    indices: set[str] | None = None,
) -> Iterator[tuple[Path_, str]]:
    """Display conditions read only questions asked before them; flags read anything.

    A page's condition reads earlier pages; a question's condition may also read earlier
    questions on its own page (the wizard shows it in place, or on the next submit).
    """
    for key in ("all", "any"):
        for k, child in enumerate(getattr(cond, key) or ()):
            yield from _check_condition(d, child, path + (key, k), order, page, dims, indices)
    if cond.all or cond.any:
        return
    kind, ref = cond.subject
    refs = list(ref) if kind == "mean" else [ref]
    for r in refs:
        if kind in ("item", "mean"):
            if not d.has_item(r):
                yield path + (kind,), f"condition names a missing item '{r}'"
            elif page is not None and (r not in order or order[r] > page):
                yield (
                    path + (kind,),
                    (f"a display condition may only read questions asked before it ('{r}')"),
                )
            elif kind == "mean" and d.item(r).type not in NUMERIC_TYPES:
                yield path + (kind,), f"'mean' needs numeric items; '{r}' is not"
            elif kind == "item" and d.item(r).type in TEXT_TYPES:
                op = cond.operator[0]
                if op != "answered" and op not in ("equals", "not_equals", "one_of"):
                    yield path, f"'{op}' compares numbers; '{r}' is a text item"
        elif page is not None:
            yield path + (kind,), "a display condition may only read answers, not scores"
        elif kind == "score" and dims is not None and r not in dims:
            yield path + (kind,), f"condition names a missing dimension '{r}'"
        elif kind == "index" and indices is not None and r not in indices:
            yield path + (kind,), f"condition names a missing index '{r}'"


def _check_bands(
    bands: Sequence[Band], path: Path_, required: bool
) -> Iterator[tuple[Path_, str]]:
    """Bands must run from 0 to 100 with no gap and no overlap."""
    if not bands:
        if required:
            yield path, "scored dimensions need bands covering 0 to 100"
        return
    ordered = sorted(enumerate(bands), key=lambda pair: pair[1].min)
    if ordered[0][1].min != 0:
        yield path + (ordered[0][0], "min"), "the lowest band must start at 0"
    for (_, low), (n, high) in zip(ordered, ordered[1:], strict=False):
        if high.min > low.max:
            gap = f"{low.max:g} to {high.min:g}"
            yield path + (n, "min"), f"gap between bands: nothing covers {gap}"
        elif high.min < low.max:
            yield path + (n, "min"), f"band '{high.id}' overlaps band '{low.id}'"
    for n, band in enumerate(bands):
        if band.max <= band.min:
            yield path + (n, "max"), "a band's max must be above its min"
    if ordered[-1][1].max != 100:
        yield path + (ordered[-1][0], "max"), "the highest band must end at 100"


def _check_safety(d: Definition) -> Iterator[tuple[Path_, str]]:
    assert d.safety is not None
    ref = d.safety.item
    if not d.has_item(ref):
        yield ("safety", "item"), f"unknown item '{ref}'"
        return
    item = d.item(ref)
    if not d.is_numeric(item):
        yield (
            ("safety", "item"),
            "the safety item needs numeric answers (choices with int values or weights)",
        )
    if item.required:
        yield ("safety", "item"), "the safety item must not be required; a blank is asked again"
    if item.show_if or d.page_of(ref).show_if:
        yield ("safety", "item"), "the safety item must always be shown"
    if d.safety.follow_ups is not None:
        for key in ("now", "ever"):
            place = ("safety", "follow_ups", key)
            yield from _check_yes_no(d, getattr(d.safety.follow_ups, key), place, FOLLOW_UP_VALUES)


def _check_yes_no(
    d: Definition, ref: str, place: Path_, values: tuple[str, ...]
) -> Iterator[tuple[Path_, str]]:
    """A single choice whose option values are exactly the ones the code reads."""
    if not d.has_item(ref):
        yield place, f"unknown item '{ref}'"
        return
    item = d.item(ref)
    got = tuple(sorted(str(o.value) for o in item.options or ()))
    if item.type is not ItemType.SINGLE_CHOICE or got != tuple(sorted(values)):
        yield place, f"'{ref}' must be a single choice with the values {', '.join(values)}"
