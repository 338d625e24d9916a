"""The wizard's contact step: how the clinic may reach the client, before the safety question,
prefilled from the invitation, checked (libphonenumber, email), declinable, translated."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from intake import lifecycle
from intake.db import db
from intake.models import ClientContact, Clinic, Intake
from intake.questionnaire import load_text
from intake.questionnaire.flow import CONTACT, REVIEW, next_page, steps
from tests.helpers import (
    BEFORE_SAFETY,
    DEFINITION,
    FULL,
    complete,
    contact_url,
    fill_page,
    give_contact,
    page_url,
    readiness_v2,
    reload,
    sign,
)
from tests.helpers import CONTACT as DETAILS

SMALL = """
id: small
version: 1
title: Small
pages:
  - id: first
    title: First
    items:
      - id: feel
        type: single_choice
        prompt: How are you?
        options: [{value: 0, label: Fine}, {value: 1, label: Low}]
  - id: second
    title: Second
    items:
      - {id: words, type: short_text, prompt: Anything else?}
"""
SAFE_FIRST = (
    SMALL
    + """
safety: {item: feel, threshold: 1, crisis_text: x, emergency_number: "1"}
"""
)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (SMALL, ("first", "second", CONTACT)),  # no safety item: the contact step comes last
        (SAFE_FIRST, (CONTACT, "first", "second")),  # safety on page 1: contact comes first
    ],
    ids=["no-safety", "safety-first"],
)
def test_the_contact_step_comes_before_the_safety_page(
    source: str, expected: tuple[str, ...]
) -> None:
    definition = load_text(source, source="small.yaml")
    assert steps(definition, {}) == expected


def test_default_questionnaire_steps_and_moves() -> None:
    order = steps(DEFINITION, {})
    assert order[order.index(CONTACT) + 1] == "wellbeing"
    assert order[order.index(CONTACT) - 1] == "practical"
    assert next_page(DEFINITION, {}, "practical", "next") == CONTACT
    assert next_page(DEFINITION, {}, CONTACT, "next") == "wellbeing"
    assert next_page(DEFINITION, {}, CONTACT, "back") == "practical"
    assert next_page(DEFINITION, {}, "wellbeing", "back") == CONTACT
    assert next_page(DEFINITION, {}, "wellbeing", "next") == REVIEW


@pytest.fixture
def invited(make_clinic: Any, client: FlaskClient) -> Intake:
    """A signed intake invited with a phone and an email, at a clinic in the US region."""
    clinic_id, _ = make_clinic()
    clinic = db.session.get(Clinic, clinic_id)
    version = readiness_v2()
    assert clinic is not None and version is not None
    clinic.phone_region = "US"
    db.session.commit()
    intake = lifecycle.invite(
        clinic, "Robin Client", version, email="robin@example.org", phone="+12015550123"
    )
    sign(client, intake)
    return reload(intake)


def test_the_step_follows_the_page_before_safety_and_is_prefilled(
    client: FlaskClient, invited: Intake
) -> None:
    for page_id in BEFORE_SAFETY[:-1]:
        fill_page(client, invited, page_id, FULL)
    response = fill_page(client, invited, "practical", FULL)
    assert response.headers["Location"].endswith(contact_url(invited) + "?saved=1")
    html = client.get(contact_url(invited)).get_data(as_text=True)
    assert "How we can reach you" in html and "Step 7 of 8" in html
    assert 'value="+1 201-555-0123"' in html and 'type="tel"' in html
    assert 'value="robin@example.org"' in html and 'autocomplete="email"' in html


def test_a_local_number_is_read_in_the_clinics_region_and_stored_in_e164(
    client: FlaskClient, invited: Intake
) -> None:
    data = {"phone": "(201) 555-0199", "voicemail_ok": "no", "texts_ok": "yes", "email": ""}
    response = give_contact(client, invited, {**data, "safe_times": "Evenings only"})
    assert response.headers["Location"].endswith(page_url(invited, "wellbeing") + "?saved=1")
    contact = reload(invited).contact
    assert contact is not None
    assert (contact.phone, contact.email) == ("+12015550199", None)
    assert (contact.voicemail_ok, contact.texts_ok) == (False, True)
    assert contact.safe_times == "Evenings only" and contact.confirmed_at is not None
    assert not contact.declined
    # The invitation's own details stay as the clinic entered them.
    assert (reload(invited).phone, reload(invited).email) == ("+12015550123", "robin@example.org")
    assert reload(invited).current_page == "wellbeing"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"phone": "call me maybe"}, "phone", "Please use digits, spaces and + ( ) - only."),
        ({"phone": "555-0100"}, "phone", "does not look like a complete phone number"),
        ({"phone": "+44 20 1234"}, "phone", "does not look like a complete phone number"),
        ({"email": "robin-at-example"}, "email", "does not look like an email address"),
        ({"safe_times": "x" * 151}, "safe_times", "under 150 characters"),
        ({"phone": "", "email": ""}, "phone", "Please give a phone number or an email"),
        ({"declined": "y"}, "declined", "Please untick this"),
        ({"voicemail_ok": "maybe"}, "voicemail_ok", "Not a valid choice"),
    ],
)
def test_problems_are_shown_beside_the_field_and_nothing_typed_is_lost(
    client: FlaskClient, invited: Intake, data: dict[str, str], field: str, message: str
) -> None:
    sent = {"phone": "+1 201 555 0123", "email": "robin@example.org", "safe_times": "Mornings"}
    response = give_contact(client, invited, {**sent, **data})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in html and f'id="{field}-error"' in html
    assert 'class="error-summary"' in html and f'href="#{field}' in html
    for name, typed in {**sent, **data}.items():
        if name in ("phone", "email") and typed:
            assert f'value="{typed}"' in html  # what was typed is still in the form
    assert reload(invited).current_page != "wellbeing"


def test_a_number_without_a_region_needs_its_country_code(
    client: FlaskClient, make_clinic: Any, make_intake: Any
) -> None:
    clinic_id, _ = make_clinic()
    intake = make_intake(clinic_id)
    html = give_contact(client, intake, {"phone": "201 555 0123"}).get_data(as_text=True)
    assert "Please start with + and your country code" in html


def test_the_client_may_decline(client: FlaskClient, make_clinic: Any, make_intake: Any) -> None:
    clinic_id, _ = make_clinic()
    intake = make_intake(clinic_id)
    response = give_contact(client, intake, {"declined": "y"})
    assert response.headers["Location"].endswith(page_url(intake, "wellbeing") + "?saved=1")
    contact = reload(intake).contact
    assert contact is not None and contact.declined and contact.confirmed_at is not None
    review = client.get(f"/i/{intake.token}/review").get_data(as_text=True)
    assert "You would rather not say" in review


def test_back_and_save_keep_what_is_valid_without_confirming(
    client: FlaskClient, invited: Intake
) -> None:
    data = {"phone": "+44 20 7946 0958", "email": "not-an-email", "texts_ok": "no"}
    back = give_contact(client, invited, data, action="back")
    assert back.status_code == 200  # the bad email is pointed out; the rest is kept
    contact = reload(invited).contact
    assert contact is not None and contact.phone == "+442079460958"
    assert contact.email is None and contact.texts_ok is False and contact.confirmed_at is None
    saved = give_contact(client, invited, {**data, "email": "robin@example.org"}, action="save")
    assert saved.headers["Location"].endswith(f"/i/{invited.token}/saved")
    contact = reload(invited).contact
    assert contact is not None and contact.email == "robin@example.org"
    assert contact.confirmed_at is None
    back = give_contact(client, invited, {**data, "email": ""}, action="back")
    assert back.headers["Location"].endswith(page_url(invited, "practical") + "?saved=1")
    # Coming back later shows what they gave, not the invitation's details.
    html = client.get(contact_url(invited)).get_data(as_text=True)
    assert 'value="+44 20 7946 0958"' in html and "robin@example.org" not in html


def test_resuming_at_the_contact_step_opens_it(client: FlaskClient, invited: Intake) -> None:
    give_contact(client, invited, DETAILS, action="save")
    assert reload(invited).current_page == CONTACT
    response = client.get(f"/i/{invited.token}")
    assert response.headers["Location"].endswith(contact_url(invited))


def test_review_shows_the_contact_details_before_the_safety_page(
    client: FlaskClient, invited: Intake
) -> None:
    give_contact(client, invited, DETAILS)
    html = client.get(f"/i/{invited.token}/review").get_data(as_text=True)
    assert html.index("How we can reach you") < html.index("How you have been lately")
    assert html.index("Practical matters") < html.index("How we can reach you")
    assert "+44 20 7946 0958" in html and "After 6 pm; not at work." in html
    assert f'href="{contact_url(invited)}?from=review"' in html


def test_in_spanish(client: FlaskClient, invited: Intake) -> None:
    html = client.get(contact_url(invited) + "?lang=es").get_data(as_text=True)
    assert "Cómo podemos comunicarnos con usted" in html
    assert "Número de teléfono" in html and "Prefiero no dar mis datos de contacto aquí" in html
    error = give_contact(client, invited, {"phone": "llámame"}).get_data(as_text=True)
    assert "Use solo números, espacios y + ( ) -." in error


def test_a_sent_intake_goes_to_its_confirmation(client: FlaskClient, invited: Intake) -> None:
    complete(client, invited, FULL)
    assert reload(invited).submitted
    assert client.get(contact_url(invited)).headers["Location"].endswith("/done")
    contact = reload(invited).contact
    assert contact is not None and contact.phone == "+442079460958"


def test_contact_details_are_deleted_with_the_intake(client: FlaskClient, invited: Intake) -> None:
    give_contact(client, invited, DETAILS)
    db.session.delete(reload(invited))
    db.session.commit()
    assert db.session.query(ClientContact).count() == 0
