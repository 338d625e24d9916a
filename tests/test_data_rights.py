"""The client's data rights: export everything, erase everything (a tombstone stays),
retention by clinic settings, and the own-copy link that closes after sending."""

from __future__ import annotations

import io
import json
import threading
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from intake import audit, erasure, outbox, retention
from intake.brief import jobs
from intake.db import db
from intake.models import (
    AuditEvent,
    BriefPdf,
    ClientGoal,
    Clinic,
    FollowUp,
    GoalRating,
    Intake,
    IntakeStatus,
    Job,
    JobState,
    Role,
    Staff,
    UrgentFollowUp,
    utcnow,
)
from tests.helpers import (
    FULL,
    PASSWORD,
    WORDS,
    audit_actions,
    complete,
    csrf_token,
    post_form,
    reload,
    switch_browser,
)

# What identifies the test client, as typed: none of it may survive an erasure.
NAME = "Alex Client"
SECRETS = (
    NAME,
    "Alex Morgan Client",  # the consent signature
    "alex@example.org",
    "+442079460958",  # the contact step's phone, stored as E.164
    "After 6 pm; not at work.",
    WORDS["why_now"],
    WORDS["keep"],
    "Left a voicemail at the number given",  # a staff follow-up note
)


def sent(client: FlaskClient, make_intake: Any, clinic_id: int, **answers: Any) -> Intake:
    """An intake the client has sent, with the contact step and every answer."""
    intake: Intake = make_intake(clinic_id, NAME)
    response = complete(client, intake, {**FULL, **answers})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return reload(intake)


def urgent_with_note(intake: Intake) -> None:
    """Flag the intake urgent and record a follow-up with a note, as staff would."""
    from intake import follow_up

    intake.urgent, intake.urgent_at = True, utcnow()
    db.session.commit()
    staff = db.session.scalar(select(Staff).where(Staff.clinic_id == intake.clinic_id))
    assert staff is not None
    follow_up.record(intake, staff, FollowUp.TRIED, "Left a voicemail at the number given")


def everything_stored() -> str:
    """Every row of every table, as text (a dump of the database)."""
    with db.engine.connect() as conn:
        return "\n".join(
            repr(tuple(row))
            for table in db.metadata.sorted_tables
            for row in conn.execute(table.select())
        )


# The own-copy link after sending.


def test_the_own_copy_closes_seven_days_after_sending(
    client: FlaskClient, make_clinic: Any, make_intake: Any
) -> None:
    # Found: a sent intake's own copy (with the self-harm answer) stayed downloadable for ever.
    clinic_id, _ = make_clinic()
    intake = sent(client, make_intake, clinic_id)
    assert client.get(f"/i/{intake.token}/answers.pdf").status_code == 200
    closes = intake.submitted_at + timedelta(days=7)  # type: ignore[operator]
    shown = client.get(f"/i/{intake.token}/done").get_data(as_text=True)
    assert f"your copy can be opened until {closes:%B} {closes.day}, {closes.year}" in shown
    intake.submitted_at = utcnow() - timedelta(days=7, minutes=1)
    db.session.commit()
    copy = client.get(f"/i/{intake.token}/answers.pdf")
    assert copy.status_code == 410
    done = client.get(f"/i/{intake.token}/done")
    page = done.get_data(as_text=True)
    assert done.status_code == 410 and "This link has closed" in page
    assert "North Practice has your answers" in page and "Please contact North Practice" in page
    assert WORDS["why_now"] not in page


def test_the_clinic_sets_how_long_the_copy_stays(
    client: FlaskClient, make_clinic: Any, make_intake: Any
) -> None:
    clinic_id, _ = make_clinic()
    intake = sent(client, make_intake, clinic_id)
    intake.submitted_at = utcnow() - timedelta(days=2)
    db.session.get(Clinic, clinic_id).copy_link_days = 3  # type: ignore[union-attr]
    db.session.commit()
    assert client.get(f"/i/{intake.token}/answers.pdf").status_code == 200
    db.session.get(Clinic, clinic_id).copy_link_days = 1  # type: ignore[union-attr]
    db.session.commit()
    assert client.get(f"/i/{intake.token}/answers.pdf").status_code == 410


