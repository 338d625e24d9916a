"""Version 3 of the default readiness questionnaire, as tables: what it asks, in what order,
how it is worded, and its worked examples; version 2 stays stored beside it, unchanged."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from intake import catalogue
from intake.db import db
from intake.models import Clinic, Intake
from intake.questionnaire import DECLINED, Definition, ItemType, load_file
from intake.questionnaire.conditions import visible_items
from intake.questionnaire.examples import check_examples
from intake.questionnaire.flow import CONTACT, asks_again, first_missing, steps
from intake.scoring import is_urgent, score

FORMS = Path(__file__).resolve().parents[1] / "forms"
V3 = load_file(FORMS / "readiness.yaml")
V2 = load_file(FORMS / "readiness-v2.yaml")
# The exact text version 2 was stored with: changing it would make sync refuse to start.
V2_SHA256 = "f75b8be15fc437e490358ebea5f71ccd3cc8f122e1dfa728c3eb29d5789bff6d"
WHO_READS = {
    "en": "Your answers are read only by the clinic's therapists and by the staff who arrange"
    " your appointments.",
    "es": "Sus respuestas solo las leen los terapeutas de la clínica y el personal que organiza"
    " sus citas.",
}
RATED = (ItemType.AGREEMENT, ItemType.RULER)


def rated_items(definition: Definition) -> list[Any]:
    """Every agreement and ruler item, in page order."""
    return [i for p in definition.pages for i in p.items if i.type in RATED]


def keyed(definition: Definition, dim_id: str, answers: dict[str, Any]) -> list[int]:
    """A dimension's answered items after reverse keying, as the model keys them."""
    dim = next(d for d in definition.dimensions if d.id == dim_id)
    out = []
    for ref in dim.items:
        value = answers.get(ref)
        if isinstance(value, int):
            out.append(6 - value if ref in dim.reverse else value)
    return out


def example(name: str) -> dict[str, Any]:
    """The answers of the v3 worked example whose name starts with this."""
    return dict(next(e for e in V3.examples if e.name.startswith(name)).answers)


# Both versions, side by side.


def test_v3_is_the_default_file_and_v2_stays_byte_for_byte() -> None:
    assert (V3.id, V3.version) == ("readiness", 3)
    assert (V2.id, V2.version) == ("readiness", 2)
    text = (FORMS / "readiness-v2.yaml").read_bytes()
    assert hashlib.sha256(text).hexdigest() == V2_SHA256


@pytest.mark.parametrize("definition", [V2, V3], ids=["v2", "v3"])
def test_every_worked_example_holds(definition: Definition) -> None:
    assert list(check_examples(definition)) == []


def test_a_fresh_install_stores_both_and_invites_with_v3(app: Flask, make_clinic: Any) -> None:
    clinic_id, _ = make_clinic("sidebyside")
    clinic = db.session.get(Clinic, clinic_id)
    assert clinic is not None
    stored = {v.version: v for v in catalogue.sync_builtin(app.config["FORMS_DIR"])}
    assert {2, 3} <= set(stored)
    assert catalogue.latest_builtin("readiness") == stored[3]
    default = catalogue.default_for(clinic, app.config["DEFAULT_QUESTIONNAIRE"])
    assert default is not None and default.version == 3
    assert catalogue.definition_of(stored[2]).version == 2
    assert [v.version for v in catalogue.available(clinic_id) if v.key == "readiness"] == [3]


# Order: what brings you here, then wellbeing (the contact step just before it).


def test_wellbeing_is_the_second_page_with_the_contact_step_before_it() -> None:
    assert V3.safety is not None
    assert [p.id for p in V3.pages[:2]] == ["now", "wellbeing"]
    assert V3.page_of(V3.safety.item).id == "wellbeing"
    assert steps(V3, {})[:3] == ("now", CONTACT, "wellbeing")


