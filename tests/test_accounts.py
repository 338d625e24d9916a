"""Staff accounts: invitations by email, password reset, sign-in records, idle limit, roles."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import select, update

from intake.accounts.auth import LAST_SEEN, hash_password
from intake.db import db
from intake.models import AuditEvent, Clinic, Staff, StaffToken, utcnow
from tests.helpers import PASSWORD, SmtpInbox, csrf_token, post_form

HASH = hash_password(PASSWORD)
NEW_PASSWORD = "a brand new passphrase"


def add_staff(clinic_id: int, email: str, role: str = "therapist", **kw: Any) -> Staff:
    """A staff member who can sign in with PASSWORD."""
    staff = Staff(clinic_id=clinic_id, email=email, name=email.split("@")[0].title(), role=role)
    staff.password_hash = kw.pop("password_hash", HASH)
    for key, value in kw.items():
        setattr(staff, key, value)
    db.session.add(staff)
    db.session.commit()
    return staff


@pytest.fixture
def clinic(make_clinic: Any) -> dict[str, Any]:
    """A clinic with an admin and a therapist (from make_clinic)."""
    clinic_id, therapist = make_clinic("north")
    admin = add_staff(clinic_id, "admin@north.example", role="admin")
    return {"id": clinic_id, "admin": admin.email, "admin_id": admin.id, "therapist": therapist}


def path(url: str) -> str:
    """The path of an emailed link, for the test client."""
    parts = urlsplit(url)
    assert parts.scheme == "http" and parts.netloc == "localhost"  # PUBLIC_BASE_URL in tests
    return parts.path


def events(action: str) -> list[AuditEvent]:
    """Audit events of one kind, oldest first."""
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def staff_by_email(email: str) -> Staff:
    db.session.expire_all()
    staff = db.session.scalar(select(Staff).where(Staff.email == email))
    assert staff is not None
    return staff


def switch_browser() -> None:
    """Forget per-request caches before another browser's request.

    pytest-flask keeps one app context (so one g) for the whole test: flask_wtf caches the
    CSRF token and Flask-Login the signed-in user in g, which would leak between browsers.
    """
    g.pop("csrf_token", None)
    g.pop("_login_user", None)


def signed_in(client: FlaskClient) -> bool:
    """Whether this browser is signed in, judged by its own session only."""
    switch_browser()
    response = client.get("/staff/")
    switch_browser()
    return response.status_code == 200


def post_as(other: FlaskClient, url: str, data: dict[str, Any]) -> Any:
    """post_form for one of two browsers in a test."""
    switch_browser()
    response = post_form(other, url, data)
    switch_browser()
    return response


# Invitations -------------------------------------------------------------------------------


def invite(client: FlaskClient, **data: Any) -> Any:
    return post_form(
        client,
        "/staff/team/invite",
        {"name": "Robin New", "email": "robin@north.example", "role": "therapist", **data},
    )


def test_invitation_lifecycle_over_real_smtp(
    client: FlaskClient, login: Any, clinic: dict[str, Any], smtp: SmtpInbox
) -> None:
    login(clinic["admin"])
    page = invite(client, email="Robin@North.example")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "We emailed the link to robin@north.example" in html

    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["To"] == "robin@north.example"
    assert "North Practice" in message["Subject"]
    link = smtp.link()
    assert link in html  # the admin sees the same link, to copy
    assert "Admin invited you" in smtp.body()

    client.post("/staff/logout", data={"csrf_token": csrf_token(client, "/staff/")})
    form = client.get(path(link))
    assert form.status_code == 200 and "Robin New" in form.get_data(as_text=True)
    assert form.headers["Referrer-Policy"] == "no-referrer"
    joined = post_form(
        client,
        path(link),
        {"name": "Robin Newer", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    switch_browser()
    assert joined.status_code == 302 and joined.headers["Location"] == "/staff/"
    assert signed_in(client)
    robin = staff_by_email("robin@north.example")
    assert robin.name == "Robin Newer" and robin.role == "therapist"
    assert robin.last_login_at is not None

    # The link worked once.
    assert client.get(path(link)).status_code == 410
    client.post("/staff/logout", data={"csrf_token": csrf_token(client, "/staff/")})
    assert (
        post_form(
            client, "/staff/login", {"email": "robin@north.example", "password": NEW_PASSWORD}
        ).headers["Location"]
        == "/staff/"
    )
    assert [e.detail["email"] for e in events("staff.invited")] == ["robin@north.example"]
    assert events("staff.joined")[0].actor_id == robin.id


def test_only_a_hash_of_the_link_is_stored(
    client: FlaskClient, login: Any, clinic: dict[str, Any], smtp: SmtpInbox
) -> None:
    login(clinic["admin"])
    invite(client)
    token = path(smtp.link()).rsplit("/", 1)[1]
    stored = db.session.scalars(select(StaffToken.token_hash)).all()
    assert len(stored) == 1 and token not in stored[0] and len(stored[0]) == 64


def test_invitation_without_smtp_shows_the_link_and_says_so(
    app: Flask,
    client: FlaskClient,
    login: Any,
    clinic: dict[str, Any],
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    login(clinic["admin"])
    html = invite(client).get_data(as_text=True)
    # Said as it is: the message went to the outbox folder, not to them.
    assert "The email to robin@north.example was not sent" in html
    assert "written to the outbox folder" in html and "Email is not set up" not in html
    assert "/staff/join/" in html
    assert len(list((tmp_path / "outbox").iterdir())) == 1


def test_invitation_when_the_mail_server_refuses(
    app: Flask,
    client: FlaskClient,
    login: Any,
    clinic: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", 9)  # discard port: nothing listens
    login(clinic["admin"])
    page = invite(client)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "could not send the email" in html and "/staff/join/" in html


@pytest.mark.parametrize(
    ("data", "field_error"),
    [
        ({"email": "therapist@north.example"}, "already has an account"),
        ({"email": "THERAPIST@north.example"}, "already has an account"),
        ({"email": "not an email"}, "does not look like an email"),
        ({"name": ""}, "Please enter their name"),
        ({"role": "owner"}, "Not a valid choice"),
    ],
)
def test_invitation_bad_input_is_shown_beside_the_field(
    client: FlaskClient, login: Any, clinic: dict[str, Any], data: dict[str, str], field_error: str
) -> None:
    login(clinic["admin"])
    page = invite(client, **data)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert field_error in html and 'class="field-error"' in html
    assert "Robin New" in html or data.get("name") == ""  # what was typed is kept
    assert events("staff.invited") == []


def test_expired_invitation_is_refused(
    client: FlaskClient, login: Any, clinic: dict[str, Any], smtp: SmtpInbox
) -> None:
    login(clinic["admin"])
    invite(client)
    db.session.execute(update(StaffToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    page = client.get(path(smtp.link()))
    assert page.status_code == 410
    assert "ask your clinic's admin to send you a new invitation" in page.get_data(as_text=True)


def test_resent_invitation_replaces_the_old_link(
    client: FlaskClient, login: Any, clinic: dict[str, Any], smtp: SmtpInbox
) -> None:
    login(clinic["admin"])
    invite(client)
    robin = staff_by_email("robin@north.example")
    member_page = f"/staff/team/{robin.id}"
    assert "Invited, not joined yet" in client.get(member_page).get_data(as_text=True)
    resent = client.post(
        f"/staff/team/{robin.id}/resend", data={"csrf_token": csrf_token(client, member_page)}
    )
    assert resent.status_code == 200 and len(smtp.messages) == 2
    old, new = smtp.link(0), smtp.link(1)
    assert old != new
    assert client.get(path(old)).status_code == 410
    assert client.get(path(new)).status_code == 200
    assert len(events("staff.invitation_resent")) == 1


def test_join_form_keeps_what_was_typed(
    client: FlaskClient, login: Any, clinic: dict[str, Any], smtp: SmtpInbox
) -> None:
    login(clinic["admin"])
    invite(client)
    client.post("/staff/logout", data={"csrf_token": csrf_token(client, "/staff/")})
    page = post_form(
        client, path(smtp.link()), {"name": "Robin Typed", "password": "short", "confirm": "x"}
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "at least 12 characters" in html and "Robin Typed" in html
    assert not signed_in(client)


# Password reset ----------------------------------------------------------------------------


def request_reset(client: FlaskClient, email: str) -> Any:
    return post_form(client, "/staff/password/forgot", {"email": email})


def test_password_reset_works_once(
    client: FlaskClient, login: Any, clinic: dict[str, Any], smtp: SmtpInbox
) -> None:
    sent = request_reset(client, clinic["therapist"].upper())
    assert "Check your email" in sent.get_data(as_text=True)
    assert len(smtp.messages) == 1 and smtp.messages[0]["To"] == clinic["therapist"]
    link = path(smtp.link())
    assert link.startswith("/staff/password/reset/")
    assert client.get(link).status_code == 200

    done = post_form(client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"] == "/staff/login"
    assert client.get(link).status_code == 410  # second use refused
    again = {"password": PASSWORD, "confirm": PASSWORD}
    again["csrf_token"] = csrf_token(client, "/staff/login")
    assert client.post(link, data=again).status_code == 410
    assert login(clinic["therapist"], PASSWORD).status_code == 200  # old password refused
    assert login(clinic["therapist"], NEW_PASSWORD).status_code == 302
    assert len(events("staff.password_reset_requested")) == 1
    assert len(events("staff.password_reset_completed")) == 1


def test_expired_reset_link_is_refused(
    client: FlaskClient, clinic: dict[str, Any], smtp: SmtpInbox
) -> None:
    request_reset(client, clinic["therapist"])
    db.session.execute(update(StaffToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    link = path(smtp.link())
    page = client.get(link)
    assert page.status_code == 410 and "Ask for a new link" in page.get_data(as_text=True)


def test_a_newer_reset_link_replaces_the_older(
    client: FlaskClient, clinic: dict[str, Any], smtp: SmtpInbox
) -> None:
    request_reset(client, clinic["therapist"])
    request_reset(client, clinic["therapist"])
    assert client.get(path(smtp.link(0))).status_code == 410
    assert client.get(path(smtp.link(1))).status_code == 200


def test_reset_request_does_not_tell_which_emails_have_accounts(
    client: FlaskClient, clinic: dict[str, Any], smtp: SmtpInbox
) -> None:
    known = request_reset(client, clinic["therapist"]).get_data(as_text=True)
    unknown = request_reset(client, "nobody@north.example").get_data(as_text=True)
    assert known == unknown
    assert len(smtp.messages) == 1  # only the real account got an email
    requested = events("staff.password_reset_requested")
    assert [e.clinic_id for e in requested] == [clinic["id"], None]


def test_reset_ends_sessions_elsewhere(
    app: Flask, client: FlaskClient, login: Any, clinic: dict[str, Any], smtp: SmtpInbox
) -> None:
    login(clinic["therapist"])
    assert signed_in(client)
    other = app.test_client()
    post_as(other, "/staff/password/forgot", {"email": clinic["therapist"]})
    link = path(smtp.link())
    post_as(other, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert not signed_in(client)


def test_unknown_reset_link_is_refused(client: FlaskClient) -> None:
    assert client.get("/staff/password/reset/not-a-token").status_code == 410


# Signing in and out ------------------------------------------------------------------------


def test_failed_sign_in_is_audited_with_the_email_not_the_password(
    client: FlaskClient, clinic: dict[str, Any]
) -> None:
    secret = "wrong-password-123"
    post_form(client, "/staff/login", {"email": clinic["therapist"], "password": secret})
    post_form(client, "/staff/login", {"email": "stranger@else.example", "password": secret})
    failed = events("staff.login_failed")
    assert [e.detail["email"] for e in failed] == [clinic["therapist"], "stranger@else.example"]
    assert failed[0].clinic_id == clinic["id"] and failed[0].actor_id is None
    assert failed[1].clinic_id is None
    assert all(secret not in repr(e.detail) for e in failed)


def test_sign_in_and_out_are_audited(
    client: FlaskClient, login: Any, clinic: dict[str, Any]
) -> None:
    login(clinic["therapist"])
    client.post("/staff/logout", data={"csrf_token": csrf_token(client, "/staff/")})
    therapist = staff_by_email(clinic["therapist"])
    assert [e.actor_id for e in events("staff.login")] == [therapist.id]
    assert [e.detail["reason"] for e in events("staff.logout")] == ["manual"]
    assert therapist.last_login_at is not None


def test_next_never_leaves_the_site(client: FlaskClient, clinic: dict[str, Any]) -> None:
    url = "/staff/login?next=/%5Cevil.example"
    data = {"email": clinic["therapist"], "password": PASSWORD}
    response = client.post(url, data={**data, "csrf_token": csrf_token(client, url)})
    assert response.headers["Location"] == "/staff/"


def test_idle_session_ends_with_a_friendly_message(
    client: FlaskClient, login: Any, clinic: dict[str, Any]
) -> None:
    login(clinic["therapist"])
    with client.session_transaction() as session:
        session[LAST_SEEN] = time.time() - 14 * 60
    assert client.get("/staff/").status_code == 200  # 14 minutes: still signed in
    with client.session_transaction() as session:
        session[LAST_SEEN] = time.time() - 16 * 60
    response = client.get("/staff/?status=submitted")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/login?next=")
    page = client.get(response.headers["Location"])
    assert "signed out after 15 minutes without activity" in page.get_data(as_text=True)
    assert not signed_in(client)
    assert [e.detail["reason"] for e in events("staff.logout")] == ["idle"]


def test_idle_limit_is_configurable(
    app: Flask,
    client: FlaskClient,
    login: Any,
    clinic: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "STAFF_IDLE_MINUTES", 1)
    login(clinic["therapist"])
    with client.session_transaction() as session:
        session[LAST_SEEN] = time.time() - 61
    assert not signed_in(client)


def test_each_request_restarts_the_idle_clock(
    client: FlaskClient, login: Any, clinic: dict[str, Any]
) -> None:
    login(clinic["therapist"])
    with client.session_transaction() as session:
        session[LAST_SEEN] = time.time() - 10 * 60
    client.get("/staff/")
    with client.session_transaction() as session:
        assert time.time() - session[LAST_SEEN] < 60


# The team page: roles, deactivation, the last admin ----------------------------------------


def press(client: FlaskClient, staff_id: int, action: str, **data: str) -> Any:
    page = f"/staff/team/{staff_id}"
    return client.post(f"{page}/{action}", data={**data, "csrf_token": csrf_token(client, page)})


def test_last_admin_cannot_be_demoted(
    client: FlaskClient, login: Any, clinic: dict[str, Any]
) -> None:
    login(clinic["admin"])
    response = press(client, clinic["admin_id"], "role", role="therapist")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "only admin" in page
    assert staff_by_email(clinic["admin"]).role == "admin"
    assert events("staff.role_changed") == []


def test_an_admin_can_step_down_when_another_remains(
    client: FlaskClient, login: Any, clinic: dict[str, Any]
) -> None:
    therapist = staff_by_email(clinic["therapist"])
    login(clinic["admin"])
    press(client, therapist.id, "role", role="admin")
    stepped_down = press(client, clinic["admin_id"], "role", role="therapist")
    assert stepped_down.headers["Location"] == "/staff/"
    assert staff_by_email(clinic["therapist"]).role == "admin"
    assert staff_by_email(clinic["admin"]).role == "therapist"
    changes = [
        (e.subject_id, e.detail["old"], e.detail["new"]) for e in events("staff.role_changed")
    ]
    assert changes == [
        (therapist.id, "therapist", "admin"),
        (clinic["admin_id"], "admin", "therapist"),
    ]
    assert client.get("/staff/team").status_code == 403  # no longer an admin


def test_deactivated_staff_are_signed_out_and_cannot_sign_in(
    app: Flask, client: FlaskClient, login: Any, clinic: dict[str, Any]
) -> None:
    therapist = staff_by_email(clinic["therapist"])
    other = app.test_client()
    post_as(other, "/staff/login", {"email": clinic["therapist"], "password": PASSWORD})
    assert signed_in(other)

    login(clinic["admin"])
    press(client, therapist.id, "deactivate")
    assert not signed_in(other)
    refused = post_as(other, "/staff/login", {"email": clinic["therapist"], "password": PASSWORD})
    assert "This account is deactivated" in refused.get_data(as_text=True)
    assert events("staff.login_failed")[-1].detail["reason"] == "deactivated"

    press(client, therapist.id, "reactivate")
    again = post_as(other, "/staff/login", {"email": clinic["therapist"], "password": PASSWORD})
    assert again.status_code == 302
    assert [len(events(a)) for a in ("staff.deactivated", "staff.reactivated")] == [1, 1]


def test_admins_cannot_deactivate_themselves(
    client: FlaskClient, login: Any, clinic: dict[str, Any]
) -> None:
    login(clinic["admin"])
    press(client, clinic["admin_id"], "deactivate")
    assert staff_by_email(clinic["admin"]).active
    assert signed_in(client)


def test_therapist_gets_403_on_admin_pages(
    client: FlaskClient, login: Any, clinic: dict[str, Any]
) -> None:
    login(clinic["therapist"])
    for url in ("/staff/team", "/staff/team/invite", "/staff/audit"):
        page = client.get(url)
        assert page.status_code == 403
        assert "This page is for clinic admins" in page.get_data(as_text=True)
    assert "Team" not in client.get("/staff/").get_data(as_text=True).split("</nav>")[0]


def test_team_lists_only_own_clinic_and_other_clinics_staff_are_404(
    client: FlaskClient, login: Any, clinic: dict[str, Any], make_clinic: Any
) -> None:
    south_id, south_email = make_clinic("south")
    south = staff_by_email(south_email)
    login(clinic["admin"])
    html = client.get("/staff/team").get_data(as_text=True)
    assert clinic["therapist"] in html and south_email not in html
    assert client.get(f"/staff/team/{south.id}").status_code == 404
    assert press_as_is(client, south.id, "deactivate").status_code == 404
    assert staff_by_email(south_email).active
    assert db.session.get(Clinic, south_id) is not None


def press_as_is(client: FlaskClient, staff_id: int, action: str) -> Any:
    """Post to another clinic's staff member with a valid CSRF token from our own pages."""
    return client.post(
        f"/staff/team/{staff_id}/{action}", data={"csrf_token": csrf_token(client, "/staff/team")}
    )


def test_deactivating_an_invitee_closes_their_link(
    client: FlaskClient, login: Any, clinic: dict[str, Any], smtp: SmtpInbox
) -> None:
    login(clinic["admin"])
    invite(client)
    robin = staff_by_email("robin@north.example")
    press(client, robin.id, "deactivate")
    assert client.get(path(smtp.link())).status_code == 410
