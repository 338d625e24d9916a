"""What a reviewer found: failures that must never reach the client or turn into a 500."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from intake import drafts, intakes, mail, notify
from intake.auth import hash_password
from intake.db import db
from intake.models import AuditEvent, Clinic, Intake, Staff, utcnow
from intake.pdf_store import BriefPdf
from intake.staff import briefs as staff_briefs
from tests.test_client_flow import (
    DEFINITION,
    EXAMPLE_A,
    FULL,
    WORDS,
    autosave,
    complete,
    fill_page,
    reload,
)
from tests.test_questionnaires import EDIT, create, draft_text, press

from .conftest import PASSWORD, SmtpInbox, csrf_token, post_form

BEFORE_SAFETY = ("now", "change", "reasons", "expectations", "ways", "practical")


@pytest.fixture
def north(make_clinic: Any, make_intake: Any) -> dict[str, Any]:
    """A clinic with an admin (who hears of urgent intakes) and a consented intake."""
    clinic_id, therapist = make_clinic("north")
    db.session.add(
        Staff(
            clinic_id=clinic_id,
            email="admin@north.example",
            name="Ada Admin",
            role="admin",
            password_hash=hash_password(PASSWORD),
        )
    )
    intake: Intake = make_intake(clinic_id)
    intake.consent_name, intake.consent_at = "Alex Client", utcnow()
    db.session.commit()
    return {"id": clinic_id, "intake": intake, "therapist": therapist}


def actions(name: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == name)))


# C1: the urgent email never stands between the client and the crisis page.


def test_a_broken_mail_server_never_stops_the_crisis_page(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch, north: dict[str, Any]
) -> None:
    def broken(*args: Any, **kw: Any) -> None:
        raise OSError("network is unreachable")

    monkeypatch.setattr(mail, "send", broken)
    intake: Intake = north["intake"]
    for page in BEFORE_SAFETY:
        fill_page(client, intake, page, FULL)
    response = fill_page(client, intake, "wellbeing", {"self_harm": "2"})
    assert response.status_code == 302
    assert f"/i/{intake.token}/support" in response.headers["Location"]
    assert reload(intake).urgent
    (failure,) = actions("intake.urgent_notify_failed")
    assert failure.subject_id == intake.id and "unreachable" in failure.detail["error"]


def test_an_urgent_submit_queues_the_brief_even_when_the_notice_fails(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch, north: dict[str, Any]
) -> None:
    def broken(*args: Any, **kw: Any) -> None:
        raise RuntimeError("template or header trouble")

    monkeypatch.setattr(mail, "send", broken)
    intake: Intake = north["intake"]
    # Answers that reached the database without a page save flagging them (an older intake).
    intake.answers = {**EXAMPLE_A, **WORDS, "self_harm": 2}
    db.session.commit()
    response = post_form(client, f"/i/{intake.token}/review", {})
    assert response.headers["Location"].endswith(f"/i/{intake.token}/done")
    stored = reload(intake)
    assert stored.submitted and stored.urgent
    assert db.session.scalar(select(BriefPdf).where(BriefPdf.intake_id == intake.id))
    assert actions("intake.urgent_notify_failed")


def test_the_notice_goes_out_off_the_request_path(
    app: Flask,
    client: FlaskClient,
    monkeypatch: pytest.MonkeyPatch,
    smtp: SmtpInbox,
    north: dict[str, Any],
) -> None:
    monkeypatch.setitem(app.config, "NOTIFY_SYNC", False)
    release = threading.Event()
    real_send = mail.send

    def slow(*args: Any, **kw: Any) -> None:
        assert release.wait(30), "the test never released the mail server"
        real_send(*args, **kw)

    monkeypatch.setattr(mail, "send", slow)
    intake: Intake = north["intake"]
    for page in BEFORE_SAFETY:
        fill_page(client, intake, page, FULL)
    try:
        # The mail server is still stuck, yet the client already has the crisis page.
        response = fill_page(client, intake, "wellbeing", {"self_harm": "2"})
        assert "/support" in response.headers["Location"]
        assert smtp.messages == []
    finally:
        release.set()
        notify.wait_for_notices()
    (message,) = smtp.messages
    assert message["Subject"] == "An intake needs urgent attention"
    db.session.expire_all()
    assert actions("intake.urgent_notified")


# C6: input that used to cause a 500.


def test_the_last_possible_end_date_is_a_message_not_a_crash(
    client: FlaskClient, login: Any, north: dict[str, Any]
) -> None:
    login("admin@north.example")
    response = client.get("/staff/audit?end=9999-12-31")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Choose an earlier date." in page and 'id="end-error"' in page


def test_a_clinic_name_with_a_line_break_is_refused(
    client: FlaskClient, login: Any, north: dict[str, Any]
) -> None:
    from tests.test_settings import URL, VALID

    login("admin@north.example")
    data = {**VALID, "name": "North\r\nBcc: everyone@example.org"}
    data["csrf_token"] = csrf_token(client, URL)
    page = client.post(URL, data=data, content_type="multipart/form-data")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Please keep the name on one line" in html and 'id="name-error"' in html
    clinic = db.session.get(Clinic, north["id"])
    assert clinic is not None
    db.session.refresh(clinic)
    assert clinic.name == "North Practice"


def test_a_header_with_a_line_break_is_a_mail_error(app: Flask) -> None:
    with pytest.raises(mail.MailError):
        mail.send("a@example.org", "Hello\r\nBcc: everyone@example.org", "Body")


def test_a_page_sent_while_the_intake_is_sent_in_another_tab(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch, north: dict[str, Any]
) -> None:
    intake: Intake = north["intake"]
    real_lock = intakes._lock

    def sent_meanwhile(row: Intake) -> None:
        # The other tab's Send commits between this page post's checks and its save.
        with db.engine.begin() as conn:
            conn.execute(update(Intake).where(Intake.id == row.id).values(status="submitted"))
        real_lock(row)

    monkeypatch.setattr(intakes, "_lock", sent_meanwhile)
    response = fill_page(client, intake, "now", FULL)
    assert response.headers["Location"].endswith(f"/i/{intake.token}/done")
    assert reload(intake).answers == {}


@pytest.fixture
def admin(client: FlaskClient, login: Any, north: dict[str, Any]) -> int:
    login("admin@north.example")
    return int(north["id"])


def test_a_double_create_says_the_id_is_taken(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch, admin: int
) -> None:
    # Both clicks pass the check before either has stored its copy.
    monkeypatch.setattr(drafts, "key_taken", lambda clinic_id, key: False)
    assert create(client).status_code == 302
    again = create(client)
    assert again.status_code == 200
    assert "There is already a questionnaire with the id &#39;ours&#39;." in again.get_data(
        as_text=True
    )


def test_a_double_publish_says_the_version_is_taken(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch, admin: int
) -> None:
    create(client)
    source = draft_text(admin)
    # Both clicks pass the check before either has stored its version.
    monkeypatch.setattr(drafts, "publish_problems", lambda row, definition: [])
    assert press(client, "publish", source).status_code == 302
    again = press(client, "publish", source)
    assert again.status_code == 200
    page = again.get_data(as_text=True)
    assert "version 1 has just been published" in page
    assert source.split("\n")[0] in page  # what was typed is still in the editor
    assert len(drafts.versions(admin, "ours")) == 1
    assert client.get(EDIT).status_code == 200


# C4: a sent intake's link is the client's way to their confirmation and copy.


def test_a_submitted_intake_link_cannot_be_withdrawn(
    client: FlaskClient, login: Any, north: dict[str, Any]
) -> None:
    intake: Intake = north["intake"]
    complete(client, intake, FULL)
    login(north["therapist"])
    page = client.get(f"/staff/intakes/{intake.id}/invitation").get_data(as_text=True)
    assert "Withdraw the link" not in page
    url = f"/staff/intakes/{intake.id}/revoke"
    token = csrf_token(client, f"/staff/intakes/{intake.id}/invitation")
    response = client.post(url, data={"csrf_token": token}, follow_redirects=True)
    assert "already sent their answers" in response.get_data(as_text=True)
    assert reload(intake).revoked_at is None
    assert not actions("client.link_revoked")
    assert client.get(f"/i/{intake.token}/done").status_code == 200


def test_revoking_a_submitted_intake_is_refused(
    client: FlaskClient, north: dict[str, Any]
) -> None:
    intake: Intake = north["intake"]
    complete(client, intake, FULL)
    with pytest.raises(intakes.AlreadySubmitted):
        intakes.revoke(reload(intake))
    assert reload(intake).revoked_at is None


# C2: a late autosave never overwrites newer answers or moves the client back.


def test_a_late_autosave_keeps_the_page_the_client_moved_to(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch, north: dict[str, Any]
) -> None:
    intake: Intake = north["intake"]
    fill_page(client, intake, "now", FULL, action="save")
    assert reload(intake).current_page == "now"
    real_lock = intakes._lock

    def next_pressed_meanwhile(row: Intake) -> None:
        # The client's Next commits between the autosave reading the row and locking it.
        with db.engine.begin() as conn:
            conn.execute(update(Intake).where(Intake.id == row.id).values(current_page="change"))
        real_lock(row)

    monkeypatch.setattr(intakes, "_lock", next_pressed_meanwhile)
    response = autosave(client, intake, "now", {"why_now": "typed a moment before Next"})
    assert response.get_json()["saved"] is True
    stored = reload(intake)
    assert stored.current_page == "change"
    assert stored.answers["why_now"] == "typed a moment before Next"


def test_save_page_without_a_page_keeps_the_stored_one(
    client: FlaskClient, north: dict[str, Any]
) -> None:
    intake: Intake = north["intake"]
    intakes.save_page(intake, DEFINITION, {"why_now": "x"}, "reasons")
    intakes.save_page(reload(intake), DEFINITION, {"hopes": "y"}, None)
    stored = reload(intake)
    assert stored.current_page == "reasons" and stored.answers == {"why_now": "x", "hopes": "y"}


def test_the_form_waits_for_an_autosave_in_flight() -> None:
    script = (Path(__file__).resolve().parents[1] / "intake/static/intake.js").read_text()
    handler = script.split('form.addEventListener("submit"', 1)[1].split("});\n", 1)[0]
    assert "event.preventDefault()" in handler and "form.submit()" in handler
    assert "if (!pending)" in handler  # with nothing pending the browser posts as usual


# S6: links are on PUBLIC_BASE_URL, never the Host header of a request.


def test_links_shown_ignore_the_request_host(
    app: Flask,
    client: FlaskClient,
    login: Any,
    monkeypatch: pytest.MonkeyPatch,
    north: dict[str, Any],
) -> None:
    intake: Intake = north["intake"]
    evil = {"base_url": "http://attacker.example"}
    saved = client.get(f"/i/{intake.token}/saved", **evil).get_data(as_text=True)
    assert f"http://localhost/i/{intake.token}" in saved and "attacker" not in saved
    # Staff sign in on whatever address they use; the client's link is the public one.
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://intake.example")
    login(north["therapist"])
    html = client.get(f"/staff/intakes/{intake.id}").get_data(as_text=True)
    assert f"https://intake.example/i/{intake.token}" in html


# S4: a clinic's own brief files are for that clinic's staff only.


def test_clinic_brief_assets_are_for_their_own_clinic(
    client: FlaskClient,
    login: Any,
    make_clinic: Any,
    monkeypatch: pytest.MonkeyPatch,
    north: dict[str, Any],
    tmp_path: Path,
) -> None:
    make_clinic("south")
    (tmp_path / "clinics").mkdir()
    (tmp_path / "clinics" / "north.css").write_text("h1 { color: navy }")
    (tmp_path / "clinics" / "south.css").write_text("h1 { color: teal }")
    monkeypatch.setattr(staff_briefs, "TEMPLATES_DIR", tmp_path)
    login(north["therapist"])
    with client.get("/staff/brief-assets/clinics/north.css") as own:
        assert own.status_code == 200 and b"navy" in own.data
    for other in ("clinics/south.css", "fonts/../clinics/south.css", "clinics/./south.css"):
        assert client.get(f"/staff/brief-assets/{other}").status_code == 404, other
