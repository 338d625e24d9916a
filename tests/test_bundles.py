"""One intake, several questionnaires: the combined walk, the one safety question, each part
scored alone, parts_of, the brief's sections, the exports, sets and invitations."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from intake import catalogue, intake_sets, lifecycle
from intake.brief.build import brief_for
from intake.db import db
from intake.exports import parts_of
from intake.models import Clinic, Intake, IntakePart, IntakeSet
from intake.questionnaire import load_file, load_text
from intake.questionnaire.bundle import (
    BundleError,
    combine,
    part_answers,
    placed_problems,
    problems,
)
from intake.questionnaire.conditions import visible_items, visible_pages
from intake.questionnaire.flow import steps
from tests.helpers import (
    EXAMPLE_A,
    FULL,
    fill_page,
    give_contact,
    onward,
    page_url,
    pdf_text,
    post_form,
    reload,
    sign,
)

READINESS = load_file("forms/readiness.yaml")
PHQ9 = load_file("forms/phq9.yaml")
GAD7 = load_file("forms/gad7.yaml")
BUNDLE = combine([READINESS, PHQ9, GAD7])
PHQ9_ANSWERS = {f"phq9_{n}": v for n, v in enumerate([2, 2, 1, 1, 1, 1, 1, 1, 0], start=1)}
GAD7_ANSWERS = {f"gad7_{n}": v for n, v in enumerate([1, 1, 1, 1, 0, 0, 0], start=1)}
ALL = {
    **{k: v for k, v in FULL.items() if k != "self_harm"},
    **PHQ9_ANSWERS,
    **GAD7_ANSWERS,
}
KEYS = ["readiness", "phq9", "gad7"]
# The same answers as stored (numbers, not the strings a browser posts).
STORED = {
    **{k: v for k, v in EXAMPLE_A.items() if k != "self_harm"},
    **PHQ9_ANSWERS,
    **GAD7_ANSWERS,
}


def versions(keys: list[str] = KEYS) -> list[Any]:
    """The newest built-in version of each questionnaire, in order."""
    found = [catalogue.latest_builtin(key) for key in keys]
    assert all(v is not None for v in found)
    return found


def invite_set(clinic_id: int, keys: list[str] = KEYS) -> Intake:
    """An intake asking several built-in questionnaires through one link."""
    clinic = db.session.get(Clinic, clinic_id)
    assert clinic is not None
    return lifecycle.invite(clinic, "Sam Rivera", versions(keys))


def walk(client: FlaskClient, intake: Intake, answers: dict[str, Any]) -> Any:
    """Sign, walk Next through every step shown (saying what each page showed), and send."""
    combined = BUNDLE.combined
    if reload(intake).consent_at is None:
        sign(client, intake)
    url = page_url(intake, combined.pages[0].id)
    while "/review" not in url:
        step = url.rsplit("/", 1)[1]
        if step == "contact":
            response = give_contact(client, intake)
        else:
            response = post_step(client, intake, step, answers)
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        url = onward(response)
        if "/support" in url:
            target = url.split("next=")[1]
            url = f"/i/{intake.token}" + (
                {"review": "/review", "_contact": "/contact"}.get(target, f"/p/{target}")
            )
    return post_form(client, f"/i/{intake.token}/review", {})


def post_step(client: FlaskClient, intake: Intake, step: str, answers: dict[str, Any]) -> Any:
    """Post one page of the combined walk, saying which of its questions it showed."""
    combined = BUNDLE.combined
    page = next(p for p in combined.pages if p.id == step)
    shown = " ".join(i.id for i in visible_items(combined, page, answers))
    return fill_page(client, intake, step, {**answers, "shown": shown}, definition=combined)


def small(key: str, item: str, safety: str = "", extra: str = "") -> str:
    """A minimal questionnaire with one page and one choice item."""
    return f"""
