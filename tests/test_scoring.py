"""Pure scoring and conditions: worked examples, keying, prorating, bands, flags, safety."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from intake.questionnaire import DECLINED, Definition, load_file, load_text
from intake.questionnaire.conditions import Context, holds
from intake.questionnaire.model import Condition
from intake.scoring import DimensionScore, Result, band_of, is_urgent, safety_status, score

# Reads and writes no database: run once, in the SQLite pass (tests/conftest.py).
pytestmark = pytest.mark.no_database

ROOT = Path(__file__).resolve().parents[1]
READINESS = load_file(ROOT / "forms" / "readiness-v2.yaml")

# Item ids of the default questionnaire in the model's dimension order, so the worked
# examples below can be written exactly as readiness-model.md gives them.
ORDER = {
    "change": ["cr_want", "cr_begun", "cr_unsure", "cr_clarity"],
    "own": ["own_want", "own_values", "own_curious"],
    "outside": ["out_others", "out_guilt"],
    "expects": ["exp_between", "exp_together", "exp_fix", "exp_receive"],
    "agency": ["ag_choices", "ag_act", "ag_luck"],
    "open": ["op_feelings", "op_past", "op_practical"],
    "commit": ["cm_regular", "cm_continue", "cm_priorities"],
    "rulers": ["importance", "confidence"],
    "safety": ["self_harm"],
}


def answers_of(**groups: list[int | None]) -> dict[str, Any]:
    """Answers from value lists in ORDER; None is a blank (left out entirely)."""
    out: dict[str, Any] = {}
    for group, values in groups.items():
        assert len(values) == len(ORDER[group]), group
        out.update({k: v for k, v in zip(ORDER[group], values, strict=True) if v is not None})
    return out


EXAMPLE_A = answers_of(
    change=[4, 3, 2, 4],
    own=[5, 4, 5],
    outside=[1, 2],
    expects=[4, 5, 3, 2],
    agency=[4, 4, 2],
    open=[4, 4, 2],
    commit=[5, 4, 1],
    rulers=[8, 6],
    safety=[0],
)
EXAMPLE_B = answers_of(
    change=[4, 1, 2, 2],
    own=[3, 3, None],
    outside=[5, 4],
    expects=[1, 2, 5, 5],
    agency=[2, 2, 4],
    open=[3, 3, 3],
    commit=[4, 3, 3],
    rulers=[9, 2],
    safety=[0],
)
EXAMPLE_C = answers_of(
    change=[3, 2, 3, 3],
    own=[4, 3, 4],
    outside=[2, 3],
    expects=[3, 3, 3, 3],
    agency=[None, None, 4],
    open=[2, 3, 4],
    commit=[3, 3, 3],
    rulers=[6, 5],
    safety=[1],
)

# (answers, {dimension: (score or None, band or None, status)}, relative autonomy, flags, urgent)
Worked = tuple[
    dict[str, Any], dict[str, tuple[float | None, str | None, str]], float, set[str], bool
]
WORKED: dict[str, Worked] = {
    "A-engaged-early-comer": (
        EXAMPLE_A,
        {
            "change": (68.75, "building", "scored"),
            "own_motivation": (91.67, "strong", "scored"),
            "expects_to_take_part": (75.00, "strong", "scored"),
            "agency": (75.00, "strong", "scored"),
            "openness": (75.00, "strong", "scored"),
            "commitment": (91.67, "strong", "scored"),
        },
        3.17,
        set(),
        False,
    ),
    "B-take-care-of-me": (
        EXAMPLE_B,
        {
            "change": (43.75, "building", "scored"),
            "own_motivation": (50.00, "building", "prorated"),
            "expects_to_take_part": (6.25, "emerging", "scored"),
            "agency": (25.00, "emerging", "scored"),
            "openness": (50.00, "building", "scored"),
            "commitment": (58.33, "building", "scored"),
        },
        -1.50,
        {"take_care_of_me", "wide_gap", "outside_reasons"},
        False,
    ),
    "C-safety-positive": (
        EXAMPLE_C,
        {
            "change": (43.75, "building", "scored"),
            "own_motivation": (66.67, "building", "scored"),
            "expects_to_take_part": (50.00, "building", "scored"),
            "agency": (None, None, "not_scored"),
            "openness": (33.33, "emerging", "scored"),
            "commitment": (50.00, "building", "scored"),
        },
        1.17,
        set(),
        True,
    ),
}
WORKED_IDS = list(WORKED)


def two_places(value: float | None) -> Any:
    return None if value is None else pytest.approx(value, abs=0.005)


@pytest.mark.parametrize("name", WORKED_IDS)
def test_worked_example_dimension_scores(name: str) -> None:
    answers, expected, *_ = WORKED[name]
    result = score(READINESS, answers)
    got = {d.id: d.score for d in result.dimensions}
    assert got == {dim: two_places(want[0]) for dim, want in expected.items()}


@pytest.mark.parametrize("name", WORKED_IDS)
def test_worked_example_bands_and_status(name: str) -> None:
    answers, expected, *_ = WORKED[name]
    result = score(READINESS, answers)
    got = {d.id: (d.band, d.status) for d in result.dimensions}
    assert got == {dim: (band, status) for dim, (_, band, status) in expected.items()}


@pytest.mark.parametrize("name", WORKED_IDS)
def test_worked_example_index_flags_and_safety(name: str) -> None:
    answers, _, autonomy, flags, urgent = WORKED[name]
    result = score(READINESS, answers)
    assert result.indices["relative_autonomy"] == two_places(autonomy)
    assert set(result.flags) == flags
    assert ("take_care_of_me" in result.flags) is (name == "B-take-care-of-me")
    assert result.urgent is urgent
    assert result.safety_unanswered is False


def test_worked_example_c_names_the_missing_agency_items() -> None:
    agency = score(READINESS, EXAMPLE_C).dimension("agency")
    assert agency.missing == ("ag_choices", "ag_act")
    assert agency.keyed == {"ag_luck": 2}


# A small definition for focused cases: a default 1-5 scale, a 1-7 and a 0-4 scale,
# two rulers, and items that are shown only when 'gate' is answered yes.
FOCUS = """\
id: focus
version: 3
title: Focused scoring cases
scales:
  seven:
    min: 1
    max: 7
    labels: [one, two, three, four, five, six, seven]
  zero_four:
    min: 0
    max: 4
    labels: [none, a little, some, much, all]
