"""Backups: `flask backup` then `flask restore` into a fresh database brings back every intake,
answer and stored PDF, byte for byte (SQLite in one pass, PostgreSQL with pg_dump in the other).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from intake import create_app
from intake.db import db
from intake.models import AuditEvent, BriefPdf, Intake
from tests.helpers import FULL, complete, fill_page, pg_drop, pg_recreate, pg_scratch_url


def snapshot() -> dict[str, Any]:
    """Everything a restore must bring back, as plain values."""
    intakes = db.session.scalars(select(Intake).order_by(Intake.id))
    pdfs = db.session.scalars(select(BriefPdf).order_by(BriefPdf.id))
    return {
        "intakes": [
            (i.id, i.token_hash, i.client_name, i.status, i.answers, i.result, i.consent_name)
            for i in intakes
        ],
        "pdfs": [(p.intake_id, p.sha256, p.pdf, p.state, p.version) for p in pdfs],
        "audit": db.session.query(AuditEvent).count(),
    }


@pytest.fixture
def restore_target(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of the same kind as the test database."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'restored.sqlite'}"
        return
    url = pg_scratch_url(database_url, "restored")
    pg_recreate(url)
    yield url
    pg_drop(url)


def test_backup_then_restore_brings_back_every_intake_answer_and_pdf(
    app: Flask,
    client: FlaskClient,
    make_clinic: Any,
    make_intake: Any,
    tmp_path: Path,
    restore_target: str,
) -> None:
    clinic_id, _ = make_clinic()
    complete(client, make_intake(clinic_id, "Robin Sent"), FULL)  # its PDF rendered and stored
    fill_page(client, make_intake(clinic_id, "Sam Halfway"), "now", FULL, action="save")
    make_intake(clinic_id, "Kim Invited")
    before = snapshot()
    assert len(before["pdfs"]) == 1 and before["pdfs"][0][2].startswith(b"%PDF")

    file = tmp_path / "intake.backup"
    made = app.test_cli_runner().invoke(args=["backup", "-o", str(file)])
    assert made.exit_code == 0, made.output
    assert "1 clinic(s), 3 intake(s) (2 with answers), 1 stored PDF(s)" in made.output
    assert file.stat().st_mode & 0o077 == 0  # the clinic's records: owner only
    # Encrypted in the database, so encrypted in its backup; the keys are kept elsewhere.
    held = file.read_bytes()
    assert b"Robin Sent" not in held and str(FULL["why_now"]).encode() not in held

    restored = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": restore_target}
    )
    # The CLI runs in the app context it finds: the restored app's, not the test session's.
    with restored.app_context():
        try:
            result = restored.test_cli_runner().invoke(args=["restore", str(file)])
            assert result.exit_code == 0, result.output
            assert "restored 1 clinic(s), 3 intake(s) (2 with answers), 1 stored PDF(s)" in (
                result.output
            )
            assert snapshot() == before
            # Never over a database that holds something.
            again = restored.test_cli_runner().invoke(args=["restore", str(file)])
            assert again.exit_code != 0 and "already has tables" in again.output
        finally:
            db.session.remove()
            db.engine.dispose()


def test_restore_refuses_what_is_not_a_backup(tmp_path: Path, restore_target: str) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a backup")
    restored = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": restore_target}
    )
    with restored.app_context():
        try:
            result = restored.test_cli_runner().invoke(args=["restore", str(bogus)])
            assert result.exit_code != 0 and "is not a backup" in result.output
            missing = restored.test_cli_runner().invoke(args=["restore", str(tmp_path / "x")])
            assert missing.exit_code != 0 and "no such backup file" in missing.output
        finally:
            db.session.remove()
            db.engine.dispose()
