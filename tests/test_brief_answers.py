"""The brief's revised model (version 3): sentences built from the answers, "mixed", no false
precision, the blank-heavy rule, no pattern from unscored inputs, "Hopes the therapist will
lead", second-person openers and page 1's top strip."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from intake.brief.content import (
    URGENT_LEAD,
    Brief,
    ItemAnswer,
    answer_sentence,
    build_brief,
    is_mixed,
    sentences,
)
from intake.brief.render import render_html, render_pdf
from intake.brief.samples import META, REACH
from intake.questionnaire import load_file
from intake.questionnaire.model import Definition, ItemType
from intake.scoring import inputs_scored, score

# Reads and writes no database: run once, in the SQLite pass (tests/conftest.py).
pytestmark = pytest.mark.no_database

ROOT = Path(__file__).resolve().parents[1]
V3_LIKE = load_file(ROOT / "tests" / "data" / "readiness-v3-like.yaml")
V2 = load_file(ROOT / "forms" / "readiness-v2.yaml")
V3 = load_file(ROOT / "forms" / "readiness.yaml")
BANNED = ("resistant", "unmotivated", "non-compliant", "in denial")

# A full, calm answer set for the version-3-like fixture.
CALM: dict[str, Any] = {
    "why_now": "I keep feeling stuck at work. My sister said it might help.",
    "name_used": "Robbie",
    "self_harm": 0,
    "cr_want": 4,
    "cr_begun": 1,
    "keep": "My evening walks.",
    "importance": 8,
    "confidence": 2,
    "own_want": 4,
    "own_values": 4,
    "out_others": 2,
    "out_guilt": 2,
    "exp_between": 4,
    "exp_together": 4,
    "exp_fix": 2,
    "exp_told": 2,
    "expect_therapist": "Some honest advice, not only listening.",
    "previous_details": "She mostly listened and nodded. I wanted advice and never got any.",
    "ag_choices": 2,
    "ag_act": 2,
    "op_feelings": 2,
    "op_practical": 5,
    "cm_regular": 4,
    "cm_continue": 4,
    "barriers": ["work", "cost"],
    "availability": ["weekday_evening"],
}


def brief_of(definition: Definition, answers: dict[str, Any], **meta: Any) -> Brief:
    """A brief of these answers (blanks dropped), with the sample meta changed as given."""
    answers = {k: v for k, v in answers.items() if v is not None}
    return build_brief(
        definition, answers, score(definition, answers), replace(META, reach=REACH, **meta)
    )


def line(brief: Brief, dim_id: str) -> Any:
    return next(p for p in brief.profile if p.id == dim_id)


# --- the sentence beside a dimension is its answers ------------------------------------


@pytest.mark.parametrize(
    ("changes", "dim", "sentence"),
    [
        (
            {},
            "change",
            "Mixed: wants something to be different: mostly true; has already started:"
            " not at all true.",
        ),
        (
            {"cr_begun": 3},
            "change",
            "Wants something to be different: mostly true; has already started: somewhere in"
            " between.",
        ),
        (
            {"cr_begun": None},
            "change",
            "Not scored (1 of 2 answered). Wants something to be different: mostly true; has"
            " already started: not answered.",
        ),
        (
            {},
            "expects_to_take_part",
            "Expects to work between sessions: mostly true; expects to steer together: mostly"
            " true; expects the therapist to sort it out: mostly not true; expects to be told"
            " what to do: mostly not true.",
        ),
    ],
)
def test_the_sentence_is_built_from_the_answers(
    changes: dict[str, Any], dim: str, sentence: str
) -> None:
    assert line(brief_of(V3_LIKE, {**CALM, **changes}), dim).line == sentence


def test_version_2_falls_back_to_the_prompt_and_never_to_the_band() -> None:
    example = next(e for e in V2.examples if e.name.startswith("B,"))
    brief = brief_of(V2, dict(example.answers))
    change = line(brief, "change")
    # Worked example B: "already started: not at all true" beside a score the old band
    # called "starting to move towards it".
    assert "“I have already started" in change.line
    assert "not at all true for me" in change.line
    assert "starting to move" not in change.line
    assert change.score == 44  # a whole number, 43.75 rounded


def keyed(*values: int | None, reverse: tuple[int, ...] = ()) -> tuple[ItemAnswer, ...]:
    return tuple(
        ItemAnswer(
            id=f"i{n}",
            short=f"item {n}",
            value=v,
            word="x",
            keyed=None if v is None else (6 - v if n in reverse else v),
            reverse=n in reverse,
            low=1,
            high=5,
        )
        for n, v in enumerate(values)
    )


@pytest.mark.parametrize(
    ("answers", "mixed"),
    [
        (keyed(4, 1), True),  # 3 apart
        (keyed(4, 2), False),  # 2 apart
        (keyed(5, 1, 3), True),
        (keyed(5, None), False),  # one answer cannot disagree with itself
        (keyed(5, 5, reverse=(1,)), True),  # 5 and a reversed 5 (keyed 1): 4 apart
        (keyed(1, 5, reverse=(1,)), False),  # keyed 1 and 1
        (keyed(None, None), False),
    ],
)
def test_mixed_means_keyed_answers_three_or_more_points_apart(
    answers: tuple[ItemAnswer, ...], mixed: bool
) -> None:
    assert is_mixed(answers) is mixed
    assert answer_sentence(answers, is_mixed(answers)).startswith("Mixed:") is mixed


def _agreement_ids(definition: Definition) -> list[str]:
    return [
        i
        for d in definition.dimensions
        for i in d.items
        if definition.item(i).type is ItemType.AGREEMENT
    ]


@pytest.mark.parametrize("definition", [V3_LIKE, V3, V2], ids=["v3-like", "v3", "v2"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_no_sentence_contradicts_an_answer_it_names(definition: Definition, data: Any) -> None:
    """Generated answer sets: each sentence names each of its dimension's items once, with
    exactly the words of the answer given (or "not answered"), and never a band."""
    ids = _agreement_ids(definition)
    answers = {i: data.draw(st.one_of(st.none(), st.integers(1, 5)), label=i) for i in ids}
    brief = brief_of(definition, {**CALM, **answers} if definition is V3_LIKE else answers)
    assert brief.version == definition.version
    bands = [b.label.lower() for b in definition.bands]
    for p in brief.profile:
        dim = next(d for d in definition.dimensions if d.id == p.id)
        text = p.line
        for ref in dim.items:
            item = definition.item(ref)
            name = str(item.short) if item.short else None
            value = answers.get(ref)
            labels = definition.scale_labels(item)
            expected = "not answered" if value is None else labels[value - 1].lower()
            named = [a for a in p.answers if a.id == ref]
            assert len(named) == 1
            said = f"{named[0].short}: {expected}"
            assert said.lower() in text.lower(), (said, text)
            if name:
                # No other answer word follows this item's name.
                for other in labels:
                    if other.lower() != expected:
                        assert f"{name}: {other.lower()}" not in text.lower()
        words = set(re.findall(r"[a-z]+", text.lower()))
        assert not words & set(bands), text
        # Mixed exactly when two keyed answers are 3 or more points apart.
        points = [
            (6 - answers[r] if r in dim.reverse else answers[r])
            for r in dim.items
            if answers.get(r) is not None
        ]
        assert ("Mixed:" in text) is (len(points) >= 2 and max(points) - min(points) >= 3)


# --- no false precision --------------------------------------------------------------


def test_scores_are_whole_numbers_and_bands_only_in_the_details_marked_provisional() -> None:
    example = next(e for e in V2.examples if e.name.startswith("A,"))
    brief = brief_of(V2, dict(example.answers))
    assert [p.score for p in brief.profile] == [69, 92, 75, 75, 75, 92]
    html = render_html(brief)
    page_one = html[: html.index('id="page-one-end"')]
    for band in ("Emerging", "Building", "Strong"):
        assert band not in page_one
    assert "68.8" not in html and "91.7" not in html
    assert "Building (provisional)" in html
    assert (
        "This questionnaire has not been validated; read it as a summary of what the client"
        " ticked, not as a measurement." in html
    )
    assert "Prorated" not in page_one  # nothing was prorated


def test_prorated_is_printed_only_when_something_was() -> None:
    example = next(e for e in V2.examples if e.name.startswith("B,"))
    html = render_html(brief_of(V2, dict(example.answers)))
    page_one = html[: html.index('id="page-one-end"')]
    assert "*prorated: one answer blank" in page_one


def test_each_dimension_is_drawn_as_dots_with_a_text_alternative() -> None:
    html = render_html(brief_of(V3_LIKE, CALM))
    svgs = re.findall(r'<svg class="dots".*?</svg>', html, re.S)
    assert len(svgs) == len(V3_LIKE.dimensions)
    first = svgs[0]
    assert 'role="img"' in first
    assert "<title>Wish for change: Mixed: wants something to be different: mostly true" in first
    assert first.count("<circle") == 2


def test_focus_is_two_sided_with_no_band_and_no_opener() -> None:
    brief = brief_of(V3_LIKE, CALM)
    focus = line(brief, "openness")
    assert focus.two_sided and focus.band_label is None
    assert focus.ends == ("practical and the present", "feelings and the past")
    for opener in brief.openers:
        assert "focus" not in opener.lower() and "practical" not in opener.lower()


def test_influence_notes_circumstances_and_room_lists_the_barriers() -> None:
    brief = brief_of(V3_LIKE, CALM)
    assert "real circumstances" in (line(brief, "agency").note or "")
    assert line(brief, "commitment").barriers == ("Work hours", "Cost")
    html = render_html(brief)
    assert "Barriers ticked: Work hours, Cost." in html


# --- blank-heavy ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("blanks", "pages"),
    [
        ((), ()),
        (("own_want", "own_values"), ()),  # 2 of 4 on "Your reasons": half, not more
        (("own_want", "own_values", "out_others"), (("Your reasons", 3, 4),)),
        (
            ("cr_want", "cr_begun", "importance", "ag_choices", "ag_act", "op_feelings"),
            (("What you would like", 3, 4), ("Right now", 3, 4)),
        ),
    ],
)
def test_more_than_half_of_a_pages_ratings_blank_is_said(
    blanks: tuple[str, ...], pages: tuple[tuple[str, int, int], ...]
) -> None:
    brief = brief_of(V3_LIKE, {**CALM, **dict.fromkeys(blanks)})
    assert tuple((str(p.title), p.blank, p.count) for p in brief.blank_pages) == pages
    html = render_html(brief)
    assert ("how did the form feel to fill in?" in html) is bool(pages)


def test_a_dimension_with_no_answers_is_named_not_drawn_as_an_empty_row() -> None:
    brief = brief_of(V3_LIKE, {**CALM, "own_want": None, "own_values": None})
    assert [p.id for p in brief.undrawn] == ["own_motivation"]
    html = render_html(brief)
    assert "No answers at all for: Own reasons for coming." in html
    assert html.count('<svg class="dots"') == len(V3_LIKE.dimensions) - 1


# --- patterns never from what is not scored ----------------------------------------


@pytest.mark.parametrize(
    ("changes", "flag", "raised"),
    [
        (
            {"out_others": 5, "out_guilt": 5, "own_want": 2, "own_values": 2},
            "outside_reasons",
            True,
        ),
        # One of two own reasons and one of two outside: not computed, never raised.
        (
            {"out_others": 5, "out_guilt": None, "own_want": 2, "own_values": None},
            "outside_reasons",
            False,
        ),
        ({"exp_fix": 5, "exp_told": 4}, "take_care_of_me", True),  # agency 25
        # Agency not scored: even with the other branch true, nothing rests on it.
        (
            {"exp_fix": 5, "exp_told": 5, "exp_between": 1, "exp_together": 2, "ag_act": None},
            "take_care_of_me",
            False,
        ),
        (
            {"exp_fix": 5, "exp_told": 5, "exp_between": 1, "exp_together": 2},
            "take_care_of_me",
            True,
        ),
    ],
)
def test_no_pattern_from_inputs_that_are_not_scored(
    changes: dict[str, Any], flag: str, raised: bool
) -> None:
    answers = {k: v for k, v in {**CALM, **changes}.items() if v is not None}
    assert (flag in score(V3_LIKE, answers).flags) is raised
    assert (flag in [f.id for f in brief_of(V3_LIKE, {**CALM, **changes}).flags]) is raised


@pytest.mark.parametrize(
    ("when", "scores", "indices", "ok"),
    [
        ({"score": "agency", "below": 50}, {"agency": 25.0}, {}, True),
        ({"score": "agency", "below": 50}, {"agency": None}, {}, False),
        ({"index": "relative_autonomy", "below": 0}, {}, {"relative_autonomy": None}, False),
        ({"index": "relative_autonomy", "below": 0}, {}, {"relative_autonomy": -1.0}, True),
        (
            {"mean": ["exp_fix", "exp_told"], "at_least": 4},
            {"expects_to_take_part": None},
            {},
            False,
        ),
        (
            {"mean": ["exp_fix", "exp_told"], "at_least": 4},
            {"expects_to_take_part": 10.0},
            {},
            True,
        ),
        (
            {"any": [{"score": "agency", "below": 50}, {"item": "why_now", "answered": True}]},
            {"agency": None},
            {},
            False,
        ),
    ],
)
def test_inputs_scored_table(
    when: dict[str, Any], scores: dict[str, Any], indices: dict[str, Any], ok: bool
) -> None:
    from intake.questionnaire.model import Condition

    assert inputs_scored(V3_LIKE, Condition.model_validate(when), scores, indices) is ok


def test_a_stored_result_raising_a_pattern_from_unscored_inputs_is_not_listed() -> None:
    answers = {k: v for k, v in CALM.items() if k not in ("own_values", "out_guilt")}
    answers |= {"out_others": 5, "own_want": 1}
    result = score(V3_LIKE, answers)
    stored = replace(result, flags=(*result.flags, "outside_reasons"))
    brief = build_brief(V3_LIKE, answers, stored, META)
    assert "outside_reasons" not in [f.id for f in brief.flags]


# --- "Hopes the therapist will lead" -----------------------------------------------

LEADING = {"exp_fix": 5, "exp_told": 4}


def test_the_lead_pattern_quotes_the_answers_that_raised_it_and_the_clients_words() -> None:
    brief = brief_of(V3_LIKE, {**CALM, **LEADING})
    note = next(f for f in brief.flags if f.id == "take_care_of_me")
    assert note.label == "Hopes the therapist will lead"
    assert "expects the therapist to sort it out: completely true" in note.raised_by
    assert "expects to be told what to do: mostly true" in note.raised_by
    assert "sense of influence right now: 25 of 100" in note.raised_by
    quoted = [q.short for q in note.quotes]
    assert quoted == [
        "Some honest advice, not only listening.",
        "She mostly listened and nodded. I wanted advice and never got any.",
    ]
    assert not note.stance or not note.stance.startswith(URGENT_LEAD)


def test_urgent_the_lead_patterns_stance_begins_with_the_override() -> None:
    brief = brief_of(V3_LIKE, {**CALM, **LEADING, "self_harm": 2, "harm_now": "no"})
    note = next(f for f in brief.flags if f.id == "take_care_of_me")
    assert note.stance is not None
    assert note.stance.startswith(
        "At a time of risk, being actively looked after is appropriate; this pattern is for later."
    )
    html = render_html(brief)
    assert URGENT_LEAD in html


# --- openers -------------------------------------------------------------------------

THIRD_PERSON = re.compile(r"\b(they|them|their|theirs|the client)\b", re.I)


def _quoted(opener: str) -> list[str]:
    return re.findall(r"“([^”]*)”", opener)


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"self_harm": 1, "harm_now": "yes", "harm_ever": "rather_not_say"},
        {"why_now": "Work. " + "I have been tired and short with everyone for months " * 6},
        {"why_now": None, "keep": None, "previous_details": None},
        {"confidence": None},
    ],
)
def test_openers_are_in_the_second_person_with_whole_quotes(changes: dict[str, Any]) -> None:
    answers = {**CALM, **changes}
    brief = brief_of(V3_LIKE, answers)
    assert 1 <= len(brief.openers) <= 3
    texts = [v for v in answers.values() if isinstance(v, str)]
    for opener in brief.openers:
        assert re.search(r"\byou(r)?\b", opener, re.I), opener
        assert not THIRD_PERSON.search(opener), opener
        assert "…" not in opener
        for q in _quoted(opener):
            source = next(
                (" ".join(t.split()) for t in texts if " ".join(t.split()).startswith(q)), None
            )
            if source is None:
                continue  # an answer word such as "several days"
            assert q == source or q[-1] in ".!?", (q, source)
        for dim in V3_LIKE.dimensions:
            assert dim.label.lower() not in opener.lower()


def test_openers_draw_on_what_brings_them_the_ruler_therapy_before_and_what_they_keep() -> None:
    openers = brief_of(V3_LIKE, CALM).openers
    assert openers[0].startswith(
        "You wrote: “I keep feeling stuck at work. My sister said it might help.”"
    )
    assert openers[1] == "You put your confidence at 2: what would make it a 3?"
    assert openers[2].startswith("About therapy before, you wrote:")


@pytest.mark.parametrize(
    ("changes", "opener"),
    [
        ({"main_change": "Sleep", "confidence": 4}, "You put your confidence about “Sleep” at 4:"
         " what would make it a 5?"),
        ({"main_change": "Sleep", "confidence": 10, "importance": 9}, "You put the importance of"
         " “Sleep” at 9: what makes it a 9 and not a 6?"),
        ({"main_change": None, "confidence": None, "importance": 2}, "You put the importance of"
         " this change at 2: what makes it a 2 and not a 0?"),
    ],
)  # fmt: skip
def test_the_ruler_opener_reads_as_a_sentence(changes: dict[str, Any], opener: str) -> None:
    assert opener in brief_of(V3, {**CALM, **changes}).openers


def test_urgent_the_first_opener_is_the_safety_follow_up() -> None:
    now = brief_of(V3_LIKE, {**CALM, "self_harm": 2, "harm_now": "yes"}).openers
    assert now[0].startswith("First, your safety: you told us you were having thoughts")
    later = brief_of(V3_LIKE, {**CALM, "self_harm": 1, "harm_now": "no"}).openers
    assert later[0].startswith("First, your safety: you answered “several days”")
    assert not brief_of(V3_LIKE, CALM).openers[0].startswith("First, your safety")


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("Short.", 50, "Short."),
        ("One. Two three four.", 8, "One."),
        ("A long first sentence that runs on.", 10, None),
        ("Ends without a stop but fits", 40, "Ends without a stop but fits"),
    ],
)
def test_quotes_are_whole_sentences_or_nothing(
    text: str, limit: int, expected: str | None
) -> None:
    assert sentences(text, limit) == expected


# --- page 1's top strip ----------------------------------------------------------------


def page_one(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join((reader.pages[0].extract_text() or "").split())


def test_the_strip_says_the_safety_answer_even_when_not_at_all() -> None:
    text = page_one(render_pdf(brief_of(V3_LIKE, CALM)))
    assert "Safety question Not at all" in text
    assert "Name they use Robbie" in text
    assert "+1 201-555-0123" in text
    assert "Available Weekday evenings (after 5 pm)" in text
    assert "Language English" in text
    assert text.index("Safety question") < text.index("In the client’s own words")
    assert text.index("In the client’s own words") < text.index("Where the client is starting")


def test_the_strip_gives_the_follow_ups_and_the_urgent_box_leads() -> None:
    answers = {**CALM, "self_harm": 2, "harm_now": "yes", "harm_ever": "rather_not_say"}
    brief = brief_of(V3_LIKE, answers, flagged_urgent=True)
    text = page_one(render_pdf(brief))
    assert (
        "Safety question More than half the days · Right now: Yes · Ever tried: I'd rather not say"
        in text
    )
    assert text.index("URGENT") < text.index("Safety question")


@pytest.mark.parametrize(
    ("changes", "available"),
    [
        ({}, "Weekday evenings (5 pm to 8 pm)"),
        # What makes coming hard is never given as when they can come.
        ({"availability": None}, None),
        ({"availability": None, "barriers": ["work"]}, None),
    ],
)
def test_available_is_the_availability_answer_only(
    changes: dict[str, Any], available: str | None
) -> None:
    brief = brief_of(V3, {**CALM, **changes})
    assert brief.strip is not None and brief.strip.availability == available


def test_the_name_used_falls_back_to_the_invited_name() -> None:
    brief = brief_of(V3_LIKE, {**CALM, "name_used": None})
    assert brief.strip is not None and brief.strip.name_used == META.client_name


def test_answered_in_spanish_says_an_interpreter_may_be_needed() -> None:
    brief = brief_of(V3_LIKE, CALM, answered_in="es")
    text = page_one(render_pdf(brief))
    assert (
        "Answered in Spanish: a Spanish-speaking therapist or an interpreter may be needed."
        in text
    )
    assert brief_of(V3_LIKE, CALM).strip.language_note is None  # type: ignore[union-attr]


def test_page_one_quotes_what_they_want_previous_help_and_what_they_keep() -> None:
    html = render_html(brief_of(V3_LIKE, CALM))
    own = html[html.index('class="own-words') : html.index('class="openers"')]
    for text in ("Some honest advice", "She mostly listened and nodded", "My evening walks."):
        assert text in own


@pytest.mark.parametrize(
    "changes",
    [{}, LEADING, {**LEADING, "self_harm": 3, "harm_now": "yes"}, {"own_want": None}],
)
def test_no_labelling_words_in_the_new_texts(changes: dict[str, Any]) -> None:
    html = render_html(brief_of(V3_LIKE, {**CALM, **changes})).lower()
    for word in BANNED:
        assert word not in html


# --- version 3 of the default questionnaire, its worked examples ----------------------

from intake.brief.samples import example_brief_v3  # noqa: E402


def test_v3_a_wish_for_change_is_mixed_and_said_in_its_answers() -> None:
    brief = example_brief_v3("A3")
    change = line(brief, "change")
    assert change.label == "Wish for change" and change.mixed
    assert change.line.startswith("Mixed: ")
    assert change.score == 58  # 58.33
    assert [p.label for p in brief.profile] == [
        "Wish for change",
        "Own reasons for coming",
        "How they picture their part",
        "Sense of influence right now",
        "What they would like to focus on",
        "Room for regular sessions",
    ]


def test_v3_b_hopes_the_therapist_will_lead_with_its_answers_and_words() -> None:
    brief = example_brief_v3("B3")
    note = next(f for f in brief.flags if f.id == "take_care_of_me")
    assert note.label == "Hopes the therapist will lead"
    assert any(r.startswith("sense of influence right now: 38") for r in note.raised_by)
    assert any("A counsellor two years ago." in q.short for q in note.quotes)
    assert not (note.stance or "").startswith(URGENT_LEAD)
    assert line(brief, "commitment").barriers == ("Work hours", "Childcare or caring for someone")
    focus = line(brief, "openness")
    assert focus.two_sided and focus.band_label is None and focus.score == 17


def test_v3_c_urgent_right_now_leads_the_openers_strip_and_stance() -> None:
    brief = example_brief_v3("C3")
    assert brief.openers[0].startswith("First, your safety: you told us you were having thoughts")
    note = next(f for f in brief.flags if f.id == "take_care_of_me")
    assert (note.stance or "").startswith(URGENT_LEAD)
    assert brief.strip is not None
    assert brief.strip.follow_ups == (("Right now", "Yes"), ("Ever tried", "I'd rather not say"))
    text = page_one(render_pdf(brief))
    assert "URGENT" in text
    assert "Right now: Yes" in text and "Ever tried:" in text
    assert "Name they use Robbie (he/" in text
    assert URGENT_LEAD[:50] in text


def test_v3_e_mostly_blank_says_so_and_raises_nothing() -> None:
    brief = example_brief_v3("E3")
    assert brief.blank_pages and brief.flags == ()
    assert all(p.score is None for p in brief.profile)
    assert brief.openers[0].startswith("You left quite a few questions blank")
    html = render_html(brief)
    assert "Many ratings were left blank" in html
    assert "Reasons mostly from outside" not in html.split('id="page-one-end"')[0]


@pytest.mark.parametrize("name", ["A3", "B3", "C3", "D3", "E3"])
def test_v3_briefs_have_no_labelling_words_and_keep_the_patterns_on_page_one(name: str) -> None:
    brief = example_brief_v3(name)
    pdf = render_pdf(brief)
    first = page_one(pdf)
    for flag in brief.flags:
        assert flag.label in first
    assert "Safety question" in first
    whole = " ".join((p.extract_text() or "") for p in PdfReader(io.BytesIO(pdf)).pages).lower()
    for word in BANNED:
        assert word not in whole
