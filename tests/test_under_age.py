"""Under 18 (version 3's adult_item): a client who answers "no" is told kindly what to do
instead, is asked nothing more, and the clinic is told (dashboard, email without answers,
audit), on every kind of link."""

from __future__ import annotations

import html as html_lib
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from intake import lifecycle
from intake.db import db
from intake.models import Intake, Staff
from tests.helpers import (
    PASSWORD,
    SAFETY_V3,
    SmtpInbox,
    audit_actions,
    csrf_token,
    fill_page,
    reload,
    safety_v3_intake,
)

GUIDANCE = {
    "en": ("18 or over", "parent, a carer or another adult you trust", "family doctor",
           "service for young people"),
    "es": ("18 años o más", "otra persona adulta de confianza", "médico de familia",
           "servicio para jóvenes"),
}  # fmt: skip


def text_of(page: str) -> str:
    return " ".join(html_lib.unescape(page).split())


@pytest.fixture
def clinic_id(clinic_with_admin: dict[str, Any]) -> int:
    return int(clinic_with_admin["id"])


def say_under_18(client: FlaskClient, intake: Intake) -> Any:
    return fill_page(client, intake, "about", {"adult": "no"}, definition=SAFETY_V3)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_an_invited_client_under_18_is_told_what_to_do_and_asked_no_more(
    client: FlaskClient, clinic_id: int, lang: str
) -> None:
    intake = safety_v3_intake(clinic_id)
    client.get(f"/i/{intake.token}?lang={lang}")
    fill_page(client, intake, "about", {"adult": "yes"}, action="save", definition=SAFETY_V3)
    token = csrf_token(client, f"/i/{intake.token}/p/about")  # the session's, still valid after
    response = say_under_18(client, intake)
    assert response.headers["Location"].endswith(f"/i/{intake.token}/under-18")
    page = text_of(client.get(response.headers["Location"]).get_data(as_text=True))
    for words in GUIDANCE[lang]:
        assert words in page, words
    will_call = {"en": "will be in touch with you", "es": "se pondrá en contacto con usted"}
    assert will_call[lang] in page
    # The clinic's crisis contacts, for help now.
    assert 'href="tel:' in page
    assert reload(intake).under_age_at is not None
    # No more questions, by any way in.
    for url in (
        f"/i/{intake.token}",
        f"/i/{intake.token}/p/wellbeing",
        f"/i/{intake.token}/review",
    ):
        assert client.get(url).headers["Location"].endswith("/under-18"), url
    saved = client.post(
        f"/i/{intake.token}/p/wellbeing/autosave",
        data={"why_now": "x"},
        headers={"X-CSRFToken": token},
    )
    assert saved.status_code == 409
    posted = client.post(
        f"/i/{intake.token}/p/more", data={"hopes": "more", "action": "next", "csrf_token": token}
    )
    assert posted.headers["Location"].endswith("/under-18")
    assert "hopes" not in reload(intake).answers


def test_under_18_after_the_intake_was_sent_in_another_tab(
    client: FlaskClient, clinic_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another tab's Send commits between this page's save and the stop: the client is
    shown that the intake was sent, not an error, and the sent intake is left as it is."""
    intake = safety_v3_intake(clinic_id)
    real_stop = lifecycle.stop_under_age

    def sent_meanwhile(row: Intake) -> bool:
        with db.engine.begin() as conn:
            conn.execute(update(Intake).where(Intake.id == row.id).values(status="submitted"))
        return real_stop(row)

    monkeypatch.setattr(lifecycle, "stop_under_age", sent_meanwhile)
    response = say_under_18(client, intake)
    assert response.headers["Location"].endswith(f"/i/{intake.token}/done")
    assert reload(intake).under_age_at is None


def test_a_self_referral_is_told_the_clinic_knows(client: FlaskClient, clinic_id: int) -> None:
    intake = safety_v3_intake(clinic_id, source="self_referral")
    say_under_18(client, intake)
    page = text_of(client.get(f"/i/{intake.token}/under-18").get_data(as_text=True))
    assert "has been told that you answered this question" in page
    assert "will be in touch" not in page


def test_the_clinic_is_told_once_without_answers(
    client: FlaskClient, clinic_id: int, smtp: SmtpInbox, login: Any
) -> None:
    intake = safety_v3_intake(clinic_id, name="Robin Young")
    fill_page(
        client, intake, "about", {"adult": "no", "why_now": "exams and my parents"},
        definition=SAFETY_V3,
    )  # fmt: skip
    # Stopped once: a second stop (another tab's late post) sends and records nothing more.
    assert lifecycle.stop_under_age(reload(intake)) is False
    assert len(smtp.messages) == 1
    assert (
        smtp.messages[0]["Subject"] == "An intake has stopped: please get in touch with the client"
    )
    # The text around the staff link: the link's intake id may hold "18" (e.g. /intakes/918).
    body = smtp.body().replace(smtp.link(), "")
    for private in ("18", "exams", "Robin", "under"):
        assert private not in body, private
    assert f"/staff/intakes/{intake.id}" in smtp.link()
    assert len(audit_actions("intake.under_age")) == 1
    assert len(audit_actions("intake.under_age_notified")) == 1
    admin = db.session.scalar(select(Staff).where(Staff.email == "admin@north.example"))
    assert admin is not None
    login(admin.email, PASSWORD)
    dashboard = text_of(client.get("/staff/").get_data(as_text=True))
    assert "Under 18: stopped, please get in touch" in dashboard
    pending = text_of(client.get(f"/staff/intakes/{intake.id}").get_data(as_text=True))
    assert "Under 18: the intake stopped." in pending
    assert "that the clinic would be in touch" in pending
    log = text_of(client.get("/staff/audit").get_data(as_text=True))
    assert "A client said they are under 18: the intake stopped" in log


def test_18_or_over_carries_on(client: FlaskClient, clinic_id: int) -> None:
    intake = safety_v3_intake(clinic_id)
    response = fill_page(client, intake, "about", {"adult": "yes"}, definition=SAFETY_V3)
    assert "/under-18" not in response.headers["Location"]
    assert reload(intake).under_age_at is None
    assert (
        client.get(f"/i/{intake.token}/under-18")
        .headers["Location"]
        .endswith(f"/i/{intake.token}")
    )


def test_no_reminder_for_a_stopped_intake(
    client: FlaskClient, clinic_id: int, smtp: SmtpInbox, login: Any
) -> None:
    intake = safety_v3_intake(clinic_id, email="robin@example.org")
    say_under_18(client, intake)
    sent = len(smtp.messages)
    login("admin@north.example", PASSWORD)
    url = f"/staff/intakes/{intake.id}/invitation"
    response = client.post(
        f"/staff/intakes/{intake.id}/remind", data={"csrf_token": csrf_token(client, url)}
    )
    assert response.status_code == 302
    assert len(smtp.messages) == sent and reload(intake).reminder_sent_at is None
    page = client.get(url).get_data(as_text=True)
    assert "said they are under 18 and the intake stopped" in page
