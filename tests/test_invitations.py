"""Client invitations: create, email, open, expire, revoke, re-send, remind, self-referral."""

from __future__ import annotations

import socket
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from intake import catalogue, crypto, lifecycle
from intake.db import db
from intake.models import AuditEvent, Clinic, Intake, Staff, utcnow
from tests.helpers import (
    FULL,
    SmtpInbox,
    audit_actions,
    complete,
    csrf_token,
    post_form,
    reload,
)


@pytest.fixture
def inbox(smtp: SmtpInbox) -> SmtpInbox:
    """The shared loopback SMTP server (tests/conftest.py), by the name these tests use."""
    return smtp


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def _token_from(text: str) -> str:
    return text.split("/i/", 1)[1].split()[0]


@pytest.fixture
def staff_in(make_clinic: Any, login: Any) -> tuple[int, int]:
    """A signed-in therapist: (clinic id, staff id)."""
    clinic_id, email = make_clinic()
    login(email)
    staff = db.session.scalar(select(Staff).where(Staff.email == email))
    assert staff is not None
    return clinic_id, staff.id


def act(client: FlaskClient, intake_id: int, action: str, **data: Any) -> Any:
    """Press one of the buttons on the invitation page."""
    csrf = csrf_token(client, f"/staff/intakes/{intake_id}/invitation")
    return client.post(f"/staff/intakes/{intake_id}/{action}", data={**data, "csrf_token": csrf})


def _invite(client: FlaskClient, **data: Any) -> Any:
    # The staff form offers the newest version of each questionnaire (version 3 here).
    version = catalogue.latest_builtin("readiness")
    assert version is not None
    form = {"client_name": "Robin Client", "questionnaire_id": str(version.id), "therapist_id": ""}
    form.update(data)
    return post_form(client, "/staff/invite", form)


def test_invitation_lifecycle(
    client: FlaskClient, staff_in: tuple[int, int], inbox: SmtpInbox
) -> None:
    clinic_id, staff_id = staff_in
    response = _invite(
        client, email="robin@example.org", therapist_id=str(staff_id), send_email="y"
    )
    assert response.status_code == 302
    intake = db.session.scalar(select(Intake).where(Intake.clinic_id == clinic_id))
    assert intake is not None and intake.therapist_id == staff_id
    assert intake.expires_at is not None and intake.expires_at > utcnow() + timedelta(days=29)

    # The email arrived on the loopback server with the link, and the link opens.
    assert len(inbox.messages) == 1
    assert inbox.messages[0]["To"] == "robin@example.org"
    token = _token_from(_body(inbox.messages[0]))
    # Only the token's sha256 is stored.
    assert intake.token_hash == crypto.token_hash(token) != token
    assert client.get(f"/i/{token}").status_code == 200
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"/i/{token}" in page and "Copy link" in page
    # Shown once: the page does not show it again (it cannot: only its hash is kept).
    again = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"/i/{token}" not in again and "Copy link" not in again
    assert "shown once" in again

    # A reminder carries a new link; the old one stops working, the answers stay.
    assert act(client, intake.id, "remind").status_code == 302
    assert len(inbox.messages) == 2
    reminded = _token_from(_body(inbox.messages[1]))
    assert reminded != token
    assert client.get(f"/i/{token}").status_code == 404
    assert client.get(f"/i/{reminded}").status_code == 200
    token = reminded
    db.session.refresh(intake)
    assert intake.reminder_sent_at is not None

    # Expired: a friendly page that says whom to contact.
    intake.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    closed = client.get(f"/i/{token}")
    assert closed.status_code == 410
    assert "has expired" in closed.get_data(as_text=True)
    assert "North Practice" in closed.get_data(as_text=True)

    # Re-send opens it again with a new expiry and a new link, and emails it.
    act(client, intake.id, "resend")
    assert len(inbox.messages) == 3
    resent = _token_from(_body(inbox.messages[-1]))
    assert resent != token and client.get(f"/i/{token}").status_code == 404
    assert client.get(f"/i/{resent}").status_code == 200
    token = resent

    # Revoke closes it; re-sending a revoked link makes a new one and the old stays dead.
    act(client, intake.id, "revoke")
    revoked = client.get(f"/i/{token}")
    assert revoked.status_code == 410 and "no longer in use" in revoked.get_data(as_text=True)
    act(client, intake.id, "resend")
    new_token = _token_from(_body(inbox.messages[-1]))
    assert new_token != token
    assert client.get(f"/i/{token}").status_code == 404
    assert client.get(f"/i/{new_token}").status_code == 200

    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {
        "client.invited",
        "client.reminded",
        "client.link_reissued",
        "client.link_resent",
        "client.link_revoked",
    } <= actions


