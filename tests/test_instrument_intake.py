"""A client invited with the PHQ-9 or GAD-7 alone: invitation, both languages, safety, brief."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from intake import catalogue, lifecycle
from intake.db import db
from intake.models import Clinic, Intake, Staff
from intake.questionnaire import Definition, load_file
from tests.helpers import (
    SmtpInbox,
    autosave,
    complete,
    fill_page,
    link_token,
    page_url,
    pdf_text,
    post_form,
    reload,
    send_from_review,
    sign,
)

PHQ9 = load_file("forms/phq9.yaml")
GAD7 = load_file("forms/gad7.yaml")
PHQ9_IDS = [f"phq9_{n}" for n in range(1, 10)]
# What a page with its script running says it showed: every question, the difficulty one too.
PHQ9_SHOWN = " ".join([*PHQ9_IDS, "phq9_difficulty"])
COPYRIGHT = "No permission required to reproduce, translate, display or distribute."
READINESS_WORDING = (
    "Readiness profile",
    "no pass mark",
    "A profile, not a verdict",
    "Suggested openers",
    "Patterns worth attention",
)


def invite_with(clinic_id: int, key: str, therapist: Staff | None = None) -> Intake:
    """An invitation to a built-in questionnaire, as the invite page makes it."""
    clinic = db.session.get(Clinic, clinic_id)
    version = catalogue.latest_builtin(key)
    assert clinic is not None and version is not None
    return lifecycle.invite(clinic, "Sam Rivera", version, therapist)


def answers_of(values: list[Any], **extra: Any) -> dict[str, Any]:
    """PHQ-9 answers as a browser posts them (blanks left out), with what the page showed."""
    out = {i: str(v) for i, v in zip(PHQ9_IDS, values, strict=True) if v is not None}
    return {**out, "shown": PHQ9_SHOWN, **extra}


@pytest.fixture
def clinic(make_clinic: Any) -> tuple[int, str]:
    """A clinic with one therapist: (clinic id, therapist email)."""
    return make_clinic()


def test_invite_page_offers_the_instruments_and_invites_with_one(
    client: FlaskClient, clinic: tuple[int, str], login: Any
) -> None:
    clinic_id, email = clinic
    login(email)
    html = client.get("/staff/invite").get_data(as_text=True)
    assert "Patient Health Questionnaire (PHQ-9) (built-in, v2)" in html
    assert "GAD-7 anxiety questionnaire (built-in, v2)" in html
    version = catalogue.latest_builtin("phq9")
    assert version is not None
    form = {"client_name": "Sam Rivera", "questionnaire_id": str(version.id), "therapist_id": ""}
    response = post_form(client, "/staff/invite", form)
    assert response.status_code == 302
    intake = db.session.scalar(select(Intake).where(Intake.clinic_id == clinic_id))
    assert intake is not None and intake.questionnaire.key == "phq9"
    # The link is shown once, on the page after the invitation (only its hash is stored).
    token = link_token(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "Patient Health Questionnaire (PHQ-9)" in client.get(f"/i/{token}").get_data(
        as_text=True
    )


def test_phq9_intake_end_to_end_and_its_brief(
    client: FlaskClient, clinic: tuple[int, str], login: Any
) -> None:
    clinic_id, email = clinic
    intake = invite_with(clinic_id, "phq9")

    welcome = client.get(f"/i/{intake.token}").get_data(as_text=True)
    # The questionnaire's one page and the contact step (every questionnaire has it).
    assert "There are 2 short sections. Most people take about 5 minutes." in welcome
    assert COPYRIGHT in " ".join(welcome.split())
    sign(client, intake)
    page = client.get(page_url(intake, "phq9")).get_data(as_text=True)
    assert "how often have you been bothered by any of the following" in " ".join(page.split())
    assert "Little interest or pleasure in doing things" in page
    assert "Nearly every day" in page and COPYRIGHT in " ".join(page.split())

    # Item 5 left blank; item 9 "not at all"; the difficulty question answered.
    answers = answers_of([3, 2, 2, 2, None, 2, 1, 2, 0], phq9_difficulty="very")
    response = fill_page(client, intake, "phq9", answers, definition=PHQ9)
    assert response.headers["Location"].endswith(f"/i/{intake.token}/review?saved=1")
    review = client.get(f"/i/{intake.token}/review").get_data(as_text=True)
    assert "Poor appetite or overeating" in review and "Not answered" in review
    assert "Very difficult" in review
    done = send_from_review(client, intake)
    assert done.headers["Location"].endswith(f"/i/{intake.token}/done")

    stored = reload(intake)
    assert stored.result is not None and stored.urgent is False
    (total,) = stored.result["dimensions"]
    # 14 from 8 answers: 15.75 prorated (14 x 9 / 8), 16, in the moderately severe band.
    assert (total["score"], total["status"], total["band"]) == (
        16,
        "prorated",
        "moderately_severe",
    )

    # The client's own copy carries the instrument's line.
    copy = client.get(f"/i/{intake.token}/answers.pdf")
    assert copy.status_code == 200
    copy_text = pdf_text(copy.data)
    assert "Little interest or pleasure in doing things" in copy_text
    assert COPYRIGHT in copy_text

    # The therapist reads the brief: the web page and the stored PDF.
    login(email)
    page_html = client.get(f"/staff/intakes/{intake.id}").get_data(as_text=True)
    html = " ".join(re.sub(r"<[^>]+>", "", page_html).split())  # the page's text
    pdf = client.get(f"/staff/intakes/{intake.id}/brief.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    text = pdf_text(pdf.data)
    for shown in (html, text):
        assert "PHQ-9 depression symptoms" in shown
        assert "Total 16 on a scale of 0–27" in shown
        assert "Moderately severe" in shown
        assert "Prorated: 8 of 9 questions answered" in shown
        assert "Poor appetite or overeating" in shown
        assert "Very difficult" in shown
        assert COPYRIGHT in shown
        for words in READINESS_WORDING:
            assert words not in shown, words
    assert "URGENT" not in text and "left blank — please contact" not in text


def test_phq9_in_spanish(client: FlaskClient, clinic: tuple[int, str]) -> None:
    intake = invite_with(clinic[0], "phq9")
    welcome = client.get(f"/i/{intake.token}?lang=es").get_data(as_text=True)
    assert "Cuestionario sobre la salud del paciente (PHQ-9)" in welcome
    assert "Hay 2 secciones cortas." in welcome  # its page and the contact step
    assert "No se requiere permiso para reproducir" in " ".join(welcome.split())
    sign(client, intake)
    page = " ".join(client.get(page_url(intake, "phq9")).get_data(as_text=True).split())
    assert "¿qué tan seguido ha tenido molestias debido a los siguientes problemas?" in page
    assert "Poco interés o placer en hacer cosas" in page
    assert "Pensamientos de que estaría mejor muerto(a) o de lastimarse de alguna manera" in page
    assert "Ningún día" in page and "Casi todos los días" in page
    complete(client, intake, answers_of([1] * 8 + [0], phq9_difficulty="somewhat"), PHQ9)
    stored = reload(intake)
    assert stored.language == "es" and stored.result is not None
    assert stored.result["dimensions"][0]["score"] == 8


def test_phq9_item_9_takes_the_urgent_path(
    client: FlaskClient, clinic_with_admin: dict[str, Any], smtp: SmtpInbox
) -> None:
    therapist = db.session.scalar(
        select(Staff).where(Staff.email == clinic_with_admin["therapist"])
    )
    intake = invite_with(clinic_with_admin["id"], "phq9", therapist)
    sign(client, intake)
    response = fill_page(client, intake, "phq9", answers_of([1] * 8 + [2]), definition=PHQ9)
    assert f"/i/{intake.token}/support" in response.headers["Location"]
    stored = reload(intake)
    assert stored.urgent and stored.urgent_at is not None and stored.status == "in_progress"
    crisis = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You do not have to carry this alone" in crisis and 'href="tel:911"' in crisis
    assert f'href="/i/{intake.token}/review"' in crisis
    (message,) = smtp.messages
    assert message["Subject"] == "An intake needs urgent attention"
    assert "Sam" not in smtp.body() and "phq9" not in smtp.body()

    send_from_review(client, intake)
    stored = reload(intake)
    assert stored.result is not None and stored.result["urgent"] is True
    assert stored.result["dimensions"][0]["score"] == 10
    assert len(smtp.messages) == 1  # told once


def test_phq9_item_9_left_blank_is_asked_again_and_never_filled_in(
    client: FlaskClient, clinic: tuple[int, str], login: Any
) -> None:
    intake = invite_with(clinic[0], "phq9")
    sign(client, intake)
    answers = answers_of([2] * 8 + [None])
    again = fill_page(client, intake, "phq9", answers, definition=PHQ9)
    assert again.status_code == 200
    assert "This question helps us look after you" in again.get_data(as_text=True)
    onwards = fill_page(client, intake, "phq9", answers, definition=PHQ9)
    assert onwards.headers["Location"].endswith(f"/i/{intake.token}/review?saved=1")
    send_from_review(client, intake)
    stored = reload(intake)
    assert stored.result is not None
    assert (stored.result["urgent"], stored.result["safety_unanswered"]) == (False, True)
    total = stored.result["dimensions"][0]
    assert (total["score"], total["status"]) == (None, "not_scored")

    login(clinic[1])
    text = pdf_text(client.get(f"/staff/intakes/{intake.id}/brief.pdf").data)
    assert "Safety question left blank — please contact the client before the session" in text
    assert "Total not scored" in text
    assert "was left blank, and this question is never filled in from the other answers" in text


def test_difficulty_question_appears_in_turn_without_javascript(
    client: FlaskClient, clinic: tuple[int, str]
) -> None:
    intake = invite_with(clinic[0], "phq9")
    sign(client, intake)
    first = client.get(page_url(intake, "phq9")).get_data(as_text=True)
    assert 'name="phq9_difficulty"' in first  # on the page, hidden until a problem is ticked
    answers = {**{i: "1" for i in PHQ9_IDS}, "phq9_9": "0"}
    shown = fill_page(client, intake, "phq9", answers, definition=PHQ9)
    assert shown.status_code == 200
    assert "There is one more question, based on your answer" in shown.get_data(as_text=True)
    done = fill_page(
        client, intake, "phq9", {**answers, "phq9_difficulty": "extremely"}, definition=PHQ9
    )
    assert done.headers["Location"].endswith("/review?saved=1")
    assert reload(intake).answers["phq9_difficulty"] == "extremely"


@pytest.mark.parametrize(
    ("form", "field", "value"),
    [("phq9", "phq9_1", "7"), ("phq9", "phq9_9", "-1"), ("readiness", "cr_want", "9")],
    ids=["phq9-7", "phq9-item-9-negative", "readiness-9-on-1-5"],
)
def test_answers_off_the_scale_are_refused_by_the_form(
    client: FlaskClient, clinic: tuple[int, str], form: str, field: str, value: str
) -> None:
    intake = invite_with(clinic[0], form)
    definition: Definition = PHQ9 if form == "phq9" else load_file("forms/readiness-v2.yaml")
    page = definition.page_of(field)
    sign(client, intake)
    response = post_form(
        client, page_url(intake, page.id), {field: value, "action": "next", "shown": field}
    )
    assert response.status_code == 200
    assert "Please choose one of the options." in response.get_data(as_text=True)
    assert field not in reload(intake).answers
    saved = autosave(client, intake, page.id, {field: value})
    assert saved.get_json()["errors"][field] == "Please choose one of the options."
    assert field not in reload(intake).answers and not reload(intake).urgent


def test_gad7_intake_end_to_end_and_its_brief(
    client: FlaskClient, clinic: tuple[int, str], login: Any
) -> None:
    clinic_id, email = clinic
    intake = invite_with(clinic_id, "gad7")
    answers = {f"gad7_{n}": str(v) for n, v in enumerate([3, 2, 2, 2, 2, 2, 2], start=1)}
    shown = " ".join([*answers, "gad7_difficulty"])
    complete(client, intake, {**answers, "gad7_difficulty": "somewhat", "shown": shown}, GAD7)
    stored = reload(intake)
    assert stored.result is not None and stored.result["dimensions"][0]["score"] == 15
    assert client.get(f"/i/{intake.token}/done").status_code == 200
    login(email)
    text = pdf_text(client.get(f"/staff/intakes/{intake.id}/brief.pdf").data)
    assert "GAD-7 anxiety symptoms" in text
    assert "Total 15 on a scale of 0–21: Severe (the instrument’s band for 15–21)" in text
    assert "All 7 questions answered; the total is the sum of the answers." in text
    assert "Somewhat difficult" in text
    for words in READINESS_WORDING:
        assert words not in text
