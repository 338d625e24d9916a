"""The safety follow-ups (version 3): "right now: yes" puts the emergency number and "stay with
someone you trust" first on the crisis page; the clinic sees the answers where it sees the
urgent flag, the urgent email stays free of them, and nothing turns them into a risk level."""

from __future__ import annotations

import html as html_lib
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from intake.db import db
from intake.models import Intake, IntakeStatus, Staff
from intake.questionnaire.follow_ups import (
    FollowUpAnswers,
    follow_up_answers,
    needs_help_now,
    staff_words,
)
from tests.helpers import (
    PASSWORD,
    SAFETY_V3,
    SmtpInbox,
    audit_actions,
    autosave,
    complete,
    fill_page,
    reload,
    safety_v3_intake,
)

STAY = {
    "en": "Stay with someone you trust. Please do not stay alone right now.",
    "es": "Quédese con alguien de su confianza. Por favor, no se quede a solas en este momento.",
}
NOW = {"en": "Please get help now", "es": "Por favor, busque ayuda ahora"}


def text_of(page: str) -> str:
    return " ".join(html_lib.unescape(page).split())


@pytest.fixture
def intake(clinic_with_admin: dict[str, Any]) -> Intake:
    return safety_v3_intake(clinic_with_admin["id"])


def answer_safety(client: FlaskClient, intake: Intake, **answers: str) -> Any:
    fill_page(client, intake, "about", {"adult": "yes"}, definition=SAFETY_V3)
    return fill_page(client, intake, "wellbeing", answers, definition=SAFETY_V3)


@pytest.mark.parametrize(
    ("answers", "now", "ever", "help_now"),
    [
        ({}, None, None, False),
        ({"safety_now": "yes"}, "yes", None, True),
        ({"safety_now": "no", "safety_ever": "yes"}, "no", "yes", False),
        ({"safety_now": "rather_not_say", "safety_ever": "rather_not_say"}, "rather_not_say",
         "rather_not_say", False),
        ({"safety_now": "YES", "safety_ever": 1}, None, None, False),
    ],
)  # fmt: skip
def test_follow_up_answers_are_read_as_given(
    answers: dict[str, Any], now: str | None, ever: str | None, help_now: bool
) -> None:
    answers = {"self_harm": 1, **answers}
    found = follow_up_answers(SAFETY_V3, answers)
    assert found is not None and (found.now, found.ever) == (now, ever)
    assert needs_help_now(SAFETY_V3, answers) is help_now
    # Only the words the client chose: no level, no score.
    assert {staff_words(v) for v in (now, ever)} <= {
        "Yes", "No", "Would rather not say", "Not answered"
    }  # fmt: skip


def test_a_stale_follow_up_answer_is_not_read() -> None:
    # The safety answer was changed to "not at all": the follow-ups are no longer shown.
    stale = {"self_harm": 0, "safety_now": "yes", "safety_ever": "yes"}
    assert follow_up_answers(SAFETY_V3, stale) == FollowUpAnswers(now=None, ever=None)
    assert not needs_help_now(SAFETY_V3, stale)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_right_now_yes_leads_with_the_number_and_stay_with_someone(
    client: FlaskClient, intake: Intake, lang: str
) -> None:
    client.get(f"/i/{intake.token}?lang={lang}")
    response = answer_safety(client, intake, self_harm="2", safety_now="yes", safety_ever="no")
    assert "/support" in response.headers["Location"]
    page = text_of(client.get(response.headers["Location"]).get_data(as_text=True))
    main = page[page.index("<main") :]
    heading = main.index(NOW[lang])
    number = main.index('href="tel:')
    stay = main.index(STAY[lang])
    crisis_text = main.index('class="crisis-text"')
    assert heading < number < stay < crisis_text
    assert reload(intake).urgent


