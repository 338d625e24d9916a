"""The urgent path: from the flag to a person who has called the client. How to reach them on
every page staff look at, the clinic's procedure, the record of contact, and the reminder to
the admins when no one has recorded contact in time."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select, update

from intake import notify, outbox
from intake.db import db
from intake.models import Clinic, Intake, Job, JobState, UrgentFollowUp, utcnow
from tests.helpers import (
    BEFORE_SAFETY,
    FULL,
    SmtpInbox,
    audit_actions,
    csrf_token,
    fill_page,
    give_contact,
    post_form,
    reload,
)

PROCEDURE = "Call the client within two hours; if no answer, tell the clinical lead."


def pdf_pages(pdf: bytes) -> list[str]:
    """Each page's text, whitespace collapsed."""
    return [" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages]


def jobs_of(kind: str) -> list[Job]:
    db.session.expire_all()
    return list(db.session.scalars(select(Job).where(Job.kind == kind).order_by(Job.id)))


def bring_forward(job: Job) -> None:
    """The wait is over (instead of sleeping through it)."""
    db.session.execute(update(Job).where(Job.id == job.id).values(run_at=utcnow()))
    db.session.commit()


@pytest.fixture
def north(clinic_with_admin: dict[str, Any]) -> dict[str, Any]:
    """The clinic with its procedure and a 45-minute escalation; the intake's contact given."""
    clinic = db.session.get(Clinic, clinic_with_admin["id"])
    assert clinic is not None
    clinic.safety_procedure = PROCEDURE
    clinic.urgent_escalation_minutes = 45
    db.session.commit()
    return clinic_with_admin


def flag(client: FlaskClient, intake: Intake, *, contact: dict[str, Any] | None = None) -> None:
    """Answer up to the safety question (with the contact step), then a worrying answer."""
    for page in BEFORE_SAFETY:
        fill_page(client, intake, page, FULL)
    give_contact(client, intake, contact)
    response = fill_page(client, intake, "wellbeing", {"self_harm": "2"})
    assert "/support" in response.headers["Location"]
    client.get(response.headers["Location"])  # the client sees the crisis page


def record(client: FlaskClient, intake: Intake, outcome: str, note: str = "") -> Any:
    """Record a contact with the client (or a try) on the intake's page, as staff do."""
    token = csrf_token(client, f"/staff/intakes/{intake.id}")
    return client.post(
        f"/staff/intakes/{intake.id}/follow-up",
        data={"outcome": outcome, "note": note, "csrf_token": token},
    )


def test_the_flag_schedules_a_reminder_for_the_clinics_time(
    client: FlaskClient, north: dict[str, Any]
) -> None:
    intake: Intake = north["intake"]
    flag(client, intake)
    (job,) = jobs_of(notify.ESCALATE)
    stored = reload(intake)
    assert job.state == JobState.PENDING and stored.urgent_at is not None
    assert job.run_at - stored.urgent_at == pytest.approx(
        timedelta(minutes=45), abs=timedelta(seconds=5)
    )
    assert outbox.sweep() == 0  # not due yet


def test_no_contact_recorded_in_time_reminds_the_admins_once(
    client: FlaskClient, smtp: SmtpInbox, north: dict[str, Any]
) -> None:
    intake: Intake = north["intake"]
    flag(client, intake)
    assert len(smtp.messages) == 1  # the notice at once, to the therapist and the admin
    (job,) = jobs_of(notify.ESCALATE)
    bring_forward(job)
    assert outbox.sweep() == 1
    reminder = smtp.messages[-1]
    assert reminder["Subject"] == notify.ESCALATION_SUBJECT
    assert reminder["To"] == "admin@north.example"  # admins only
    body = smtp.body()
    assert "no one has recorded speaking with the client" in body
    assert f"/staff/intakes/{intake.id}" in smtp.link()
    for private in ("Several", "More than half", FULL["why_now"], "+44"):
        assert private not in body  # email is not a safe channel for clinical content
    (event,) = audit_actions("intake.urgent_escalated")
    assert event.subject_id == intake.id and event.detail["to"] == "admin@north.example"
    assert jobs_of(notify.ESCALATE)[0].state == JobState.DONE
    # Handed out again (a lost message, a second worker): it does its work once.
    notify.escalate(intake.id)
    assert len(smtp.messages) == 2 and len(audit_actions("intake.urgent_escalated")) == 1


@pytest.mark.parametrize(
    ("outcomes", "reminded"),
    [
        (["contacted"], False),
        (["tried", "contacted"], False),
        # A call that reached nobody is recorded, but the client still waits for someone.
        (["tried"], True),
        (["tried", "tried"], True),
    ],
)
def test_only_speaking_with_the_client_in_time_means_no_reminder(
    client: FlaskClient,
    login: Any,
    smtp: SmtpInbox,
    north: dict[str, Any],
    outcomes: list[str],
    reminded: bool,
) -> None:
    intake: Intake = north["intake"]
    flag(client, intake)
    login(north["therapist"])
    for outcome in outcomes:
        done = record(client, intake, outcome, "No answer; left no message.")
        assert done.status_code == 302
    (job,) = jobs_of(notify.ESCALATE)
    bring_forward(job)
    outbox.sweep()
    expected = [notify.SUBJECT, notify.ESCALATION_SUBJECT] if reminded else [notify.SUBJECT]
    assert [m["Subject"] for m in smtp.messages] == expected
    assert jobs_of(notify.ESCALATE)[0].state == JobState.DONE
    assert len(audit_actions("intake.urgent_escalated")) == reminded


def test_a_reminder_that_cannot_be_sent_is_tried_again(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch, north: dict[str, Any]
) -> None:
    intake: Intake = north["intake"]
    flag(client, intake)
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", 9)  # nothing listens there
    (job,) = jobs_of(notify.ESCALATE)
    bring_forward(job)
    outbox.sweep()
    (job,) = jobs_of(notify.ESCALATE)
    assert job.state == JobState.PENDING and job.attempts == 1 and job.run_at > utcnow()
    assert audit_actions("intake.urgent_escalation_failed")


def test_staff_record_contact_by_whom_when_with_a_note(
    client: FlaskClient, login: Any, north: dict[str, Any]
) -> None:
    intake: Intake = north["intake"]
    flag(client, intake)
    login(north["therapist"])
    url = f"/staff/intakes/{intake.id}"
    page = client.get(url).get_data(as_text=True)
    assert "No contact recorded yet: waiting" in page and "None recorded yet." in page

    # Nothing chosen: the message sits beside the choice and the note typed is kept.
    token = csrf_token(client, url)
    bad = client.post(
        f"{url}/follow-up", data={"note": "Called twice, no answer.", "csrf_token": token}
    )
    html = bad.get_data(as_text=True)
    assert bad.status_code == 200
    assert 'id="outcome-error"' in html and "Please say whether you spoke" in html
    assert "Called twice, no answer." in html
    assert db.session.scalar(select(UrgentFollowUp)) is None

    ok = client.post(
        f"{url}/follow-up",
        data={
            "outcome": "contacted",
            "note": "Spoke at 15:10; safe tonight.",
            "csrf_token": token,
        },
    )
    assert ok.status_code == 302
    row = db.session.scalar(select(UrgentFollowUp))
    assert row is not None and row.outcome == "contacted" and row.staff.name == "T"
    assert row.note == "Spoke at 15:10; safe tonight." and row.created_at is not None
    (event,) = audit_actions("intake.urgent_followed_up")
    assert event.subject_id == intake.id and event.detail["outcome"] == "contacted"
    assert "safe tonight" not in str(event.detail)  # the note never goes to the audit log
    page = client.get(url).get_data(as_text=True)
    assert "Spoke with the client</strong>: T," in page and "safe tonight" in page
    assert "No contact recorded yet" not in page


def test_contact_is_recorded_only_where_it_is_needed(
    client: FlaskClient, login: Any, north: dict[str, Any]
) -> None:
    intake: Intake = north["intake"]
    login(north["therapist"])
    token = csrf_token(client, f"/staff/intakes/{intake.id}")
    response = client.post(
        f"/staff/intakes/{intake.id}/follow-up", data={"outcome": "tried", "csrf_token": token}
    )
    assert response.status_code == 302
    assert db.session.scalar(select(UrgentFollowUp)) is None


def test_every_page_staff_look_at_shows_how_to_reach_the_client(
    client: FlaskClient, login: Any, north: dict[str, Any]
) -> None:
    intake: Intake = north["intake"]
    client.get(f"/i/{intake.token}?lang=es")
    flag(
        client,
        intake,
        contact={
            "phone": "+44 20 7946 0958",
            "voicemail_ok": "no",
            "texts_ok": "yes",
            "email": "alex@example.org",
            "safe_times": "Después de las 18 h",
        },
    )
    login(north["therapist"])
    expected = (
        'href="tel:+44-20-7946-0958"',
        "+44 20 7946 0958",
        "No: do not leave a message",
        'href="mailto:alex@example.org"',
        "Después de las 18 h",
        "Spanish",
        PROCEDURE,
    )
    # The intake page (where the urgent email links), while the intake is still in progress.
    page = client.get(f"/staff/intakes/{intake.id}").get_data(as_text=True)
    for text in expected:
        assert text in page, text
    assert "the emergency number <strong>911</strong>" in page
    assert "Llame o envíe un mensaje de texto al 988" in page  # exactly what they were shown
    # The manage page.
    manage = client.get(f"/staff/intakes/{intake.id}/invitation").get_data(as_text=True)
    for text in expected:
        assert text in manage, text
    # The dashboard's urgent row: the number to call, the language, how long it has waited.
    dashboard = client.get("/staff/").get_data(as_text=True)
    row = dashboard[dashboard.index('<tr role="row" class="urgent">') :]
    row = row[: row.index("</tr>")]
    assert 'href="tel:+44-20-7946-0958"' in row and "(no messages)" in row
    assert "Spanish" in row and "No contact recorded yet: waiting less than a minute" in row
    assert (
        "1 where nobody has spoken with the client yet; the longest for less than a minute"
        in dashboard
    )


def test_the_dashboard_shows_how_long_and_then_who(
    client: FlaskClient, login: Any, north: dict[str, Any]
) -> None:
    intake: Intake = north["intake"]
    flag(client, intake)
    stored = reload(intake)
    stored.urgent_at = utcnow() - timedelta(minutes=95)
    db.session.commit()
    login(north["therapist"])
    dashboard = client.get("/staff/").get_data(as_text=True)
    assert "No contact recorded yet: waiting 1 h 35 min." in dashboard
    assert "the longest for 1 h 35 min" in dashboard
    record(client, intake, "tried")
    dashboard = client.get("/staff/").get_data(as_text=True)
    assert "Tried to reach the client: T," in dashboard
    # Nobody reached yet: the row and the banner still say how long the client has waited.
    assert "Not reached yet: waiting 1 h 35 min." in dashboard
    assert "1 where nobody has spoken with the client yet" in dashboard
    assert "No contact recorded" not in dashboard
    page = client.get(f"/staff/intakes/{intake.id}").get_data(as_text=True)
    assert "Not reached yet: waiting 1 h 35 min." in page
    record(client, intake, "contacted")
    dashboard = client.get("/staff/").get_data(as_text=True)
    assert "Spoke with the client: T," in dashboard
    assert "Not reached yet" not in dashboard and "where nobody has spoken" not in dashboard
    page = client.get(f"/staff/intakes/{intake.id}").get_data(as_text=True)
    assert "Not reached yet" not in page and "No contact recorded" not in page


def test_a_safety_answer_left_blank_twice_shows_on_the_dashboard(
    client: FlaskClient, login: Any, north: dict[str, Any]
) -> None:
    intake: Intake = north["intake"]
    for page in BEFORE_SAFETY:
        fill_page(client, intake, page, FULL)
    give_contact(client, intake)
    login(north["therapist"])
    fill_page(client, intake, "wellbeing", {})  # asked once more
    assert "please check in" not in client.get("/staff/").get_data(as_text=True)
    onwards = fill_page(client, intake, "wellbeing", {})
    assert onwards.headers["Location"].endswith("/review?saved=1")
    dashboard = client.get("/staff/").get_data(as_text=True)
    assert "Safety question not answered: please check in." in dashboard
    assert 'href="tel:+44-20-7946-0958"' in dashboard
    page = client.get(f"/staff/intakes/{intake.id}").get_data(as_text=True)
    assert "Safety question not answered: please check in" in page and PROCEDURE in page
    # Staff can record the check-in; a later answer clears the flag.
    token = csrf_token(client, f"/staff/intakes/{intake.id}")
    client.post(
        f"/staff/intakes/{intake.id}/follow-up", data={"outcome": "contacted", "csrf_token": token}
    )
    assert db.session.scalar(select(UrgentFollowUp)) is not None
    fill_page(client, intake, "wellbeing", {"self_harm": "0"})
    assert reload(intake).safety_skipped_at is None
    assert "please check in" not in client.get("/staff/").get_data(as_text=True)


def test_a_sent_intake_with_a_blank_safety_answer_asks_to_check_in(
    client: FlaskClient, login: Any, north: dict[str, Any]
) -> None:
    intake: Intake = north["intake"]
    for page in BEFORE_SAFETY:
        fill_page(client, intake, page, FULL)
    give_contact(client, intake)
    fill_page(client, intake, "wellbeing", {})
    stored = reload(intake)
    assert stored.safety_skipped_at is None  # asked once more: not yet left blank twice
    # An older intake that never went through the second asking: sending notes the blank.
    post_form(client, f"/i/{intake.token}/review", {})
    stored = reload(intake)
    assert stored.submitted and stored.safety_skipped_at is not None
    login(north["therapist"])
    assert "Safety question not answered: please check in." in client.get("/staff/").get_data(
        as_text=True
    )


def test_the_consent_record_is_on_the_staff_pages_and_says_when_names_differ(
    client: FlaskClient, login: Any, north: dict[str, Any]
) -> None:
    intake: Intake = north["intake"]
    stored = reload(intake)
    stored.consent_name = "Alexandra Client"
    stored.consent_version = "2026-11/es"
    db.session.commit()
    login(north["therapist"])
    for url in (f"/staff/intakes/{intake.id}", f"/staff/intakes/{intake.id}/invitation"):
        page = client.get(url).get_data(as_text=True)
        assert "Signed by typing “Alexandra Client” on" in page, url
        assert "wording version 2026-11 (Spanish)" in page, url
        assert "The signed name differs from the invited name (Alex Client)." in page, url
    stored.consent_name = "alex  CLIENT"
    db.session.commit()
    page = client.get(f"/staff/intakes/{intake.id}").get_data(as_text=True)
    assert "differs from the invited name" not in page


def test_the_brief_of_a_sent_urgent_intake_says_how_to_reach_the_client_on_page_one(
    client: FlaskClient, login: Any, north: dict[str, Any]
) -> None:
    intake: Intake = north["intake"]
    flag(client, intake)
    post_form(client, f"/i/{intake.token}/review", {})
    assert reload(intake).submitted
    login(north["therapist"])
    page = client.get(f"/staff/intakes/{intake.id}").get_data(as_text=True)
    box = page[page.index('class="safety urgent"') :]
    box = box[: box.index("</section>")]
    for text in ('href="tel:+44-20-7946-0958"', "leave no message", PROCEDURE, "911"):
        assert text in box, text
    # Above the brief, the record of contact and its form (the box already says how to reach).
    nav = page[: page.index("<header")]
    assert "Record contact" in nav and "No contact recorded yet" in nav
    # The stored PDF: page 1 has the number, the procedure; the appendix the consent.
    pdf = client.get(f"/staff/intakes/{intake.id}/brief.pdf")
    assert pdf.status_code == 200
    pages = pdf_pages(pdf.data)
    assert (
        "+44 20 7946 0958" in pages[0] and "Clinic’s safety procedure: Call the client" in pages[0]
    )
    assert "Signed by typing “Alex Client”" in " ".join(pages[1:])


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (0, "less than a minute"),
        (1, "1 min"),
        (59, "59 min"),
        (60, "1 h"),
        (95, "1 h 35 min"),
        (47 * 60, "47 h"),
        (49 * 60, "2 days"),
    ],
)
def test_how_long_an_intake_has_waited_reads_plainly(minutes: int, expected: str) -> None:
    from intake.follow_up import waited

    now = utcnow()
    assert waited(now - timedelta(minutes=minutes, seconds=20), now) == expected
