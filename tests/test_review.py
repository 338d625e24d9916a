"""The review page: a change made from it comes back to it, and a nearly empty profile is
named plainly before sending (never forcing an answer), in English and Spanish."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from intake.models import Intake
from tests.helpers import (
    CONTACT,
    DEFINITION,
    FULL,
    contact_url,
    fill_page,
    give_contact,
    onward,
    page_url,
    post_form,
    reload,
    sign,
)

REQUIRED_ONLY = {"why_now": "Work.", "hopes": "Calm.", "contact": "email", "self_harm": "0"}


def walk_to_review(client: FlaskClient, intake: Intake, answers: dict[str, Any]) -> None:
    """Sign, then press Next through every page shown, as far as the review."""
    sign(client, intake)
    url = page_url(intake, "now")
    while "/review" not in url:
        if url == contact_url(intake):  # the contact step, before the safety question's page
            response = give_contact(client, intake)
        else:
            response = fill_page(client, intake, url.rsplit("/", 1)[1], answers)
        assert response.status_code == 302, response.get_data(as_text=True)[:1000]
        url = onward(response)
        if "/support" in url:
            target = url.split("next=")[1]
            url = f"/i/{intake.token}/review" if target == "review" else page_url(intake, target)


@pytest.fixture
def intake(make_clinic: Any, make_intake: Any) -> Intake:
    return make_intake(make_clinic()[0])


def test_change_then_next_returns_to_the_review(client: FlaskClient, intake: Intake) -> None:
    walk_to_review(client, intake, FULL)
    review = client.get(f"/i/{intake.token}/review").get_data(as_text=True)
    change = f'href="/i/{intake.token}/p/change?from=review"'
    assert change in review
    page = client.get(f"/i/{intake.token}/p/change?from=review").get_data(as_text=True)
    assert 'name="from" value="review"' in page and "Back to checking your answers" in page
    url = f"/i/{intake.token}/p/change?from=review"
    response = post_form(client, url, {"cr_want": "2", "from": "review", "action": "next"})
    assert response.headers["Location"] == f"/i/{intake.token}/review?saved=1"
    assert reload(intake).answers["cr_want"] == 2
    # Without coming from the review, Next still walks on to the next page.
    plain = post_form(client, page_url(intake, "change"), {"cr_want": "3", "action": "next"})
    assert plain.headers["Location"] == page_url(intake, "reasons") + "?saved=1"


def test_changing_how_to_reach_them_returns_to_the_review(
    client: FlaskClient, intake: Intake
) -> None:
    walk_to_review(client, intake, FULL)
    review = client.get(f"/i/{intake.token}/review").get_data(as_text=True)
    assert f'href="{contact_url(intake)}?from=review"' in review
    page = client.get(f"{contact_url(intake)}?from=review").get_data(as_text=True)
    assert 'name="from" value="review"' in page and "Back to checking your answers" in page
    url = f"{contact_url(intake)}?from=review"
    # A mistake first: the step comes back, still on its way to the review.
    wrong = post_form(client, url, {"email": "not an email", "from": "review", "action": "next"})
    assert wrong.status_code == 200
    assert "Back to checking your answers" in wrong.get_data(as_text=True)
    changed = {**CONTACT, "email": "robin@example.org", "from": "review", "action": "next"}
    response = post_form(client, url, changed)
    assert response.headers["Location"] == f"/i/{intake.token}/review?saved=1"
    # Without coming from the review, Next walks on to the safety question's page.
    plain = give_contact(client, intake)
    assert "/review" not in plain.headers["Location"]


def test_sending_waits_for_the_contact_step_and_the_safety_question(
    client: FlaskClient, intake: Intake
) -> None:
    # A client who answered the required questions, then opened the review by its address,
    # skipping the contact step and the safety question's page.
    sign(client, intake)
    fill_page(client, intake, "now", REQUIRED_ONLY)
    fill_page(client, intake, "practical", REQUIRED_ONLY)
    review = f"/i/{intake.token}/review"
    blocked = post_form(client, review, {})
    html = blocked.get_data(as_text=True)
    assert blocked.status_code == 200 and reload(intake).status == "in_progress"
    assert "Please check how we can reach you" in html
    assert f'href="{contact_url(intake)}?from=review"' in html
    give_contact(client, intake)
    html = post_form(client, review, {}).get_data(as_text=True)
    assert reload(intake).status == "in_progress"
    assert "Before you send, please look at this question" in html
    assert DEFINITION.item("self_harm").prompt in html
    assert f'href="{page_url(intake, "wellbeing")}?from=review"' in html
    # Asked twice and left blank, it no longer holds sending up (the clinic is asked to
    # check in instead); answered, neither.
    fill_page(client, intake, "wellbeing", {})
    fill_page(client, intake, "wellbeing", {})
    sent = post_form(client, review, {})
    assert sent.headers["Location"] == f"/i/{intake.token}/done"


def test_a_nearly_empty_profile_is_named_before_sending(
    client: FlaskClient, intake: Intake
) -> None:
    walk_to_review(client, intake, REQUIRED_ONLY)
    html = client.get(f"/i/{intake.token}/review").get_data(as_text=True)
    total = len(DEFINITION.dimensions)
    assert f"{total} of its {total} parts will show as “not scored”" in html
    assert "You do not have to answer them" in html
    # Each section with blank questions is named, with a way back that returns here.
    change_page = next(p for p in DEFINITION.pages if p.id == "change")
    assert change_page.title in html
    assert f'/i/{intake.token}/p/change?from=review">Answer these' in html
    assert DEFINITION.item("cr_want").prompt in html
    assert "Send my answers as they are" in html
    # Sending is never blocked by it.
    sent = post_form(client, f"/i/{intake.token}/review", {})
    assert sent.headers["Location"] == f"/i/{intake.token}/done"


def test_a_full_profile_and_declined_answers_are_not_nagged(
    client: FlaskClient, intake: Intake
) -> None:
    walk_to_review(client, intake, FULL)
    html = client.get(f"/i/{intake.token}/review").get_data(as_text=True)
    assert "not scored" not in html and "Send my answers</button>" in html


def test_the_gaps_are_named_in_spanish(client: FlaskClient, intake: Intake) -> None:
    client.get(f"/i/{intake.token}?lang=es")
    walk_to_review(client, intake, REQUIRED_ONLY)
    html = client.get(f"/i/{intake.token}/review").get_data(as_text=True)
    assert "«sin puntuar»" in html and "No tiene que responderlas" in html
