"""The client's wizard through the test client: every path a person can take."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from intake.db import db
from intake.models import Intake
from intake.questionnaire import load_file
from tests.conftest import csrf_token, post_form

DEFINITION = load_file("forms/readiness.yaml")
EXAMPLE_A = DEFINITION.examples[0].answers
WORDS = {
    "why_now": "I keep losing sleep over work and want to understand why.",
    "hopes": "To feel calmer & make decisions <without> second-guessing.",
    "keep": "My morning runs.",
    "contact": "email",
    "previous_therapy": "no",
    "consent": "y",
}
FULL = {**{k: str(v) for k, v in EXAMPLE_A.items()}, **WORDS}


def page_url(intake: Intake, page_id: str) -> str:
    return f"/i/{intake.token}/p/{page_id}"


def fill_page(
    client: FlaskClient,
    intake: Intake,
    page_id: str,
    answers: dict[str, Any],
    action: str = "next",
) -> Any:
    """Post one page with the answers that belong to it."""
    page = next(p for p in DEFINITION.pages if p.id == page_id)
    data = {i.id: answers[i.id] for i in page.items if i.id in answers}
    data["action"] = action
    return post_form(client, page_url(intake, page_id), data)


def complete(client: FlaskClient, intake: Intake, answers: dict[str, Any]) -> Any:
    """Walk Next through every page the client is shown, then send from the review page."""
    response = client.get(f"/i/{intake.token}")
    url = page_url(intake, "now")
    while "/review" not in url:
        page_id = url.rsplit("/", 1)[1]
        response = fill_page(client, intake, page_id, answers)
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        url = response.headers["Location"]
        if "/support" in url:
            url = url.split("next=")[1]
            url = f"/i/{intake.token}/review" if url == "review" else page_url(intake, url)
    return post_form(client, f"/i/{intake.token}/review", {})


def reload(intake: Intake) -> Intake:
    db.session.expire_all()
    fresh = db.session.get(Intake, intake.id)
    assert fresh is not None
    return fresh


@pytest.fixture
def intake(make_clinic: Any, make_intake: Any) -> Intake:
    clinic_id, _ = make_clinic()
    return make_intake(clinic_id)


def test_token_is_unguessable(intake: Intake) -> None:
    # 32 random bytes in URL-safe base64: at least 128 bits of entropy, as asked.
    assert len(intake.token) >= 43


def test_welcome_page_greets_and_explains(client: FlaskClient, intake: Intake) -> None:
    html = client.get(f"/i/{intake.token}").get_data(as_text=True)
    assert "Alex Client" in html
    assert "come back later with the same link" in html
    assert f"/i/{intake.token}/p/now" in html


def test_unknown_link_is_a_friendly_404(client: FlaskClient) -> None:
    response = client.get("/i/not-a-real-token")
    assert response.status_code == 404
    assert "contact the clinic" in response.get_data(as_text=True)


def test_complete_intake_is_scored_with_its_version(client: FlaskClient, intake: Intake) -> None:
    response = complete(client, intake, FULL)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/i/{intake.token}/done")
    done = client.get(f"/i/{intake.token}/done").get_data(as_text=True)
    assert "your answers have been sent" in done
    stored = reload(intake)
    assert stored.status == "submitted"
    assert stored.questionnaire.key == "readiness" and stored.questionnaire.version == 1
    assert stored.result is not None
    dims = {d["id"]: d for d in stored.result["dimensions"]}
    assert dims["change"]["score"] == pytest.approx(68.75)
    assert dims["expects_to_take_part"]["reversed"] == ["exp_fix", "exp_receive"]
    assert stored.answers["why_now"] == WORDS["why_now"]
    assert stored.answers["cr_want"] == 4  # ints stay ints
    assert stored.answers["consent"] is True


def test_progress_is_shown(client: FlaskClient, intake: Intake) -> None:
    html = client.get(page_url(intake, "now")).get_data(as_text=True)
    # 'Therapy before' is hidden until previous therapy is answered yes.
    assert "Step 1 of 8" in html


def test_back_and_next_keep_answers(client: FlaskClient, intake: Intake) -> None:
    fill_page(client, intake, "now", FULL)
    response = fill_page(client, intake, "change", {"cr_want": "2"}, action="back")
    assert response.headers["Location"].endswith(page_url(intake, "now"))
    html = client.get(page_url(intake, "now")).get_data(as_text=True)
    assert "I keep losing sleep over work" in html
    html = client.get(page_url(intake, "change")).get_data(as_text=True)
    assert re.search(r'<input checked id="cr_want-\d" name="cr_want" type="radio" value="2"', html)
    assert reload(intake).answers["cr_want"] == 2


def test_back_does_not_demand_required_answers(client: FlaskClient, intake: Intake) -> None:
    fill_page(client, intake, "now", FULL)
    response = fill_page(client, intake, "change", {}, action="back")
    assert response.status_code == 302


def test_resume_by_link_returns_where_the_client_stopped(
    client: FlaskClient, intake: Intake
) -> None:
    fill_page(client, intake, "now", FULL)
    fill_page(client, intake, "change", FULL)
    # A new browser with the same link.
    with client.application.test_client() as other:
        response = other.get(f"/i/{intake.token}")
        assert response.headers["Location"].endswith(page_url(intake, "reasons"))
        html = other.get(page_url(intake, "now")).get_data(as_text=True)
        assert "I keep losing sleep over work" in html


def test_save_and_continue_later(client: FlaskClient, intake: Intake) -> None:
    response = fill_page(client, intake, "now", {"why_now": "Half a thought"}, action="save")
    assert response.headers["Location"].endswith(f"/i/{intake.token}/saved")
    html = client.get(f"/i/{intake.token}/saved").get_data(as_text=True)
    assert "Your answers are saved" in html and intake.token in html
    assert reload(intake).answers["why_now"] == "Half a thought"
    assert client.get(f"/i/{intake.token}").headers["Location"].endswith(page_url(intake, "now"))


def test_missing_required_answer_shows_message_beside_field(
    client: FlaskClient, intake: Intake
) -> None:
    response = fill_page(client, intake, "now", {"hopes": "Keep this text", "why_now": "  "})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'class="error-summary"' in html and 'href="#why_now"' in html
    assert 'id="why_now-error"' in html and "Please answer this question." in html
    assert "Keep this text" in html  # nothing typed is lost
    assert reload(intake).answers.get("hopes") == "Keep this text"


@pytest.mark.parametrize(
    ("page", "data", "message"),
    [
        ("practical", {"earliest_start": "31/02/2027", "contact": "email"}, "real date"),
        ("practical", {"contact": "carrier-pigeon"}, "choose one of the options"),
        ("change", {"cr_want": "9"}, "choose one of the options"),
        ("now", {"why_now": "x" * 4001, "hopes": "h"}, "under 4000 characters"),
        ("practical", {"contact": "email", "availability": ["weekend", "noon"]}, "options"),
    ],
    ids=["bad-date", "unknown-choice", "off-scale", "too-long", "unknown-checkbox"],
)
def test_bad_input_gets_a_clear_message(
    client: FlaskClient, intake: Intake, page: str, data: dict[str, Any], message: str
) -> None:
    response = fill_page(client, intake, page, data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)


def test_conditional_page_appears_only_when_it_applies(
    client: FlaskClient, intake: Intake
) -> None:
    complete(client, intake, {**FULL, "previous_therapy": "yes", "previous_details": "CBT, 2019"})
    stored = reload(intake)
    assert stored.answers["previous_details"] == "CBT, 2019"

    other = Intake(
        clinic_id=stored.clinic_id,
        client_name="B",
        questionnaire_id=stored.questionnaire_id,
        token="t" * 43,
        answers={},
    )
    db.session.add(other)
    db.session.commit()
    fill_page(client, other, "now", FULL)
    fill_page(client, other, "change", FULL)
    fill_page(client, other, "reasons", FULL)
    response = fill_page(client, other, "expectations", FULL)
    assert response.headers["Location"].endswith(page_url(other, "ways"))
    assert client.get(page_url(other, "before")).status_code == 302


def test_double_submit_is_harmless(client: FlaskClient, intake: Intake) -> None:
    review = f"/i/{intake.token}/review"
    token = csrf_token(client, review)
    complete(client, intake, FULL)
    first = reload(intake).submitted_at
    # The same form sent a second time, as a double click or a resent request would.
    response = client.post(review, data={"csrf_token": token})
    assert response.headers["Location"].endswith(f"/i/{intake.token}/done")
    assert reload(intake).submitted_at == first


def test_submitted_intake_cannot_be_changed(client: FlaskClient, intake: Intake) -> None:
    complete(client, intake, FULL)
    response = client.post(
        page_url(intake, "now"),
        data={"why_now": "Changed later", "hopes": "x", "action": "next"},
    )
    assert response.status_code in (302, 400)
    assert reload(intake).answers["why_now"] == WORDS["why_now"]
    assert client.get(page_url(intake, "now")).headers["Location"].endswith("/done")


def test_post_without_csrf_token_is_refused(client: FlaskClient, intake: Intake) -> None:
    response = client.post(page_url(intake, "now"), data={"why_now": "x", "action": "next"})
    assert response.status_code == 400
    assert "Please try that again" in response.get_data(as_text=True)
    assert reload(intake).answers == {}


def test_safety_answer_shows_crisis_information_next_and_flags_at_once(
    client: FlaskClient, intake: Intake
) -> None:
    for page in ("now", "change", "reasons", "expectations", "ways", "practical"):
        fill_page(client, intake, page, FULL)
    response = fill_page(client, intake, "wellbeing", {"self_harm": "1"})
    assert response.status_code == 302
    assert f"/i/{intake.token}/support" in response.headers["Location"]
    # Flagged before the crisis page is even requested: holds if the client leaves now.
    stored = reload(intake)
    assert stored.urgent and stored.urgent_at is not None and stored.status == "in_progress"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert html.index("You do not have to carry this alone") < html.index("Continue my questions")
    assert "911" in html and "988" in html
    assert 'href="/i/' + intake.token + '/p/consent"' in html


def test_safety_item_left_blank_is_asked_once_more(client: FlaskClient, intake: Intake) -> None:
    for page in ("now", "change", "reasons", "expectations", "ways", "practical"):
        fill_page(client, intake, page, FULL)
    again = fill_page(client, intake, "wellbeing", {})
    assert again.status_code == 200
    assert "This question helps us look after you" in again.get_data(as_text=True)
    onwards = fill_page(client, intake, "wellbeing", {})
    assert onwards.headers["Location"].endswith(page_url(intake, "consent"))
    fill_page(client, intake, "consent", FULL)
    post_form(client, f"/i/{intake.token}/review", {})
    stored = reload(intake)
    assert stored.result is not None
    assert stored.result["safety_unanswered"] is True and stored.result["urgent"] is False


def test_review_lists_answers_and_blocks_missing_required(
    client: FlaskClient, intake: Intake
) -> None:
    fill_page(client, intake, "now", {"why_now": "w", "hopes": "h"}, action="save")
    html = client.get(f"/i/{intake.token}/review").get_data(as_text=True)
    assert "How would you like us to contact you?" in html  # required, still missing
    response = post_form(client, f"/i/{intake.token}/review", {})
    assert response.status_code == 200
    assert reload(intake).status == "in_progress"


def test_client_text_is_escaped(client: FlaskClient, intake: Intake) -> None:
    fill_page(client, intake, "now", {"why_now": "<script>alert(1)</script>", "hopes": "h"})
    html = client.get(page_url(intake, "now")).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