@pytest.mark.parametrize(
    ("answer", "shown"),
    [
        (None, False),
        (DECLINED, False),
        (0, False),
        (1, True),
        (2, True),
        (3, True),
    ],
)
def test_follow_ups_show_only_after_an_answer_above_not_at_all(answer: Any, shown: bool) -> None:
    assert V3.safety is not None and V3.safety.follow_ups is not None
    answers = {} if answer is None else {"self_harm": answer}
    ids = {i.id for i in visible_items(V3, V3.pages[1], answers)}
    follow = {V3.safety.follow_ups.now, V3.safety.follow_ups.ever}
    assert (follow <= ids) is shown
    assert "self_harm" in ids


def test_follow_ups_are_never_required_and_offer_rather_not_say() -> None:
    assert V3.safety is not None and V3.safety.follow_ups is not None
    for ref in (V3.safety.follow_ups.now, V3.safety.follow_ups.ever):
        item = V3.item(ref)
        assert not item.required
        assert [o.value for o in item.options or ()] == ["yes", "no", "rather_not_say"]
        assert V3.page_of(ref).id == "wellbeing"
    assert V3.item(V3.safety.follow_ups.now).prompt.translations["en"] == (
        "Are you having thoughts of ending your life right now?"
    )
    assert V3.item(V3.safety.follow_ups.ever).prompt.translations["en"] == (
        "Have you ever tried to end your life?"
    )
    # A positive answer with both follow-ups blank leaves nothing required on the page.
    answers = {**example("A3"), "why_now": "x", "hopes": "y", "self_harm": 2}
    assert first_missing(V3, answers) is None


def test_the_safety_item_keeps_the_phq9_wording_and_a_blank_is_asked_again() -> None:
    assert V3.safety is not None
    assert V3.item("self_harm").prompt == V2.item("self_harm").prompt
    items = V3.pages[1].items
    assert asks_again(V3, items, {}, already=False)
    assert not asks_again(V3, items, {"self_harm": 0}, already=False)


def test_a_positive_answer_is_urgent_whatever_the_follow_ups_say() -> None:
    for now in (None, "yes", "no", "rather_not_say"):
        answers = {"self_harm": 1} | ({"safety_now": now} if now else {})
        assert is_urgent(V3, answers)
    assert not is_urgent(V3, {"self_harm": 0, "safety_now": "yes"})


# What a first session needs.


def test_the_adult_item_is_declared_and_asked_first() -> None:
    assert V3.adult_item == "adult"
    item = V3.item("adult")
    assert item.type is ItemType.SINGLE_CHOICE and item.required
    assert [o.value for o in item.options or ()] == ["yes", "no"]
    assert V3.pages[0].items[0].id == "adult"


@pytest.mark.parametrize(
    "ref",
    [
        "preferred_name",
        "pronouns",
        "difficulties",
        "difficulty_duration",
        "daily_impact",
        "medication",
        "prescriber",
        "family_doctor",
        "emergency_contact",
        "contact_consent",
        "therapy_help",
        "session_format",
        "interpreter",
        "access_needs",
        "anything_else",
        "earliest_start",
    ],
)
def test_what_a_first_session_needs_is_asked_and_optional(ref: str) -> None:
    assert V3.has_item(ref)
    assert not V3.item(ref).required


def test_contact_details_are_left_to_the_contact_step() -> None:
    # The wizard's own step asks phone, email, texts and voicemail for every questionnaire.
    assert not V3.has_item("contact") and not V3.has_item("leave_message")


def test_commitment_asks_concrete_barriers() -> None:
    barriers = V3.item("barriers")
    assert barriers.type is ItemType.MULTIPLE_CHOICE
    values = [o.value for o in barriers.options or ()]
    assert values == ["work_hours", "caring", "cost", "travel", "health", "other"]
    assert not V3.has_item("cm_priorities")
    commitment = next(d for d in V3.dimensions if d.id == "commitment")
    assert commitment.items == ("cm_regular", "cm_continue")