bands:
  - {id: emerging, label: Emerging, min: 0, max: 40}
  - {id: building, label: Building, min: 40, max: 70}
  - {id: strong, label: Strong, min: 70, max: 100}
pages:
  - id: first
    title: First
    items:
      - {id: q1, type: agreement, prompt: One}
      - {id: q2, type: agreement, prompt: Two}
      - {id: q3, type: agreement, prompt: Three}
      - {id: q4, type: agreement, prompt: Four}
      - {id: s1, type: agreement, scale: seven, prompt: Seven one}
      - {id: s2, type: agreement, scale: seven, prompt: Seven two}
      - {id: s3, type: agreement, scale: seven, prompt: Seven three}
      - {id: z1, type: agreement, scale: zero_four, prompt: Zero one}
      - {id: z2, type: agreement, scale: zero_four, prompt: Zero two}
      - {id: r1, type: ruler, prompt: Ruler one}
      - {id: r2, type: ruler, prompt: Ruler two}
      - {id: gate, type: yes_no, prompt: Open the follow-up?}
  - id: follow_up
    title: Follow-up
    items:
      - id: h1
        type: agreement
        prompt: Shown on a yes
        show_if: {item: gate, equals: "yes"}
      - {id: h2, type: agreement, prompt: Always shown}
  - id: extra
    title: Extra page
    show_if: {item: gate, equals: "yes"}
    items:
      - {id: h3, type: agreement, prompt: On a page shown on a yes}
