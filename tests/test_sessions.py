"""Staff sessions live on the server: sign-out, a new password, deactivation and "sign out
everywhere" end them at once; an absolute lifetime and a server-side idle limit bound them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from intake.db import db
from intake.models import AuditEvent, Role, Staff, StaffSession, utcnow
from tests.helpers import PASSWORD, csrf_token, post_form, signed_in, switch_browser

NEW = "lantern orbit gravel tuesday"


def cookie(client: FlaskClient) -> str:
    found = client.get_cookie("session")
    assert found is not None
    return found.value


def browser_with(app: Flask, value: str) -> FlaskClient:
    """Another browser holding a copy of a session cookie."""
    other = app.test_client()
    other.set_cookie("session", value)
    return other


def actions(name: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == name)))


def test_a_cookie_copied_before_sign_out_stops_working(
    app: Flask, client: FlaskClient, make_clinic: Any, login: Any
) -> None:
    _, email = make_clinic()
    login(email)
    copied = cookie(client)
    assert signed_in(browser_with(app, copied))
    client.post("/staff/logout", data={"csrf_token": csrf_token(client, "/staff/")})
    thief = browser_with(app, copied)
    switch_browser()
    response = thief.get("/staff/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/staff/login")
    ended = db.session.scalars(select(StaffSession)).all()
    assert [row.ended_reason for row in ended] == ["manual"]


def test_the_session_ends_after_its_lifetime_however_active(
    client: FlaskClient, make_clinic: Any, login: Any
) -> None:
    _, email = make_clinic()
    login(email)
    assert signed_in(client)
    db.session.execute(update(StaffSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    switch_browser()
    response = client.get("/staff/")
    assert response.headers["Location"].startswith("/staff/login?next=")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "signed out after 12 hours" in page
    assert [e.detail["reason"] for e in actions("staff.logout")] == ["lifetime"]


def test_idle_is_also_judged_on_the_server(
    app: Flask, client: FlaskClient, make_clinic: Any, login: Any
) -> None:
    """A copied cookie that keeps its own clock fresh still ends when the server saw nothing."""
    _, email = make_clinic()
    login(email)
    db.session.execute(update(StaffSession).values(last_seen_at=utcnow() - timedelta(minutes=17)))
    db.session.commit()
    assert not signed_in(client)
    assert [e.detail["reason"] for e in actions("staff.logout")] == ["idle"]


def test_an_admin_signs_a_colleague_out_everywhere(
    app: Flask, client: FlaskClient, make_clinic: Any, login: Any
) -> None:
    clinic_id, email = make_clinic()
    therapist = db.session.scalar(select(Staff).where(Staff.email == email))
    assert therapist is not None
    laptop, phone = app.test_client(), app.test_client()
    for browser in (laptop, phone):
        switch_browser()
        post_form(browser, "/staff/login", {"email": email, "password": PASSWORD})
    assert signed_in(laptop) and signed_in(phone)
    db.session.add(
        Staff(
            clinic_id=clinic_id,
            email="admin@north.example",
            name="Ada",
            role=Role.ADMIN,
            password_hash=therapist.password_hash,
        )
    )
    db.session.commit()
    switch_browser()
    login("admin@north.example")
    page = f"/staff/team/{therapist.id}"
    assert "Sign out everywhere" in client.get(page).get_data(as_text=True)
    done = client.post(f"{page}/sign-out", data={"csrf_token": csrf_token(client, page)})
    assert done.status_code == 302
    assert not signed_in(laptop) and not signed_in(phone)
    assert signed_in(client)  # the admin's own session goes on
    assert [e.detail["sessions"] for e in actions("staff.sessions_ended")] == [2]


def test_changing_ones_password_ends_the_other_sessions_only(
    app: Flask, client: FlaskClient, make_clinic: Any, login: Any
) -> None:
    _, email = make_clinic()
    other = app.test_client()
    switch_browser()
    post_form(other, "/staff/login", {"email": email, "password": PASSWORD})
    switch_browser()
    login(email)
    wrong = post_form(
        client,
        "/staff/account/password",
        {"current": "not it at all", "password": NEW, "confirm": NEW},
    )
    assert "That is not your current password." in wrong.get_data(as_text=True)
    done = post_form(
        client, "/staff/account/password", {"current": PASSWORD, "password": NEW, "confirm": NEW}
    )
    assert done.status_code == 302
    assert signed_in(client) and not signed_in(other)
    assert [e.detail["other_sessions"] for e in actions("staff.password_changed")] == [1]


def test_signing_out_other_browsers_from_ones_account(
    app: Flask, client: FlaskClient, make_clinic: Any, login: Any
) -> None:
    _, email = make_clinic()
    other = app.test_client()
    switch_browser()
    post_form(other, "/staff/login", {"email": email, "password": PASSWORD})
    switch_browser()
    login(email)
    account = client.get("/staff/account").get_data(as_text=True)
    assert "(this browser)" in account
    token = csrf_token(client, "/staff/account")
    client.post("/staff/account/sign-out-elsewhere", data={"csrf_token": token})
    assert signed_in(client) and not signed_in(other)
