"""The default questionnaire (version 3) on the paths around it: under 18 stops at the first
page; "right now: yes" leads the crisis page with the number and "stay with someone"; the
own copy leaves out the safety answers by default."""

from __future__ import annotations

import html as html_lib
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from intake import catalogue, lifecycle
from intake.db import db
from intake.models import Clinic, Intake, utcnow
from intake.questionnaire import load_file
from tests.helpers import complete, fill_page, give_contact, pdf_text, reload

V3 = load_file(Path(__file__).resolve().parents[1] / "forms" / "readiness.yaml")


def text_of(page: str) -> str:
    return " ".join(html_lib.unescape(page).split())


@pytest.fixture
def intake(clinic_with_admin: dict[str, Any]) -> Intake:
    """An invitation on the newest default questionnaire (what new invitations get)."""
    clinic = db.session.get(Clinic, clinic_with_admin["id"])
    version = catalogue.latest_builtin("readiness")
    assert clinic is not None and version is not None and version.version == V3.version
    made = lifecycle.invite(clinic, "Alex Client", version)
    made.consent_name, made.consent_at = "Alex Client", utcnow()
    db.session.commit()
    return made


# The first worked example's answers, with the written answers it leaves out.
ANSWERS = {k: str(v) for k, v in V3.examples[0].answers.items()} | {
    "why_now": "I keep losing sleep over work.",
    "hopes": "To sleep again.",
}


def first_page(answers: dict[str, Any]) -> dict[str, Any]:
    """The answers of the first page, all valid."""
    return {i.id: ANSWERS[i.id] for i in V3.pages[0].items if i.id in ANSWERS} | answers


def test_under_18_stops_at_the_first_page(client: FlaskClient, intake: Intake) -> None:
    response = fill_page(client, intake, "now", first_page({"adult": "no"}), definition=V3)
    assert response.headers["Location"].endswith(f"/i/{intake.token}/under-18")
    assert reload(intake).under_age_at is not None
    assert client.get(f"/i/{intake.token}/p/wellbeing").headers["Location"].endswith("/under-18")


def test_right_now_yes_on_the_default_questionnaire(client: FlaskClient, intake: Intake) -> None:
    fill_page(client, intake, "now", first_page({"adult": "yes"}), definition=V3)
    give_contact(client, intake)
    response = fill_page(
        client, intake, "wellbeing", {"self_harm": "1", "safety_now": "yes"}, definition=V3
    )
    assert "/support" in response.headers["Location"]
    page = text_of(client.get(response.headers["Location"]).get_data(as_text=True))
    main = page[page.index("<main") :]
    assert (
        main.index("Please get help now")
        < main.index('href="tel:')
        < main.index("Stay with someone you trust")
    )


def test_the_own_copy_leaves_out_the_safety_answers(client: FlaskClient, intake: Intake) -> None:
    answers = ANSWERS | {"self_harm": "1", "safety_now": "no", "safety_ever": "no"}
    complete(client, intake, answers, definition=V3)
    assert reload(intake).submitted
    safety_prompt = "how often have you been bothered by thoughts"
    left_out = pdf_text(client.get(f"/i/{intake.token}/answers.pdf").data)
    assert safety_prompt not in left_out and "ending your life" not in left_out
    full = pdf_text(client.get(f"/i/{intake.token}/answers.pdf?sensitive=include").data)
    assert safety_prompt in full and "ending your life" in full
