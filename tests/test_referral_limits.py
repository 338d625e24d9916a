"""The public self-referral link under a flood: limits per address and per clinic, a trap
for robots, self-referrals marked on the dashboard, urgent emails limited per address."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from intake import notify
from intake.db import db
from intake.models import AuditEvent, Clinic, Intake, Role, Staff
from tests.helpers import BEFORE_SAFETY, FULL, PASSWORD, csrf_token, fill_page, link_token

URL = "/r/open-door"


def open_link(make_clinic: Any, cap: int = 20) -> int:
    clinic_id, email = make_clinic()
    clinic = db.session.get(Clinic, clinic_id)
    assert clinic is not None
    clinic.self_referral_token = "open-door"
    clinic.referral_daily_cap = cap
    staff = db.session.scalar(select(Staff).where(Staff.email == email))
    assert staff is not None
    staff.role = Role.ADMIN  # hears of urgent intakes
    db.session.commit()
    return clinic_id


def refer(client: FlaskClient, name: str, address: str = "203.0.113.5", **extra: str) -> Any:
    token = csrf_token(client, URL)
    return client.post(
        URL,
        data={"client_name": name, "csrf_token": token, **extra},
        environ_base={"REMOTE_ADDR": address},
    )


def count() -> int:
    return len(db.session.scalars(select(Intake.id)).all())


def test_one_address_can_open_only_a_few(client: FlaskClient, make_clinic: Any) -> None:
    open_link(make_clinic)
    for n in range(3):
        assert refer(client, f"Person {n}").status_code == 302
    flood = refer(client, "Person 4")
    assert flood.status_code == 429
    html = flood.get_data(as_text=True)
    assert "several requests from your connection" in html
    assert "In an emergency, call" in html  # safety first, even when refused
    assert count() == 3
    assert refer(client, "Someone else", address="198.51.100.9").status_code == 302


def test_the_clinic_sets_a_daily_cap(client: FlaskClient, make_clinic: Any) -> None:
    open_link(make_clinic, cap=2)
    assert refer(client, "A", address="192.0.2.1").status_code == 302
    assert refer(client, "B", address="192.0.2.2").status_code == 302
    full = refer(client, "C", address="192.0.2.3")
    assert full.status_code == 429
    assert "cannot take more requests through this page today" in full.get_data(as_text=True)
    assert count() == 2


def test_the_robot_trap_creates_nothing(client: FlaskClient, make_clinic: Any) -> None:
    open_link(make_clinic)
    page = client.get(URL).get_data(as_text=True)
    assert 'class="trap" aria-hidden="true"' in page
    trapped = refer(client, "Bot", homepage="http://spam.example")
    assert trapped.status_code == 200 and count() == 0


def test_self_referrals_are_marked_on_the_dashboard(
    client: FlaskClient, make_clinic: Any, make_intake: Any, login: Any
) -> None:
    clinic_id = open_link(make_clinic)
    refer(client, "Sam Self")
    make_intake(clinic_id, "Ivy Invited")
    login("therapist@north.example")
    html = client.get("/staff/").get_data(as_text=True)
    rows = {row.split("</th>")[0] for row in html.split("<tr")}
    sam = next(r for r in rows if "Sam Self" in r)
    ivy = next(r for r in rows if "Ivy Invited" in r)
    assert "Self-referred" in sam and "Self-referred" not in ivy


def test_urgent_emails_from_self_referrals_are_limited_per_address(
    client: FlaskClient, make_clinic: Any, monkeypatch: Any
) -> None:
    open_link(make_clinic)
    sent: list[int] = []
    monkeypatch.setattr(notify, "deliver", lambda intake_id: sent.append(intake_id))
    tokens = []
    for n in range(3):
        response = refer(client, f"Person {n}", address=f"192.0.2.{n}")
        assert response.status_code == 302
        tokens.append(link_token(response.headers["Location"]))
    intakes = db.session.scalars(select(Intake).order_by(Intake.id)).all()
    for intake, token in zip(intakes, tokens, strict=True):
        intake.remember_token(token)  # only its hash is stored
    for intake in intakes:
        answers = {**FULL, "self_harm": "2"}
        for page_id in BEFORE_SAFETY:
            fill_page(client, intake, page_id, answers)
        # Every page posted from one address (a flood): the flag always, the email twice.
        client.environ_base = {"REMOTE_ADDR": "203.0.113.50"}
        fill_page(client, intake, "wellbeing", answers)
        client.environ_base = {}
    db.session.expire_all()
    assert all(i.urgent for i in db.session.scalars(select(Intake)))
    assert len(sent) == 2
    limited = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "intake.urgent_notice_limited")
    ).all()
    assert len(limited) == 1
    assert PASSWORD  # the admin exists to be told


def test_a_self_referral_without_the_csrf_token_is_refused(
    client: FlaskClient, make_clinic: Any
) -> None:
    open_link(make_clinic)
    client.get(URL)  # the session holds a token; the post does not send it
    response = client.post(URL, data={"client_name": "No Token"})
    assert response.status_code == 400
    assert count() == 0