dimensions:
  - {id: four, label: Four, description: Four items, items: [q1, q2, q3, q4], reverse: [q4]}
  - {id: three, label: Three, description: Three items, items: [q1, q2, q3]}
  - {id: seven, label: Seven, description: A 1-7 scale, items: [s1, s2, s3], reverse: [s3]}
  - {id: zero, label: Zero, description: 0-4, items: [z1, z2], reverse: [z2], max_missing: 0}
  - {id: rulers, label: Rulers, description: Two rulers, items: [r1, r2], max_missing: 0}
  - id: ruler_rev
    label: Rulers reversed
    description: The second ruler reversed
    items: [r1, r2]
    reverse: [r2]
    max_missing: 0
  - {id: hidden_item, label: Hidden item, description: Item show_if, items: [q1, h1, h2]}
  - {id: hidden_page, label: Hidden page, description: Page show_if, items: [q1, q2, h3]}
indices:
  - {id: gap, label: Gap, plus: [r1], minus: [r2]}
"""
FOCUS_DEF = load_text(FOCUS, source="focus.yaml")


def dim(
    answers: dict[str, Any], dim_id: str, definition: Definition = FOCUS_DEF
) -> DimensionScore:
    return score(definition, answers).dimension(dim_id)


# (dimension, answers, reversed item, its keyed value, score)
REVERSE_CASES = {
    "default-1-5": ("four", {"q1": 4, "q2": 4, "q3": 4, "q4": 2}, "q4", 4, 75.0),
    "default-1-5-extreme": ("four", {"q1": 5, "q2": 5, "q3": 5, "q4": 1}, "q4", 5, 100.0),
    "scale-1-7": ("seven", {"s1": 4, "s2": 5, "s3": 3}, "s3", 5, 61.11),
    "scale-1-7-top": ("seven", {"s1": 7, "s2": 7, "s3": 1}, "s3", 7, 100.0),
    "scale-1-7-bottom": ("seven", {"s1": 1, "s2": 1, "s3": 7}, "s3", 1, 0.0),
    "scale-0-4": ("zero", {"z1": 3, "z2": 1}, "z2", 3, 75.0),
    "scale-0-4-zero": ("zero", {"z1": 4, "z2": 0}, "z2", 4, 100.0),
    "ruler-0-10": ("ruler_rev", {"r1": 7, "r2": 3}, "r2", 7, 70.0),
}


@pytest.mark.parametrize(
    ("dim_id", "answers", "item", "keyed", "expected"),
    list(REVERSE_CASES.values()),
    ids=list(REVERSE_CASES),
)
def test_reverse_keying_is_min_plus_max_minus_answer(
    dim_id: str, answers: dict[str, int], item: str, keyed: int, expected: float
) -> None:
    result = dim(answers, dim_id)
    assert result.keyed[item] == keyed
    assert item in result.reversed
    assert result.score == two_places(expected)


def test_unreversed_items_keep_their_value() -> None:
    result = dim({"s1": 2, "s2": 6, "s3": 4}, "seven")
    assert result.keyed == {"s1": 2, "s2": 6, "s3": 4}
    assert result.score == two_places(50.0)


# (dimension, answers, status, score, missing)
MISSING_CASES = {
    "three-all-answered": ("three", {"q1": 5, "q2": 3, "q3": 4}, "scored", 75.0, ()),
    "three-one-missing": ("three", {"q1": 5, "q2": 3}, "prorated", 75.0, ("q3",)),
    "three-two-missing": ("three", {"q1": 5}, "not_scored", None, ("q2", "q3")),
    "three-none-answered": ("three", {}, "not_scored", None, ("q1", "q2", "q3")),
    "four-one-missing": ("four", {"q1": 5, "q2": 5, "q4": 1}, "prorated", 100.0, ("q3",)),
    "four-two-missing": ("four", {"q1": 5, "q4": 1}, "not_scored", None, ("q2", "q3")),
    "two-items-one-missing": ("zero", {"z1": 4}, "not_scored", None, ("z2",)),
    "declined-is-missing": (
        "three",
        {"q1": 5, "q2": 3, "q3": DECLINED},
        "prorated",
        75.0,
        ("q3",),
    ),
    "declined-twice-not-scored": (
        "three",
        {"q1": 5, "q2": DECLINED, "q3": DECLINED},
        "not_scored",
        None,
        ("q2", "q3"),
    ),
    "blank-string-is-missing": ("three", {"q1": 5, "q2": 3, "q3": ""}, "prorated", 75.0, ("q3",)),
}


@pytest.mark.parametrize(
    ("dim_id", "answers", "status", "expected", "missing"),
    list(MISSING_CASES.values()),
    ids=list(MISSING_CASES),
)
def test_missing_answers_prorate_or_leave_unscored(
    dim_id: str,
    answers: dict[str, Any],
    status: str,
    expected: float | None,
    missing: tuple[str, ...],
) -> None:
    result = dim(answers, dim_id)
    assert result.status == status
    assert result.score == two_places(expected)
    assert result.missing == missing
    if expected is None:
        assert result.band is None


def test_declined_answers_count_as_missing_in_the_default_questionnaire() -> None:
    answers = {**EXAMPLE_A, "own_curious": DECLINED, "out_guilt": DECLINED}
    result = score(READINESS, answers)
    own = result.dimension("own_motivation")
    assert (own.status, own.missing) == ("prorated", ("own_curious",))
    assert own.score == two_places(87.50)
    # The outside side has two items and one was declined: a side with two items needs both
    # (readiness-model.md), so relative autonomy is not computed rather than resting on one.
    assert result.indices["relative_autonomy"] is None
    assert "outside_reasons" not in result.flags


# Relative autonomy: each side must meet the dimension rule on its own (own: 3 items, at most
# one missing; outside: 2 items, both needed); otherwise not computed, and no flag rests on it.
AUTONOMY_CASES = {
    "both-full": ([5, 4, 5], [1, 2], 3.17, False),
    "own-prorated": ([3, 3, None], [5, 4], -1.50, True),
    "own-one-answer": ([2, None, None], [5, 4], None, False),
    "outside-one-answer": ([2, 2, 2], [5, None], None, False),
    "one-answer-each-side": ([1, None, None], [5, None], None, False),
    "outside-blank": ([4, 4, 4], [None, None], None, False),
    "own-blank": ([None, None, None], [4, 4], None, False),
}


@pytest.mark.parametrize(
    ("own", "outside", "expected", "flagged"),
    list(AUTONOMY_CASES.values()),
    ids=list(AUTONOMY_CASES),
)
def test_relative_autonomy_needs_each_side_to_meet_the_dimension_rule(
    own: list[int | None], outside: list[int | None], expected: float | None, flagged: bool
) -> None:
    answers = {**EXAMPLE_A, **answers_of(own=[5, 4, 5], outside=[1, 2])}
    for key in ORDER["own"] + ORDER["outside"]:
        answers.pop(key)
    answers.update(answers_of(own=own, outside=outside))
    result = score(READINESS, answers)
    value = result.indices["relative_autonomy"]
    assert value == (None if expected is None else two_places(expected))
    assert ("outside_reasons" in result.flags) is flagged


BAND_CASES = {
    "zero": (0.0, "emerging"),
    "just-below-40": (39.99, "emerging"),
    "exactly-40": (40.0, "building"),
    "just-below-70": (69.99, "building"),
    "exactly-70": (70.0, "strong"),
    "exactly-100": (100.0, "strong"),
    "not-scored": (None, None),
}


@pytest.mark.parametrize(("value", "band"), list(BAND_CASES.values()), ids=list(BAND_CASES))
def test_band_boundaries(value: float | None, band: str | None) -> None:
    assert band_of(READINESS.bands, value) == band


@pytest.mark.parametrize(
    ("r1", "r2", "expected", "band"),
    [
        (0, 0, 0.0, "emerging"),
        (4, 4, 40.0, "building"),
        (7, 7, 70.0, "strong"),
        (10, 10, 100.0, "strong"),
        (4, 3, 35.0, "emerging"),
    ],
    ids=["0", "40", "70", "100", "35"],
)
def test_scored_boundaries_land_in_the_upper_band(
    r1: int, r2: int, expected: float, band: str
) -> None:
    result = dim({"r1": r1, "r2": r2}, "rulers")
    assert result.score == two_places(expected)
    assert result.band == band


def changed(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A copy of base with changes applied; None removes the answer (a blank)."""
    out = {**base, **changes}
    return {k: v for k, v in out.items() if v is not None}


