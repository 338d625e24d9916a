"""Totals on their own scale: the built-in PHQ-9 and GAD-7, the format's new keys, scoring."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from intake.questionnaire import DECLINED, Definition, DefinitionError, load_file, load_text
from intake.questionnaire.answers import answer_problem, answer_problems
from intake.questionnaire.conditions import visible_items
from intake.questionnaire.examples import check_examples, example_rows
from intake.questionnaire.loader import check_translations
from intake.scoring import NEVER_IMPUTED, TOO_FEW, Result, score, summary

# Reads and writes no database: run once, in the SQLite pass (tests/conftest.py).
pytestmark = pytest.mark.no_database

FORMS = Path(__file__).resolve().parents[1] / "forms"
PHQ9 = load_file(FORMS / "phq9.yaml")
GAD7 = load_file(FORMS / "gad7.yaml")
READINESS = load_file(FORMS / "readiness-v2.yaml")
LOINC = "http://loinc.org"

PHQ9_ITEM_CODES = [
    "44250-9",
    "44255-8",
    "44259-0",
    "44254-1",
    "44251-7",
    "44258-2",
    "44252-5",
    "44253-3",
    "44260-8",
]
GAD7_ITEM_CODES = ["69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"]
FREQUENCY_CODES = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]
FREQUENCY_EN = ["Not at all", "Several days", "More than half the days", "Nearly every day"]
FREQUENCY_ES = ["Ningún día", "Varios días", "Más de la mitad de los días", "Casi todos los días"]
DIFFICULTY_CODES = ["LA6572-7", "LA6573-5", "LA6575-0", "LA6574-3"]


def codes(node: Any) -> list[str]:
    return [c.code for c in node.codes]


# The built-in instruments.


@pytest.mark.parametrize("definition", [PHQ9, GAD7], ids=["phq9", "gad7"])
def test_built_in_instrument_loads_and_its_examples_hold(definition: Definition) -> None:
    assert list(check_examples(definition)) == []
    assert len(definition.examples) >= 12
    assert list(check_translations(definition)) == []
    assert definition.offered_languages == ("en", "es")
    assert definition.copyright is not None
    assert "No permission required to reproduce" in definition.copyright
    assert "No se requiere permiso" in definition.copyright.in_language("es")
    assert definition.consent is not None


def test_phq9_codes_are_loincs() -> None:
    assert [(c.system, c.code) for c in PHQ9.codes] == [(LOINC, "44249-1")]
    (total,) = PHQ9.dimensions
    assert codes(total) == ["44261-6"]
    items = [PHQ9.item(f"phq9_{n}") for n in range(1, 10)]
    assert [codes(i) for i in items] == [[c] for c in PHQ9_ITEM_CODES]
    for item in items:
        options = item.options or ()
        assert [o.code.code for o in options if o.code] == FREQUENCY_CODES
        assert {o.code.system for o in options if o.code} == {LOINC}
        assert [o.score for o in options] == [0, 1, 2, 3]
        assert [o.label.in_language("en") for o in options] == FREQUENCY_EN
        assert [o.label.in_language("es") for o in options] == FREQUENCY_ES
    difficulty = PHQ9.item("phq9_difficulty")
    assert codes(difficulty) == ["69722-7"]
    assert [o.code.code for o in difficulty.options or () if o.code] == DIFFICULTY_CODES


def test_gad7_codes_are_loincs() -> None:
    assert codes(GAD7) == ["69737-5"]
    (total,) = GAD7.dimensions
    assert codes(total) == ["70274-6"]
    items = [GAD7.item(f"gad7_{n}") for n in range(1, 8)]
    assert [codes(i) for i in items] == [[c] for c in GAD7_ITEM_CODES]
    for item in items:
        assert [o.code.code for o in item.options or () if o.code] == FREQUENCY_CODES


def test_phq9_scoring_rules_are_the_published_ones() -> None:
    (total,) = PHQ9.dimensions
    assert total.is_sum and PHQ9.range_of(total) == (0, 27)
    assert total.items == tuple(f"phq9_{n}" for n in range(1, 10))
    assert (total.allowed_missing, total.never_impute) == (2, ("phq9_9",))
    assert total.rounding_rule.value == "half_up"
    assert "phq9_difficulty" in total.unscored_items
    bands = [(b.label, b.min, b.max) for b in total.bands or ()]
    assert bands == [
        ("None–minimal", 0, 4),
        ("Mild", 5, 9),
        ("Moderate", 10, 14),
        ("Moderately severe", 15, 19),
        ("Severe", 20, 27),
    ]
    assert PHQ9.safety is not None
    assert (PHQ9.safety.item, PHQ9.safety.threshold) == ("phq9_9", 1)


def test_gad7_scoring_rules_are_the_published_ones() -> None:
    (total,) = GAD7.dimensions
    assert GAD7.range_of(total) == (0, 21) and total.allowed_missing == 2
    bands = [(b.label, b.min, b.max) for b in total.bands or ()]
    assert bands == [("Minimal", 0, 4), ("Mild", 5, 9), ("Moderate", 10, 14), ("Severe", 15, 21)]
    assert GAD7.safety is None


def test_phq9_item_9_is_the_readiness_safety_item_word_for_word() -> None:
    # The readiness questionnaire's safety item is PHQ-9 item 9 with the stem written in.
    stem = PHQ9.pages[0].intro
    assert stem is not None
    nine, ours = PHQ9.item("phq9_9"), READINESS.item("self_harm")
    assert nine.prompt.in_language("es").startswith("Pensamientos de que estaría mejor muerto(a)")
    assert ours.prompt.in_language("es").endswith(nine.prompt.in_language("es")[1:] + "?")
    assert [o.label for o in nine.options or ()] == [o.label for o in ours.options or ()]


def test_difficulty_question_is_asked_only_once_a_problem_is_ticked() -> None:
    page = PHQ9.pages[0]
    none = {f"phq9_{n}": 0 for n in range(1, 10)}
    assert PHQ9.item("phq9_difficulty") not in visible_items(PHQ9, page, none)
    assert PHQ9.item("phq9_difficulty") in visible_items(PHQ9, page, {**none, "phq9_4": 1})


# Scoring a total: the worked rules, through score().

PHQ9_CASES: dict[str, tuple[list[Any], Any, str, str | None, bool, bool]] = {
    # answers 1-9 (None: blank), total, status, band, urgent, safety left blank
    "all-zero": ([0] * 9, 0, "scored", "none_minimal", False, False),
    "all-three": ([3] * 9, 27, "scored", "severe", True, False),
    "issue-example-20-from-8-is-23": (
        [3, 3, 3, 3, None, 2, 2, 2, 2],
        23,
        "prorated",
        "severe",
        True,
        False,
    ),
    "two-blank": ([1, None, 1, 1, 1, None, 1, 1, 0], 8, "prorated", "mild", False, False),
    "three-blank": ([1, None, 1, None, 1, None, 1, 1, 0], None, "not_scored", None, False, False),
    "item-9-blank": ([3] * 8 + [None], None, "not_scored", None, False, True),
    "item-9-declined": ([3] * 8 + [DECLINED], None, "not_scored", None, False, True),
    "item-9-and-one-blank": ([None] + [1] * 7 + [None], None, "not_scored", None, False, True),
    "other-declined-is-blank": (
        [DECLINED] + [2] * 8,
        18,
        "prorated",
        "moderately_severe",
        True,
        False,
    ),
}


@pytest.mark.parametrize(
    ("values", "total", "status", "band", "urgent", "blank"),
    list(PHQ9_CASES.values()),
    ids=list(PHQ9_CASES),
)
def test_phq9_total(
    values: list[Any], total: Any, status: str, band: str | None, urgent: bool, blank: bool
) -> None:
    answers = {f"phq9_{n}": v for n, v in enumerate(values, start=1) if v is not None}
    result = score(PHQ9, answers)
    measure = result.dimension("phq9_total")
    assert (measure.score, measure.status, measure.band) == (total, status, band)
    assert (result.urgent, result.safety_unanswered) == (urgent, blank)
    if status == "not_scored":
        expected = NEVER_IMPUTED if blank else TOO_FEW
        assert measure.reason == expected
    assert measure.used == tuple(i for i in measure.items if i not in measure.missing)


def test_prorated_total_records_its_exact_value() -> None:
    answers = {f"phq9_{n}": v for n, v in enumerate([3, 3, 3, 3, None, 2, 2, 2, 2], start=1)}
    measure = score(PHQ9, {k: v for k, v in answers.items() if v is not None}).dimension(
        "phq9_total"
    )
    assert (measure.exact, measure.score, measure.missing) == (22.5, 23, ("phq9_5",))
    assert measure.method == "sum" and isinstance(measure.score, int)


def test_unscored_question_never_changes_the_total() -> None:
    base = {f"phq9_{n}": 1 for n in range(1, 10)}
    for answer in ("not_difficult", "extremely"):
        assert score(PHQ9, {**base, "phq9_difficulty": answer}).dimension("phq9_total").score == 9


def test_total_result_survives_storage_as_json() -> None:
    answers = {f"phq9_{n}": 2 for n in range(1, 9)}
    for result in (score(PHQ9, answers), score(PHQ9, {**answers, "phq9_9": 1})):
        stored = json.loads(json.dumps(result.to_json()))
        assert Result.from_json(stored) == result
        assert stored["dimensions"][0]["method"] == "sum"


def test_results_stored_before_totals_existed_still_load() -> None:
    # An intake submitted before this change: its dimensions have none of the new keys.
    stored = {
        "questionnaire": "readiness",
        "version": 2,
        "dimensions": [
            {
                "id": "agency",
                "score": 75.0,
                "band": "strong",
                "status": "scored",
                "items": ["ag_choices", "ag_act", "ag_luck"],
                "reversed": ["ag_luck"],
                "missing": [],
                "keyed": {"ag_choices": 4, "ag_act": 4, "ag_luck": 4},
            }
        ],
        "indices": {"relative_autonomy": 3.17},
        "flags": [],
        "urgent": False,
        "safety_unanswered": False,
    }
    result = Result.from_json(stored)
    agency = result.dimension("agency")
    assert (agency.method, agency.exact, agency.reason, agency.score) == ("mean", None, None, 75.0)


def test_summary_gives_each_measure_on_its_own_scale() -> None:
    answers = {f"phq9_{n}": 1 for n in range(1, 9)}
    out = summary(PHQ9, score(PHQ9, {**answers, "phq9_9": 0}))
    (measure,) = out["measures"]
    assert measure["id"] == "phq9_total" and measure["score"] == 8
    assert (measure["range"], measure["status"], measure["band"]) == ([0, 27], "scored", "mild")
    assert measure["items_missing"] == [] and len(measure["items_used"]) == 9
    assert measure["codes"] == [
        {"system": LOINC, "code": "44261-6", "display": "PHQ-9 total score"}
    ]
    assert (out["urgent"], out["flags"]) == (False, [])
    example = READINESS.examples[0]
    readiness = summary(READINESS, score(READINESS, example.answers))
    change = readiness["measures"][0]
    assert (change["method"], change["range"], change["score"]) == ("mean", [0, 100], 68.75)
    assert json.loads(json.dumps(out)) == out


# The format: a small questionnaire with a total, to change one thing at a time.

TOTALS = """\
id: totals
version: 1
title: Totals
pages:
  - id: only
    title: Only page
    items:
      - id: t1
        type: single_choice
        prompt: One
        options:
          - {value: never, label: Never, weight: 0}
          - {value: often, label: Often, weight: 2}
      - id: t2
        type: single_choice
        prompt: Two
        codes: [{system: "http://loinc.org", code: 1234-5}]
        options:
          - {value: never, label: Never, weight: 0}
          - value: often
            label: Often
            weight: 2
            code: {system: "http://loinc.org", code: LA1-1}
      - id: t3
        type: agreement
        prompt: Three
      - id: note
        type: short_text
        prompt: Anything else?