@pytest.mark.parametrize("now", ["no", "rather_not_say", None])
def test_otherwise_the_crisis_page_is_as_before(
    client: FlaskClient, intake: Intake, now: str | None
) -> None:
    answers = {"self_harm": "1"} | ({"safety_now": now} if now else {})
    response = answer_safety(client, intake, **answers)
    page = text_of(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "If you are thinking about harming yourself" in page
    assert STAY["en"] not in page and NOW["en"] not in page
    assert "In an emergency, call" in page


def test_a_later_right_now_yes_shows_the_crisis_page_again(
    client: FlaskClient, intake: Intake
) -> None:
    first = answer_safety(client, intake, self_harm="1", safety_now="no")
    assert "/support" in first.headers["Location"]
    # Back on the page, the client changes "right now" to yes: already urgent, but the
    # crisis page comes again, led by the number.
    again = fill_page(
        client, intake, "wellbeing", {"self_harm": "1", "safety_now": "yes"}, definition=SAFETY_V3
    )
    assert "/support" in again.headers["Location"]
    page = text_of(client.get(again.headers["Location"]).get_data(as_text=True))
    assert STAY["en"] in page
    # Unchanged on the next save: no detour.
    same = fill_page(
        client, intake, "wellbeing", {"self_harm": "1", "safety_now": "yes"}, definition=SAFETY_V3
    )
    assert "/support" not in same.headers["Location"]


def test_autosave_leaves_the_follow_ups_to_the_clients_next(
    client: FlaskClient, intake: Intake
) -> None:
    answer_safety(client, intake, self_harm="1", safety_now="no")
    # Back on the page, the script saves as the client changes "right now" to yes...
    sent = {"self_harm": "1", "safety_now": "yes", "safety_ever": "yes"}
    body = autosave(client, intake, "wellbeing", sent).get_json()
    # Saved, but not these: the page says they are saved by Next.
    assert body["saved"] is True and body["held"] == ["self_harm", "safety_now", "safety_ever"]
    stored = reload(intake).answers
    assert (stored["safety_now"], stored.get("safety_ever")) == ("no", None)
    # ...so their own Next still shows the crisis page, led by the number.
    again = fill_page(client, intake, "wellbeing", sent, definition=SAFETY_V3)
    assert "/support" in again.headers["Location"]
    assert STAY["en"] in text_of(client.get(again.headers["Location"]).get_data(as_text=True))


def test_the_clinic_sees_the_answers_but_the_email_does_not(
    client: FlaskClient, intake: Intake, smtp: SmtpInbox, login: Any
) -> None:
    answer_safety(client, intake, self_harm="3", safety_now="yes", safety_ever="rather_not_say")
    assert len(smtp.messages) == 1
    body = smtp.body()
    assert "needs urgent attention" in body
    for word in ("right now", "Right now", "tried", "Yes", "self-harm", "end"):
        assert word not in body.replace("attention", ""), word
    admin = db.session.scalar(select(Staff).where(Staff.email == "admin@north.example"))
    assert admin is not None
    login(admin.email, PASSWORD)
    dashboard = text_of(client.get("/staff/").get_data(as_text=True))
    assert "Right now: <strong>Yes</strong>; tried before: Would rather not say." in dashboard
    panel = text_of(client.get(f"/staff/intakes/{intake.id}").get_data(as_text=True))
    assert (
        "<dt>Thoughts of ending their life right now</dt> <dd><strong>Yes: please contact"
        " them now</strong></dd>" in panel
    )
    assert "<dt>Ever tried to end their life</dt><dd>Would rather not say</dd>" in panel
    # What the client said, never a level or score.
    urgent_panel = panel[panel.index('class="crisis urgent-panel"') :]
    urgent_panel = urgent_panel[: urgent_panel.index("</section>")].lower()
    for word in ("risk level", "high risk", "score"):
        assert word not in urgent_panel


def test_an_urgent_intake_in_progress_has_a_safety_summary(
    client: FlaskClient, intake: Intake, login: Any
) -> None:
    fill_page(
        client, intake, "about", {"adult": "yes", "why_now": "words only the brief may quote"},
        definition=SAFETY_V3,
    )  # fmt: skip
    fill_page(
        client, intake, "wellbeing", {"self_harm": "2", "safety_now": "no", "safety_ever": "yes"},
        definition=SAFETY_V3,
    )  # fmt: skip
    login("admin@north.example", PASSWORD)
    url = f"/staff/intakes/{intake.id}/safety"
    assert url in client.get("/staff/").get_data(as_text=True)
    assert url in client.get(f"/staff/intakes/{intake.id}").get_data(as_text=True)
    page = text_of(client.get(url).get_data(as_text=True))
    assert "how often have you been bothered by thoughts" in page
    assert "<dd>More than half the days</dd>" in page
    assert "<dt>Are you having thoughts of ending your life right now?</dt><dd>No</dd>" in page
    assert "<dt>Have you ever tried to end your life?</dt><dd>Yes</dd>" in page
    assert "No contact recorded yet" in page and "How to reach" in page
    assert "words only the brief may quote" not in page
    assert [e.subject_id for e in audit_actions("intake.safety_summary_viewed")] == [intake.id]
    # Not urgent: there is no summary; sent: the brief has it.
    calm = safety_v3_intake(reload(intake).clinic_id, name="Calm Client")
    assert client.get(f"/staff/intakes/{calm.id}/safety").status_code == 404
    stored = reload(intake)
    stored.status = IntakeStatus.SUBMITTED
    db.session.commit()
    assert client.get(url).headers["Location"].endswith(f"/staff/intakes/{intake.id}")


def test_the_done_page_and_the_brief_page_after_right_now_yes(
    client: FlaskClient, intake: Intake, login: Any
) -> None:
    answers = {
        "adult": "yes", "self_harm": "2", "safety_now": "yes", "safety_ever": "no",
    }  # fmt: skip
    complete(client, intake, answers, definition=SAFETY_V3)
    assert reload(intake).submitted
    done = text_of(client.get(f"/i/{intake.token}/done").get_data(as_text=True))
    assert done.index(NOW["en"]) < done.index('href="tel:') < done.index(STAY["en"])
    # Right after the page's heading (where focus starts), before what happens next.
    heading = done.index("<h1")
    assert heading < done.index(NOW["en"]) < done.index("What happens next")
    assert done.count("<h1") == 1 and done.index("<h2") > heading
    login("admin@north.example", PASSWORD)
    brief = text_of(client.get(f"/staff/intakes/{intake.id}").get_data(as_text=True))
    assert "Yes: please contact them now" in brief
    assert "<dt>Ever tried to end their life</dt><dd>No</dd>" in brief
