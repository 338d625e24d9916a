"""Questionnaire definitions: the default form, broken forms and their messages, the schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from intake.questionnaire import DefinitionError, Problem, load_file, load_text
from intake.questionnaire.examples import check_examples
from intake.questionnaire.loader import check_translations
from intake.questionnaire.schema import json_schema, main, write_schema

# Reads and writes no database: run once, in the SQLite pass (tests/conftest.py).
pytestmark = pytest.mark.no_database

ROOT = Path(__file__).resolve().parents[1]
FORMS = ROOT / "forms"
SOURCE = "mini.yaml"

# A minimal valid definition. The broken ones below each change one thing in it, and
# name the line their problem is on, so keep its lines where they are (numbered here).
BASE = """\
id: mini
version: 1
title: Mini questionnaire
bands:
  - {id: low, label: Low, min: 0, max: 50}
  - {id: high, label: High, min: 50, max: 100}
pages:
  - id: first
    title: First page
    items:
      - id: why
        type: long_text
        prompt: Why now?
      - id: a1
        type: agreement
        prompt: First statement
      - id: a2
        type: agreement
        prompt: Second statement
      - id: a3
        type: agreement
        prompt: Third statement
  - id: second
    title: Second page
    items:
      - id: pick
        type: single_choice
        prompt: Pick one
        options:
          - {value: x, label: Ex}
          - {value: y, label: Why}
      - id: harm
        type: single_choice
        prompt: Any thoughts of harming yourself?
        options:
          - {value: 0, label: Not at all}
          - {value: 1, label: Several days}
dimensions:
  - id: dim
    label: Dimension
    description: What it measures
    items: [a1, a2, a3]
    reverse: [a3]
flags:
  - id: low_dim
    label: Low dimension
    description: Scored low
    when: {score: dim, below: 50}
safety:
  item: harm
  threshold: 1
  crisis_text: Help is available.
  emergency_number: "911"
examples:
  - name: all agree
    answers: {a1: 5, a2: 5, a3: 1, harm: 0}
    expect:
      scores: {dim: 100}