dimensions:
  - id: total
    label: Total
    description: A total on its own scale
    method: sum
    items: [t1, t2, t3]
    range: [1, 9]
    max_missing: 1
    never_impute: [t3]
    bands:
      - {id: low, label: Low, min: 1, max: 4}
      - {id: high, label: High, min: 5, max: 9}
examples:
  - name: all high
    answers: {t1: often, t2: often, t3: 5}
    expect:
      scores: {total: 9}
"""


def line_of(text: str, fragment: str) -> int:
    """The 1-based line on which a fragment first appears."""
    return next(n for n, line in enumerate(text.splitlines(), start=1) if fragment in line)


def test_totals_definition_loads_and_scores() -> None:
    definition = load_text(TOTALS, source="totals.yaml")
    assert list(check_examples(definition)) == []
    answers = {"t1": "often", "t2": "never", "t3": 4}
    measure = score(definition, answers).dimension("total")
    assert (measure.score, measure.band, measure.keyed) == (6, "high", {"t1": 2, "t2": 0, "t3": 4})
    prorated = score(definition, {"t2": "often", "t3": 1}).dimension("total")
    assert (prorated.score, prorated.status, prorated.exact) == (5, "prorated", 4.5)
    blocked = score(definition, {"t1": "often", "t2": "often"}).dimension("total")
    assert (blocked.score, blocked.reason) == (None, NEVER_IMPUTED)


# id: (old, new, fragment of the line the problem is on, place, message fragment)
SUM_BROKEN: dict[str, tuple[str, str, str, str, str]] = {
    "range-does-not-fit-the-items": (
        "range: [1, 9]",
        "range: [0, 9]",
        "range: [0, 9]",
        "dimensions[0].range",
        "the items' answers give totals from 1 to 9, not 0 to 9",
    ),
    "band-gap": (
        "{id: high, label: High, min: 5, max: 9}",
        "{id: high, label: High, min: 6, max: 9}",
        "id: high",
        "dimensions[0].bands[1].min",
        "gap between bands: nothing covers 5 to 5",
    ),
    "band-overlap": (
        "{id: high, label: High, min: 5, max: 9}",
        "{id: high, label: High, min: 4, max: 9}",
        "id: high",
        "dimensions[0].bands[1].min",
        "band 'high' overlaps band 'low'",
    ),
    "band-half-point": (
        "{id: low, label: Low, min: 1, max: 4}",
        "{id: low, label: Low, min: 1, max: 4.5}",
        "id: low",
        "dimensions[0].bands[0].max",
        "a total's bands start and end on whole numbers",
    ),
    "bands-start-above-the-lowest-total": (
        "{id: low, label: Low, min: 1, max: 4}",
        "{id: low, label: Low, min: 2, max: 4}",
        "id: low",
        "dimensions[0].bands[0].min",
        "the lowest band must start at 1",
    ),
    "bands-stop-short-of-the-highest-total": (
        "{id: high, label: High, min: 5, max: 9}",
        "{id: high, label: High, min: 5, max: 8}",
        "id: high",
        "dimensions[0].bands[1].max",
        "the highest band must end at 9",
    ),
    "opener-on-a-total": (
        "    never_impute: [t3]\n",
        "    never_impute: [t3]\n    opener: What is lowest?\n",
        "opener:",
        "dimensions[0].opener",
        "never suggests openers from its lowest scores",
    ),
    "never-impute-not-among-items": (
        "never_impute: [t3]",
        "never_impute: [note]",
        "never_impute:",
        "dimensions[0].never_impute[0]",
        "'note' is not among the items",
    ),
    "unscored-item-that-is-scored": (
        "    never_impute: [t3]\n",
        "    never_impute: [t3]\n    unscored_items: [t1]\n",
        "unscored_items:",
        "dimensions[0].unscored_items[0]",
        "'t1' is among the items, so it is scored",
    ),
    "text-item-in-a-total": (
        "items: [t1, t2, t3]",
        "items: [t1, t2, t3, note]",
        "items: [t1, t2, t3, note]",
        "dimensions[0].items[3]",
        "or a single choice whose options all score a number",
    ),
    "sum-key-on-a-mean-dimension": (
        "    method: sum\n",
        "",
        "range: [1, 9]",
        "dimensions[0].range",
        "'range' belongs to 'method: sum' measures",
    ),
    "unknown-method": (
        "method: sum",
        "method: total",
        "method: total",
        "dimensions[0].method",
        "unknown value 'total'; expected one of 'mean' or 'sum'",
    ),
    "unknown-rounding": (
        "    never_impute: [t3]\n",
        "    never_impute: [t3]\n    rounding: nearest\n",
        "rounding:",
        "dimensions[0].rounding",
        "unknown value 'nearest'",
    ),
    "example-answer-off-the-scale": (
        "{t1: often, t2: often, t3: 5}",
        "{t1: often, t2: often, t3: 9}",
        "answers: {t1",
        "examples[0].answers.t3",
        "9 is not on this question's scale (whole numbers 1 to 5)",
    ),
    "example-answer-not-an-option": (
        "{t1: often, t2: often, t3: 5}",
        "{t1: always, t2: often, t3: 5}",
        "answers: {t1",
        "examples[0].answers.t1",
        "'always' is not one of this question's options ('never', 'often')",
    ),
    "example-declines-where-not-offered": (
        "{t1: often, t2: often, t3: 5}",
        "{t1: often, t2: often, t3: __declined__}",
        "answers: {t1",
        "examples[0].answers.t3",
        "this question does not offer 'prefer not to answer'",
    ),
    "weight-not-a-number": (
        "{value: often, label: Often, weight: 2}",
        "{value: often, label: Often, weight: high}",
        "weight: high",
        "pages[0].items[0].options[1].weight",
        "should be a whole number or a number, not 'high'",
    ),
    "code-system-not-a-uri": (
        '{system: "http://loinc.org", code: 1234-5}',
        "{system: LOINC, code: 1234-5}",
        "system: LOINC",
        "pages[0].items[1].codes[0].system",
        "'LOINC' does not have the expected form",
    ),
    "code-without-a-code": (
        '{system: "http://loinc.org", code: 1234-5}',
        '{system: "http://loinc.org"}',
        "codes: [",
        "pages[0].items[1].codes[0].code",
        "required key is missing",
    ),
}


@pytest.mark.parametrize(
    ("old", "new", "fragment", "place", "message"), list(SUM_BROKEN.values()), ids=list(SUM_BROKEN)
)
def test_broken_total_is_reported_where_it_is(
    old: str, new: str, fragment: str, place: str, message: str
) -> None:
    assert TOTALS.count(old) == 1, old
    text = TOTALS.replace(old, new)
    with pytest.raises(DefinitionError) as caught:
        load_text(text, source="totals.yaml")
    line = line_of(text, fragment)
    shown = "\n".join(str(p) for p in caught.value.problems)
    hits = [
        p
        for p in caught.value.problems
        if p.line == line and p.place == place and message in p.message
    ]
    assert hits, f"nothing at totals.yaml:{line} {place} with {message!r} in:\n{shown}"
    assert str(hits[0]).startswith(f"totals.yaml:{line}: {place}: ")


def test_a_total_needs_bands() -> None:
    start = TOTALS.index("    bands:\n      - {id: low")
    end = TOTALS.index("examples:")
    with pytest.raises(DefinitionError) as caught:
        load_text(TOTALS[:start] + TOTALS[end:], source="totals.yaml")
    assert any(
        "a sum measure needs bands covering 1 to 9" in str(p) for p in caught.value.problems
    )


def test_a_total_without_a_range_works_it_out() -> None:
    definition = load_text(TOTALS.replace("    range: [1, 9]\n", ""), source="totals.yaml")
    assert definition.range_of(definition.dimensions[0]) == (1, 9)


def test_a_total_allows_no_blank_unless_it_says() -> None:
    definition = load_text(TOTALS.replace("    max_missing: 1\n", ""), source="totals.yaml")
    measure = score(definition, {"t2": "often", "t3": 1}).dimension("total")
    assert (measure.score, measure.status, measure.reason) == (None, "not_scored", TOO_FEW)


def totals_with(weights: tuple[float, ...], rounding: str) -> Definition:
    """Three choice items with these weights (values o0, o1, ...), one blank allowed."""
    options = ", ".join(
        f"{{value: o{n}, label: O{n}, weight: {w}}}" for n, w in enumerate(weights)
    )
    items = "\n".join(
        f"      - {{id: r{i}, type: single_choice, prompt: R{i}, options: [{options}]}}"
        for i in (1, 2, 3)
    )
    low, high = int(min(weights) * 3), int(max(weights) * 3)
    text = (
        "id: rounding\nversion: 1\ntitle: Rounding\npages:\n  - id: only\n    title: Only\n"
        f"    items:\n{items}\n"
        "dimensions:\n  - id: total\n    label: Total\n    description: A total\n"
        f"    method: sum\n    items: [r1, r2, r3]\n    max_missing: 1\n    rounding: {rounding}\n"
        f"    bands: [{{id: all, label: All, min: {low}, max: {high}}}]\n"
    )
    return load_text(text, source="rounding.yaml")


# (weights, answers by option index for r1 and r2 (r3 blank), {rounding: total})
ROUNDING_CASES = {
    "4.5": ((0, 1, 2, 3), (1, 2), {"half_up": 5, "half_even": 4, "floor": 4, "ceiling": 5}),
    "1.5": ((0, 1, 2, 3), (0, 1), {"half_up": 2, "half_even": 2, "floor": 1, "ceiling": 2}),
    "6.0": ((0, 1, 2, 3), (2, 2), {"half_up": 6, "half_even": 6, "floor": 6, "ceiling": 6}),
    "minus-4.5": (
        (-3, -2, -1, 0),
        (1, 2),
        {"half_up": -5, "half_even": -4, "floor": -5, "ceiling": -4},
    ),
}


@pytest.mark.parametrize(
    ("weights", "chosen", "expected"), list(ROUNDING_CASES.values()), ids=list(ROUNDING_CASES)
)
def test_prorated_total_rounds_by_its_rule(
    weights: tuple[float, ...], chosen: tuple[int, int], expected: dict[str, int]
) -> None:
    for rounding, total in expected.items():
        definition = totals_with(weights, rounding)
        answers = {"r1": f"o{chosen[0]}", "r2": f"o{chosen[1]}"}
        measure = score(definition, answers).dimension("total")
        assert (rounding, measure.score) == (rounding, total)
        assert measure.status == "prorated"


def test_decimal_weights_add_up_exactly() -> None:
    # In floating point 0.3 + 1.9 + 0.3 is 2.4999999999999996, which would round down.
    definition = totals_with((0, 0.3, 1.9, 2), "half_up")
    measure = score(definition, {"r1": "o1", "r2": "o2", "r3": "o1"}).dimension("total")
    assert (measure.exact, measure.score) == (2.5, 3)


def test_example_table_prints_a_total_as_a_whole_number() -> None:
    definition = load_text(TOTALS.replace("scores: {total: 9}", "scores: {total: 8}"), "t.yaml")
    assert list(check_examples(definition)) == ["all high: total expected 8, got 9"]
    (row,) = example_rows(definition)
    assert (row.expected, row.actual) == ("8", "9")


def test_example_expects_whether_the_safety_item_was_left_blank() -> None:
    text = (FORMS / "phq9.yaml").read_text(encoding="utf-8")
    wrong = text.replace("      safety_unanswered: true", "      safety_unanswered: false", 1)
    messages = list(check_examples(load_text(wrong, source="phq9.yaml")))
    assert messages == [
        "item 9 left blank, not scored and never filled in: safety_unanswered expected False,"
        " got True"
    ]


# Which answers a question takes: the one rule for examples and `forms score`.

ANSWER_CASES: dict[str, tuple[Definition, str, Any, str | None]] = {
    "agreement-in-scale": (READINESS, "cr_want", 5, None),
    "agreement-above-scale": (READINESS, "cr_want", 9, "not on this question's scale"),
    "agreement-below-scale": (READINESS, "cr_want", 0, "not on this question's scale"),
    "agreement-fraction": (READINESS, "cr_want", 2.5, "not on this question's scale"),
    "agreement-text": (READINESS, "cr_want", "4", "not on this question's scale"),
    "agreement-declined-offered": (READINESS, "own_want", DECLINED, None),
    "ruler-top": (READINESS, "importance", 10, None),
    "ruler-eleven": (READINESS, "importance", 11, "whole numbers 0 to 10"),
    "choice-option": (PHQ9, "phq9_1", 3, None),
    "choice-off-the-list": (PHQ9, "phq9_1", 4, "not one of this question's options (0, 1, 2"),
    "choice-number-as-text": (PHQ9, "phq9_1", "3", "not one of this question's options"),
    "choice-declined-not-offered": (PHQ9, "phq9_9", DECLINED, "does not offer"),
    "multiple-choice-list": (READINESS, "availability", ["weekend"], None),
    "multiple-choice-unknown": (READINESS, "availability", ["sunday"], "'sunday' is not one of"),
    "multiple-choice-twice": (READINESS, "availability", ["weekend", "weekend"], "chosen twice"),
    "multiple-choice-not-a-list": (READINESS, "availability", "weekend", "not a list"),
    "yes-no": (READINESS, "previous_therapy", "yes", None),
    "yes-no-other": (READINESS, "previous_therapy", "maybe", "not 'yes' or 'no'"),
    "date": (READINESS, "earliest_start", "2026-12-01", None),
    "date-wrong": (READINESS, "earliest_start", "1 December", "YYYY-MM-DD"),
    "text": (READINESS, "why_now", "Because.", None),
    "text-number": (READINESS, "why_now", 7, "is not text"),
    "text-too-long": (READINESS, "why_now", "x" * 4001, "longer than this question's 4000"),
    "blank": (PHQ9, "phq9_1", None, None),
    "empty-text": (READINESS, "why_now", "", None),
}


@pytest.mark.parametrize(
    ("definition", "item_id", "value", "problem"),
    list(ANSWER_CASES.values()),
    ids=list(ANSWER_CASES),
)
def test_answer_fits_its_question(
    definition: Definition, item_id: str, value: Any, problem: str | None
) -> None:
    found = answer_problem(definition, definition.item(item_id), value)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


def test_answer_problems_name_unknown_items() -> None:
    problems = answer_problems(PHQ9, {"phq9_1": 1, "phq10": 2, "phq9_2": 7})
    assert problems == [
        ("phq10", "unknown item 'phq10'"),
        ("phq9_2", "7 is not one of this question's options (0, 1, 2, 3)"),
    ]


def test_out_of_scale_answer_never_scores() -> None:
    # A hand-made record with a 9 on a 1-5 item: missing, never 116.67.
    answers = {**READINESS.examples[0].answers, "ag_choices": 9}
    agency = score(READINESS, answers).dimension("agency")
    assert agency.status == "prorated" and agency.missing == ("ag_choices",)
    assert agency.score is not None and agency.score <= 100
