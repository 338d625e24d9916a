"""What clients are told about who reads their answers: one sentence, the same everywhere."""

from __future__ import annotations

import html as html_lib
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from intake.db import db
from intake.models import Intake, IntakeStatus, utcnow
from intake.questionnaire.loader import load_file
from tests.helpers import WHO_READS, sign


def text_of(page: str) -> str:
    """A page's text with entities decoded and whitespace collapsed."""
    return " ".join(html_lib.unescape(page).split())


@pytest.fixture
def intake(make_clinic: Any, make_intake: Any) -> Intake:
    clinic_id, _ = make_clinic()
    return make_intake(clinic_id)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_welcome_and_done_say_who_reads(client: FlaskClient, intake: Intake, lang: str) -> None:
    welcome = text_of(client.get(f"/i/{intake.token}?lang={lang}").get_data(as_text=True))
    assert WHO_READS[lang] in welcome
    sign(client, intake)
    # Sent (the done page is shown only then); its text does not depend on the answers.
    intake.status, intake.submitted_at = IntakeStatus.SUBMITTED, utcnow()
    db.session.commit()
    done = text_of(client.get(f"/i/{intake.token}/done").get_data(as_text=True))
    assert WHO_READS[lang] in done
    joint = {"en": "Therapy works best as a joint effort", "es": "trabajo conjunto"}[lang]
    assert joint in done and joint not in welcome


def test_the_default_consent_says_the_same() -> None:
    """The newest default questionnaire's consent names the same readers, in each language.

    Version 2's wording ("my therapist reads them") predates the sentence; from version 3 on,
    the consent must carry it word for word.
    """
    forms = Path(__file__).resolve().parents[1] / "forms"
    newest = max(
        (load_file(path) for path in forms.glob("readiness*.yaml")), key=lambda d: d.version
    )
    if newest.version < 3:
        pytest.skip("version 3 of the default questionnaire has not landed yet")
    assert newest.consent is not None
    for lang in ("en", "es"):
        text = " ".join(newest.consent.text.in_language(lang).split())
        assert WHO_READS[lang] in text, lang
