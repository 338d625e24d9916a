"""One client over time, in Chromium: a PHQ-9 intake on a phone with the client's own goals;
staff re-invite the same client from their record; the second intake re-rates the goals in the
client's own words; the brief (page and PDF) shows the PHQ-9's trend with a reliable-change
statement and the cut-off crossed, and each goal's ratings."""

from __future__ import annotations

import io
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from intake import catalogue
from intake.db import db
from intake.models import ClientGoal, Clinic, Intake
from tests.browser.conftest import PHONE, after_save, axe_violations, describe, screenshot
from tests.browser.test_urgent_path import click_and_wait, local, sign_in

NEXT = "button.primary[value=next]"
FOURTEEN = [2, 2, 2, 2, 2, 1, 1, 2, 0]
SIX = [1, 1, 1, 1, 1, 1, 0, 0, 0]


@pytest.fixture
def harbour(make_clinic: Any) -> dict[str, Any]:
    """A clinic that asks every client for their own goals; its therapist's email."""
    clinic_id, therapist = make_clinic("harbour")
    clinic = db.session.get(Clinic, clinic_id)
    assert clinic is not None
    clinic.name = "Harbour Street Therapy"
    clinic.goal_step = "always"
    db.session.commit()
    return {"id": clinic_id, "therapist": therapist}


def no_sideways_scroll(page: Any, what: str) -> None:
    wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 1, f"{what} scrolls sideways on a phone"


def answer_phq9(page: Any, values: list[int]) -> None:
    """The PHQ-9 page: one answer per question, then Next."""
    page.wait_for_url(after_save("/p/phq9"))
    for n, value in enumerate(values, start=1):
        page.check(f"#phq9_{n}-{value}")
    if page.locator("#phq9_difficulty-1").is_visible():
        page.check("#phq9_difficulty-1")
    click_and_wait(page, NEXT)


def consent_then_goals(page: Any, link: str) -> None:
    page.goto(link)
    page.fill("#consent_name", "Robin Ashdown")
    click_and_wait(page, "button.primary")
    page.wait_for_url("**/goals")


def contact_and_send(page: Any, values: list[int]) -> None:
    page.wait_for_url(after_save("/contact"))
    page.check("#declined")
    click_and_wait(page, NEXT)
    answer_phq9(page, values)
    page.wait_for_url(after_save("/review"))
    click_and_wait(page, "button.primary")
    page.wait_for_url("**/done")


def test_a_second_intake_rerates_goals_and_the_brief_shows_reliable_change(
    browser: Any, live_url: str, harbour: dict[str, Any]
) -> None:
    staff = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    staff.set_default_timeout(15_000)
    sign_in(staff, live_url, harbour["therapist"])
    version = catalogue.latest_builtin("phq9")
    assert version is not None
    staff.goto(f"{live_url}/staff/invite")
    staff.fill("#client_name", "Robin Ashdown")
    staff.select_option("#questionnaire_id", str(version.id))
    click_and_wait(staff, "button.primary")
    first_link = local(live_url, str(staff.input_value("#link")))

    # First intake, on a phone: the client names a goal and rates it.
    client = browser.new_context(viewport=PHONE, has_touch=True, locale="en-US").new_page()
    client.set_default_timeout(15_000)
    consent_then_goals(client, first_link)
    assert "Write one to three goals in your own words" in client.inner_text("main")
    client.fill("#goal_1", "Sleep through the night most weeks")
    client.check("#goal_1_rating-3")
    found = axe_violations(client)
    assert found == [], f"goals step: {describe(found)}"
    no_sideways_scroll(client, "the goals step")
    screenshot(client, "over-time-01-goals-first-phone")
    click_and_wait(client, NEXT)
    contact_and_send(client, FOURTEEN)
    client.context.close()

    # Staff re-invite the same client from their record (never matched by name).
    first = db.session.scalars(select(Intake).order_by(Intake.id)).first()
    assert first is not None and first.client_id is not None
    staff.goto(f"{live_url}/staff/clients/{first.client_id}")
    record = " ".join(staff.inner_text("main").split())
    assert "Sleep through the night most weeks Rated 3 of 10" in record  # the goal so far
    staff.select_option("#questionnaire_id", str(version.id))
    click_and_wait(staff, "button.primary")
    second_link = local(live_url, str(staff.input_value("#link")))

    # Second intake: the same words, re-rated; and a new goal.
    client = browser.new_context(viewport=PHONE, has_touch=True, locale="en-US").new_page()
    client.set_default_timeout(15_000)
    consent_then_goals(client, second_link)
    main = client.inner_text("main")
    assert "Sleep through the night most weeks" in main
    assert "Last time you named these goals in your own words" in main
    db.session.expire_all()
    goal = db.session.scalars(select(ClientGoal)).one()
    click_and_wait(client, NEXT)  # not rated yet: asked, next to the question
    assert "Please choose a number from 0 to 10." in client.inner_text("main")
    client.check(f"#rate_{goal.id}-7")
    client.fill("#goal_1", "Go back to choir")
    client.check("#goal_1_rating-2")
    found = axe_violations(client)
    assert found == [], f"goals re-rating: {describe(found)}"
    no_sideways_scroll(client, "the goals re-rating")
    screenshot(client, "over-time-02-goals-rerated-phone")
    click_and_wait(client, NEXT)
    contact_and_send(client, SIX)
    client.context.close()

    # The brief of the second intake: the trend, the reliable change, the goals.
    second = db.session.scalars(select(Intake).order_by(Intake.id.desc())).first()
    assert second is not None and second.client_id == first.client_id
    staff.goto(f"{live_url}/staff/intakes/{second.id}")
    history = staff.locator("section.history")
    text = " ".join(history.inner_text().split())
    assert "From 14" in text and "down 8 points. This is a reliable change (RCI -4.87" in text
    assert "It crossed the clinical cut-off of 10: from at or above it to below it." in text
    assert "Rated 3, then 7" in text and "Go back to choir" in text
    assert history.locator("svg[role=img]").count() >= 2
    screenshot(staff, "over-time-03-brief-history")
    pdf = staff.request.get(f"{live_url}/staff/intakes/{second.id}/brief.pdf")
    assert pdf.status == 200
    words = " ".join(
        " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf.body())).pages).split()
    )
    assert "This is a reliable change" in words and "Sleep through the night most weeks" in words