# The take_care_of_me flag of the default questionnaire, through the whole of scoring,
# starting from example A. Passive: exp_fix, exp_receive. Active: exp_between,
# exp_together. Agency: ag_choices, ag_act, ag_luck (reversed).
AGENCY_25 = answers_of(agency=[2, 2, 4])
AGENCY_50 = answers_of(agency=[3, 3, 3])
AGENCY_LOW = answers_of(agency=[1, 1, 5])
FLAG_CASES = {
    "passive-5-agency-25": ({**AGENCY_25, "exp_fix": 5, "exp_receive": 5}, True),
    "passive-4.0-agency-50-active-2.5": (
        {**AGENCY_50, "exp_fix": 5, "exp_receive": 3, "exp_between": 2, "exp_together": 3},
        True,
    ),
    "passive-4.0-agency-50-active-3.0": (
        {**AGENCY_50, "exp_fix": 4, "exp_receive": 4, "exp_between": 3, "exp_together": 3},
        False,
    ),
    "passive-3.5-agency-25-active-1": (
        {**AGENCY_25, "exp_fix": 4, "exp_receive": 3, "exp_between": 1, "exp_together": 1},
        False,
    ),
    "expert-alone-other-passive-low": (
        {**AGENCY_LOW, "exp_fix": 5, "exp_receive": 1, "exp_between": 1, "exp_together": 1},
        False,
    ),
    "expert-alone-other-passive-blank": (
        {**AGENCY_LOW, "exp_fix": 5, "exp_receive": None, "exp_between": 1, "exp_together": 1},
        False,
    ),
    "expert-alone-other-passive-declined": (
        {**AGENCY_LOW, "exp_fix": 5, "exp_receive": DECLINED, "exp_between": 1},
        False,
    ),
    "passive-high-agency-not-scored-active-high": (
        {"ag_choices": None, "ag_act": None, "exp_fix": 5, "exp_receive": 5, "exp_between": 5},
        False,
    ),
}