def test_expiry_follows_the_clinic_setting(client: FlaskClient, staff_in: tuple[int, int]) -> None:
    clinic = db.session.get(Clinic, staff_in[0])
    assert clinic is not None
    clinic.link_expiry_days = 3
    db.session.commit()
    _invite(client)
    intake = db.session.scalar(select(Intake))
    assert intake is not None and intake.expires_at is not None
    assert utcnow() + timedelta(days=2) < intake.expires_at < utcnow() + timedelta(days=4)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"client_name": ""}, "client_name", "Please enter the client&#39;s name."),
        ({"email": "not-an-email"}, "email", "This is not an email."),
        ({"send_email": "y"}, "send_email", "Enter the client&#39;s email to send the link"),
        ({"phone": "call me"}, "phone", "Please use digits"),
        ({"questionnaire_id": "999999"}, "questionnaire_id", "Not a valid choice"),
    ],
)
def test_bad_invitations_keep_what_was_typed(
    client: FlaskClient, staff_in: tuple[int, int], data: dict[str, str], field: str, message: str
) -> None:
    response = _invite(client, **{"phone": "+44 20 1234", **data})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    assert f'id="{field}-error"' in page
    if "client_name" not in data:
        assert 'value="Robin Client"' in page
    assert db.session.scalar(select(Intake)) is None


def test_another_clinics_invitation_is_404(
    client: FlaskClient, make_clinic: Any, make_intake: Any, login: Any
) -> None:
    other, _ = make_clinic("south")
    theirs = make_intake(other)
    _, email = make_clinic("north")
    login(email)
    assert client.get(f"/staff/intakes/{theirs.id}/invitation").status_code == 404
    for action in ("revoke", "resend", "remind", "reviewed", "therapist"):
        url = f"/staff/intakes/{theirs.id}/{action}"
        csrf = csrf_token(client, "/staff/invite")
        assert client.post(url, data={"csrf_token": csrf}).status_code == 404


def test_self_referral_link_creates_an_intake(client: FlaskClient, make_clinic: Any) -> None:
    clinic_id, _ = make_clinic()
    clinic = db.session.get(Clinic, clinic_id)
    assert clinic is not None
    assert client.get("/r/not-a-token").status_code == 404
    clinic.self_referral_token = "open-door"
    db.session.commit()
    bad = post_form(client, "/r/open-door", {"client_name": ""})
    assert "Please enter your name." in bad.get_data(as_text=True)
    response = post_form(client, "/r/open-door", {"client_name": "Sam", "email": "s@x.org"})
    intake = db.session.scalar(select(Intake))
    assert intake is not None and intake.source == "self_referral"
    token = response.headers["Location"].rsplit("/i/", 1)[1]
    assert intake.token_hash == crypto.token_hash(token)
    assert intake.clinic_id == clinic_id and intake.expires_at is not None


def test_a_mail_failure_keeps_the_invitation(
    client: FlaskClient, staff_in: tuple[int, int], monkeypatch: pytest.MonkeyPatch, app: Flask
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", port)
    response = _invite(client, email="robin@example.org", send_email="y")
    intake = db.session.scalar(select(Intake))
    assert intake is not None and response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "could not send the email to robin@example.org" in page
    # The link is on the page (once), for the person to send themselves.
    shown = page.split("/i/", 1)[1].split("<", 1)[0].split('"', 1)[0]
    assert crypto.token_hash(shown) == intake.token_hash


# A sent intake's link is the client's way to their confirmation and copy; links are on
# PUBLIC_BASE_URL, never the Host header of a request.


def test_a_submitted_intake_link_cannot_be_withdrawn(
    client: FlaskClient, login: Any, clinic_with_admin: dict[str, Any]
) -> None:
    intake: Intake = clinic_with_admin["intake"]
    complete(client, intake, FULL)
    login(clinic_with_admin["therapist"])
    page = client.get(f"/staff/intakes/{intake.id}/invitation").get_data(as_text=True)
    assert "Withdraw the link" not in page
    url = f"/staff/intakes/{intake.id}/revoke"
    token = csrf_token(client, f"/staff/intakes/{intake.id}/invitation")
    response = client.post(url, data={"csrf_token": token}, follow_redirects=True)
    assert "already sent their answers" in response.get_data(as_text=True)
    assert reload(intake).revoked_at is None
    assert not audit_actions("client.link_revoked")
    assert client.get(f"/i/{intake.token}/done").status_code == 200


def test_revoking_a_submitted_intake_is_refused(
    client: FlaskClient, clinic_with_admin: dict[str, Any]
) -> None:
    intake: Intake = clinic_with_admin["intake"]
    complete(client, intake, FULL)
    with pytest.raises(lifecycle.AlreadySubmitted):
        lifecycle.revoke(reload(intake))
    assert reload(intake).revoked_at is None


def test_links_shown_ignore_the_request_host(
    app: Flask,
    client: FlaskClient,
    login: Any,
    monkeypatch: pytest.MonkeyPatch,
    clinic_with_admin: dict[str, Any],
) -> None:
    intake: Intake = clinic_with_admin["intake"]
    evil = {"base_url": "http://attacker.example"}
    saved = client.get(f"/i/{intake.token}/saved", **evil).get_data(as_text=True)
    assert f"http://localhost/i/{intake.token}" in saved and "attacker" not in saved
    # Staff sign in on whatever address they use; the client's link is the public one.
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://intake.example")
    login(clinic_with_admin["therapist"])
    act(client, intake.id, "resend")  # a link is shown to staff once, when it is made
    html = client.get(f"/staff/intakes/{intake.id}/invitation").get_data(as_text=True)
    assert "https://intake.example/i/" in html and "attacker" not in html