def test_staff_close_the_link_at_once(
    client: FlaskClient, make_clinic: Any, make_intake: Any, login: Any
) -> None:
    clinic_id, email = make_clinic()
    intake = sent(client, make_intake, clinic_id)
    login(email)  # a therapist may close it: it only protects the client
    page = client.get(f"/staff/intakes/{intake.id}/invitation").get_data(as_text=True)
    assert "Close the link now" in page
    url = f"/staff/intakes/{intake.id}/close-link"
    token = csrf_token(client, f"/staff/intakes/{intake.id}/invitation")
    assert client.post(url).status_code == 400  # no CSRF token: refused
    assert client.post(url, data={"csrf_token": token}).status_code == 302
    switch_browser()
    assert client.get(f"/i/{intake.token}/answers.pdf").status_code == 410
    assert client.get(f"/i/{intake.token}/done").status_code == 410
    closed = audit_actions("client.copy_closed")
    assert len(closed) == 1 and closed[0].subject_id == intake.id and closed[0].detail == {}
    switch_browser()
    page = client.get(f"/staff/intakes/{intake.id}/invitation").get_data(as_text=True)
    assert "their confirmation and own copy no longer open" in page
    assert client.get(f"/staff/intakes/{intake.id}").status_code == 200  # the brief stays


# Export.


