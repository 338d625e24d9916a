"""Shown-once values (a client link just made, notes naming a client) stay out of the session
cookie, which is signed but readable: they are kept encrypted on the server, shown once, and
only to the browser that made them."""

from __future__ import annotations

import html
import json
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text, update

from intake import catalogue, crypto, retention
from intake.accounts import sessions, shown_once
from intake.db import db
from intake.models import Intake, Role, Staff, StaffSession, utcnow
from tests.helpers import PASSWORD, SmtpInbox, csrf_token, post_form, switch_browser


def _cookie(app: Flask, client: FlaskClient) -> str:
    """The session cookie as anyone holding it can read it (signed, not encrypted)."""
    found = client.get_cookie("session")
    if found is None:
        return ""
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    return json.dumps(serializer.loads(found.value))


def _invite(client: FlaskClient, **data: Any) -> Any:
    version = catalogue.latest_builtin("readiness")
    assert version is not None
    form = {"client_name": "Robin Client", "questionnaire_id": str(version.id), "therapist_id": ""}
    return post_form(client, "/staff/invite", {**form, **data})


def _token(page: str) -> str:
    return page.split("/i/", 1)[1].split('"', 1)[0].split("<", 1)[0]


def test_an_invitation_keeps_the_link_and_the_address_out_of_the_cookie(
    app: Flask, client: FlaskClient, therapist: int, smtp: SmtpInbox
) -> None:
    response = _invite(client, email="robin@example.org", send_email="y")
    assert response.status_code == 302
    held = _cookie(app, client)
    assert "/i/" not in held and "robin@example.org" not in held and "Robin" not in held
    assert "new_client_link" not in held and "_flashes" not in held

    # On the server the link is encrypted: the stored column holds neither token nor address.
    stored = " ".join(
        str(v) for v in db.session.execute(text("SELECT shown_once FROM staff_session")).scalars()
    )
    assert stored.startswith(crypto.TEXT_PREFIX)
    assert "/i/" not in stored and "robin@example.org" not in stored

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    token = _token(page)
    intake = db.session.scalar(select(Intake))
    assert intake is not None and intake.token_hash == crypto.token_hash(token)
    assert "We emailed the link to robin@example.org." in page
    # Shown once: the next visit shows neither the link nor the note, and nothing is kept.
    again = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"/i/{token}" not in again and "We emailed the link" not in again
    db.session.expire_all()
    assert db.session.scalars(select(StaffSession.shown_once)).all() == [None]


def test_another_person_never_sees_the_link(
    app: Flask, client: FlaskClient, therapist: int, make_clinic: Any
) -> None:
    # A colleague in the same clinic, and a therapist of another clinic, each in their own
    # browser, look at the invitation before its maker does.
    db.session.add(
        Staff(
            clinic_id=therapist,
            email="colleague@north.example",
            name="Col League",
            role=Role.THERAPIST,
            password_hash=db.session.scalar(select(Staff.password_hash)),
        )
    )
    db.session.commit()
    _, other_email = make_clinic("south")
    response = _invite(client)
    location = response.headers["Location"]

    for email, status in (("colleague@north.example", 200), (other_email, 404)):
        other = app.test_client()
        switch_browser()
        post_form(other, "/staff/login", {"email": email, "password": PASSWORD})
        switch_browser()
        seen = other.get(location)
        assert seen.status_code == status
        assert "/i/" not in seen.get_data(as_text=True)
        switch_browser()

    # Still kept for the person who made it.
    assert "/i/" in client.get(location).get_data(as_text=True)


def test_a_link_not_shown_in_time_is_gone(
    client: FlaskClient, therapist: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shown_once, "KEEP_FOR", timedelta(minutes=-1))
    response = _invite(client)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "/i/" not in page and "shown once" in page


