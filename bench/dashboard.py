"""Time the staff dashboard at 1,000 and 100,000 intakes (median of 20 requests each).

Usage: python bench/dashboard.py
Database: INTAKE_BENCH_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/intake_bench,
which is emptied first), else a fresh SQLite file in a temporary folder.
Prints dashboard_1k_ms=<x> and dashboard_100k_ms=<y>; the target is y/x <= 1.5. Also the
same for a name search ("maria": accent- and case-insensitive, so it finds "María").
"""

from __future__ import annotations

import os
import random
import secrets
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import insert, text

from intake import catalogue, create_app, crypto, lifecycle
from intake.accounts.auth import hash_password
from intake.db import db
from intake.models import Clinic, Intake, IntakeNameWord, Staff

REQUESTS = 20
PASSWORD = "bench password, not a secret"
STATUSES = ["invited", "in_progress", "submitted"]
SEARCH = "/staff/?q=maria"
# Names with accents and case to find: one in 50 clients is a María, Mario or Marianne.
FIRST_NAMES = ["María", "MARIO", "Marianne", "José", "Zoë", "Robin", "Ana", "Chloé"]


def build_app(url: str) -> Flask:
    """An app on an empty database built by the real migrations."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench-secret",
            "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": False,
            "PUBLIC_BASE_URL": "http://localhost",
        }
    )
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade(directory=app.extensions["migrate"].directory, revision="heads")
        catalogue.sync_builtin(app.config["FORMS_DIR"])
    return app


def seed_clinic() -> tuple[int, list[int], int]:
    """A clinic with five therapists; returns (clinic id, therapist ids, version id)."""
    clinic = Clinic(slug="bench", name="Bench Practice")
    db.session.add(clinic)
    db.session.flush()
    hashed = hash_password(PASSWORD)
    staff = [
        Staff(clinic_id=clinic.id, email=f"t{n}@bench.example", name=f"Therapist {n}",
              password_hash=hashed, role="admin" if n == 0 else "therapist")
        for n in range(5)
    ]  # fmt: skip
    db.session.add_all(staff)
    db.session.commit()
    version = catalogue.latest_builtin("readiness")
    assert version is not None
    return clinic.id, [s.id for s in staff], version.id


def add_intakes(clinic_id: int, therapists: list[int], version_id: int, count: int) -> None:
    """Bulk-insert intakes in chunks: a realistic mix of statuses, a few urgent."""
    rng = random.Random(count)
    start = datetime(2024, 1, 1)
    chunk = 5000
    for base in range(0, count, chunk):
        rows: list[dict[str, Any]] = []
        for n in range(base, min(base + chunk, count)):
            status = rng.choice(STATUSES)
            created = start + timedelta(minutes=n * 7 + rng.randint(0, 6))
            rows.append(
                {
                    "clinic_id": clinic_id,
                    "therapist_id": rng.choice(therapists),
                    "questionnaire_id": version_id,
                    "token_hash": crypto.token_hash(secrets.token_urlsafe(24)),
                    "client_name": _name(rng),
                    "status": status,
                    "urgent": rng.random() < 0.002,
                    "answers": {},
                    "created_at": created,
                    "submitted_at": created + timedelta(days=2) if status == "submitted" else None,
                    "reviewed_at": created + timedelta(days=3)
                    if status == "submitted" and rng.random() < 0.5
                    else None,
                }
            )
        # Bulk inserts skip the ORM, so the search words go in alongside, as the service does.
        ids = db.session.scalars(insert(Intake).returning(Intake.id), rows).all()
        words = [
            {"intake_id": ident, "clinic_id": clinic_id, "word": word}
            for ident, row in zip(ids, rows, strict=True)
            for word in lifecycle.name_index(clinic_id, row["client_name"])
        ]
        db.session.execute(insert(IntakeNameWord), words)
        db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE intake"))
            conn.execute(text("VACUUM ANALYZE intake_name_word"))
    else:
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def _name(rng: random.Random) -> str:
    """A client's name: mostly plain, some with accents that search must see through."""
    if rng.random() < 0.05:
        return f"{rng.choice(FIRST_NAMES)} López {rng.randint(0, 10**6):06d}"
    return f"Client {rng.randint(0, 10**6):06d}"


def median_ms(client: FlaskClient, url: str = "/staff/") -> float:
    """The median time of the dashboard's first page over REQUESTS requests, after warm-up."""
    for _ in range(3):
        assert client.get(url).status_code == 200
    times = []
    for _ in range(REQUESTS):
        began = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200
    return statistics.median(times)


def main() -> None:
    """Seed 1,000 then 100,000 intakes and print the dashboard's median times."""
    url = os.environ.get("INTAKE_BENCH_DATABASE_URL")
    folder = None
    if not url:
        folder = tempfile.TemporaryDirectory()
        url = "sqlite:///" + os.path.join(folder.name, "bench.sqlite")
    app = build_app(url)
    with app.app_context():
        clinic_id, therapists, version_id = seed_clinic()
        client = app.test_client()
        signed = client.post(
            "/staff/login", data={"email": "t0@bench.example", "password": PASSWORD}
        )
        assert signed.status_code == 302, "could not sign in"
        add_intakes(clinic_id, therapists, version_id, 1000)
        small, small_search = median_ms(client), median_ms(client, SEARCH)
        add_intakes(clinic_id, therapists, version_id, 99_000)
        large, large_search = median_ms(client), median_ms(client, SEARCH)
        db.session.remove()
        db.engine.dispose()
    print(f"database={url.split(':', 1)[0]}")
    print(f"dashboard_1k_ms={small:.1f}")
    print(f"dashboard_100k_ms={large:.1f}")
    print(f"ratio={large / small:.2f}")
    print(f"search_1k_ms={small_search:.1f}")
    print(f"search_100k_ms={large_search:.1f}")
    print(f"search_ratio={large_search / small_search:.2f}")
    if folder is not None:
        folder.cleanup()


if __name__ == "__main__":
    main()
