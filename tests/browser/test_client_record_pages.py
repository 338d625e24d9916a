"""The newest staff pages with a filled record, in Chromium: a client with three intakes (two
PHQ-9/GAD-7 sets sent, a readiness intake urgent and in progress), their record with its
trends, goals and re-invite form, the intake sets, the safety summary, the urgent panel, the
erase page, the exports and the clinic settings: axe-core, nothing sideways at 375 px, whole
words at 1366 px. Screenshots at both sizes go to artifacts/screenshots/."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from intake import catalogue, clients, intake_sets, lifecycle
from intake.accounts.auth import hash_password
from intake.db import db
from intake.models import Client, Clinic, Intake, Role, Staff
from tests.browser.conftest import PHONE
from tests.browser.test_staff_pages import WIDE, check, sign_in, visit
from tests.helpers import PASSWORD, reload

NAME = "María José Fernández-Castellanos"
ADMIN = "ada.lovelace-whitmore@harbour-street-therapy.example"
PHQ9 = [2, 2, 2, 2, 2, 1, 1, 2, 0]
PHQ9_LATER = [1, 1, 1, 1, 1, 1, 0, 0, 0]
GAD7 = [2, 2, 2, 2, 1, 1, 1]
GAD7_LATER = [1, 1, 1, 0, 0, 0, 0]
# Readiness version 3's worked example C3: urgent, "right now: yes".
URGENT = "C3, hopes the therapist will lead"


def mood_answers(phq9: list[int], gad7: list[int]) -> dict[str, Any]:
    """Stored answers of a PHQ-9 and GAD-7 set."""
    return {
        **{f"phq9_{n}": v for n, v in enumerate(phq9, start=1)},
        "phq9_difficulty": "somewhat",
        **{f"gad7_{n}": v for n, v in enumerate(gad7, start=1)},
    }


def send_set(intake: Intake, answers: dict[str, Any], days_ago: int) -> None:
    """Store a set's answers and submit it, as if sent days_ago."""
    lifecycle.save_page(intake, intake_sets.walk_of(intake), answers, None)
    lifecycle.submit(intake, intake_sets.walk_of(intake))
    intake = reload(intake)
    intake.submitted_at = intake.submitted_at - timedelta(days=days_ago)  # type: ignore[operator]
    intake.created_at = intake.created_at - timedelta(days=days_ago + 2)
    db.session.commit()


@pytest.fixture
def record(make_clinic: Any) -> dict[str, int]:
    """A clinic (admin, Madrid time, goals asked) and one client with three intakes."""
    clinic_id, _ = make_clinic("harbour")
    clinic = db.session.get(Clinic, clinic_id)
    assert clinic is not None
    clinic.name = "Harbour Street Therapy"
    clinic.time_zone = "Europe/Madrid"
    clinic.goal_step = "always"
    clinic.retention_months = 84
    admin = Staff(
        clinic_id=clinic_id,
        email=ADMIN,
        name="Dr Ada Lovelace-Whitmore",
        role=Role.ADMIN,
        password_hash=hash_password(PASSWORD),
    )
    db.session.add(admin)
    db.session.commit()
    mood = intake_sets.save(clinic, "Mood check (PHQ-9 and GAD-7)", ["phq9", "gad7"])
    intake_sets.save(clinic, "First appointment", ["readiness", "phq9", "gad7"])
    versions = intake_sets.resolve(clinic_id, mood.questionnaires)

    first = lifecycle.invite(
        clinic, NAME, versions, admin, email="maria.jose.fernandez@example.org"
    )
    lifecycle.save_goals(first, {}, [("Sleep through the night most weeks", 3)], "goals")
    send_set(first, mood_answers(PHQ9, GAD7), days_ago=60)
    client = db.session.get(Client, first.client_id)
    assert client is not None
    second = lifecycle.invite(clinic, NAME, versions, admin, client=client)
    goal = clients.earlier_goals(second)[0]
    lifecycle.save_goals(second, {goal.id: 7}, [("Go back to choir on Thursdays", 2)], "goals")
    send_set(second, mood_answers(PHQ9_LATER, GAD7_LATER), days_ago=5)

    readiness = catalogue.latest_builtin("readiness")
    assert readiness is not None
    urgent = lifecycle.invite(clinic, NAME, readiness, admin, client=client, phone="+12015550123")
    definition = catalogue.definition_of(readiness)
    answers = next(e for e in definition.examples if e.name.startswith(URGENT)).answers
    lifecycle.save_contact(
        urgent,
        {"phone": "+12015550123", "voicemail_ok": False, "texts_ok": True},
        "contact",
        confirmed=True,
    )
    assert lifecycle.save_page(urgent, definition, dict(answers), "wellbeing")
    return {"client": client.id, "urgent": urgent.id, "sent": second.id, "set": mood.id}


def test_the_client_record_and_its_pages_fit_a_phone_and_pass_axe(
    browser: Any, live_url: str, record: dict[str, int]
) -> None:
    context = browser.new_context(viewport=WIDE, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    base = f"{live_url}/staff"
    try:
        sign_in(page, live_url, ADMIN)
        for name, path in [
            ("record-dashboard-urgent", "/"),
            ("record-client", f"/clients/{record['client']}"),
            ("record-sets", "/sets"),
            ("record-set-edit", f"/sets/{record['set']}"),
            ("record-set-delete", f"/sets/{record['set']}/delete"),
            ("record-safety-summary", f"/intakes/{record['urgent']}/safety"),
            ("record-urgent-intake", f"/intakes/{record['urgent']}"),
            ("record-brief", f"/intakes/{record['sent']}"),
            ("record-erase", f"/intakes/{record['sent']}/erase"),
            ("record-exports", "/exports"),
            ("record-settings", "/settings"),
        ]:
            visit(page, base + path, name)
        # The record names every questionnaire a set asked and marks the urgent intake; on a
        # phone its rows are cards.
        page.goto(f"{base}/clients/{record['client']}")
        table = " ".join(page.inner_text("table.intakes").split())
        assert table.count("GAD-7") == 2 and "URGENT: safety" in table
        page.set_viewport_size(PHONE)
        shown = "getComputedStyle(document.querySelector('table.intakes tbody tr')).display"
        assert page.evaluate(shown) == "block"
        page.set_viewport_size(WIDE)
        # The re-invite form refused (no name): the message beside the field, nothing lost.
        page.fill("#client_name", "")
        with page.expect_navigation():
            page.click("#reinvite ~ form button.primary")
        assert "field-error" in page.inner_html("main")
        check(page, "record-reinvite-error")
    finally:
        context.close()