def test_an_admin_downloads_everything_held_as_one_zip(
    client: FlaskClient, admin: int, make_intake: Any
) -> None:
    intake = sent(client, make_intake, admin)
    urgent_with_note(intake)
    goal = ClientGoal(client_id=intake.client_id, intake_id=intake.id, text="Sleep through")
    goal.ratings.append(GoalRating(intake_id=intake.id, rating=4))
    db.session.add(goal)
    db.session.commit()
    switch_browser()
    response = client.get(f"/staff/intakes/{intake.id}/client-data.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "no-store" in response.headers["Cache-Control"]
    assert f"intake-{intake.id}-client-data.zip" in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = set(archive.namelist())
    assert names >= {
        "README.txt", "client.json", "consent.json", "answers.json", "scores.json",
        "urgent.json", "audit.json", "brief.pdf", "my-answers.pdf", "fhir.json", "goals.json",
    }  # fmt: skip
    (goal_json,) = json.loads(archive.read("goals.json"))
    assert goal_json["goal"] == "Sleep through"
    assert [(r["intake_id"], r["rating"]) for r in goal_json["ratings"]] == [(intake.id, 4)]
    client_json = json.loads(archive.read("client.json"))
    assert client_json["name"] == NAME
    assert client_json["contact_step"]["phone"] == "+442079460958"
    assert json.loads(archive.read("consent.json"))["name_typed"] == "Alex Morgan Client"
    answers = json.loads(archive.read("answers.json"))["answers"]
    assert {"question_id": "why_now", "answer": WORDS["why_now"]}.items() <= next(
        a for a in answers if a["question_id"] == "why_now"
    ).items()
    urgent = json.loads(archive.read("urgent.json"))
    assert urgent["follow_ups"][0]["note"] == "Left a voicemail at the number given"
    assert archive.read("brief.pdf").startswith(b"%PDF")
    assert archive.read("my-answers.pdf").startswith(b"%PDF")
    assert json.loads(archive.read("fhir.json"))["resourceType"] == "Bundle"
    assert any(e["action"] == "client.invited" for e in json.loads(archive.read("audit.json")))
    exported = audit_actions("client.exported")
    assert len(exported) == 1 and exported[0].subject_id == intake.id
    assert not any(s in json.dumps(exported[0].detail) for s in SECRETS)


def test_only_admins_export_or_erase_and_only_their_own_clinics(
    app: Flask, client: FlaskClient, make_clinic: Any, make_intake: Any, login: Any
) -> None:
    own_id, therapist = make_clinic("north")
    other_id, other_admin = make_clinic("south")
    db.session.scalar(select(Staff).where(Staff.email == other_admin)).role = Role.ADMIN  # type: ignore[union-attr]
    db.session.commit()
    intake = make_intake(own_id)
    login(therapist)
    assert client.get(f"/staff/intakes/{intake.id}/client-data.zip").status_code == 403
    assert client.get(f"/staff/intakes/{intake.id}/erase").status_code == 403
    page = client.get(f"/staff/intakes/{intake.id}/invitation").get_data(as_text=True)
    assert "client-data.zip" not in page and "/erase" not in page
    other = app.test_client()
    switch_browser()
    post_form(other, "/staff/login", {"email": other_admin, "password": PASSWORD})
    switch_browser()
    assert other.get(f"/staff/intakes/{intake.id}/client-data.zip").status_code == 404
    assert other.get(f"/staff/intakes/{intake.id}/erase").status_code == 404
    assert other.get("/staff/settings").status_code == 200  # signed in, as an admin
    assert reload(intake).status == IntakeStatus.INVITED
    assert audit_actions("client.exported") == []


def test_the_export_command_writes_the_zip(
    app: Flask, client: FlaskClient, make_clinic: Any, make_intake: Any, tmp_path: Path
) -> None:
    clinic_id, _ = make_clinic()
    intake = sent(client, make_intake, clinic_id)
    out = tmp_path / "client.zip"
    result = app.test_cli_runner().invoke(
        args=["clients", "export", str(intake.id), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "answers.json" in zipfile.ZipFile(out).namelist()
    assert out.stat().st_mode & 0o077 == 0
    assert len(audit_actions("client.exported")) == 1


# Erase.


def test_an_admin_erases_a_client_after_typing_their_name(
    client: FlaskClient, admin: int, make_intake: Any
) -> None:
    # Found: the consent text promises deletion on request, and nothing could do it.
    intake = sent(client, make_intake, admin)
    urgent_with_note(intake)
    other = make_intake(admin, "Kept Person")
    token = intake.token
    switch_browser()
    assert all(s in everything_stored() for s in SECRETS)
    url = f"/staff/intakes/{intake.id}/erase"
    assert "<h1>Erase Alex Client" in client.get(url).get_data(as_text=True)
    wrong = post_form(client, url, {"confirm": "Someone Else"})
    assert wrong.status_code == 400
    assert "name: nothing was erased." in wrong.get_data(as_text=True)
    assert reload(intake).status == IntakeStatus.SUBMITTED
    switch_browser()
    done = post_form(client, url, {"confirm": "  alex   CLIENT "})
    assert done.status_code == 302 and done.headers["Location"].endswith("/staff/")
    tombstone = reload(intake)
    assert tombstone.status == IntakeStatus.ERASED and tombstone.erased_at is not None
    assert tombstone.clinic_id == admin and tombstone.questionnaire_id is not None
    assert tombstone.submitted_at is not None and tombstone.created_at is not None
    stored = everything_stored()
    assert [s for s in SECRETS if s in stored] == []
    assert db.session.scalar(select(BriefPdf).where(BriefPdf.intake_id == intake.id)) is None
    assert reload(other).client_name == "Kept Person"  # only this client
    entry = audit_actions("client.erased")[0]
    assert entry.subject_id == intake.id and entry.detail["reason"] == "request"
    # The client's link answers with a kind page, and staff pages no longer show it.
    switch_browser()
    page = client.get(f"/i/{token}")
    assert page.status_code == 410 and "This link has closed" in page.get_data(as_text=True)
    assert client.get(f"/i/{token}/answers.pdf").status_code == 410
    # Staff following an old link are told it was erased, in the staff's words.
    gone = client.get(f"/staff/intakes/{intake.id}")
    assert gone.status_code == 410 and "This record was erased" in gone.get_data(as_text=True)
    assert "contact the clinic" not in gone.get_data(as_text=True)
    assert client.get(f"/staff/intakes/{intake.id}/brief.pdf").status_code == 410
    missing = client.get("/staff/intakes/999999").get_data(as_text=True)
    assert "Back to intakes" in missing and "contact the clinic" not in missing
    assert tombstone.client_id is not None
    record = client.get(f"/staff/clients/{tombstone.client_id}")
    assert record.status_code == 410 and "This record was erased" in record.get_data(as_text=True)
    assert "Kept Person" in client.get("/staff/").get_data(as_text=True)
    log = client.get("/staff/audit").get_data(as_text=True)
    assert f"Intake {intake.id} (erased)" in log and "Erased a client" in log
    assert NAME not in log and "records deleted" in log


def test_another_clinics_erased_records_are_not_found(
    client: FlaskClient, make_clinic: Any, make_intake: Any, login: Any
) -> None:
    north_id, _ = make_clinic("north")
    _, south = make_clinic("south")
    intake = sent(client, make_intake, north_id)
    erasure.erase(intake)
    tombstone = reload(intake)
    assert tombstone.status == IntakeStatus.ERASED and tombstone.client_id is not None
    switch_browser()
    login(south)
    # 404 as for any record of another clinic: only its own clinic learns it was erased.
    assert client.get(f"/staff/intakes/{intake.id}").status_code == 404
    assert client.get(f"/staff/clients/{tombstone.client_id}").status_code == 404


def test_the_word_erase_confirms_too_and_csrf_is_required(
    client: FlaskClient, admin: int, make_intake: Any
) -> None:
    intake = make_intake(admin)
    url = f"/staff/intakes/{intake.id}/erase"
    assert client.post(url, data={"confirm": "erase"}).status_code == 400
    assert reload(intake).status == IntakeStatus.INVITED
    assert post_form(client, url, {"confirm": "erase"}).status_code == 302
    assert reload(intake).status == IntakeStatus.ERASED


def test_audit_entries_about_the_client_are_scrubbed(
    app: Flask, client: FlaskClient, make_clinic: Any, make_intake: Any
) -> None:
    clinic_id, _ = make_clinic()
    intake = make_intake(clinic_id)
    with app.test_request_context(environ_base={"REMOTE_ADDR": "203.0.113.9"}):
        from intake import audit

        audit.record("client.reminded", subject=intake, note=f"to {NAME}", emailed=True)
    staff_entry = AuditEvent(
        clinic_id=clinic_id, actor_id=None, action="intake.reviewed", subject_type="intake",
        subject_id=intake.id, detail={}, ip=None,
    )  # fmt: skip
    db.session.add(staff_entry)
    db.session.commit()
    erasure.erase(intake)
    entries = {e.action: e for e in db.session.scalars(select(AuditEvent))}
    db.session.expire_all()
    reminded = db.session.get(AuditEvent, entries["client.reminded"].id)
    assert reminded is not None
    assert reminded.detail == {"note": "[erased]", "emailed": True} and reminded.ip is None
    assert "client.invited" in entries and "client.erased" in entries
    assert NAME not in everything_stored()


def test_the_erase_command(
    app: Flask, client: FlaskClient, make_clinic: Any, make_intake: Any
) -> None:
    clinic_id, _ = make_clinic()
    intake = sent(client, make_intake, clinic_id)
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["clients", "erase", str(intake.id)], input="n\n")
    assert refused.exit_code == 1 and reload(intake).status == IntakeStatus.SUBMITTED
    result = runner.invoke(args=["clients", "erase", str(intake.id), "--yes"])
    assert result.exit_code == 0, result.output
    assert f"erased intake {intake.id}" in result.output and NAME not in result.output
    assert reload(intake).status == IntakeStatus.ERASED
    again = runner.invoke(args=["clients", "erase", str(intake.id), "--yes"])
    assert again.exit_code == 1 and "already erased" in again.output
    assert [s for s in SECRETS if s in everything_stored()] == []


def test_erasure_reaches_the_queue(
    client: FlaskClient, make_clinic: Any, make_intake: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    clinic_id, _ = make_clinic()
    intake = sent(client, make_intake, clinic_id)
    # A render asked for again and still waiting (its runner has not taken it yet).
    monkeypatch.setattr(outbox, "dispatch", lambda *a, **k: None)
    jobs.retry(intake)
    waiting = db.session.scalar(
        select(Job).where(Job.kind == jobs.RENDER, Job.state == JobState.PENDING)
    )
    assert waiting is not None and waiting.state == JobState.PENDING
    erasure.erase(intake)
    assert db.session.scalar(select(Job).where(Job.kind == jobs.RENDER)) is None
    # Were it handed out anyway (a message already in Redis), it stores nothing.
    jobs.render_one(intake.id)
    assert db.session.scalar(select(BriefPdf).where(BriefPdf.intake_id == intake.id)) is None


def test_a_render_running_during_the_erasure_stores_no_pdf(
    app: Flask, client: FlaskClient, make_clinic: Any, make_intake: Any, monkeypatch: Any
) -> None:
    clinic_id, _ = make_clinic()
    intake = sent(client, make_intake, clinic_id)
    db.session.execute(BriefPdf.__table__.delete())
    db.session.commit()
    intake_id = intake.id
    real = jobs.render_pdf

    def render_while_erased(*args: Any, **kw: Any) -> bytes:
        pdf = real(*args, **kw)

        def erase_elsewhere() -> None:  # another process: its own session
            with app.app_context():
                found = db.session.get(Intake, intake_id)
                assert found is not None
                erasure.erase(found)
                db.session.remove()

        worker = threading.Thread(target=erase_elsewhere)
        worker.start()
        worker.join(timeout=60)
        return pdf

    monkeypatch.setattr(jobs, "render_pdf", render_while_erased)
    try:
        jobs.render_one(intake_id)
    except Exception:  # noqa: BLE001  (a lost update is also fine: the job then stops)
        db.session.rollback()
    db.session.expire_all()
    assert reload(intake).status == IntakeStatus.ERASED
    assert db.session.scalar(select(BriefPdf).where(BriefPdf.intake_id == intake_id)) is None


# Retention.


def test_retention_erases_what_the_clinic_settings_say(
    app: Flask, client: FlaskClient, make_clinic: Any, make_intake: Any
) -> None:
    clinic_id, _ = make_clinic()
    old = sent(client, make_intake, clinic_id)
    recent = sent(client, make_intake, clinic_id)
    never = make_intake(clinic_id, "Never Opened")
    open_link = make_intake(clinic_id, "Still Open")
    now = utcnow()
    old.submitted_at = now - timedelta(days=400)
    recent.submitted_at = now - timedelta(days=20)
    never.created_at = now - timedelta(days=100)
    never.expires_at = now - timedelta(days=70)
    open_link.created_at = now - timedelta(days=100)
    open_link.expires_at = now + timedelta(days=5)  # re-sent: the client may still open it
    db.session.commit()
    runner = app.test_cli_runner()
    # Submitted intakes are kept unless the clinic says otherwise.
    dry = runner.invoke(args=["retention", "apply", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"would erase intake {never.id}  clinic north  invited, never opened" in dry.output
    assert f"intake {old.id} " not in dry.output and "would erase 1 intake(s)" in dry.output
    db.session.get(Clinic, clinic_id).retention_months = 12  # type: ignore[union-attr]
    db.session.commit()
    dry = runner.invoke(args=["retention", "apply", "--dry-run"])
    assert f"would erase intake {old.id}  clinic north  sent " in dry.output
    assert "Never Opened" not in dry.output and NAME not in dry.output
    assert reload(old).status == IntakeStatus.SUBMITTED  # a dry run changes nothing
    result = runner.invoke(args=["retention", "apply"])
    assert result.exit_code == 0 and "erased 2 intake(s)" in result.output
    assert reload(old).status == IntakeStatus.ERASED
    assert reload(never).status == IntakeStatus.ERASED
    assert reload(recent).status == IntakeStatus.SUBMITTED
    assert reload(open_link).status == IntakeStatus.INVITED
    reasons = [e.detail["reason"] for e in audit_actions("client.erased")]
    assert reasons == ["retention", "retention"]


def test_retention_erases_unfinished_intakes_untouched_for_the_clinic_s_days(
    app: Flask, client: FlaskClient, make_clinic: Any, make_intake: Any
) -> None:
    clinic_id, _ = make_clinic()
    clinic = db.session.get(Clinic, clinic_id)
    assert clinic is not None
    clinic.unopened_days = None  # only the new rule here
    now = utcnow()
    long_ago, lately = now - timedelta(days=200), now - timedelta(days=100)

    def unfinished(name: str, **values: Any) -> Intake:
        item: Intake = make_intake(clinic_id, name)
        item.created_at, item.expires_at = long_ago, now - timedelta(days=170)
        for key, value in values.items():
            setattr(item, key, value)
        return item

    started = unfinished(
        "Started Client",
        status=IntakeStatus.IN_PROGRESS,
        consent_name="Started Client",
        consent_at=long_ago,
        answers={"why_now": "I keep losing sleep"},
        started_at=long_ago,
        updated_at=lately,
    )
    under_age = unfinished(
        "Young Client", status=IntakeStatus.IN_PROGRESS, under_age_at=lately, updated_at=lately
    )
    never = unfinished("Never Opened")
    saved_lately = unfinished(
        "Saved Lately", status=IntakeStatus.IN_PROGRESS, updated_at=now - timedelta(days=10)
    )
    open_link = unfinished("Still Open", status=IntakeStatus.IN_PROGRESS, updated_at=lately)
    open_link.expires_at = now + timedelta(days=5)  # re-sent: the client may still come back
    reminded = unfinished("Reminded Lately", revoked_at=lately)
    old_sent = sent(client, make_intake, clinic_id)
    old_sent.submitted_at = old_sent.created_at = long_ago
    db.session.commit()
    # What the invitations themselves audited happened long ago; one intake was touched
    # lately (an audited action about it counts as activity).
    # (Through the table: the application itself never changes an audit entry.)
    db.session.execute(AuditEvent.__table__.update().values(created_at=long_ago))
    audit.record("client.reminded", clinic_id=clinic_id, subject=reload(reminded), commit=False)
    db.session.commit()
    runner = app.test_cli_runner()

    # Off by default: nothing unfinished is erased.
    dry = runner.invoke(args=["retention", "apply", "--dry-run"])
    assert dry.exit_code == 0 and "would erase 0 intake(s)" in dry.output

    db.session.get(Clinic, clinic_id).unfinished_days = 60  # type: ignore[union-attr]
    db.session.commit()
    dry = runner.invoke(args=["retention", "apply", "--dry-run"])
    day = f"{lately:%Y-%m-%d}"
    for item in (started, under_age):
        assert f"would erase intake {item.id}  clinic north  unfinished, last activity {day}" in (
            dry.output
        )
    assert f"would erase intake {never.id}  clinic north  unfinished, last activity " in (
        dry.output
    )
    assert "would erase 3 intake(s)" in dry.output
    assert "Client" not in dry.output and "Never Opened" not in dry.output
    assert reload(started).status == IntakeStatus.IN_PROGRESS  # a dry run changes nothing

    result = runner.invoke(args=["retention", "apply"])
    assert result.exit_code == 0 and "erased 3 intake(s)" in result.output
    for item in (started, under_age, never):
        erased = reload(item)
        assert erased.status == IntakeStatus.ERASED
        assert erased.client_name == "" and erased.answers == {}
        assert erased.under_age_at is None
    for item in (saved_lately, open_link, reminded, old_sent):
        assert reload(item).status != IntakeStatus.ERASED
    entries = audit_actions("client.erased")
    assert [(e.detail["reason"], e.detail["rule"]) for e in entries] == [
        ("retention", "unfinished")
    ] * 3
    logged = json.dumps([e.detail for e in entries])
    assert "Client" not in logged and "Never Opened" not in logged


def test_an_urgent_flag_nobody_followed_up_is_never_erased_and_each_erasure_checks_again(
    make_clinic: Any, make_intake: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    clinic_id, email = make_clinic()
    clinic = db.session.get(Clinic, clinic_id)
    therapist = db.session.scalar(select(Staff).where(Staff.email == email))
    assert clinic is not None and therapist is not None
    clinic.unopened_days, clinic.unfinished_days = None, 60
    now = utcnow()
    long_ago = now - timedelta(days=200)

    def urgent(name: str) -> Intake:
        item: Intake = make_intake(clinic_id, name)
        item.status, item.urgent, item.urgent_at = IntakeStatus.IN_PROGRESS, True, long_ago
        item.created_at = item.updated_at = long_ago
        item.expires_at = now - timedelta(days=170)
        return item

    waiting, followed = urgent("Waiting Client"), urgent("Followed Client")
    tried = urgent("Tried Client")  # a call that reached nobody: still waiting
    for item, outcome in ((followed, FollowUp.CONTACTED), (tried, FollowUp.TRIED)):
        db.session.add(
            UrgentFollowUp(
                intake=item, staff_id=therapist.id, outcome=outcome, created_at=long_ago
            )
        )
    db.session.commit()
    db.session.execute(AuditEvent.__table__.update().values(created_at=long_ago))
    db.session.commit()
    listed = retention.due(now)
    assert [d.intake_id for d in listed] == [followed.id]  # the unanswered flag waits

    # Staff re-open the link after the run listed it, before its erasure: it stays.
    reload(followed).expires_at = now + timedelta(days=30)
    db.session.commit()
    monkeypatch.setattr(retention, "due", lambda _now=None: listed)
    retention.apply(now)
    assert reload(followed).status == IntakeStatus.IN_PROGRESS
    # Closed again, the same listing erases it; the waiting flag is never touched.
    reload(followed).expires_at = now - timedelta(days=1)
    db.session.commit()
    retention.apply(now)
    assert reload(followed).status == IntakeStatus.ERASED
    assert reload(waiting).status == IntakeStatus.IN_PROGRESS and reload(waiting).urgent
    assert reload(tried).status == IntakeStatus.IN_PROGRESS


def test_the_unfinished_rule_is_a_clinic_setting(client: FlaskClient, admin: int) -> None:
    clinic = db.session.get(Clinic, admin)
    assert clinic is not None and clinic.unfinished_days is None  # off by default
    page = client.get("/staff/settings").get_data(as_text=True)
    assert 'name="unfinished_days"' in page
    base = {
        "name": "North Practice",
        "accent_color": "#1f5f7a",
        "link_expiry_days": "30",
        "default_questionnaire": "",
        "copy_link_days": "7",
    }
    bad = post_form(client, "/staff/settings", {**base, "unfinished_days": "3"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 200
    assert 'id="unfinished_days-error"' in page and 'value="3"' in page
    switch_browser()
    good = post_form(client, "/staff/settings", {**base, "unfinished_days": "180"})
    assert good.status_code == 302
    db.session.refresh(clinic)
    assert clinic.unfinished_days == 180
    assert "unfinished_days" in audit_actions("settings.changed")[-1].detail["fields"]


def test_retention_runs_daily_as_a_job(make_clinic: Any, make_intake: Any) -> None:
    clinic_id, _ = make_clinic()
    never = make_intake(clinic_id)
    never.created_at = never.expires_at = utcnow() - timedelta(days=91)
    db.session.commit()
    retention.schedule_daily()
    db.session.commit()  # the eager runner runs it at once
    assert reload(never).status == IntakeStatus.ERASED
    following = db.session.scalars(
        select(Job).where(Job.kind == retention.DAILY, Job.state == JobState.PENDING)
    ).all()
    assert len(following) == 1 and following[0].run_at > utcnow() + timedelta(hours=23)
    retention.schedule_daily()  # a restart adds no second chain
    db.session.commit()
    assert len(db.session.scalars(select(Job).where(Job.kind == retention.DAILY)).all()) == 2


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        ("2026-03-31", 1, "2026-02-28"),
        ("2024-03-31", 1, "2024-02-29"),
        ("2026-01-15", 1, "2025-12-15"),
        ("2026-11-27", 24, "2024-11-27"),
    ],
)
def test_months_before(moment: str, months: int, expected: str) -> None:
    from datetime import datetime

    assert retention.months_before(datetime.fromisoformat(moment), months) == (
        datetime.fromisoformat(expected)
    )


def test_settings_for_retention_and_the_copy_link(client: FlaskClient, admin: int) -> None:
    base = {
        "name": "North Practice",
        "accent_color": "#1f5f7a",
        "link_expiry_days": "30",
        "default_questionnaire": "",
    }
    bad = post_form(
        client,
        "/staff/settings",
        {**base, "copy_link_days": "0", "retention_months": "abc", "unopened_days": "2"},
    )
    page = bad.get_data(as_text=True)
    assert bad.status_code == 200
    assert "Please give a number of days from 1 to 90." in page
    assert "Please give a number of days from 7 to 3650 (or none)." in page
    assert 'id="retention_months-error"' in page
    switch_browser()
    good = post_form(
        client,
        "/staff/settings",
        {**base, "copy_link_days": "3", "retention_months": "84", "unopened_days": ""},
    )
    assert good.status_code == 302
    clinic = db.session.get(Clinic, admin)
    db.session.refresh(clinic)
    assert clinic is not None
    assert (clinic.copy_link_days, clinic.retention_months, clinic.unopened_days) == (3, 84, None)
    changed = audit_actions("settings.changed")[-1].detail["fields"]
    assert {"copy_link_days", "retention_months", "unopened_days"} <= set(changed)


def test_erasing_an_intake_remakes_the_client_s_other_briefs_that_drew_it(
    make_clinic: Any, make_intake: Any
) -> None:
    # A later intake's brief showed the earlier one in the client's history (scores, goals).
    clinic_id, _ = make_clinic()
    first = make_intake(clinic_id, NAME)
    later = make_intake(clinic_id, NAME)
    later.client_id = first.client_id
    first.under_age_at = utcnow()  # a health fact like any other: erased too
    for intake in (first, later):
        db.session.add(
            BriefPdf(intake_id=intake.id, state="ready", attempts=1, pdf=b"%PDF history")
        )
    db.session.commit()
    counts = erasure.erase(first)
    assert counts["other_briefs_to_remake"] == 1
    assert db.session.scalars(select(BriefPdf)).all() == []
    assert reload(first).under_age_at is None
