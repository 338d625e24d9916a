"""Every page that sends an email says what happened: sent, written to the outbox, or failed."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from intake import catalogue, mail
from intake.db import db
from intake.models import Intake, Staff
from tests.helpers import SmtpInbox, csrf_token, post_form


def invite(client: FlaskClient, **data: Any) -> Any:
    version = catalogue.latest_builtin("readiness")
    assert version is not None
    form = {"client_name": "Robin Client", "questionnaire_id": str(version.id), "therapist_id": ""}
    return post_form(client, "/staff/invite", {**form, **data}, follow_redirects=True)


def test_one_wording_for_each_outcome(app: Flask) -> None:
    assert mail.delivery_note("sent", "a@b.example") == "We emailed the link to a@b.example."
    outbox = mail.delivery_note("outbox", "a@b.example")
    assert "was not sent" in outbox and "outbox folder" in outbox and "copy the link" in outbox
    failed = mail.delivery_note("failed", "a@b.example")
    assert "could not send the email to a@b.example" in failed and "copy the link" in failed


def test_a_client_invitation_sent_by_email_is_confirmed(
    client: FlaskClient, therapist: int, smtp: SmtpInbox
) -> None:
    page = invite(client, email="robin@example.org", send_email="y").get_data(as_text=True)
    assert len(smtp.messages) == 1
    assert "We emailed the link to robin@example.org." in page


def test_a_client_invitation_written_to_the_outbox_says_so(
    app: Flask, client: FlaskClient, therapist: int, tmp_path: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    page = invite(client, email="robin@example.org", send_email="y").get_data(as_text=True)
    assert "The email to robin@example.org was not sent" in page
    assert "written to the outbox folder" in page
    assert len(list((tmp_path / "outbox").iterdir())) == 1


def test_reminders_and_resends_say_what_happened(
    app: Flask, client: FlaskClient, therapist: int, smtp: SmtpInbox, monkeypatch: Any
) -> None:
    invite(client, email="robin@example.org")
    intake = db.session.scalar(select(Intake))
    assert intake is not None
    url = f"/staff/intakes/{intake.id}"
    csrf = csrf_token(client, f"{url}/invitation")
    reminded = client.post(f"{url}/remind", data={"csrf_token": csrf}, follow_redirects=True)
    assert "We emailed a reminder to robin@example.org." in reminded.get_data(as_text=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setitem(app.config, "SMTP_PORT", port)  # nothing listens there
    resent = client.post(f"{url}/resend", data={"csrf_token": csrf}, follow_redirects=True)
    html = resent.get_data(as_text=True)
    assert "A new link is open; the one sent before no longer works." in html
    assert 'role="alert">We could not send the email to robin@example.org' in html


def test_the_colleague_invitation_uses_the_same_words(
    app: Flask, client: FlaskClient, admin: int, tmp_path: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    page = post_form(
        client, "/staff/team/invite", {"name": "Robin", "email": "robin@north.example"}
    ).get_data(as_text=True)
    assert mail.delivery_note("outbox", "robin@north.example").split(":")[0] in page
    # Not told otherwise, the new colleague is a therapist, the first role offered.
    robin = db.session.scalar(select(Staff).where(Staff.email == "robin@north.example"))
    assert robin is not None and robin.role == "therapist"
    form = client.get("/staff/team/invite").get_data(as_text=True)
    assert form.index('value="therapist"') < form.index('value="admin"')
    assert '<option selected value="therapist">' in form


@pytest.mark.parametrize("delivery", ["failed", "outbox"])
def test_a_reminder_that_did_not_reach_the_client_shows_its_new_link_once(
    app: Flask,
    client: FlaskClient,
    therapist: int,
    smtp: SmtpInbox,
    tmp_path: Any,
    monkeypatch: Any,
    delivery: str,
) -> None:
    # The reminder replaces the link, and the old one no longer opens: when its email failed,
    # or sits in the outbox folder (no mail server), nobody has the new link but staff.
    invite(client, email="robin@example.org")
    intake = db.session.scalar(select(Intake))
    assert intake is not None
    url = f"/staff/intakes/{intake.id}"
    csrf = csrf_token(client, f"{url}/invitation")
    if delivery == "failed":
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        monkeypatch.setitem(app.config, "SMTP_PORT", port)  # nothing listens there
        said = "We could not send the email to robin@example.org"
    else:
        monkeypatch.setitem(app.config, "SMTP_HOST", None)
        monkeypatch.setattr(app, "instance_path", str(tmp_path))
        said = "written to the outbox folder"
    page = client.post(f"{url}/remind", data={"csrf_token": csrf}, follow_redirects=True)
    html = page.get_data(as_text=True)
    assert said in html
    assert "It is shown this once" in html and "/i/" in html
    assert "It is shown this once" not in client.get(f"{url}/invitation").get_data(as_text=True)