def test_the_rulers_name_the_change_asked_just_before_them() -> None:
    page = V3.page_of("importance")
    ids = [i.id for i in page.items]
    assert ids.index("main_change") < ids.index("importance") < ids.index("confidence")
    assert V3.item("main_change").prompt.translations["en"] == (
        "In a few words, what is the main thing you would like to change?"
    )
    for ref in ("importance", "confidence"):
        assert "the change you named" in V3.item(ref).prompt.translations["en"]
        assert "el cambio que acaba de mencionar" in V3.item(ref).prompt.translations["es"]


# Wording.


def test_no_item_primes_the_answer() -> None:
    expectations = V3.page_of("exp_fix")
    assert expectations.intro is not None
    assert "no right way" in expectations.intro.translations["en"]
    assert "no hay una forma correcta" in expectations.intro.translations["es"]
    text = (FORMS / "readiness.yaml").read_text(encoding="utf-8").lower()
    assert "joint effort" not in text and "trabajo en equipo" not in text


@pytest.mark.parametrize("item", rated_items(V3), ids=lambda i: i.id)
def test_no_double_negative_no_only_no_double_barrel(item: Any) -> None:
    en, es = item.prompt.translations["en"], item.prompt.translations["es"]
    if item.type is ItemType.AGREEMENT:
        # "Not at all true" to a sentence with a 'not' in it is a double negative.
        assert not re.search(r"\bnot\b|n't\b|\bno\b", en, re.I), en
        assert not re.search(r"\bno\b|\bnunca\b|\bnada\b", es, re.I), es
    assert not re.search(r"\bonly\b", en, re.I) and not re.search(r"\bsolo\b|\bsólo\b", es)
    # One thing per sentence: no "X or Y" / "X and be Y" pairs of different things.
    assert not re.search(r"\b(luck or|guilty or|listen and)\b", en, re.I), en


def test_the_split_items_each_ask_one_thing() -> None:
    pairs = {
        ("ag_luck", "ag_others"): ("luck", "other people"),
        ("out_guilt", "out_ashamed"): ("guilty", "ashamed"),
        ("exp_listen", "exp_told"): ("listen", "told what to do"),
    }
    for (a, b), (word_a, word_b) in pairs.items():
        assert (
            word_a in V3.item(a).prompt.translations["en"]
            and word_b not in V3.item(a).prompt.translations["en"]
        )
        assert (
            word_b in V3.item(b).prompt.translations["en"]
            and word_a not in V3.item(b).prompt.translations["en"]
        )


def test_spanish_is_neutral_and_adds_no_receive() -> None:
    texts = [
        t.translations["es"]
        for p in V3.pages
        for i in p.items
        if i.id != "self_harm"  # the official PHQ-9 Spanish, kept word for word
        for t in (i.prompt, i.help, *(o.label for o in i.options or ()))
        if t is not None
    ]
    for text in texts:
        assert "(a)" not in text and "dispuesto" not in text and "abierto" not in text, text
    assert "recibir" not in V3.item("expect_therapist").prompt.translations["es"]
    times = [o.label.translations["es"] for o in V3.item("availability").options or ()]
    assert all("h)" in t for t in times[:3]), times
    assert all(
        re.search(r"\d", o.label.translations["en"])
        for o in (V3.item("availability").options or ())[:3]
    )


@pytest.mark.parametrize("item", rated_items(V3), ids=lambda i: i.id)
def test_every_rated_item_has_a_short_name(item: Any) -> None:
    assert item.short is not None
    assert item.short.translations["en"] and item.short.translations["es"]
    assert len(item.short.translations["en"].split()) <= 9


def test_follow_ups_and_safety_have_a_short_name() -> None:
    for ref in ("self_harm", "safety_now", "safety_ever", "daily_impact"):
        short = V3.item(ref).short
        assert short is not None and short.translations["en"]


