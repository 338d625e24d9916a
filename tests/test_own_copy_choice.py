"""The client's own copy: before downloading, they choose whether it leaves out sensitive
answers (the safety item, its follow-ups, items marked sensitive); by default it does."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from intake.client.own_copy import sensitive_items
from intake.models import Intake
from tests.helpers import SAFETY_V3, complete, pdf_text, reload, safety_v3_intake

ANSWERS = {
    "adult": "yes",
    "why_now": "Work has been heavy since spring.",
    "self_harm": "1",
    "safety_now": "no",
    "safety_ever": "yes",
    "private_note": "Something only my therapist should read.",
    "hopes": "To sleep through the night again.",
}
SENSITIVE_TEXTS = (
    "Something only my therapist should read.",
    "how often have you been bothered by thoughts",
    "Are you having thoughts of ending your life right now?",
    "Have you ever tried to end your life?",
    "Is there anything private your therapist should know?",
)


@pytest.fixture
def sent(client: FlaskClient, clinic_with_admin: dict[str, Any]) -> Intake:
    intake = safety_v3_intake(clinic_with_admin["id"])
    response = complete(client, intake, ANSWERS, definition=SAFETY_V3)
    assert response.status_code == 302 and reload(intake).submitted
    return intake


def test_which_items_are_sensitive() -> None:
    assert sensitive_items(SAFETY_V3) == {"self_harm", "safety_now", "safety_ever", "private_note"}


def test_the_done_page_offers_the_choice_leaving_out_by_default(
    client: FlaskClient, sent: Intake
) -> None:
    page = client.get(f"/i/{sent.token}/done").get_data(as_text=True)
    assert f'<form method="get" action="/i/{sent.token}/answers.pdf"' in page
    assert 'name="sensitive" value="leave_out" checked' in page
    assert 'name="sensitive" value="include">' in page


@pytest.mark.parametrize("query", ["", "?sensitive=leave_out", "?sensitive=anything"])
def test_leaving_out_sensitive_answers(client: FlaskClient, sent: Intake, query: str) -> None:
    response = client.get(f"/i/{sent.token}/answers.pdf{query}")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    text = pdf_text(response.data)
    for private in SENSITIVE_TEXTS:
        assert private not in text, private
    assert "To sleep through the night again." in text
    assert "Work has been heavy since spring." in text
    assert "this copy leaves out your answers to sensitive questions" in text


def test_including_every_answer(client: FlaskClient, sent: Intake) -> None:
    text = pdf_text(client.get(f"/i/{sent.token}/answers.pdf?sensitive=include").data)
    for private in SENSITIVE_TEXTS:
        assert private in text, private
    assert "To sleep through the night again." in text
    assert "leaves out" not in text
    # Each choice is its own copy, not the other one from the cache.
    again = pdf_text(client.get(f"/i/{sent.token}/answers.pdf").data)
    assert SENSITIVE_TEXTS[0] not in again


def test_the_choice_in_spanish(client: FlaskClient, clinic_with_admin: dict[str, Any]) -> None:
    intake = safety_v3_intake(clinic_with_admin["id"])
    client.get(f"/i/{intake.token}?lang=es")
    complete(client, intake, ANSWERS, definition=SAFETY_V3)
    page = client.get(f"/i/{intake.token}/done").get_data(as_text=True)
    assert "Omitir las respuestas delicadas" in page
    text = pdf_text(client.get(f"/i/{intake.token}/answers.pdf").data)
    assert "esta copia omite sus respuestas a preguntas delicadas" in text
    assert "¿Hay algo privado que su terapeuta deba saber?" not in text
    assert "¿Qué espera?" in text