id: {key}
version: 1
title: {key}
pages:
  - id: {key}_page
    title: Page
    items:
      - id: {item}
        type: single_choice
        prompt: How often?
        options: [{{value: 0, label: Never}}, {{value: 1, label: Often}}]
{safety}
{extra}
"""


SAFETY = """safety:
  item: {item}
  threshold: 1
  crisis_text: Call
  emergency_number: "1"
"""


# --- the pure rules ---------------------------------------------------------------


def test_the_combined_walk_asks_every_page_in_order_and_one_safety_question() -> None:
    combined = BUNDLE.combined
    safety_page = READINESS.page_of("self_harm").id
    readiness_pages = [p.id for p in READINESS.pages if p.id != safety_page]
    assert [p.id for p in combined.pages] == [*readiness_pages, "phq9", "gad7"]
    # PHQ-9 item 9 stands for the readiness safety item, which is never asked.
    assert BUNDLE.stand_ins == {"self_harm": "phq9_9"}
    assert not combined.has_item("self_harm") and combined.has_item("phq9_9")
    assert combined.safety is not None and combined.safety.item == "phq9_9"
    assert combined.consent == READINESS.consent and combined.title == READINESS.title
    assert combined.offered_languages == ("en", "es")
    # Each questionnaire's copyright line is kept (the welcome page shows them all).
    assert PHQ9.copyright and str(PHQ9.copyright) in str(combined.copyright)
    assert combined.in_language("es").title == READINESS.in_language("es").title


def test_each_part_reads_its_own_answers_and_the_one_safety_answer() -> None:
    answers = {**ALL, "phq9_9": 2}
    readiness = BUNDLE.part_answers(0, answers)
    assert readiness["self_harm"] == 2 and "phq9_1" not in readiness
    assert readiness["cr_want"] == FULL["cr_want"]
    assert BUNDLE.part_answers(1, answers) == {**PHQ9_ANSWERS, "phq9_9": 2}
    assert BUNDLE.part_answers(2, answers) == GAD7_ANSWERS
    # Blank stays blank: nothing is filled in for the safety item.
    assert "self_harm" not in part_answers(READINESS, {"cr_want": 3}, BUNDLE.stand_ins)


@pytest.mark.parametrize(
    ("texts", "problem"),
    [
        ([small("one", "a"), small("two", "a")], "'one' and 'two' both have a question 'a'"),
        ([small("one", "a"), small("one", "b")], "'one' is chosen twice"),
        (
            [
                small("one", "a", SAFETY.format(item="a")),
                small("two", "b", SAFETY.format(item="b")),
            ],
            "each ask their own safety question",
        ),
        (
            [
                small("one", "a", SAFETY.format(item="a") + "  stands_for: [two]\n"),
                small("two", "b", SAFETY.format(item="b")),
            ],
            None,
        ),
        ([small("one", "a"), small("two", "b", extra="language: es")], "offered in 'en'"),
    ],
)
def test_what_cannot_be_one_intake_is_refused_with_a_reason(
    texts: list[str], problem: str | None
) -> None:
    parts = [load_text(t) for t in texts]
    found = problems(parts)
    if problem is None:
        assert found == []
    else:
        assert any(problem in p for p in found), found
        with pytest.raises(BundleError):
            combine(parts)


def test_a_question_shown_on_a_stood_for_safety_answer_follows_the_one_asked() -> None:
    follow = """      - id: now_q
        type: single_choice
        show_if: {item: a, at_least: 1}
        prompt: Right now?
        options: [{value: 0, label: "No"}, {value: 1, label: "Yes"}]
