"""Fixtures: an app on SQLite (or PostgreSQL when INTAKE_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text

from intake import create_app, intakes, questionnaires
from intake.auth import hash_password
from intake.db import db
from intake.models import Clinic, Intake, QuestionnaireVersion, Staff

PASSWORD = "correct horse battery staple"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """PostgreSQL when asked for, else a fresh SQLite file."""
    url = os.environ.get("INTAKE_TEST_DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite")


@pytest.fixture(scope="session")
def app(database_url: str) -> Iterator[Flask]:
    """One app for the session, its schema built by the real migrations."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "PUBLIC_BASE_URL": "http://localhost",
        }
    )
    with app.app_context():
        # Start from nothing, so the migrations themselves are what builds the schema.
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade(directory=app.extensions["migrate"].directory, revision="heads")
        questionnaires.sync_builtin(app.config["FORMS_DIR"])
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean(app: Flask) -> Iterator[None]:
    """Each test starts empty but for the built-in questionnaires, whatever tables exist."""
    yield
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
    """A factory: a clinic with one therapist whose password is PASSWORD."""

    def make(slug: str = "north", email: str | None = None) -> tuple[int, str]:
        clinic = Clinic(slug=slug, name=f"{slug.title()} Practice")
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
        version = questionnaires.latest_builtin("readiness")
        assert clinic is not None and version is not None
        return intakes.invite(clinic, name, version)

    return make


def csrf_token(client: FlaskClient, url: str) -> str:
    """The CSRF token from the form on a page (the real one a browser would send)."""
    page = client.get(url)
    match = CSRF_RE.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {url} ({page.status_code})"
    return match.group(1)


def post_form(client: FlaskClient, url: str, data: dict[str, Any], **kw: Any) -> Any:
    """GET a page for its CSRF token, then POST the form as a browser would."""
    return client.post(url, data={**data, "csrf_token": csrf_token(client, url)}, **kw)


@pytest.fixture
def login(client: FlaskClient) -> Any:
    """Sign a staff member in through the real login form."""

    def do(email: str, password: str = PASSWORD) -> Any:
        return post_form(client, "/staff/login", {"email": email, "password": password})

    return do


@pytest.fixture
def forms_dir() -> Path:
    """The project's forms/ folder."""
    return Path(__file__).resolve().parents[1] / "forms"