@pytest.mark.parametrize(("changes", "flagged"), list(FLAG_CASES.values()), ids=list(FLAG_CASES))
def test_take_care_of_me_flag(changes: dict[str, Any], flagged: bool) -> None:
    result = score(READINESS, changed(EXAMPLE_A, changes))
    assert ("take_care_of_me" in result.flags) is flagged


def take_care_of_me() -> Condition:
    return next(f.when for f in READINESS.flags if f.id == "take_care_of_me")


@pytest.mark.parametrize(
    ("passive", "active", "agency", "flagged"),
    [
        ((4, 4), (4, 4), 49.99, True),
        ((4, 4), (4, 4), 50.0, False),
        ((4, 3), (1, 1), 10.0, False),
        ((4, 4), (2, 3), 50.0, True),
        ((4, 4), (3, 3), 50.0, False),
        ((4, 4), (3, 3), None, False),
        ((5, 1), (1, 1), 0.0, False),
    ],
    ids=[
        "passive-4.0-agency-49.99",
        "passive-4.0-agency-50-active-4",
        "passive-3.5",
        "agency-50-active-2.5",
        "agency-50-active-3.0",
        "agency-not-scored",
        "expert-alone",
    ],
)
def test_take_care_of_me_condition_boundaries(
    passive: tuple[int, int], active: tuple[int, int], agency: float | None, flagged: bool
) -> None:
    answers = dict(zip(ORDER["expects"], [*active, *passive], strict=True))
    ctx = Context(answers, scores={"agency": agency})
    assert holds(take_care_of_me(), ctx) is flagged


