"""Email: a real SMTP client, the outbox without SMTP, and urgent safety notices."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from intake import lifecycle, mail, outbox
from intake.accounts.auth import hash_password
from intake.db import db
from intake.models import BriefPdf, Clinic, Intake, Staff, utcnow
from tests.helpers import (
    BEFORE_SAFETY,
    DEFINITION,
    EXAMPLE_A,
    FULL,
    PASSWORD,
    WORDS,
    SmtpInbox,
    audit_actions,
    fill_page,
    readiness_v2,
    reload,
    send_from_review,
)


def test_send_goes_through_the_smtp_server(app: Flask, smtp: SmtpInbox) -> None:
    mail.send(["a@example.org", "b@example.org"], "Hello", "Plain text, with ünïcode.")
    (message,) = smtp.messages
    assert message["To"] == "a@example.org, b@example.org"
    assert message["From"] == app.config["MAIL_FROM"]
    assert message["Subject"] == "Hello"
    assert smtp.body().strip() == "Plain text, with ünïcode."


def test_without_smtp_the_message_goes_to_the_outbox_and_the_log_says_so(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    with caplog.at_level(logging.WARNING, logger="intake.mail"):
        mail.send("a@example.org", "Saved", "Body")
    (saved,) = (tmp_path / "outbox").iterdir()
    assert saved.suffix == ".eml" and b"Subject: Saved" in saved.read_bytes()
    assert "SMTP_HOST is not set" in caplog.text and str(saved) in caplog.text
    assert not mail.configured()


def test_an_unreachable_server_raises_mail_error(
    app: Flask, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", 9)  # discard: nothing listens
    with pytest.raises(mail.MailError):
        mail.send("a@example.org", "Lost", "Body")
    assert "could not send email" in caplog.text


def test_links_use_the_public_base_url(app: Flask) -> None:
    with app.test_request_context(base_url="http://10.0.0.7:8000"):
        assert mail.external_url("staff.login") == "http://localhost/staff/login"
    assert mail.external_url("staff.login") == "http://localhost/staff/login"


# Urgent safety notices ---------------------------------------------------------------------


@pytest.fixture
def urgent_setup(make_clinic: Any) -> dict[str, Any]:
    """An intake assigned to a therapist, at a clinic with two admins (one deactivated)."""
    clinic_id, therapist_email = make_clinic("north")
    hashed = hash_password(PASSWORD)
    people = [
        Staff(clinic_id=clinic_id, email="admin@north.example", name="A", role="admin"),
        Staff(clinic_id=clinic_id, email="gone@north.example", name="G", role="admin"),
        Staff(clinic_id=clinic_id, email="other@north.example", name="O"),
    ]
    people[1].active = False
    for person in people:
        person.password_hash = hashed
    db.session.add_all(people)
    db.session.commit()
    clinic = db.session.get(Clinic, clinic_id)
    therapist = db.session.scalar(select(Staff).where(Staff.email == therapist_email))
    version = readiness_v2()
    assert clinic is not None and therapist is not None and version is not None
    intake = lifecycle.invite(clinic, "Nora North", version, therapist)
    intake.consent_name, intake.consent_at = "Nora North", utcnow()  # past the welcome page
    db.session.commit()
    return {"intake": intake, "therapist": therapist_email}


def test_urgent_answer_emails_the_therapist_and_admins_at_once(
    client: FlaskClient, smtp: SmtpInbox, urgent_setup: dict[str, Any]
) -> None:
    intake: Intake = urgent_setup["intake"]
    for page in BEFORE_SAFETY:
        fill_page(client, intake, page, FULL)
    assert smtp.messages == []
    response = fill_page(client, intake, "wellbeing", {"self_harm": "2"})
    assert response.status_code == 302  # on to the crisis contacts page

    (message,) = smtp.messages
    recipients = sorted(a.strip() for a in message["To"].split(","))
    assert recipients == ["admin@north.example", urgent_setup["therapist"]]
    assert message["Subject"] == "An intake needs urgent attention"
    body = smtp.body()
    assert f"http://localhost/staff/intakes/{intake.id}" in body
    # Email is not a safe channel for clinical content: no name, no answers.
    assert "Nora" not in body and "self_harm" not in body
    assert not any(WORDS[item] in body for item in ("why_now", "hopes", "keep"))
    assert len(audit_actions("intake.urgent_notified")) == 1

    # Saving again, or sending, does not repeat the notice.
    fill_page(client, intake, "wellbeing", {"self_harm": "2"})
    assert len(smtp.messages) == 1


def test_urgent_result_at_submit_also_notifies(
    smtp: SmtpInbox, urgent_setup: dict[str, Any]
) -> None:
    intake: Intake = urgent_setup["intake"]
    # Answers that reached the database without a page save flagging them (an older intake).
    intake.answers = {**EXAMPLE_A, "self_harm": 2}
    db.session.commit()
    lifecycle.submit(intake, DEFINITION)
    assert intake.urgent
    assert len(smtp.messages) == 1 and "urgent attention" in smtp.body()


def test_no_notice_without_urgency(
    client: FlaskClient, smtp: SmtpInbox, urgent_setup: Any
) -> None:
    intake: Intake = urgent_setup["intake"]
    for page in BEFORE_SAFETY:
        fill_page(client, intake, page, FULL)
    fill_page(client, intake, "wellbeing", {"self_harm": "0"})
    assert smtp.messages == []


def test_a_mail_failure_never_loses_the_flag(
    app: Flask,
    client: FlaskClient,
    monkeypatch: pytest.MonkeyPatch,
    urgent_setup: dict[str, Any],
) -> None:
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", 9)
    intake: Intake = urgent_setup["intake"]
    for page in BEFORE_SAFETY:
        fill_page(client, intake, page, FULL)
    response = fill_page(client, intake, "wellbeing", {"self_harm": "2"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Intake, intake.id).urgent  # type: ignore[union-attr]
    (failure,) = audit_actions("intake.urgent_notify_failed")
    assert failure.subject_id == intake.id and failure.clinic_id == intake.clinic_id


# The urgent email never stands between the client and the crisis page.


def test_a_broken_mail_server_never_stops_the_crisis_page(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch, clinic_with_admin: dict[str, Any]
) -> None:
    def broken(*args: Any, **kw: Any) -> None:
        raise OSError("network is unreachable")

    monkeypatch.setattr(mail, "send", broken)
    intake: Intake = clinic_with_admin["intake"]
    for page in BEFORE_SAFETY:
        fill_page(client, intake, page, FULL)
    response = fill_page(client, intake, "wellbeing", {"self_harm": "2"})
    assert response.status_code == 302
    assert f"/i/{intake.token}/support" in response.headers["Location"]
    assert reload(intake).urgent
    (failure,) = audit_actions("intake.urgent_notify_failed")
    assert failure.subject_id == intake.id and "unreachable" in failure.detail["error"]


def test_an_urgent_submit_queues_the_brief_even_when_the_notice_fails(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch, clinic_with_admin: dict[str, Any]
) -> None:
    def broken(*args: Any, **kw: Any) -> None:
        raise RuntimeError("template or header trouble")

    monkeypatch.setattr(mail, "send", broken)
    intake: Intake = clinic_with_admin["intake"]
    # Answers that reached the database without a page save flagging them (an older intake).
    intake.answers = {**EXAMPLE_A, **WORDS, "self_harm": 2}
    db.session.commit()
    response = send_from_review(client, intake)
    assert response.headers["Location"].endswith(f"/i/{intake.token}/done")
    stored = reload(intake)
    assert stored.submitted and stored.urgent
    assert db.session.scalar(select(BriefPdf).where(BriefPdf.intake_id == intake.id))
    assert audit_actions("intake.urgent_notify_failed")


def test_the_notice_goes_out_off_the_request_path(
    app: Flask,
    client: FlaskClient,
    monkeypatch: pytest.MonkeyPatch,
    smtp: SmtpInbox,
    clinic_with_admin: dict[str, Any],
) -> None:
    monkeypatch.setitem(app.config, "JOB_RUNNER", "thread")
    release = threading.Event()
    real_send = mail.send

    def slow(*args: Any, **kw: Any) -> None:
        assert release.wait(30), "the test never released the mail server"
        real_send(*args, **kw)

    monkeypatch.setattr(mail, "send", slow)
    intake: Intake = clinic_with_admin["intake"]
    for page in BEFORE_SAFETY:
        fill_page(client, intake, page, FULL)
    try:
        # The mail server is still stuck, yet the client already has the crisis page.
        response = fill_page(client, intake, "wellbeing", {"self_harm": "2"})
        assert "/support" in response.headers["Location"]
        assert smtp.messages == []
    finally:
        release.set()
        outbox.wait()
    (message,) = smtp.messages
    assert message["Subject"] == "An intake needs urgent attention"
    db.session.expire_all()
    assert audit_actions("intake.urgent_notified")


def test_a_header_with_a_line_break_is_a_mail_error(app: Flask) -> None:
    with pytest.raises(mail.MailError):
        mail.send("a@example.org", "Hello\r\nBcc: everyone@example.org", "Body")
