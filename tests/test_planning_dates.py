"""Dates asked for planning ("from what date could you start?") refuse a day already past,
with a clear message in the client's language; a definition may allow past dates."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from intake.models import Intake
from intake.questionnaire import DefinitionError, load_text
from tests.helpers import autosave, fill_page, page_url, reload, sign

PRACTICAL = {"contact": "email"}


@pytest.fixture
def started(client: FlaskClient, make_clinic: Any, make_intake: Any) -> Intake:
    intake = make_intake(make_clinic()[0])
    sign(client, intake)
    return reload(intake)


def test_a_start_date_in_the_past_is_refused_and_nothing_else_is_lost(
    client: FlaskClient, started: Intake
) -> None:
    response = fill_page(
        client, started, "practical", {**PRACTICAL, "earliest_start": "2020-03-01"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This date has already passed. Please choose today or a later date" in html
    assert 'value="2020-03-01"' in html  # what they typed stays in the box to correct
    assert "earliest_start" not in reload(started).answers
    assert reload(started).answers["contact"] == "email"
    later = (date.today() + timedelta(days=10)).isoformat()
    moved = fill_page(client, started, "practical", {**PRACTICAL, "earliest_start": later})
    assert moved.status_code == 302
    assert reload(started).answers["earliest_start"] == later


def test_today_is_accepted_and_the_picker_starts_there(
    client: FlaskClient, started: Intake
) -> None:
    page = client.get(page_url(started, "practical")).get_data(as_text=True)
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    assert f'min="{yesterday}"' in page or f'min="{date.today().isoformat()}"' in page
    today = date.today().isoformat()
    assert (
        fill_page(client, started, "practical", {**PRACTICAL, "earliest_start": today}).status_code
        == 302
    )


def test_autosave_refuses_a_past_date_too(client: FlaskClient, started: Intake) -> None:
    saved = autosave(client, started, "practical", {"earliest_start": "2020-03-01"})
    assert "already passed" in saved.get_json()["errors"]["earliest_start"]


def test_the_message_is_in_spanish(client: FlaskClient, started: Intake) -> None:
    client.get(f"/i/{started.token}/p/practical?lang=es")
    html = fill_page(
        client, started, "practical", {**PRACTICAL, "earliest_start": "2020-03-01"}
    ).get_data(as_text=True)
    assert "Esta fecha ya ha pasado" in html


def test_a_definition_may_allow_past_dates_on_date_items_only() -> None:
    base = "id: q\nversion: 1\ntitle: Q\npages:\n  - id: p\n    title: P\n    items:\n"
    ok = load_text(base + "      - {id: born, type: date, prompt: Born?, allow_past: true}\n")
    assert ok.item("born").allow_past
    with pytest.raises(DefinitionError, match="allow_past"):
        load_text(base + "      - {id: x, type: short_text, prompt: X?, allow_past: true}\n")