def test_signing_out_forgets_what_was_kept(client: FlaskClient, therapist: int) -> None:
    _invite(client)
    db.session.expire_all()
    assert db.session.scalar(select(StaffSession.shown_once)) is not None
    client.post("/staff/logout", data={"csrf_token": csrf_token(client, "/staff/")})
    db.session.expire_all()
    assert db.session.scalar(select(StaffSession.shown_once)) is None


def test_a_note_naming_a_client_stays_out_of_the_cookie(
    app: Flask, client: FlaskClient, therapist: int, make_intake: Any
) -> None:
    item = make_intake(therapist, "Sam Private")
    staff = db.session.scalar(select(Staff))
    assert staff is not None
    csrf = csrf_token(client, "/staff/")
    response = client.post(
        f"/staff/intakes/{item.id}/therapist", data={"csrf_token": csrf, "therapist_id": staff.id}
    )
    assert response.status_code == 302
    assert "Sam" not in _cookie(app, client)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Sam Private's intake is now with T." in html.unescape(page)


def test_the_daily_job_empties_what_was_never_shown(
    client: FlaskClient, therapist: int, make_clinic: Any, login: Any
) -> None:
    _invite(client)  # kept, never shown
    switch_browser()
    _, other = make_clinic("south")
    login(other)
    _invite(client)  # another session's, kept just now
    first = db.session.scalar(select(func.min(StaffSession.id)))
    # The first session has seen no request since long before it would have expired.
    db.session.execute(
        update(StaffSession)
        .where(StaffSession.id == first)
        .values(last_seen_at=utcnow() - shown_once.KEEP_FOR * 3)
    )
    db.session.commit()
    retention.schedule_daily()
    db.session.commit()  # the eager runner runs it at once
    db.session.expire_all()
    held = db.session.scalars(select(StaffSession.shown_once).order_by(StaffSession.id)).all()
    assert held[0] is None and held[1] is not None


def test_a_note_waits_for_a_staff_page_and_never_shows_on_a_client_page(
    client: FlaskClient, therapist: int, make_intake: Any, smtp: SmtpInbox
) -> None:
    other = make_intake(therapist, "Casey Other")
    token = other.token
    response = _invite(client, email="robin@example.org", send_email="y")
    assert response.status_code == 302
    # The same browser opens a client's link (a link tried at the front desk): that page
    # is the client's, and it never names another client.
    welcome = client.get(f"/i/{token}").get_data(as_text=True)
    assert welcome and "robin@example.org" not in welcome
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "We emailed the link to robin@example.org." in page


def test_a_value_kept_by_one_tab_survives_another_tab_showing_its_notes(
    app: Flask, client: FlaskClient, therapist: int, smtp: SmtpInbox, monkeypatch: Any
) -> None:
    response = _invite(client, email="robin@example.org", send_email="y")  # a note, a link
    assert response.status_code == 302
    row_id = db.session.scalar(select(StaffSession.id))
    read = sessions.this_browser

    def then_the_other_tab_keeps_a_value() -> StaffSession | None:
        # Tab B has read its session row when tab A commits a value of its own.
        row = read()
        with db.engine.connect() as other_tab:
            stored = other_tab.execute(
                select(StaffSession.shown_once).where(StaffSession.id == row_id)
            ).scalar_one()
            kept = {**stored, "other": {"value": "kept by tab A", "until": "9999"}}
            other_tab.execute(
                update(StaffSession).where(StaffSession.id == row_id).values(shown_once=kept)
            )
            other_tab.commit()
        monkeypatch.setattr(sessions, "this_browser", read)  # once
        return row

    monkeypatch.setattr(sessions, "this_browser", then_the_other_tab_keeps_a_value)
    # Tab B shows its notes and the link: what tab A kept meanwhile stays.
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "We emailed the link" in page
    db.session.expire_all()
    left = db.session.scalar(select(StaffSession.shown_once).where(StaffSession.id == row_id))
    assert left is not None and left["other"]["value"] == "kept by tab A"
