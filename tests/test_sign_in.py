"""Signing in safely: same-site redirects, equal cost for unknown emails, throttling with
growing waits, strong passwords, and nothing said about other clinics' accounts."""

from __future__ import annotations

import threading
import types
from typing import Any

import limits.storage.memory
import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import select

from intake import mail, throttle
from intake.accounts import auth
from intake.db import db
from intake.models import AuditEvent, Staff
from tests.helpers import PASSWORD, SmtpInbox, csrf_token, post_form, signed_in, switch_browser

LOGIN = "/staff/login"
WRONG = "not the right password"


def events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD, url: str = LOGIN) -> Any:
    switch_browser()
    response = client.post(
        url, data={"email": email, "password": password, "csrf_token": csrf_token(client, url)}
    )
    switch_browser()
    return response


# Redirects after sign-in -------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "////evil.example/phish",
        "//evil.example/phish",
        "/\\evil.example",
        "/%5Cevil.example",
        "/%09/evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "staff/",
    ],
)
def test_next_never_leaves_the_site(client: FlaskClient, make_clinic: Any, target: str) -> None:
    _, email = make_clinic()
    response = sign_in(client, email, url=f"{LOGIN}?next={target}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/"


def test_next_keeps_a_path_on_the_site(client: FlaskClient, make_clinic: Any) -> None:
    _, email = make_clinic()
    response = sign_in(client, email, url=f"{LOGIN}?next=/staff/%3Fstatus%3Dsubmitted")
    assert response.headers["Location"] == "/staff/?status=submitted"


# Equal cost for known and unknown emails ---------------------------------------------------


class CountingHasher(PasswordHasher):
    """argon2 with the tests' parameters, noting the parameters of every hash verified."""

    verified: list[str]

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:  # noqa: A002
        self.verified.append(str(hash).rsplit("$", 2)[0])  # algorithm, version, parameters
        return super().verify(hash, password)


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> CountingHasher:
    hasher = CountingHasher.from_parameters(auth._hasher._parameters)
    hasher.verified = []
    monkeypatch.setattr(auth, "_hasher", hasher)
    return hasher


def test_unknown_email_costs_one_argon2_verification_like_a_known_one(
    client: FlaskClient, make_clinic: Any, counting: CountingHasher
) -> None:
    _, email = make_clinic()
    known = db.session.scalar(select(Staff.password_hash).where(Staff.email == email))
    sign_in(client, email, WRONG)
    assert len(counting.verified) == 1
    sign_in(client, "nobody@nowhere.example", WRONG)
    # One verification each, against a hash of the same algorithm and cost.
    assert len(counting.verified) == 2
    assert counting.verified[0] == counting.verified[1] == known.rsplit("$", 2)[0]


def test_an_invited_account_without_password_costs_the_same(
    client: FlaskClient, make_clinic: Any, counting: CountingHasher
) -> None:
    _, email = make_clinic()
    staff = db.session.scalar(select(Staff).where(Staff.email == email))
    assert staff is not None
    staff.password_hash = auth.NO_PASSWORD
    db.session.commit()
    sign_in(client, email, WRONG)
    assert len(counting.verified) == 1


class HeldInbox(SmtpInbox):
    """An SMTP server that holds each message until released."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.release.wait(30)
        return await super().handle_DATA(server, session, envelope)


def test_reset_request_answers_before_any_email_is_sent(
    app: Flask,
    client: FlaskClient,
    make_clinic: Any,
    smtp: SmtpInbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The answer never waits for the mail server, so its time cannot tell a known email."""
    held = HeldInbox()
    monkeypatch.setattr(smtp, "handle_DATA", held.handle_DATA)
    monkeypatch.setitem(app.config, "MAIL_SYNC", False)
    _, email = make_clinic()
    try:
        known = post_form(client, "/staff/password/forgot", {"email": email})
        unknown = post_form(client, "/staff/password/forgot", {"email": "nobody@x.example"})
        assert known.status_code == unknown.status_code == 200
        assert known.get_data() == unknown.get_data()
        assert held.messages == []  # answered while the email was still on its way
    finally:
        held.release.set()
        mail.wait_for_mail()
    assert [m["To"] for m in held.messages] == [email]


# Throttling --------------------------------------------------------------------------------


class Clock:
    """Time for the in-memory counters, moved by the test."""

    def __init__(self) -> None:
        import time

        self.now = time.time()

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    fake = types.SimpleNamespace(time=clock.time)
    monkeypatch.setattr(limits.storage.memory, "time", fake)
    monkeypatch.setattr(throttle, "time", fake)
    return clock


def test_wrong_passwords_lock_the_account_with_growing_waits(
    client: FlaskClient, make_clinic: Any, clock: Clock
) -> None:
    clinic_id, email = make_clinic()
    for _ in range(5):
        assert sign_in(client, email, WRONG).status_code == 200
    # Locked now: even the right password is refused, with a clear message.
    locked = sign_in(client, email)
    assert locked.status_code == 429
    assert "Too many sign-in attempts. Please wait a minute" in locked.get_data(as_text=True)
    assert not signed_in(client)
    lock = events("staff.login_locked")
    assert [(e.clinic_id, e.detail["scope"]) for e in lock] == [(clinic_id, "account")]

    clock.now += 61  # the first wait is over; five more wrong ones cost a longer one
    for _ in range(5):
        assert sign_in(client, email, WRONG).status_code == 200
    longer = sign_in(client, email).get_data(as_text=True)
    assert "Please wait 15 minutes" in longer or "Please wait 14 minutes" in longer

    clock.now += 15 * 60 + 1
    assert sign_in(client, email).status_code == 302  # the right password works again
    # and a success forgets the failures.
    assert throttle.wait("login_account", email) == 0


def test_the_lock_counts_for_any_email_from_one_address(
    client: FlaskClient, make_clinic: Any
) -> None:
    _, email = make_clinic()
    for n in range(20):
        sign_in(client, f"guess{n}@nowhere.example", WRONG)
    refused = sign_in(client, email)
    assert refused.status_code == 429
    assert [e.detail["scope"] for e in events("staff.login_locked")] == ["address"]
    # Another address is not held back.
    switch_browser()
    other = client.post(
        LOGIN,
        data={"email": email, "password": PASSWORD, "csrf_token": csrf_token(client, LOGIN)},
        environ_base={"REMOTE_ADDR": "10.0.0.7"},
    )
    assert other.status_code == 302


def test_counters_live_in_redis_when_configured(
    app: Flask, client: FlaskClient, make_clinic: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every web process shares the counters: another connection to Redis sees the lock."""
    import os
    import secrets

    url = os.environ.get("INTAKE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    prefix = f"intake-test-{secrets.token_hex(4)}"
    monkeypatch.setitem(app.config, "REDIS_URL", url)
    monkeypatch.setitem(app.config, "THROTTLE_PREFIX", prefix)
    monkeypatch.setitem(app.config, "JOB_RUNNER", "eager")
    saved = app.extensions["intake_throttle"]
    throttle.init_app(app)
    _, email = make_clinic()
    try:
        for _ in range(5):
            sign_in(client, email, WRONG)
        storage = storage_from_string(url)  # as another web process would connect
        other = MovingWindowRateLimiter(storage)
        key = throttle._key("login_account", email)
        assert not other.test(throttle.limits_of("login_account")[0], key)
        names = [k.decode() for k in storage.storage.keys(f"*{prefix}*")]
        assert names and not any(email in name for name in names)  # no email in Redis
        assert sign_in(client, email).status_code == 429
    finally:
        app.extensions["intake_throttle"][0].reset()
        app.extensions["intake_throttle"] = saved


def test_reset_emails_are_bounded_per_account_and_address(
    client: FlaskClient, make_clinic: Any, smtp: SmtpInbox
) -> None:
    _, email = make_clinic()
    for _ in range(5):
        assert post_form(client, "/staff/password/forgot", {"email": email}).status_code == 200
    assert len(smtp.messages) == 3  # three an hour for one account; the page says the same
    limited = [
        e for e in events("staff.password_reset_requested") if e.detail.get("sent") is False
    ]
    assert len(limited) == 2
    refused = post_form(client, "/staff/password/forgot", {"email": email})
    assert refused.status_code == 429
    assert "Too many requests from your connection" in refused.get_data(as_text=True)


# Passwords ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("password1234", "very common password"),
        ("qwertyuiopasdf", "too easy to guess"),
        ("aaaaaaaaaaaaaaaa", "too easy to guess"),
        ("North Practice 1", "too easy to guess"),
        ("short", "at least 12 characters"),
    ],
)
def test_weak_passwords_are_refused(
    client: FlaskClient, make_clinic: Any, smtp: SmtpInbox, password: str, reason: str
) -> None:
    _, email = make_clinic()
    post_form(client, "/staff/password/forgot", {"email": email})
    link = smtp.link().split("localhost", 1)[1]
    page = post_form(client, link, {"password": password, "confirm": password})
    assert page.status_code == 200
    assert reason in page.get_data(as_text=True)
    assert not signed_in(client)


def test_a_strong_password_is_taken(
    client: FlaskClient, make_clinic: Any, smtp: SmtpInbox
) -> None:
    _, email = make_clinic()
    post_form(client, "/staff/password/forgot", {"email": email})
    link = smtp.link().split("localhost", 1)[1]
    strong = "lantern orbit gravel tuesday"
    assert post_form(client, link, {"password": strong, "confirm": strong}).status_code == 302


# Another clinic's accounts -----------------------------------------------------------------


def test_an_email_at_another_clinic_is_never_revealed(
    client: FlaskClient, make_clinic: Any, login: Any
) -> None:
    north_id, _ = make_clinic("north")
    _, south_email = make_clinic("south")
    admin = db.session.scalar(select(Staff).where(Staff.clinic_id == north_id))
    assert admin is not None
    admin.role = "admin"
    db.session.commit()
    login(admin.email)

    def invite(email: str) -> str:
        data = {"name": "Sam Two", "email": email, "role": "therapist"}
        html = post_form(client, "/staff/team/invite", data).get_data(as_text=True)
        return html.replace(email, "EMAIL")

    taken_elsewhere = invite(south_email)
    fresh = invite("fresh@else.example")
    assert "already" not in taken_elsewhere
    # The same page either way, but for the link itself.
    strip = __import__("re").compile(r"/staff/join/[\w-]+")
    assert strip.sub("LINK", taken_elsewhere) == strip.sub("LINK", fresh)
    own = invite(admin.email)
    assert "Someone at your clinic already has an account with this email." in own


def test_one_email_at_two_clinics_chooses_where_to_sign_in(
    client: FlaskClient, make_clinic: Any
) -> None:
    make_clinic("north", email="sam@both.example")
    make_clinic("south", email="sam@both.example")
    first = sign_in(client, "sam@both.example")
    assert first.headers["Location"] == "/staff/login/clinic"
    page = client.get("/staff/login/clinic").get_data(as_text=True)
    assert "North Practice" in page and "South Practice" in page
    south = db.session.scalar(
        select(Staff).where(Staff.email == "sam@both.example").order_by(Staff.id.desc())
    )
    assert south is not None
    chosen = post_form(client, "/staff/login/clinic", {"account": str(south.id)})
    assert chosen.headers["Location"] == "/staff/"
    switch_browser()
    assert "South Practice" in client.get("/staff/").get_data(as_text=True)
