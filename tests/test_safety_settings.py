"""Crisis contacts are the clinic's, never a silent default: Settings, Safety; the banner; the
refusals (staff invite, `flask invite`, self-referral); what the client is shown and recorded."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from intake import catalogue, clinics, lifecycle
from intake.accounts.auth import hash_password
from intake.db import db
from intake.models import AuditEvent, Clinic, Intake, Role, Staff
from tests.helpers import (
    BEFORE_SAFETY,
    CRISIS_CONTACTS,
    FULL,
    PASSWORD,
    csrf_token,
    fill_page,
    post_form,
    reload,
)

URL = "/staff/settings/safety"
VALID = {
    "client_languages": ["en", "es"],
    "emergency_number": "112",
    "crisis_text_en": "Call the North crisis line on 0800 111 222, day or night.",
    "crisis_text_es": "Llame a la línea de crisis de North al 0800 111 222, de día o de noche.",
    "safety_procedure": "The assigned therapist calls within two hours.",
    "urgent_escalation_minutes": "45",
    "phone_region": "GB",
}
BANNER = "Clients cannot be invited yet"


def save(client: FlaskClient, **changes: Any) -> Any:
    data = {**VALID, **changes, "csrf_token": csrf_token(client, URL)}
    return client.post(URL, data={k: v for k, v in data.items() if v is not None})


def clinic(clinic_id: int) -> Clinic:
    row = db.session.get(Clinic, clinic_id)
    assert row is not None
    db.session.refresh(row)
    return row


@pytest.fixture
def bare(make_clinic: Any, login: Any) -> int:
    """A signed-in admin of a clinic that has set no crisis contacts (a new clinic)."""
    clinic_id, email = make_clinic("bare")
    row = clinic(clinic_id)
    row.emergency_number, row.crisis_texts = None, {}
    staff = db.session.scalar(select(Staff).where(Staff.email == email))
    assert staff is not None
    staff.role = Role.ADMIN
    db.session.commit()
    login(email)
    return clinic_id


def test_admin_sets_the_crisis_contacts_and_clients_see_them(
    client: FlaskClient, bare: int, make_intake: Any
) -> None:
    response = save(client)
    assert response.status_code == 302
    row = clinic(bare)
    assert row.emergency_number == "112" and row.settings_updated_at is not None
    assert row.crisis_texts["en"].startswith("Call the North crisis line")
    assert row.crisis_texts["es"].startswith("Llame a la línea")
    assert row.safety_procedure == "The assigned therapist calls within two hours."
    assert (row.urgent_escalation_minutes, row.phone_region) == (45, "GB")
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "settings.safety_changed")
    )
    assert event is not None and "emergency_number" in event.detail["fields"]

    # The crisis contacts appear on the client's safety page, in the client's language.
    intake = make_intake(bare)
    support = client.get(f"/i/{intake.token}/support").get_data(as_text=True)
    assert "0800 111 222" in support and "112" in support
    spanish = client.get(f"/i/{intake.token}/support?lang=es").get_data(as_text=True)
    assert "Llame a la línea de crisis de North" in spanish


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"emergency_number": "<script>"}, "emergency_number", "Please use digits"),
        ({"emergency_number": ""}, "emergency_number", "Please give the number clients"),
        ({"crisis_text_es": ""}, "crisis_text_es", "answering in Spanish is shown"),
        ({"client_languages": None}, "client_languages", "at least one language"),
        ({"urgent_escalation_minutes": "0"}, "urgent_escalation_minutes", "from 5 to 1440"),
        ({"safety_procedure": "x" * 401}, "safety_procedure", "page 1 of every urgent brief"),
        ({"phone_region": "XX"}, "phone_region", "Not a valid choice"),
    ],
)
def test_bad_safety_settings_keep_what_was_typed(
    client: FlaskClient, bare: int, changes: dict[str, Any], field: str, message: str
) -> None:
    page = save(client, **changes).get_data(as_text=True)
    assert message in page and f'id="{field}-error"' in page
    assert "0800 111 222" in page  # the crisis text typed is still in the form
    row = clinic(bare)
    assert row.emergency_number is None and row.crisis_texts == {}


def test_a_language_not_offered_needs_no_crisis_text(
    client: FlaskClient, bare: int, make_intake: Any
) -> None:
    assert save(client, client_languages=["en"], crisis_text_es="").status_code == 302
    row = clinic(bare)
    assert row.client_languages == ["en"] and clinics.missing_crisis_contacts(row) == []
    # A Spanish-speaking client is then answered in English, with the English crisis text.
    intake = make_intake(bare)
    page = client.get(f"/i/{intake.token}/support?lang=es").get_data(as_text=True)
    assert '<html lang="en">' in page and "Call the North crisis line" in page


def test_crisis_contacts_can_be_changed_but_never_emptied(client: FlaskClient, bare: int) -> None:
    save(client)
    page = save(client, emergency_number="", crisis_text_en="").get_data(as_text=True)
    assert "cannot be removed once set" in page
    assert "answering in English is shown" in page
    assert clinic(bare).emergency_number == "112"
    assert save(client, emergency_number="999").status_code == 302
    assert clinic(bare).emergency_number == "999"


def test_therapists_get_403(client: FlaskClient, make_clinic: Any, login: Any) -> None:
    _, email = make_clinic()
    login(email)
    assert client.get(URL).status_code == 403


def test_until_set_every_staff_page_says_so_and_no_client_can_be_invited(
    app: Flask, client: FlaskClient, bare: int
) -> None:
    for url in ("/staff/", "/staff/invite", "/staff/settings", "/staff/team", URL):
        page = client.get(url).get_data(as_text=True)
        assert BANNER in page, url
        assert "the emergency number, the crisis text in English" in page, url
    # The invitation form is replaced by the reason; a post is refused too.
    invite = client.get("/staff/invite").get_data(as_text=True)
    assert 'name="client_name"' not in invite and "crisis contacts are set" in invite
    version = catalogue.latest_builtin("readiness")
    assert version is not None
    token = csrf_token(client, "/staff/team")
    refused = client.post(
        "/staff/invite",
        data={"client_name": "Robin", "questionnaire_id": str(version.id), "csrf_token": token},
    )
    assert refused.status_code == 200 and BANNER in refused.get_data(as_text=True)
    assert db.session.scalar(select(Intake)) is None
    # The service refuses whoever calls it.
    with pytest.raises(clinics.CrisisContactsMissing, match="has not set its crisis contacts"):
        lifecycle.invite(clinic(bare), "Robin", version)
    # The command line says why.
    result = app.test_cli_runner().invoke(args=["invite", "--clinic", "bare", "--name", "Robin"])
    assert result.exit_code != 0
    assert "Bare Practice has not set its crisis contacts yet" in result.output
    assert "Settings, Safety" in result.output
    # The self-referral link is closed, with a message for the person who opened it.
    row = clinic(bare)
    row.self_referral_token = "open-door"
    db.session.commit()
    closed = client.get("/r/open-door")
    assert closed.status_code == 503
    assert "cannot take new clients through this page just now" in closed.get_data(as_text=True)
    sent = client.post("/r/open-door", data={"client_name": "Sam", "csrf_token": token})
    assert sent.status_code == 503
    assert db.session.scalar(select(Intake)) is None

    # Once set, the banner goes and clients can be invited.
    save(client)
    assert BANNER not in client.get("/staff/").get_data(as_text=True)
    assert client.get("/r/open-door").status_code == 200
    made = post_form(
        client,
        "/staff/invite",
        {"client_name": "Robin", "questionnaire_id": str(version.id), "therapist_id": ""},
    )
    assert made.status_code == 302


def test_therapists_are_told_to_ask_an_admin(client: FlaskClient, bare: int, login: Any) -> None:
    db.session.add(
        Staff(
            clinic_id=bare,
            email="t2@bare.example",
            name="Tess",
            password_hash=hash_password(PASSWORD),
        )
    )
    db.session.commit()
    client.post("/staff/logout", data={"csrf_token": csrf_token(client, "/staff/")})
    login("t2@bare.example")
    page = client.get("/staff/").get_data(as_text=True)
    assert BANNER in page and "Please ask a clinic admin" in page
    assert URL not in page


def test_the_builtin_crisis_defaults_never_reach_a_client(
    client: FlaskClient, make_clinic: Any, make_intake: Any
) -> None:
    """A clinic whose contacts were removed outside the app: the client sees no invented
    number (the questionnaire's 911 and 988), and the record says what they did see."""
    clinic_id, _ = make_clinic()
    intake = make_intake(clinic_id)
    row = clinic(clinic_id)
    row.emergency_number, row.crisis_texts = None, {}
    db.session.commit()
    for page_id in BEFORE_SAFETY:
        fill_page(client, intake, page_id, FULL)
    response = fill_page(client, intake, "wellbeing", {"self_harm": "2"})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    # The page's links carry the random token, which may hold "911" or "988" by chance.
    words = page.replace(intake.token, "")
    assert "911" not in words and "988" not in words and 'href="tel:' not in page
    assert "call your local emergency number" in page
    shown = reload(intake).crisis_shown
    assert shown is not None
    assert shown["emergency"] is None and shown["text"] is None and shown["page"] == "support"


def test_what_the_client_was_shown_is_recorded_once_in_their_language(
    client: FlaskClient, make_clinic: Any, make_intake: Any
) -> None:
    clinic_id, _ = make_clinic()
    intake = make_intake(clinic_id)
    client.get(f"/i/{intake.token}?lang=es")
    for page_id in BEFORE_SAFETY:
        fill_page(client, intake, page_id, FULL)
    # Not urgent yet: opening the crisis page records nothing.
    client.get(f"/i/{intake.token}/support")
    assert reload(intake).crisis_shown is None
    response = fill_page(client, intake, "wellbeing", {"self_harm": "1"})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Llame o envíe un mensaje de texto al 988" in page
    assert 'href="tel:911"' in page
    shown = reload(intake).crisis_shown
    assert shown is not None
    assert shown["emergency"] == "911" and shown["language"] == "es"
    assert shown["text"] == CRISIS_CONTACTS["crisis_texts"]["es"]
    first = shown["at"]
    # The clinic changes its number later: the record keeps what the client saw.
    row = clinic(clinic_id)
    row.emergency_number = "112"
    db.session.commit()
    client.get(response.headers["Location"])
    stored = reload(intake).crisis_shown
    assert stored is not None and stored["emergency"] == "911" and stored["at"] == first