"""
    one = load_text(
        small("one", "a", SAFETY.format(item="a")).replace(
            "\nsafety:", "\n" + follow + "safety:", 1
        )
    )
    two = load_text(small("two", "b", SAFETY.format(item="b") + "  stands_for: [one]\n"))
    bundle = combine([one, two])
    (page,) = bundle.combined.pages
    assert [i.id for i in page.items] == ["b", "now_q"]
    assert page.items[1].show_if is not None and page.items[1].show_if.item == "b"
    assert bundle.part_answers(0, {"b": 1, "now_q": 0}) == {"a": 1, "now_q": 0}


def test_a_stand_in_with_other_answers_is_refused() -> None:
    one = load_text(
        small("one", "a", SAFETY.format(item="a") + "  stands_for: [two]\n").replace(
            "{value: 1, label: Often}", "{value: 1, label: Often}, {value: 9, label: X}"
        )
    )
    two = load_text(
        small("two", "b", SAFETY.format(item="b")).replace(
            "{value: 1, label: Often}", "{value: 7, label: Often}"
        )
    )
    assert any("their answers differ" in p for p in problems([one, two]))


def test_two_profiles_are_refused() -> None:
    text = Path("forms/readiness.yaml").read_text(encoding="utf-8")
    copy = load_text(text.replace("id: readiness", "id: other", 1))
    found = problems([READINESS, copy])
    assert any("each give a profile" in p for p in found)


def test_each_problem_belongs_beside_the_later_choice_it_names() -> None:
    text = Path("forms/readiness.yaml").read_text(encoding="utf-8")
    copy = load_text(text.replace("id: readiness", "id: other", 1))
    assert (2, "'phq9' is chosen twice") in placed_problems([PHQ9, GAD7, PHQ9])
    placed = placed_problems([READINESS, PHQ9, copy])
    assert {n for n, p in placed if "each give a profile" in p} == {2}
    with pytest.raises(BundleError) as raised:
        combine([GAD7, PHQ9, PHQ9])
    assert set(raised.value.positions) == {2}
    assert len(raised.value.positions) == len(raised.value.problems)


# --- the client's walk, the stored parts, the brief, the exports --------------------


def test_one_link_walks_three_questionnaires_and_stores_three_parts(
    client: FlaskClient, make_clinic: Any, login: Any
) -> None:
    clinic_id, email = make_clinic()
    intake = invite_set(clinic_id)
    rows = db.session.scalars(select(IntakePart).where(IntakePart.intake_id == intake.id)).all()
    assert [(r.position, r.questionnaire.key) for r in rows] == [(2, "phq9"), (3, "gad7")]

    welcome = client.get(f"/i/{intake.token}").get_data(as_text=True)
    assert str(READINESS.title) in welcome
    titles = "; ".join(str(d.title) for d in (READINESS, PHQ9, GAD7))
    assert f"You will answer 3 questionnaires, one after the other: {titles}." in welcome
    spanish = client.get(f"/i/{intake.token}?lang=es").get_data(as_text=True)
    assert "Responderá 3 cuestionarios, uno tras otro:" in spanish
    assert PHQ9.title.in_language("es") in spanish
    client.get(f"/i/{intake.token}?lang=en")  # back to English for the rest
    # One welcome, one progress bar over every page of the three and the contact step.
    assert f"{len(BUNDLE.combined.pages) + 1} short sections" in welcome
    count = len(steps(BUNDLE.combined, {}))
    sign(client, intake)
    page = client.get(page_url(intake, "phq9")).get_data(as_text=True)
    assert "Little interest or pleasure in doing things" in page
    assert f"of {count}" in page
    # The PHQ-9 page carries its own copyright line; a readiness page does not.
    assert str(PHQ9.copyright).split(".")[0] in " ".join(page.split())
    first = client.get(page_url(intake, READINESS.pages[0].id)).get_data(as_text=True)
    assert str(PHQ9.copyright).split(".")[0] not in " ".join(first.split())
    assert client.get(page_url(intake, READINESS.page_of("self_harm").id)).status_code == 404

    response = walk(client, intake, ALL)
    assert response.headers["Location"].endswith("/done")
    stored = reload(intake)
    assert stored.submitted and not stored.urgent
    parts = list(parts_of(stored))
    assert [(p.index, p.version.key) for p in parts] == [
        (1, "readiness"),
        (2, "phq9"),
        (3, "gad7"),
    ]
    readiness, phq9, gad7 = parts
    # Both measures read the one safety answer.
    assert readiness.answers["self_harm"] == 0 and phq9.answers["phq9_9"] == 0
    assert "phq9_1" not in readiness.answers and "cr_want" not in phq9.answers
    total = {d.id: d for d in phq9.result.dimensions}["phq9_total"]
    assert (total.score, total.band) == (10, "moderate")
    gad = {d.id: d for d in gad7.result.dimensions}["gad7_total"]
    assert (gad.score, gad.band) == (4, "minimal")
    assert {d.id for d in readiness.result.dimensions} >= {"change", "agency"}

    # The brief: the readiness profile, and each total in its own section.
    brief = brief_for(stored)
    assert [p.questionnaire_id for p in brief.parts] == KEYS
    assert brief.profile and brief.openers
    assert [m.id for m in brief.measures] == ["phq9_total", "gad7_total"]
    assert [m.part for m in brief.measures] == [str(PHQ9.title), str(GAD7.title)]
    login(email)
    html = client.get(f"/staff/intakes/{intake.id}").get_data(as_text=True)
    text = " ".join(html.split())
    assert "3 questionnaires:" in text
    assert "Where the client is starting from" in text
    assert 'Total <strong class="total-figure">10</strong> on a scale of 0–27' in text
    assert 'Total <strong class="total-figure">4</strong> on a scale of 0–21' in text
    assert "9 of 9 answered" in text and "7 of 7 answered" in text
    pdf = client.get(f"/staff/intakes/{intake.id}/brief.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    words = " ".join(pdf_text(pdf.data).split())
    assert "3 questionnaires:" in words and "Where the client is starting from" in words
    assert "on a scale of 0–27" in words and "on a scale of 0–21" in words


def test_the_phq9_safety_answer_is_urgent_at_once_for_both_parts(
    client: FlaskClient, make_clinic: Any
) -> None:
    clinic_id, _ = make_clinic()
    intake = invite_set(clinic_id)
    answers = {**ALL, "phq9_9": 1}
    for page in visible_pages(BUNDLE.combined, answers):
        if page.id == "phq9":
            break
        post_step(client, intake, page.id, answers)
    response = post_step(client, intake, "phq9", answers)
    assert "/support" in response.headers["Location"]
    assert reload(intake).urgent
    support = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "+1 555 0100" in support or "emergency" in support.lower()
    walk(client, intake, answers)
    readiness, phq9, _ = parts_of(reload(intake))
    assert readiness.result.urgent and phq9.result.urgent


def test_exports_carry_every_part(app: Flask, make_clinic: Any, tmp_path: Path) -> None:
    clinic_id, _ = make_clinic()
    intake = invite_set(clinic_id)
    lifecycle.save_page(intake, BUNDLE.combined, STORED, None)
    lifecycle.submit(intake, BUNDLE.combined)
    result = app.test_cli_runner().invoke(args=["export", "fhir", str(intake.id)])
    assert result.exit_code == 0, result.output
    bundle = json.loads(result.output)
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds.count("Questionnaire") == 3 and kinds.count("QuestionnaireResponse") == 3
    out = tmp_path / "north.csv"
    result = app.test_cli_runner().invoke(
        args=["export", "csv", "--clinic", "north", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    (row,) = csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")))
    assert row["phq9__phq9_total"] == "10" and row["gad7__gad7_total"] == "4"
    assert row["readiness__self_harm"] == "0" and row["readiness__change"] != ""


def test_a_single_questionnaire_intake_has_no_parts_rows(make_clinic: Any) -> None:
    clinic_id, _ = make_clinic()
    intake = invite_set(clinic_id, ["phq9"])
    assert reload(intake).more_parts == [] and intake.questionnaire.key == "phq9"


# --- sets: the admin page, the invitation page, the command line, the referral link --


def test_an_admin_defines_a_set_and_invites_with_it(client: FlaskClient, admin: int) -> None:
    clinic_id = admin
    form = {"name": "Standard intake", "part_1": "readiness", "part_2": "phq9", "part_3": "gad7"}
    response = post_form(client, "/staff/sets/new", form)
    assert response.status_code == 302, response.get_data(as_text=True)
    row = db.session.scalar(select(IntakeSet).where(IntakeSet.clinic_id == clinic_id))
    assert row is not None and row.questionnaires == KEYS
    bad = post_form(client, "/staff/sets/new", {"name": "Two", "part_1": "phq9", "part_2": "phq9"})
    assert bad.status_code == 200 and "is chosen twice" in bad.get_data(as_text=True)

    page = client.get("/staff/invite").get_data(as_text=True)
    assert "Standard intake" in page
    response = post_form(
        client,
        "/staff/invite",
        {"client_name": "Sam Rivera", "questionnaire_id": f"set:{row.id}", "therapist_id": ""},
    )
    assert response.status_code == 302
    intake = db.session.scalar(select(Intake).where(Intake.clinic_id == clinic_id))
    assert intake is not None
    assert [v.key for v in intake_sets.versions_of(intake)] == KEYS
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Questionnaires, in order" in shown and "Patient Health Questionnaire" in shown


def test_the_command_line_invites_with_a_set_or_several_questionnaires(
    app: Flask, make_clinic: Any
) -> None:
    clinic_id, _ = make_clinic()
    clinic = db.session.get(Clinic, clinic_id)
    assert clinic is not None
    intake_sets.save(clinic, "Standard", KEYS)
    runner = app.test_cli_runner()
    by_set = runner.invoke(
        args=["invite", "--clinic", "north", "--name", "A B", "--set", "Standard"]
    )
    assert by_set.exit_code == 0, by_set.output
    repeated = runner.invoke(
        args=["invite", "--clinic", "north", "--name", "C D", "-q", "phq9", "-q", "gad7"]
    )
    assert repeated.exit_code == 0, repeated.output
    unknown = runner.invoke(args=["invite", "--clinic", "north", "--name", "E", "--set", "Nope"])
    assert unknown.exit_code != 0 and "Nope" in unknown.output
    intakes = db.session.scalars(
        select(Intake).where(Intake.clinic_id == clinic_id).order_by(Intake.id)
    ).all()
    assert [[v.key for v in intake_sets.versions_of(i)] for i in intakes] == [
        KEYS,
        ["phq9", "gad7"],
    ]


def test_the_self_referral_link_asks_the_chosen_set(client: FlaskClient, make_clinic: Any) -> None:
    clinic_id, _ = make_clinic()
    clinic = db.session.get(Clinic, clinic_id)
    assert clinic is not None
    chosen = intake_sets.save(clinic, "Standard", KEYS)
    clinic.self_referral_token = "tok-bundles"
    clinic.referral_set_id = chosen.id
    db.session.commit()
    response = post_form(client, "/r/tok-bundles", {"client_name": "Robin Self"})
    assert response.status_code == 302
    intake = db.session.scalar(select(Intake).where(Intake.clinic_id == clinic_id))
    assert intake is not None
    assert [v.key for v in intake_sets.versions_of(intake)] == KEYS


def test_deleting_a_set_asks_first_and_sent_intakes_keep_what_they_asked(
    client: FlaskClient, admin: int
) -> None:
    clinic = db.session.get(Clinic, admin)
    assert clinic is not None
    chosen = intake_sets.save(clinic, "Standard", KEYS)
    sent = invite_set(admin)
    clinic.referral_set_id = chosen.id
    db.session.commit()
    url = f"/staff/sets/{chosen.id}/delete"
    # The list links to the question; asking deletes nothing.
    assert f'href="{url}"' in client.get("/staff/sets").get_data(as_text=True)
    page = client.get(url)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Delete the set “Standard”" in text
    assert "Patient Health Questionnaire" in text and "self-referral link asks this set" in text
    assert client.post(url).status_code == 400  # no CSRF token
    db.session.expire_all()
    assert db.session.get(IntakeSet, chosen.id) is not None
    response = post_form(client, url, {})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(IntakeSet, chosen.id) is None
    assert db.session.get(Clinic, admin).referral_set_id is None  # type: ignore[union-attr]
    assert [v.key for v in intake_sets.versions_of(reload(sent))] == KEYS
    assert "Deleted the set" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_api_invites_with_several_questionnaires(
    client: FlaskClient, make_clinic: Any
) -> None:
    from intake import api_tokens
    from intake.models import ApiScope, Staff

    clinic_id, _ = make_clinic()
    staff = db.session.scalar(select(Staff).where(Staff.clinic_id == clinic_id))
    assert staff is not None
    secret = api_tokens.issue(clinic_id, "System", ApiScope.READ_INVITE, staff.id)[1]
    headers = {"Authorization": f"Bearer {secret}"}
    body = {"client_name": "Sam Rivera", "questionnaires": KEYS}
    response = client.post("/api/v1/invitations", json=body, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert [q["id"] for q in response.json["questionnaires"]] == KEYS
    twice = {"client_name": "Sam Rivera", "questionnaires": ["phq9", "phq9"]}
    refused = client.post("/api/v1/invitations", json=twice, headers=headers)
    assert refused.status_code == 422 and "chosen twice" in refused.get_data(as_text=True)


def test_the_review_names_blank_questions_of_every_questionnaire(
    client: FlaskClient, make_clinic: Any
) -> None:
    clinic_id, _ = make_clinic()
    intake = invite_set(clinic_id)
    sign(client, intake)
    # Everything but three PHQ-9 answers: its total would not be scored.
    answers = {k: v for k, v in ALL.items() if k not in ("phq9_1", "phq9_2", "phq9_3")}
    lifecycle.save_page(reload(intake), BUNDLE.combined, answers, "review")
    review = " ".join(client.get(f"/i/{intake.token}/review").get_data(as_text=True).split())
    assert "some questions are still blank" in review
    assert "Little interest or pleasure in doing things" in review


def test_forms_check_says_when_a_stand_in_cannot_answer_for_the_other(
    app: Flask, tmp_path: Path
) -> None:
    one = small("one", "a", SAFETY.format(item="a") + "  stands_for: [two]\n")
    two = small("two", "b", SAFETY.format(item="b")).replace(
        "{value: 1, label: Often}", "{value: 7, label: Often}"
    )
    (tmp_path / "one.yaml").write_text(one, encoding="utf-8")
    (tmp_path / "two.yaml").write_text(two, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["forms", "check", str(tmp_path)])
    assert result.exit_code == 1
    assert "safety.stands_for 'two': 'one' cannot answer for" in result.output
    (tmp_path / "two.yaml").write_text(two.replace("value: 7", "value: 1"), encoding="utf-8")
    assert app.test_cli_runner().invoke(args=["forms", "check", str(tmp_path)]).exit_code == 0


def test_erasing_a_set_intake_deletes_every_part_and_the_export_holds_them_all(
    make_clinic: Any,
) -> None:
    import zipfile

    from intake import erasure
    from intake.exports.client import archive

    clinic_id, _ = make_clinic()
    intake = invite_set(clinic_id)
    lifecycle.save_page(intake, BUNDLE.combined, STORED, None)
    lifecycle.submit(intake, BUNDLE.combined)
    with zipfile.ZipFile(io.BytesIO(archive(reload(intake)))) as zf:
        answers = json.loads(zf.read("answers.json"))
        scores = json.loads(zf.read("scores.json"))
        assert "my-answers.pdf" in zf.namelist()
    assert [q["id"] for q in answers["questionnaires"]] == KEYS
    given = {a["question_id"] for a in answers["answers"]}
    assert {"cr_want", "phq9_9", "gad7_7"} <= given and "self_harm" not in given
    assert [s["questionnaire"]["id"] for s in scores] == KEYS
    erasure.erase(reload(intake))
    left = db.session.scalars(select(IntakePart).where(IntakePart.intake_id == intake.id))
    assert left.all() == []


def test_staff_read_the_follow_ups_of_a_set_where_the_phq9_asked_the_safety_question(
    client: FlaskClient, make_clinic: Any, login: Any
) -> None:
    # In progress, urgent: PHQ-9 item 9 answered for both, and "right now: yes" after it.
    clinic_id, email = make_clinic()
    intake = invite_set(clinic_id)
    intake.answers = {"phq9_9": 2, "safety_now": "yes", "safety_ever": "no"}
    intake.urgent = True
    db.session.commit()
    from intake import dashboard
    from intake.staff import urgent

    said = urgent.safety_answers(intake)
    assert said is not None and (said.now, said.ever) == ("yes", "no")
    questions = dict(urgent.safety_summary(intake)["questions"])
    assert "Not answered" not in questions.values(), questions
    page = dashboard.page(clinic_id, dashboard.Filters())
    assert page.said[intake.id].now_yes


def _select(page: str, field_id: str) -> str:
    """The <select> element of one field, as rendered."""
    match = re.search(rf'<select[^>]*id="{field_id}"[^>]*>.*?</select>', page, re.S)
    assert match, field_id
    return match.group(0)


def test_a_set_that_cannot_be_one_intake_says_why_beside_the_choice(
    client: FlaskClient, admin: int
) -> None:
    # A blank choice between them: the message still goes beside the third choice.
    form = {"name": "Twice over", "part_1": "phq9", "part_2": "", "part_3": "phq9"}
    bad = post_form(client, "/staff/sets/new", form)
    page = html.unescape(bad.get_data(as_text=True))
    assert bad.status_code == 200
    assert '<p class="field-error" id="part_3-error">\'phq9\' is chosen twice.</p>' in page
    third = _select(page, "part_3")
    assert 'aria-describedby="part_3-error"' in third and 'aria-invalid="true"' in third
    assert "part_1-error" not in page and "error-summary" not in page
    assert page.index('id="part_3"') < page.index('id="part_3-error"') < page.index('id="part_4"')
    # Everything entered is kept.
    assert 'value="Twice over"' in page
    assert '<option selected value="phq9">' in _select(page, "part_1")
    assert '<option selected value="phq9">' in third
    assert '<option selected value="">' in _select(page, "part_2")
    assert db.session.scalar(select(IntakeSet)) is None


def test_a_set_without_a_name_keeps_the_questionnaires_chosen(
    client: FlaskClient, admin: int
) -> None:
    bad = post_form(client, "/staff/sets/new", {"name": "", "part_1": "gad7", "part_2": "phq9"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 200 and 'id="name-error"' in page
    assert 'aria-describedby="name-error"' in page
    assert '<option selected value="gad7">' in _select(page, "part_1")
    assert '<option selected value="phq9">' in _select(page, "part_2")


def test_editing_a_set_keeps_what_was_typed_on_error(client: FlaskClient, admin: int) -> None:
    clinic = db.session.get(Clinic, admin)
    assert clinic is not None
    row = intake_sets.save(clinic, "Standard", ["phq9", "gad7"])
    form = {"name": "Renamed", "part_1": "gad7", "part_2": "gad7"}
    bad = post_form(client, f"/staff/sets/{row.id}", form)
    page = html.unescape(bad.get_data(as_text=True))
    assert bad.status_code == 200 and "id=\"part_2-error\">'gad7' is chosen twice." in page
    assert 'value="Renamed"' in page
    db.session.refresh(row)
    assert row.name == "Standard" and row.questionnaires == ["phq9", "gad7"]