# Safety: (answer or None for blank, urgent, left blank)
SAFETY_CASES = {
    "not-at-all": (0, False, False),
    "several-days": (1, True, False),
    "nearly-every-day": (3, True, False),
    "blank": (None, False, True),
    "declined": (DECLINED, False, True),
}


@pytest.mark.parametrize(
    ("answer", "urgent", "blank"), list(SAFETY_CASES.values()), ids=list(SAFETY_CASES)
)
def test_safety_item(answer: Any, urgent: bool, blank: bool) -> None:
    answers = changed(EXAMPLE_A, {"self_harm": answer})
    result = score(READINESS, answers)
    assert (result.urgent, result.safety_unanswered) == (urgent, blank)
    assert is_urgent(READINESS, answers) is urgent


def test_safety_does_not_depend_on_the_profile() -> None:
    result = score(READINESS, {"self_harm": 2})
    assert result.urgent is True
    assert all(d.status == "not_scored" for d in result.dimensions)


def test_blank_safety_item_is_never_imputed_from_other_answers() -> None:
    result = score(READINESS, changed(EXAMPLE_C, {"self_harm": None}))
    assert result.urgent is False
    assert result.safety_unanswered is True


HIDDEN_CASES = {
    "item-hidden": ({"gate": "no", "q1": 5, "h1": 1, "h2": 5}, "hidden_item", "prorated", 100.0),
    "item-shown": ({"gate": "yes", "q1": 5, "h1": 1, "h2": 5}, "hidden_item", "scored", 66.67),
    "item-gate-blank": ({"q1": 5, "h1": 1, "h2": 5}, "hidden_item", "prorated", 100.0),
    "page-hidden": ({"gate": "no", "q1": 5, "q2": 5, "h3": 1}, "hidden_page", "prorated", 100.0),
    "page-shown": ({"gate": "yes", "q1": 5, "q2": 5, "h3": 1}, "hidden_page", "scored", 66.67),
}


@pytest.mark.parametrize(
    ("answers", "dim_id", "status", "expected"),
    list(HIDDEN_CASES.values()),
    ids=list(HIDDEN_CASES),
)
def test_answers_to_hidden_items_are_not_scored(
    answers: dict[str, Any], dim_id: str, status: str, expected: float
) -> None:
    result = dim(answers, dim_id)
    assert result.status == status
    assert result.score == two_places(expected)


def test_hidden_answer_is_not_keyed() -> None:
    result = dim({"gate": "no", "q1": 5, "h1": 1, "h2": 5}, "hidden_item")
    assert result.keyed == {"q1": 5, "h2": 5}
    assert result.missing == ("h1",)


def test_index_is_raw_difference_of_means() -> None:
    result = score(FOCUS_DEF, {"r1": 9, "r2": 2})
    assert result.indices == {"gap": 7.0}
    assert score(FOCUS_DEF, {"r1": 9}).indices == {"gap": None}


def test_result_names_its_questionnaire() -> None:
    result = score(FOCUS_DEF, {})
    assert (result.questionnaire, result.version) == ("focus", 3)
    assert [d.id for d in result.dimensions] == [d.id for d in FOCUS_DEF.dimensions]


ROUND_TRIP = {
    **{name: (READINESS, WORKED[name][0]) for name in WORKED_IDS},
    "focus-partial": (FOCUS_DEF, {"q1": 5, "q4": 1, "s3": 2, "gate": "no"}),
}