"""


def mutate(*changes: tuple[str, str]) -> str:
    """BASE with each (old, new) replaced; old must occur exactly once."""
    text = BASE
    for old, new in changes:
        assert text.count(old) == 1, f"{old!r} is not unique in BASE"
        text = text.replace(old, new)
    return text


def problems_of(text: str, source: str = SOURCE) -> tuple[Problem, ...]:
    with pytest.raises(DefinitionError) as caught:
        load_text(text, source=source)
    assert str(caught.value) == "\n".join(str(p) for p in caught.value.problems)
    return caught.value.problems


def test_base_definition_is_valid_and_its_lines_are_where_the_table_says() -> None:
    definition = load_text(BASE, source=SOURCE)
    assert definition.id == "mini"
    assert list(check_examples(definition)) == []
    lines = BASE.splitlines()
    assert lines[11] == "        type: long_text"  # line 12
    assert lines[47] == "    when: {score: dim, below: 50}"  # line 48
    assert lines[49] == "  item: harm"  # line 50


OPTIONS_OF_PICK = (
    "        options:\n          - {value: x, label: Ex}\n          - {value: y, label: Why}\n"
)

# id: (changes to BASE, place fragment, line, message fragment)
BROKEN: dict[str, tuple[tuple[tuple[str, str], ...], str, int, str]] = {
    "unknown-item-type": (
        (("type: long_text", "type: essay"),),
        "pages[0].items[0].type",
        12,
        "unknown value 'essay'; expected one of 'short_text', 'long_text'",
    ),
    "duplicate-item-id": (
        (("- id: pick", "- id: a1"),),
        "pages[1].items[0].id",
        26,
        "duplicate item id 'a1'",
    ),
    "duplicate-page-id": (
        (("- id: second", "- id: first"),),
        "pages[1].id",
        23,
        "duplicate page id 'first'",
    ),
    "condition-names-missing-item": (
        (("when: {score: dim, below: 50}", "when: {item: nope, equals: 1}"),),
        "flags[0].when.item",
        48,
        "condition names a missing item 'nope'",
    ),
    "display-condition-reads-later-page": (
        (
            (
                "    title: First page\n",
                "    title: First page\n    show_if: {item: pick, equals: x}\n",
            ),
        ),
        "pages[0].show_if.item",
        10,
        "a display condition may only read questions asked before it ('pick')",
    ),
    "display-condition-reads-a-later-question-on-its-page": (
        (
            (
                "        prompt: First statement\n",
                "        prompt: First statement\n        show_if: {item: a2, answered: true}\n",
            ),
        ),
        "pages[0].items[1].show_if.item",
        17,
        "a display condition may only read questions asked before it ('a2')",
    ),
    "display-condition-reads-a-score": (
        (
            (
                "    title: Second page\n",
                "    title: Second page\n    show_if: {score: dim, below: 5}\n",
            ),
        ),
        "pages[1].show_if.score",
        25,
        "a display condition may only read answers, not scores",
    ),
    "scored-and-reversed-text-item": (
        (
            ("items: [a1, a2, a3]", "items: [a1, a2, a3, why]"),
            ("reverse: [a3]", "reverse: [a3, why]"),
        ),
        "dimensions[0].items[3]",
        42,
        "'why' is a long_text item; a scored item must be an agreement scale or ruler",
    ),
    "reverse-key-not-among-items": (
        (("reverse: [a3]", "reverse: [a3, pick]"),),
        "dimensions[0].reverse[1]",
        43,
        "'pick' is reversed but not among the items",
    ),
    "band-gap": (
        (("min: 50, max: 100", "min: 60, max: 100"),),
        "bands[1].min",
        6,
        "gap between bands: nothing covers 50 to 60",
    ),
    "band-overlap": (
        (("min: 50, max: 100", "min: 40, max: 100"),),
        "bands[1].min",
        6,
        "band 'high' overlaps band 'low'",
    ),
    "bands-stop-short-of-100": (
        (("min: 50, max: 100", "min: 50, max: 90"),),
        "bands[1].max",
        6,
        "the highest band must end at 100",
    ),
    "bands-start-above-0": (
        (("min: 0, max: 50", "min: 10, max: 50"),),
        "bands[0].min",
        5,
        "the lowest band must start at 0",
    ),
    "yaml-colon-in-unquoted-text": (
        (("prompt: Why now?", "prompt: Why now? Because: reasons"),),
        "",
        13,
        "YAML syntax error: mapping values are not allowed here (check the indentation, or put"
        " quotes around text that contains ': ')",
    ),
    "yaml-unclosed-list": (
        (("items: [a1, a2, a3]", "items: [a1, a2, a3"),),
        "",
        43,
        "YAML syntax error: expected ',' or ']', but got ':' (check the [...] list that starts"
        " on line 42)",
    ),
    "yaml-tab-indent": (
        (("  threshold: 1\n", "\tthreshold: 1\n"),),
        "",
        51,
        "indent with spaces, not tabs",
    ),
    "yaml-duplicate-key": (
        (("title: Mini questionnaire\n", "title: Mini questionnaire\ntitle: Again\n"),),
        "",
        4,
        'duplicate key "title"',
    ),
    "unknown-key-typo": (
        (("prompt: Why now?", "promt: Why now?"),),
        "pages[0].items[0].promt",
        13,
        "unknown key (check spelling; see forms/schema.json)",
    ),
    "missing-required-prompt": (
        (("        prompt: First statement\n", ""),),
        "pages[0].items[1].prompt",
        14,
        "required key is missing",
    ),
    "choice-without-options": (
        ((OPTIONS_OF_PICK, ""),),
        "pages[1].items[0]",
        26,
        "a single_choice item needs 'options'",
    ),
    "safety-item-required": (
        (("harming yourself?\n", "harming yourself?\n        required: true\n"),),
        "safety.item",
        51,
        "the safety item must not be required",
    ),
    "safety-item-is-text": (
        (("  item: harm", "  item: why"),),
        "safety.item",
        50,
        "the safety item needs numeric answers",
    ),
    "flag-condition-two-operators": (
        (("when: {score: dim, below: 50}", "when: {score: dim, below: 50, above: 10}"),),
        "flags[0].when",
        48,
        "a comparison uses exactly one of equals, not_equals, one_of, at_least, at_most, above,"
        " below, answered (found above, below)",
    ),
    "flag-unknown-dimension": (
        (("when: {score: dim, below: 50}", "when: {score: dimm, below: 50}"),),
        "flags[0].when.score",
        48,
        "condition names a missing dimension 'dimm'",
    ),
    "identifier-with-space-and-capital": (
        (("- id: a3\n", "- id: Item three\n"),),
        "pages[0].items[3].id",
        20,
        "'Item three' is not a valid identifier",
    ),
    "identifier-with-capital": (
        (("id: mini", "id: Mini"),),
        "id",
        1,
        "'Mini' is not a valid identifier (start with a lower-case letter",
    ),
    "option-value-neither-number-nor-text": (
        (("{value: x, label: Ex}", "{value: 1.5, label: Ex}"),),
        "pages[1].items[0].options[0].value",
        30,
        "should be a whole number or text, not 1.5",
    ),
    "threshold-not-a-number": (
        (("threshold: 1", "threshold: one"),),
        "safety.threshold",
        51,
        "should be a whole number, not 'one'",
    ),
    "list-expected": (
        (("reverse: [a3]", "reverse: a3"),),
        "dimensions[0].reverse",
        43,
        "should be a list, not 'a3'",
    ),
    "unknown-scale": (
        (
            (
                "- id: a1\n        type: agreement\n",
                "- id: a1\n        type: agreement\n        scale: x\n",
            ),
        ),
        "pages[0].items[1].scale",
        16,
        "unknown scale 'x'",
    ),
    "language-code": (
        (("version: 1\n", "version: 1\nlanguage: English\n"),),
        "language",
        3,
        "'English' is not a language code such as 'en' or 'en-GB'",
    ),
    "prompt-neither-text-nor-translations": (
        (("prompt: Why now?", "prompt: [Why, now]"),),
        "pages[0].items[0].prompt",
        13,
        "should be text, or one text per language ('en: ...' lines), not a list",
    ),
    "translation-key-not-a-language": (
        (("prompt: Why now?", "prompt: {en: Why now?, Spanish: ¿Por qué ahora?}"),),
        "pages[0].items[0].prompt",
        13,
        "'Spanish' is not a language code such as 'en' or 'en-GB'",
    ),
    "empty-translation": (
        (("prompt: Why now?", "prompt: {en: Why now?, es: ''}"),),
        "pages[0].items[0].prompt",
        13,
        "the 'es' text must be non-empty text",
    ),
    "translation-in-an-undeclared-language": (
        (("prompt: Why now?", "prompt: {en: Why now?, es: ¿Por qué ahora?}"),),
        "pages[0].items[0].prompt",
        13,
        "'es' is not among this definition's languages (en)",
    ),
    "languages-without-the-main-one": (
        (("version: 1\n", "version: 1\nlanguages: [es, fr]\n"),),
        "languages",
        3,
        "must include the definition's own language 'en'",
    ),
    "follow-up-unknown-item": (
        (
            (
                'emergency_number: "911"\n',
                'emergency_number: "911"\n  follow_ups: {now: nowq, ever: pick}\n',
            ),
        ),
        "safety.follow_ups.now",
        54,
        "unknown item 'nowq'",
    ),
    "follow-up-wrong-values": (
        (
            (
                'emergency_number: "911"\n',
                'emergency_number: "911"\n  follow_ups: {now: pick, ever: pick}\n',
            ),
        ),
        "safety.follow_ups.ever",
        54,
        "'pick' must be a single choice with the values yes, no, rather_not_say",
    ),
    "adult-item-wrong-values": (
        (("version: 1\n", "version: 1\nadult_item: pick\n"),),
        "adult_item",
        3,
        "'pick' must be a single choice with the values yes, no",
    ),
    "example-answers-unknown-item": (
        (("harm: 0}", "harm: 0, a4: 3}"),),
        "examples[0].answers.a4",
        56,
        "unknown item 'a4'",
    ),
}


@pytest.mark.parametrize(
    ("changes", "place", "line", "message"), list(BROKEN.values()), ids=list(BROKEN)
)
def test_broken_definition_is_reported_where_it_is(
    changes: tuple[tuple[str, str], ...], place: str, line: int, message: str
) -> None:
    problems = problems_of(mutate(*changes))
    shown = "\n".join(str(p) for p in problems)
    hits = [
        p
        for p in problems
        if str(p).startswith(f"{SOURCE}:{line}: ")
        and p.line == line
        and place in p.place
        and f"{place}: " in str(p)
        and message in str(p)
    ]
    assert hits, f"no problem at {SOURCE}:{line} {place!r} with {message!r} in:\n{shown}"


def test_not_a_mapping() -> None:
    (problem,) = problems_of("- just\n- a list\n")
    assert str(problem) == f"{SOURCE}:1: the file must be a mapping of keys"


def test_every_problem_is_reported_not_just_the_first() -> None:
    text = mutate(("type: long_text", "type: essay"), ("threshold: 1", "threshold: one"))
    assert {p.place for p in problems_of(text)} == {"pages[0].items[0].type", "safety.threshold"}


# Examples that load but disagree with scoring: check_examples reports them.
WRONG_EXAMPLES = {
    "wrong-score": (
        (("scores: {dim: 100}", "scores: {dim: 90}"),),
        ["all agree: dim expected 90.00, got 100.00"],
    ),
    "not-scored-expected": (
        (("scores: {dim: 100}", "scores: {dim: not_scored}"),),
        ["all agree: dim expected not scored, got 100.00"],
    ),
    "wrong-band": (
        (("scores: {dim: 100}", "bands: {dim: low}"),),
        ["all agree: dim expected band low, got high"],
    ),
    "wrong-flags": (
        (("scores: {dim: 100}", "flags: [low_dim]"),),
        ["all agree: flags expected ['low_dim'], got []"],
    ),
    "wrong-urgent": (
        (("harm: 0}", "harm: 1}"), ("scores: {dim: 100}", "urgent: false")),
        ["all agree: urgent expected False, got True"],
    ),
    "within-tolerance": ((("scores: {dim: 100}", "scores: {dim: 99.996}"),), []),
}


@pytest.mark.parametrize(
    ("changes", "messages"), list(WRONG_EXAMPLES.values()), ids=list(WRONG_EXAMPLES)
)
def test_check_examples_reports_disagreements(
    changes: tuple[tuple[str, str], ...], messages: list[str]
) -> None:
    definition = load_text(mutate(*changes), source=SOURCE)
    assert list(check_examples(definition)) == messages


@pytest.mark.parametrize(
    ("name", "version", "examples"),
    [("readiness-v2.yaml", 2, ["A", "B", "C"]), ("readiness.yaml", 3, ["A", "B", "C", "D", "E"])],
)
def test_default_questionnaire_loads_and_its_examples_hold(
    name: str, version: int, examples: list[str]
) -> None:
    definition = load_file(FORMS / name)
    assert (definition.id, definition.version) == ("readiness", version)
    assert [e.name[0] for e in definition.examples] == examples
    assert list(check_examples(definition)) == []


def test_load_file_names_the_file_in_messages(tmp_path: Path) -> None:
    path = tmp_path / "clinic form.yaml"
    path.write_text(mutate(("type: long_text", "type: essay")), encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_file(path)
    (problem,) = caught.value.problems
    assert problem.source == str(path)
    assert str(problem).startswith(f"{path}:12: pages[0].items[0].type: unknown value 'essay'")


def test_load_file_reads_a_valid_file(tmp_path: Path) -> None:
    path = tmp_path / "mini.yaml"
    path.write_text(BASE, encoding="utf-8")
    assert load_file(str(path)).title == "Mini questionnaire"


def test_file_that_is_not_utf8_is_reported_clearly(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(mutate(("Why now?", "Pourquoi maintenant, café?")).encode("latin-1"))
    with pytest.raises(DefinitionError) as caught:
        load_file(path)
    (problem,) = caught.value.problems
    assert problem.line == 13
    assert str(problem) == (
        f"{path}:13: cannot read file: it is not UTF-8 text; save it with UTF-8 encoding"
    )


@pytest.mark.parametrize(
    ("name", "reason"),
    [("missing.yaml", "No such file or directory"), (".", "Is a directory")],
    ids=["missing", "directory"],
)
def test_unreadable_file_is_reported_clearly(tmp_path: Path, name: str, reason: str) -> None:
    path = tmp_path / name
    with pytest.raises(DefinitionError) as caught:
        load_file(path)
    (problem,) = caught.value.problems
    assert str(problem) == f"{path}: cannot read file: {reason}"


# The JSON Schema for editors.


def test_committed_schema_is_current(tmp_path: Path) -> None:
    committed = (FORMS / "schema.json").read_text(encoding="utf-8")
    assert json.loads(committed) == json_schema(), "run: python -m intake.questionnaire.schema"
    fresh = tmp_path / "schema.json"
    write_schema(fresh)
    assert fresh.read_text(encoding="utf-8") == committed


def test_schema_command_writes_to_the_given_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "out.json"
    assert main([str(path)]) == 0
    assert json.loads(path.read_text(encoding="utf-8")) == json_schema()
    assert path.read_text(encoding="utf-8").endswith("}\n")
    assert str(path) in capsys.readouterr().out


def test_schema_header_suits_editors() -> None:
    schema = json_schema()
    assert list(schema)[:4] == ["$schema", "$id", "title", "description"]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert {"id", "version", "title", "pages"} <= set(schema["required"])


def _walk(node: Any) -> Any:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_schema_references_resolve_and_maps_reject_bad_keys() -> None:
    schema = json_schema()
    refs = {n["$ref"] for n in _walk(schema) if "$ref" in n}
    assert "#/$defs/Condition" in refs
    assert {r.removeprefix("#/$defs/") for r in refs} <= set(schema["$defs"])
    maps = [n for n in _walk(schema) if "patternProperties" in n]
    assert maps and all(n["additionalProperties"] is False for n in maps)
    assert not [n for n in _walk(schema) if n.get("default", 0) is None]


def _plain_yaml(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(text)


@pytest.mark.parametrize("name", ["readiness.yaml", "readiness-v2.yaml"])
def test_schema_validates_the_default_questionnaire(name: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    data = _plain_yaml((FORMS / name).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(json_schema())
    jsonschema.Draft202012Validator(json_schema()).validate(data)


@pytest.mark.parametrize(
    "changes",
    [
        (("when: {score: dim, below: 50}", "when: {score: dim, below: 50, above: 10}"),),
        (("when: {score: dim, below: 50}", "when: {score: dim, item: a1, below: 50}"),),
        (
            (
                "when: {score: dim, below: 50}",
                "when: {all: [{item: a1, answered: true}], below: 5}",
            ),
        ),
        (("when: {score: dim, below: 50}", "when: {score: dim}"),),
        (("prompt: Why now?", "promt: Why now?"),),
        (("type: long_text", "type: essay"),),
        (("scores: {dim: 100}", "scores: {Dim: 100}"),),
    ],
    ids=[
        "two-operators",
        "two-subjects",
        "group-and-operator",
        "no-operator",
        "typo",
        "unknown-type",
        "bad-key",
    ],
)
def test_schema_rejects_what_the_loader_rejects(changes: tuple[tuple[str, str], ...]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    text = mutate(*changes)
    problems_of(text)
    validator = jsonschema.Draft202012Validator(json_schema())
    assert validator.is_valid(_plain_yaml(BASE))
    assert not validator.is_valid(_plain_yaml(text))


# Translations: a definition that offers several languages gives every client text in each.

BILINGUAL = mutate(
    ("version: 1\n", "version: 1\nlanguages: [en, es]\n"),
    ("title: Mini questionnaire", "title: {en: Mini questionnaire, es: Cuestionario mini}"),
)


def test_text_given_only_in_the_main_language_is_reported_everywhere() -> None:
    problems = problems_of(BILINGUAL)
    places = [p.place for p in problems]
    # Every client-facing text of BASE is plain English; staff-facing ones are not asked.
    assert "title" not in places
    assert "pages[0].title" in places and "pages[0].items[0].prompt" in places
    assert "pages[1].items[0].options[0].label" in places and "safety.crisis_text" in places
    assert not [p for p in places if p.startswith(("dimensions", "flags", "bands"))]
    first = next(p for p in problems if p.place == "pages[0].items[0].prompt")
    assert str(first) == (
        "mini.yaml:14: pages[0].items[0].prompt: has no 'es' translation"
        " (this definition's languages: en, es)"
    )


# BILINGUAL with every client text in Spanish too, as a translator would leave it.
COMPLETE = mutate(
    ("version: 1\n", "version: 1\nlanguages: [en, es]\n"),
    ("title: Mini questionnaire", "title: {en: Mini questionnaire, es: Cuestionario mini}"),
    ("title: First page", "title: {en: First page, es: Primera página}"),
    ("prompt: Why now?", "prompt: {en: Why now?, es: ¿Por qué ahora?}"),
    ("prompt: First statement", "prompt: {en: First statement, es: Primera frase}"),
    ("prompt: Second statement", "prompt: {en: Second statement, es: Segunda frase}"),
    ("prompt: Third statement", "prompt: {en: Third statement, es: Tercera frase}"),
    ("title: Second page", "title: {en: Second page, es: Segunda página}"),
    ("prompt: Pick one", "prompt: {en: Pick one, es: Elija una}"),
    ("label: Ex}", "label: {en: Ex, es: Equis}}"),
    ("label: Why}", "label: {en: Why, es: I griega}}"),
    (
        "prompt: Any thoughts of harming yourself?",
        "prompt: {en: Any thoughts of harming yourself?, es: ¿Ideas de hacerse daño?}",
    ),
    ("label: Not at all}", "label: {en: Not at all, es: Ningún día}}"),
    ("label: Several days}", "label: {en: Several days, es: Varios días}}"),
    ("crisis_text: Help is available.", "crisis_text: {en: Help is available., es: Hay ayuda.}"),
)


def test_missing_translation_is_reported_at_its_line() -> None:
    complete = COMPLETE
    assert load_text(complete, source=SOURCE).offered_languages == ("en", "es")
    broken = complete.replace("prompt: {en: Why now?, es: ¿Por qué ahora?}", "prompt: Why now?")
    (problem,) = problems_of(broken)
    assert str(problem).startswith("mini.yaml:14: pages[0].items[0].prompt: has no 'es'")


def test_built_in_texts_need_the_languages_they_lack() -> None:
    text = COMPLETE.replace("languages: [en, es]", "languages: [en, es, fr]")
    problems = [str(p) for p in problems_of(text)]
    assert any(
        "safety.ask_again: the built-in text has no 'fr' translation" in p for p in problems
    )
    assert any("the built-in agreement scale has no 'fr' labels" in p for p in problems)


def test_in_language_switches_every_client_text() -> None:
    definition = load_file(FORMS / "readiness.yaml")
    spanish = definition.in_language("es")
    assert spanish.language == "es" and definition.language == "en"
    assert spanish.title == "Preparándonos para nuestra primera conversación"
    item = spanish.item("self_harm")
    assert item.prompt.startswith("Durante las últimas 2 semanas")
    assert [o.label for o in item.options or ()][0] == "Ningún día"
    assert spanish.scale_labels(spanish.item("cr_want"))[-1] == "Muy cierto para mí"
    assert spanish.safety is not None and spanish.safety.ask_again.startswith("Esta pregunta")
    assert spanish.consent is not None and spanish.consent.text.startswith("Sus respuestas")
    # What the therapist reads stays in the clinic's language; scoring is unchanged.
    assert spanish.dimensions == definition.dimensions and spanish.flags == definition.flags
    assert (
        spanish.item("self_harm").prompt.in_language("en") == definition.item("self_harm").prompt
    )
    assert definition.in_language("fr") is definition
    assert spanish.in_language("es") is spanish


@pytest.mark.parametrize("name", ["readiness.yaml", "readiness-v2.yaml"])
def test_default_questionnaire_is_complete_in_both_languages(name: str) -> None:
    definition = load_file(FORMS / name)
    assert definition.offered_languages == ("en", "es")
    assert list(check_translations(definition)) == []


def test_same_page_condition_on_an_earlier_question_loads() -> None:
    text = mutate(
        (
            "        prompt: First statement\n",
            "        prompt: First statement\n        show_if: {item: why, answered: true}\n",
        )
    )
    definition = load_text(text, source=SOURCE)
    assert definition.item("a1").show_if is not None


def test_time_estimate_counts_what_most_clients_see() -> None:
    definition = load_file(FORMS / "readiness-v2.yaml")
    assert definition.estimated_minutes() == 15
    # A conditional page of long answers does not make the welcome page promise more time.
    extra = "\n".join(
        f"      - {{id: extra_{n}, type: long_text, prompt: Extra {n}}}" for n in range(8)
    )
    text = mutate(
        (
            "  - id: second\n    title: Second page\n",
            "  - id: third\n    title: Third page\n    show_if: {item: why, answered: true}\n"
            f"    items:\n{extra}\n  - id: second\n    title: Second page\n",
        )
    )
    assert (
        load_text(text, source=SOURCE).estimated_minutes()
        == load_text(BASE, source=SOURCE).estimated_minutes()
    )


def test_yaml_aliases_are_refused_before_they_can_expand() -> None:
    # Nested aliases grow exponentially when expanded; a tiny upload must not hang the server.
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for n in range(1, 8):
        prev = chr(ord("a") + n - 1)
        name = chr(ord("a") + n)
        bomb += f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]\n"
    with pytest.raises(DefinitionError) as caught:
        load_text(bomb, source="bomb.yaml")
    problem = caught.value.problems[0]
    assert problem.line == 2 and "aliases" in problem.message


@pytest.mark.parametrize("word", ["resistant", "Unmotivated", "non-compliant", "in denial"])
def test_labelling_words_are_refused_with_their_place(word: str) -> None:
    text = Path("forms/readiness.yaml").read_text(encoding="utf-8")
    text = text.replace("label: Hopes the therapist will lead", f"label: Client seems {word}", 1)
    with pytest.raises(DefinitionError) as caught:
        load_text(text, source="clinic.yaml")
    problem = caught.value.problems[0]
    assert problem.place.startswith("flags[0].label") and "labels the client" in problem.message
    assert text.splitlines()[problem.line - 1].strip().startswith("label: Client seems")
