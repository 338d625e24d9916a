"""The audit log: append-only, readable and filterable by the clinic's admins only."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import delete, select, update

from intake import audit
from intake.accounts.auth import hash_password
from intake.db import db
from intake.models import AuditEvent, Staff
from tests.helpers import PASSWORD, post_form


@pytest.fixture
def north(make_clinic: Any) -> dict[str, Any]:
    """A clinic with an admin (signed in by the tests) and a therapist."""
    clinic_id, therapist_email = make_clinic("north")
    admin = Staff(
        clinic_id=clinic_id,
        email="admin@north.example",
        name="Ada Admin",
        role="admin",
        password_hash=hash_password(PASSWORD),
    )
    db.session.add(admin)
    db.session.commit()
    therapist = db.session.scalar(select(Staff).where(Staff.email == therapist_email))
    assert therapist is not None
    return {"id": clinic_id, "admin": admin, "therapist": therapist}


def add_event(clinic_id: int, action: str, when: datetime, actor: Staff | None = None) -> None:
    db.session.add(
        AuditEvent(
            clinic_id=clinic_id,
            actor_id=actor.id if actor else None,
            action=action,
            detail={},
            created_at=when,
        )
    )


def rows(html: str) -> list[str]:
    """The table rows of the log page, as text."""
    body = re.split(r"<tbody[ >]", html, maxsplit=1)[1] if "<tbody" in html else ""
    body = body.split("</tbody>", 1)[0]
    return [" ".join(r.split()) for r in re.split(r"<tr[ >]", body)[1:]]


def test_entries_cannot_be_changed_or_removed(north: dict[str, Any]) -> None:
    entry = audit.record("staff.login", clinic_id=north["id"], actor_id=north["admin"].id)
    entry.action = "something else"
    with pytest.raises(PermissionError):
        db.session.commit()
    db.session.rollback()
    with pytest.raises(PermissionError):
        db.session.delete(db.session.get(AuditEvent, entry.id))
        db.session.commit()
    db.session.rollback()
    with pytest.raises(PermissionError):
        db.session.execute(update(AuditEvent).values(action="rewritten"))
    db.session.rollback()
    with pytest.raises(PermissionError):
        db.session.execute(delete(AuditEvent))
    db.session.rollback()
    assert db.session.scalars(select(AuditEvent.action)).all() == ["staff.login"]


def test_record_defaults_to_the_signed_in_user(
    client: FlaskClient, login: Any, north: dict[str, Any]
) -> None:
    login(north["admin"].email)
    client.get("/staff/audit")
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "staff.login")).one()
    assert (event.clinic_id, event.actor_id) == (north["id"], north["admin"].id)
    assert event.ip == "127.0.0.1"


def test_log_page_filters_by_action_person_and_dates(
    client: FlaskClient, login: Any, north: dict[str, Any]
) -> None:
    admin, therapist = north["admin"], north["therapist"]
    add_event(north["id"], "brief.viewed", datetime(2026, 3, 1, 9), therapist)
    add_event(north["id"], "brief.viewed", datetime(2026, 3, 5, 23, 59), admin)
    add_event(north["id"], "settings.changed", datetime(2026, 3, 6, 0, 0), admin)
    db.session.commit()
    login(admin.email)

    by_action = client.get("/staff/audit?action=brief.viewed").get_data(as_text=True)
    assert len(rows(by_action)) == 2 and "Viewed a brief" in by_action

    by_person = rows(client.get(f"/staff/audit?actor={therapist.id}").get_data(as_text=True))
    assert len(by_person) == 1 and "2026-03-01 09:00" in by_person[0]

    dates = client.get("/staff/audit?start=2026-03-02&end=2026-03-05").get_data(as_text=True)
    found = rows(dates)
    assert len(found) == 1 and "2026-03-05 23:59" in found[0]  # the end day is included

    everything = rows(client.get("/staff/audit").get_data(as_text=True))
    assert len(everything) == 4  # the three above and the admin's sign-in
    assert "Signed in" in everything[0]  # newest first


def test_failed_sign_ins_show_under_the_person_they_were_for(
    client: FlaskClient, login: Any, north: dict[str, Any]
) -> None:
    therapist = north["therapist"]
    post_form(client, "/staff/login", {"email": therapist.email, "password": "guess"})
    login(north["admin"].email)
    page = client.get(f"/staff/audit?actor={therapist.id}").get_data(as_text=True)
    found = rows(page)
    assert len(found) == 1
    assert "Failed sign-in" in found[0] and therapist.email in found[0]
    assert "guess" not in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=yesterday", "Not a valid date value"),
        ("start=2026-03-05&end=2026-03-01", "before the ‘From’ date"),
        ("action=no.such.action", "Not a valid choice"),
        ("actor=abc", "Not a valid choice"),
        ("page=-4", ""),
        ("page=zzz", ""),
    ],
)
def test_bad_filters_are_explained_not_crashed(
    client: FlaskClient, login: Any, north: dict[str, Any], query: str, message: str
) -> None:
    login(north["admin"].email)
    response = client.get(f"/staff/audit?{query}")
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)


def test_log_is_paginated(client: FlaskClient, login: Any, north: dict[str, Any]) -> None:
    for minute in range(59):
        add_event(north["id"], "brief.viewed", datetime(2026, 1, 1, 8, minute))
    db.session.commit()
    login(north["admin"].email)  # the 60th entry
    first = client.get("/staff/audit").get_data(as_text=True)
    assert len(rows(first)) == 50 and "Page 1 of 2 (60 entries)" in first
    second = client.get("/staff/audit?page=2&action=").get_data(as_text=True)
    assert len(rows(second)) == 10
    assert "2026-01-01 08:00" in rows(second)[-1]
    filtered = client.get("/staff/audit?action=brief.viewed&page=2").get_data(as_text=True)
    assert len(rows(filtered)) == 9 and "action=brief.viewed" in filtered


def test_other_clinics_entries_are_never_shown(
    client: FlaskClient, login: Any, north: dict[str, Any], make_clinic: Any
) -> None:
    south_id, _ = make_clinic("south")
    add_event(south_id, "settings.changed", datetime(2026, 2, 2, 2, 2))
    db.session.commit()
    login(north["admin"].email)
    page = client.get("/staff/audit").get_data(as_text=True)
    assert "2026-02-02" not in page and "Settings changed" not in page
    assert len(rows(page)) == 1


def test_therapists_cannot_read_the_log(
    client: FlaskClient, login: Any, north: dict[str, Any]
) -> None:
    login(north["therapist"].email)
    assert client.get("/staff/audit").status_code == 403


def test_the_last_possible_end_date_is_a_message_not_a_crash(
    client: FlaskClient, login: Any, clinic_with_admin: dict[str, Any]
) -> None:
    login("admin@north.example")
    response = client.get("/staff/audit?end=9999-12-31")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Choose an earlier date." in page and 'id="end-error"' in page


def test_every_recorded_action_is_worded_and_details_read_as_sentences(
    client: FlaskClient, login: Any, north: dict[str, Any], make_intake: Any
) -> None:
    # Every action the package records has its words (an action named only in code would
    # show as code-style text such as "intake.reviewed").
    package = Path(audit.__file__).resolve().parent
    recorded = {
        m.group(1)
        for path in package.rglob("*.py")
        for m in re.finditer(r'record\(\s*"([a-z]+\.[a-z_]+)"', path.read_text())
    }
    recorded |= {"staff.reactivated", "staff.deactivated"}  # chosen by a condition
    assert recorded and recorded <= set(audit.LABELS), recorded - set(audit.LABELS)
    intake = make_intake(north["id"], name="Maria Client")
    admin, therapist = north["admin"], north["therapist"]
    for action, detail in [
        ("intake.reviewed", {}),
        ("intake.reassigned", {"before": therapist.id, "after": admin.id}),
        ("settings.changed", {"fields": ["accent_color", "logo"]}),
        ("staff.role_changed", {"old": "therapist", "new": "admin"}),
        ("settings.safety_changed", {"fields": ["crisis_texts", "urgent_escalation_minutes"]}),
        ("intake.urgent_followed_up", {"outcome": "contacted", "waited_minutes": 35}),
        ("intake.urgent_escalated", {"to": "ada@north.example", "waited_minutes": 61}),
    ]:
        audit.record(action, clinic_id=north["id"], actor_id=admin.id, subject=intake, **detail)
    login(admin.email)
    page = client.get("/staff/audit").get_data(as_text=True)
    text = " ".join(rows(page))
    assert "Marked an intake reviewed" in text and "intake.reviewed" not in text
    assert "Maria Client's intake" in page
    assert f"From {therapist.name} to Ada Admin." in text
    assert "Changed the brand colour and logo." in text
    assert "From therapist to clinic admin." in text
    assert "Changed the crisis texts and reminder time for urgent intakes." in text
    assert "Spoke with the client, 35 minutes after the flag." in text
    assert (
        "Reminded ada@north.example: nobody had spoken with the client after 61 minutes." in text
    )
    assert "accent_color" not in text and "[" not in text