def test_staff_see_the_models_names() -> None:
    labels = {d.id: d.label for d in V3.dimensions}
    assert labels == {
        "change": "Wish for change",
        "own_motivation": "Own reasons for coming",
        "expects_to_take_part": "How they picture their part",
        "agency": "Sense of influence right now",
        "openness": "What they would like to focus on",
        "commitment": "Room for regular sessions",
    }
    focus = next(d for d in V3.dimensions if d.id == "openness")
    # Two-sided: no band lines and no opener treating either side as less ready.
    assert focus.opener is None and not focus.lines
    assert focus.reverse == ("op_practical",)
    flag = next(f for f in V3.flags if f.id == "take_care_of_me")
    assert flag.label == "Hopes the therapist will lead"
    assert flag.stance is not None
    for words in ("say early how you work", "small steps", "rescue", "curiosity"):
        assert words in flag.stance


def test_openers_are_said_to_the_client() -> None:
    for dim in V3.dimensions:
        if dim.opener:
            assert re.search(r"\byou\b", dim.opener) and not re.search(r"\bthey\b", dim.opener)


def test_no_labelling_words_anywhere() -> None:
    text = (FORMS / "readiness.yaml").read_text(encoding="utf-8")
    assert not re.search(r"resistant|unmotivated|non-?compliant|in denial", text, re.I)


@pytest.mark.parametrize("language", ["en", "es"])
def test_consent_says_who_reads_and_what_follows(language: str) -> None:
    assert V3.consent is not None and V2.consent is not None
    assert V3.consent.version != V2.consent.version
    text = V3.consent.text.translations[language]
    assert text.startswith(WHO_READS[language])
    words = {
        "en": ("summary", "never used to decide", "self", "contact you", "around the clock",
               "emergency", "deleted", "clinical record"),
        "es": ("resumen", "nunca se usa para decidir", "hacerse daño", "contacto con usted",
               "24 horas", "emergencia", "borren", "historia clínica"),
    }[language]  # fmt: skip
    for word in words:
        assert word in text, word


# The worked examples cover what the model asks of them.


def test_examples_cover_a_mixed_dimension() -> None:
    for name in ("A3", "C3"):
        answers = keyed(V3, "change", example(name))
        assert max(answers) - min(answers) >= 3, name
    # and one that is not mixed (2 points apart at most)
    answers = keyed(V3, "commitment", example("C3"))
    assert max(answers) - min(answers) == 2


def test_examples_cover_a_blank_heavy_intake() -> None:
    answers = example("E3")
    for page in V3.pages:
        rated = [i.id for i in page.items if i.type is ItemType.AGREEMENT]
        if rated:
            blank = [ref for ref in rated if ref not in answers]
            assert len(blank) * 2 > len(rated), page.id
    result = score(V3, answers)
    assert all(d.score is None for d in result.dimensions)
    assert result.indices["relative_autonomy"] is None
    assert result.flags == ()


def test_examples_cover_the_renamed_pattern_with_and_without_urgency() -> None:
    calm, urgent = score(V3, example("B3")), score(V3, example("C3"))
    assert "take_care_of_me" in calm.flags and not calm.urgent
    assert "take_care_of_me" in urgent.flags and urgent.urgent
    assert example("C3")["safety_now"] == "yes"


def test_examples_cover_the_follow_ups_and_relative_autonomy() -> None:
    answered = {(e.answers.get("safety_now"), e.answers.get("safety_ever")) for e in V3.examples}
    assert ("yes", "rather_not_say") in answered and ("no", "yes") in answered
    signs = {e.name[:2]: score(V3, e.answers).indices["relative_autonomy"] for e in V3.examples}
    assert signs["A3"] == pytest.approx(10 / 3)
    assert signs["B3"] == pytest.approx(-2 / 3)
    assert signs["D3"] == pytest.approx(2.5)
    assert signs["E3"] is None


def test_seed_demo_and_the_invite_command_use_v3(app: Flask, make_clinic: Any) -> None:
    make_clinic("seedv3")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert runner.invoke(args=["invite", "--clinic", "seedv3", "--name", "Vee"]).exit_code == 0
    rows = db.session.scalars(select(Intake).order_by(Intake.id.desc()).limit(2))
    assert [row.questionnaire.version for row in rows] == [3, 3]