@pytest.mark.parametrize("name", list(ROUND_TRIP))
def test_result_json_round_trip(name: str) -> None:
    definition, answers = ROUND_TRIP[name]
    result = score(definition, answers)
    assert Result.from_json(result.to_json()) == result
    stored = json.loads(json.dumps(result.to_json()))
    assert Result.from_json(stored) == result
    assert Result.from_json(stored).to_json() == result.to_json()


# conditions.holds, operator by operator. Answers: c (single choice), n (number),
# m (multiple choice, a list), t (text); anything not given is missing.
def cond(**spec: Any) -> Condition:
    return Condition.model_validate(spec)


HOLDS_CASES: dict[str, tuple[dict[str, Any], dict[str, Any], bool]] = {
    "equals-hit": ({"item": "c", "equals": "yes"}, {"c": "yes"}, True),
    "equals-miss": ({"item": "c", "equals": "yes"}, {"c": "no"}, False),
    "equals-missing": ({"item": "c", "equals": "yes"}, {}, False),
    "equals-declined": ({"item": "c", "equals": "yes"}, {"c": DECLINED}, False),
    "equals-number": ({"item": "n", "equals": 3}, {"n": 3}, True),
    "equals-list-contains": ({"item": "m", "equals": "a"}, {"m": ["a", "b"]}, True),
    "equals-list-lacks": ({"item": "m", "equals": "a"}, {"m": ["b"]}, False),
    "equals-empty-list": ({"item": "m", "equals": "a"}, {"m": []}, False),
    "not-equals-hit": ({"item": "c", "not_equals": "yes"}, {"c": "no"}, True),
    "not-equals-miss": ({"item": "c", "not_equals": "yes"}, {"c": "yes"}, False),
    "not-equals-missing": ({"item": "c", "not_equals": "yes"}, {}, False),
    "not-equals-declined": ({"item": "c", "not_equals": "yes"}, {"c": DECLINED}, False),
    "not-equals-list-lacks": ({"item": "m", "not_equals": "a"}, {"m": ["b", "c"]}, True),
    "not-equals-list-contains": ({"item": "m", "not_equals": "a"}, {"m": ["a", "b"]}, False),
    "one-of-hit": ({"item": "c", "one_of": ["a", "b"]}, {"c": "b"}, True),
    "one-of-miss": ({"item": "c", "one_of": ["a", "b"]}, {"c": "c"}, False),
    "one-of-missing": ({"item": "c", "one_of": ["a", "b"]}, {}, False),
    "one-of-list-overlap": ({"item": "m", "one_of": ["a", "b"]}, {"m": ["c", "b"]}, True),
    "one-of-list-disjoint": ({"item": "m", "one_of": ["a", "b"]}, {"m": ["c"]}, False),
    "at-least-equal": ({"item": "n", "at_least": 3}, {"n": 3}, True),
    "at-least-below": ({"item": "n", "at_least": 3}, {"n": 2}, False),
    "at-least-missing": ({"item": "n", "at_least": 3}, {}, False),
    "at-least-declined": ({"item": "n", "at_least": 3}, {"n": DECLINED}, False),
    "at-least-text": ({"item": "n", "at_least": 3}, {"n": "5"}, False),
    "at-least-bool": ({"item": "n", "at_least": 0}, {"n": True}, False),
    "at-most-equal": ({"item": "n", "at_most": 3}, {"n": 3}, True),
    "at-most-above": ({"item": "n", "at_most": 3}, {"n": 4}, False),
    "at-most-missing": ({"item": "n", "at_most": 3}, {}, False),
    "above-equal": ({"item": "n", "above": 3}, {"n": 3}, False),
    "above-hit": ({"item": "n", "above": 3}, {"n": 4}, True),
    "above-missing": ({"item": "n", "above": -1}, {}, False),
    "below-equal": ({"item": "n", "below": 3}, {"n": 3}, False),
    "below-hit": ({"item": "n", "below": 3}, {"n": 2}, True),
    "below-zero": ({"item": "n", "below": 3}, {"n": 0}, True),
    "below-missing": ({"item": "n", "below": 3}, {}, False),
    "answered-text": ({"item": "t", "answered": True}, {"t": "x"}, True),
    "answered-zero": ({"item": "n", "answered": True}, {"n": 0}, True),
    "answered-missing": ({"item": "t", "answered": True}, {}, False),
    "answered-empty-text": ({"item": "t", "answered": True}, {"t": ""}, False),
    "answered-empty-list": ({"item": "m", "answered": True}, {"m": []}, False),
    "answered-declined": ({"item": "t", "answered": True}, {"t": DECLINED}, False),
    "not-answered-missing": ({"item": "t", "answered": False}, {}, True),
    "not-answered-given": ({"item": "t", "answered": False}, {"t": "x"}, False),
    "mean-at-least": ({"mean": ["n", "p"], "at_least": 4}, {"n": 5, "p": 3}, True),
    "mean-below-threshold": ({"mean": ["n", "p"], "at_least": 4}, {"n": 4, "p": 3}, False),
    "mean-one-missing": ({"mean": ["n", "p"], "at_least": 4}, {"n": 5}, False),
    "mean-one-declined": ({"mean": ["n", "p"], "at_least": 4}, {"n": 5, "p": DECLINED}, False),
    "mean-all-missing": ({"mean": ["n", "p"], "at_most": 4}, {}, False),
}


