"""Fixtures: an app on SQLite (or PostgreSQL when INTAKE_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from argon2 import PasswordHasher, profiles
from flask import Flask, g
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import event, select, text
from sqlalchemy.engine import Engine

from intake import catalogue, create_app, crypto, lifecycle, outbox, throttle
from intake.accounts import auth
from intake.accounts.auth import hash_password
from intake.db import db
from intake.models import Clinic, Intake, QuestionnaireVersion, Role, Staff, utcnow
from tests.helpers import (
    CRISIS_CONTACTS,
    PASSWORD,
    Live,
    SmtpInbox,
    pg_admin,
    pg_scratch_url,
    post_form,
    readiness_v2,
)

# Tests sign in hundreds of times, so they hash with argon2's cheapest parameters; the app
# itself keeps argon2-cffi's defaults (verification reads the parameters from each hash).
auth._hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> str:
    """PostgreSQL when asked for, else a fresh SQLite file.

    Under pytest-xdist (`make test` runs two workers) each worker has a PostgreSQL database of
    its own, <name>_<worker>, made here if missing: a test empties every table after itself.
    """
    url = os.environ.get("INTAKE_TEST_DATABASE_URL")
    if not url:
        return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite")
    if worker_id == "master":
        return url
    url = pg_scratch_url(url, worker_id)
    name = url.rsplit("/", 1)[1]
    with pg_admin(url) as admin:
        found = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if found.fetchone() is None:
            admin.execute(f'CREATE DATABASE "{name}"')
    return url


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One app for the session, its schema built by the real migrations.

    Its instance folder (the outbox of emails, for one) is a fresh one, never the developer's.
    """
    os.environ["INTAKE_INSTANCE_PATH"] = str(tmp_path_factory.mktemp("instance"))
    # Apps the tests build from the environment (production checks) sweep for no jobs.
    os.environ["INTAKE_WEB_SWEEPER"] = "0"
    # One set of keys for the session, also in the environment, so the live processes some
    # tests start (production mode requires configured keys) read what the tests wrote.
    # They are the instance folder's, so apps built with a test config read them too.
    stored = crypto.instance_keys(Path(os.environ["INTAKE_INSTANCE_PATH"]))
    os.environ.setdefault("INTAKE_ENCRYPTION_KEYS", ",".join(stored["encryption_keys"]))
    os.environ.setdefault("INTAKE_SEARCH_KEY", stored["search_key"])
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "PUBLIC_BASE_URL": "http://localhost",
            "ENCRYPTION_KEYS": os.environ["INTAKE_ENCRYPTION_KEYS"],
            "SEARCH_KEY": os.environ["INTAKE_SEARCH_KEY"],
            # Background jobs run at once, so tests see them; tests/test_brief_store.py and
            # tests/test_jobs.py cover the background thread, RQ and the sweep.
            "JOB_RUNNER": "eager",
            # Renders in this process (tests count and break them); retries come at once.
            "BRIEF_TIME_LIMIT": None,
            "BRIEF_RETRY_DELAYS": (0, 0),
        }
    )
    with app.app_context():
        # Start from nothing, so the migrations themselves are what builds the schema.
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade(directory=app.extensions["migrate"].directory, revision="heads")
        catalogue.sync_builtin(app.config["FORMS_DIR"])
    yield app
    with app.app_context():
        db.engine.dispose()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On PostgreSQL, tests marked no_database are left out: the SQLite pass runs them.

    What they check (scoring, rendering, the published instruments' tables) reads nothing
    from a database, so a second run would only spend CI's time; _clean holds them to it.
    """
    if not os.environ.get("INTAKE_TEST_DATABASE_URL"):
        return
    once = [item for item in items if item.get_closest_marker("no_database")]
    if once:
        config.hook.pytest_deselected(items=once)
        items[:] = [item for item in items if not item.get_closest_marker("no_database")]


@pytest.fixture(autouse=True)
def _clean(app: Flask, request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test starts empty but for the built-in questionnaires, whatever tables exist.

    A job sweeper a test started (an app of its own with the web sweeper on) stops first: left
    running, it would sweep a database that is emptied here or deleted later. A test marked
    no_database fails if it runs any SQL at all (it runs on SQLite only; see above).
    """
    no_sql = request.node.get_closest_marker("no_database") is not None
    ran: list[str] = []

    def refuse(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        ran.append(statement)  # kept, in case the code under test swallows the error
        raise AssertionError(f"a test marked no_database ran SQL: {statement[:80]}")

    if no_sql:
        event.listen(Engine, "before_cursor_execute", refuse)
    try:
        yield
    finally:
        if no_sql:
            event.remove(Engine, "before_cursor_execute", refuse)
    outbox.stop_sweepers()
    throttle.reset(app)  # counters of failed sign-ins and floods start at zero too
    if no_sql:
        assert not ran, f"a test marked no_database ran SQL: {ran[0][:80]}"
        return  # nothing written, nothing to empty
    with app.app_context():
        db.session.rollback()
        with db.engine.begin() as conn:
            # Children before parents, so foreign keys hold on PostgreSQL too.
            for table in reversed(db.metadata.sorted_tables):
                if table.name == QuestionnaireVersion.__tablename__:
                    conn.execute(table.delete().where(table.c.clinic_id.isnot(None)))
                else:
                    conn.execute(table.delete())
        db.session.remove()


@pytest.fixture
def make_clinic(app: Flask) -> Any:
    """A factory: a clinic (its crisis contacts set) with one therapist whose password is
    PASSWORD."""

    def make(slug: str = "north", email: str | None = None) -> tuple[int, str]:
        clinic = Clinic(slug=slug, name=f"{slug.title()} Practice", **CRISIS_CONTACTS)
        db.session.add(clinic)
        db.session.flush()
        email = email or f"therapist@{slug}.example"
        hashed = hash_password(PASSWORD)
        db.session.add(Staff(clinic_id=clinic.id, email=email, name="T", password_hash=hashed))
        db.session.commit()
        return clinic.id, email

    return make


@pytest.fixture
def make_intake(app: Flask) -> Any:
    """A factory: an invited intake for a clinic, on the default questionnaire."""

    def make(clinic_id: int, name: str = "Alex Client") -> Intake:
        clinic = db.session.get(Clinic, clinic_id)
        version = readiness_v2()
        assert clinic is not None and version is not None
        return lifecycle.invite(clinic, name, version)

    return make


@pytest.fixture
def login(client: FlaskClient) -> Any:
    """Sign a staff member in through the real login form."""

    def do(email: str, password: str = PASSWORD) -> Any:
        response = post_form(client, "/staff/login", {"email": email, "password": password})
        # pytest-flask keeps one app context for the whole test, so flask_wtf's per-request
        # cache of the CSRF token in g outlives the session that sign-in clears: drop it.
        g.pop("csrf_token", None)
        return response

    return do


@pytest.fixture
def smtp(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpInbox]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 and a free port, which the app sends to."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = SmtpInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", port)
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def therapist(make_clinic: Any, login: Any) -> int:
    """A signed-in therapist of North; returns the clinic id."""
    clinic_id, email = make_clinic()
    login(email)
    return clinic_id


@pytest.fixture
def admin(make_clinic: Any, login: Any) -> int:
    """A signed-in clinic admin; returns the clinic id."""
    clinic_id, email = make_clinic()
    staff = db.session.scalar(select(Staff).where(Staff.email == email))
    assert staff is not None
    staff.role = Role.ADMIN
    db.session.commit()
    login(email)
    return clinic_id


@pytest.fixture
def forms_dir() -> Path:
    """The project's forms/ folder."""
    return Path(__file__).resolve().parents[1] / "forms"


@pytest.fixture
def clinic_with_admin(make_clinic: Any, make_intake: Any) -> dict[str, Any]:
    """A clinic with a therapist, an admin (who hears of urgent intakes), a consented intake."""
    clinic_id, therapist = make_clinic("north")
    db.session.add(
        Staff(
            clinic_id=clinic_id,
            email="admin@north.example",
            name="Ada Admin",
            role=Role.ADMIN,
            password_hash=hash_password(PASSWORD),
        )
    )
    intake: Intake = make_intake(clinic_id)
    intake.consent_name, intake.consent_at = "Alex Client", utcnow()
    db.session.commit()
    return {"id": clinic_id, "intake": intake, "therapist": therapist}


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    """Real processes for one test (logs in tmp_path); all stopped by their PIDs afterwards."""
    processes = Live(tmp_path)
    try:
        yield processes
    finally:
        processes.stop_all()


@pytest.fixture
def postgres_url(database_url: str) -> str:
    """The PostgreSQL test database's URL; tests with live processes run in that pass only."""
    if not database_url.startswith("postgresql"):
        pytest.skip("live-process tests run in the PostgreSQL pass (make test-postgres)")
    return database_url