@pytest.mark.parametrize(
    ("spec", "answers", "expected"), list(HOLDS_CASES.values()), ids=list(HOLDS_CASES)
)
def test_holds(spec: dict[str, Any], answers: dict[str, Any], expected: bool) -> None:
    assert holds(cond(**spec), Context(answers)) is expected


@pytest.mark.parametrize(
    ("spec", "value", "expected"),
    [
        ({"score": "s", "below": 50}, 49.99, True),
        ({"score": "s", "below": 50}, 50.0, False),
        ({"score": "s", "below": 50}, None, False),
        ({"score": "s", "at_least": 0}, None, False),
        ({"index": "s", "below": 0}, -1.5, True),
        ({"index": "s", "below": 0}, 0.0, False),
        ({"index": "s", "above": -5}, None, False),
    ],
    ids=[
        "score-below",
        "score-at",
        "score-not-scored",
        "score-none-at-least",
        "index-below",
        "index-at",
        "index-none",
    ],
)
def test_holds_on_scores_and_indices(
    spec: dict[str, Any], value: float | None, expected: bool
) -> None:
    values = {"s": value}
    ctx = Context({}, scores=values) if "score" in spec else Context({}, indices=values)
    assert holds(cond(**spec), ctx) is expected


def test_missing_score_or_index_key_is_false() -> None:
    assert holds(cond(score="absent", below=100), Context({})) is False
    assert holds(cond(index="absent", below=100), Context({})) is False


@pytest.mark.parametrize(
    ("answers", "all_", "any_"),
    [
        ({"c": "yes", "n": 5}, True, True),
        ({"c": "yes", "n": 1}, False, True),
        ({"c": "no", "n": 1}, False, False),
        ({}, False, False),
    ],
    ids=["both", "one", "neither", "missing"],
)
def test_all_and_any(answers: dict[str, Any], all_: bool, any_: bool) -> None:
    parts = [{"item": "c", "equals": "yes"}, {"item": "n", "at_least": 3}]
    assert holds(cond(all=parts), Context(answers)) is all_
    assert holds(cond(any=parts), Context(answers)) is any_


def test_unreadable_safety_answer_asks_for_contact_never_passes() -> None:
    definition = load_file("forms/readiness-v2.yaml")
    assert safety_status(definition, {"self_harm": "1"}) == (False, True)
