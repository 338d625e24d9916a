"""Client data at rest: encrypted columns, hashed link tokens, key rotation, the migration
that encrypts existing rows, a database dump that reveals nothing, private outbox files and
logs without tokens."""

from __future__ import annotations

import logging
import re
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import select, text

from intake import catalogue, create_app, crypto, keys, lifecycle, logs
from intake.db import db
from intake.models import (
    AuditEvent,
    BriefPdf,
    ClientContact,
    ClientGoal,
    GoalRating,
    Intake,
    utcnow,
)
from tests.helpers import (
    CONTACT,
    FULL,
    complete,
    pg_drop,
    pg_recreate,
    pg_scratch_url,
    post_form,
    reload,
)

# What a realistic intake holds that a dump must never show.
SECRET_TEXT = "Quokka-lantern insomnia since the flood of 2019"
NAME = "Zebulon Quartermaine"
PHONE_E164 = "+442079460958"
GOAL_TEXT = "Walk the harbour wall without my heart racing"


def ring() -> crypto.Keyring:
    """The test app's keyring."""
    return crypto.keyring()


def test_a_ciphertext_opens_only_in_its_column_unaltered_with_a_known_key(app: Flask) -> None:
    with app.app_context():
        keyring = ring()
        stored = keyring.encrypt_text("I feel low", "intake.answers")
        assert stored.startswith(f"e1.{keyring.current}.") and "low" not in stored
        assert keyring.decrypt_text(stored, "intake.answers") == "I feel low"
        # Random nonces: the same text never gives the same ciphertext.
        assert keyring.encrypt_text("I feel low", "intake.answers") != stored
        with pytest.raises(crypto.CryptoError, match="altered or moved"):
            keyring.decrypt_text(stored, "intake.client_name")  # moved to another column
        tampered = stored[:-3] + ("AAA" if not stored.endswith("AAA") else "BBB")
        with pytest.raises(crypto.CryptoError):
            keyring.decrypt_text(tampered, "intake.answers")
        other = crypto.Keyring.from_texts([crypto.new_key()], crypto.new_key())
        with pytest.raises(crypto.CryptoError, match="no configured key"):
            other.decrypt_text(stored, "intake.answers")
        with pytest.raises(crypto.CryptoError, match="plain text"):
            keyring.decrypt_text("hello", "intake.answers")
        pdf = keyring.encrypt_bytes(b"%PDF-1.7 brief", "brief_pdf.pdf")
        assert b"brief" not in pdf
        assert keyring.decrypt_bytes(pdf, "brief_pdf.pdf") == b"%PDF-1.7 brief"


def realistic_intake(client: FlaskClient, clinic_with_admin: dict[str, Any]) -> tuple[Intake, str]:
    """A client who answers with distinctive words, gives a phone number, and sends; their
    intake gets an urgent follow-up note and a brief PDF. Returns it and its link token."""
    intake: Intake = clinic_with_admin["intake"]
    token = intake.token
    assert token is not None
    intake.client_name = NAME
    db.session.commit()
    complete(client, intake, {**FULL, "why_now": SECRET_TEXT})
    assert reload(intake).submitted
    return reload(intake), token


def test_the_database_holds_ciphertext_and_the_app_reads_plain_values(
    client: FlaskClient, clinic_with_admin: dict[str, Any]
) -> None:
    intake, token = realistic_intake(client, clinic_with_admin)
    # Through the models: plain values, as before.
    assert intake.answers["why_now"] == SECRET_TEXT and intake.client_name == NAME
    assert intake.contact is not None and intake.contact.phone == PHONE_E164
    assert intake.result is not None and intake.consent_name
    pdf = db.session.scalar(select(BriefPdf.pdf).where(BriefPdf.intake_id == intake.id))
    assert pdf is not None and pdf.startswith(b"%PDF")
    # In the tables: ciphertext, each naming the key that made it.
    row = db.session.execute(
        text(
            "SELECT token_hash, client_name, consent_name, answers, result FROM intake"
            " WHERE id = :id"
        ),
        {"id": intake.id},
    ).one()
    assert row.token_hash == crypto.token_hash(token) and token not in row
    for value in row[1:]:
        assert value.startswith(f"e1.{ring().current}."), value[:40]
    contact = db.session.execute(text("SELECT phone, email, safe_times FROM client_contact")).one()
    assert all(v.startswith("e1.") for v in contact)
    raw_pdf = db.session.execute(text("SELECT pdf FROM brief_pdf")).scalar_one()
    assert bytes(raw_pdf).startswith(crypto.BYTES_PREFIX) and b"%PDF" not in bytes(raw_pdf)
    details = db.session.execute(text("SELECT detail FROM audit_event")).scalars().all()
    assert details and all(d.startswith("e1.") for d in details)
    # The name search still finds the client, by a prefix, accents and case aside.
    lifecycle_words = db.session.execute(text("SELECT word FROM intake_name_word")).scalars().all()
    assert not any("zebulon" in w or "quarter" in w for w in lifecycle_words)


def _dump(database_url: str) -> bytes:
    """Everything a backup of the test database would hold: pg_dump on PostgreSQL, the raw
    file bytes (and its journal) on SQLite."""
    if database_url.startswith("postgresql"):
        url = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
        done = subprocess.run(
            ["pg_dump", "--no-owner", "--dbname", url], capture_output=True, check=True
        )
        return done.stdout
    path = Path(database_url.removeprefix("sqlite:///"))
    data = path.read_bytes()
    for extra in ("-wal", "-journal"):
        if Path(f"{path}{extra}").exists():
            data += Path(f"{path}{extra}").read_bytes()
    return data


def test_a_database_dump_reveals_no_answer_name_phone_or_link_token(
    client: FlaskClient, clinic_with_admin: dict[str, Any], database_url: str
) -> None:
    intake, token = realistic_intake(client, clinic_with_admin)
    db.session.add(intake)
    goal = ClientGoal(client_id=intake.client_id, intake_id=intake.id, text=GOAL_TEXT)
    goal.ratings.append(GoalRating(intake_id=intake.id, rating=3))
    db.session.add(goal)
    db.session.commit()
    db.session.remove()
    if database_url.startswith("postgresql") and not _has_pg_dump():
        pytest.skip("pg_dump is not installed (make test-postgres installs postgresql-client)")
    dump = _dump(database_url)
    assert b"intake_name_word" in dump or database_url.startswith("sqlite")
    for secret in (SECRET_TEXT, NAME, "Zebulon", PHONE_E164, "7946 0958", token, GOAL_TEXT):
        assert secret.encode() not in dump, secret
    assert CONTACT["safe_times"].encode() not in dump
    assert FULL["hopes"].encode() not in dump


def _has_pg_dump() -> bool:
    return subprocess.run(["which", "pg_dump"], capture_output=True).returncode == 0


def test_rotation_re_encrypts_everything_with_the_new_key_and_resumes(
    app: Flask, client: FlaskClient, clinic_with_admin: dict[str, Any], monkeypatch: Any
) -> None:
    intake, _ = realistic_intake(client, clinic_with_admin)
    old = ring()
    new_key = crypto.new_key()
    new = crypto.Keyring(
        ((crypto.key_id(crypto._decode_key(new_key)), crypto._decode_key(new_key)), *old.keys),
        old.search_keys,
    )
    monkeypatch.setitem(app.extensions, "intake_keyring", new)

    # Interrupted after its first batch: what was done stays done.
    class Stop(Exception):
        pass

    def stop(counts: keys.Counts) -> None:
        raise Stop

    with pytest.raises(Stop):
        keys.rotate(batch=1, progress=stop)
    db.session.rollback()
    result = app.test_cli_runner().invoke(args=["keys", "rotate", "--batch", "2"])
    assert result.exit_code == 0, result.output
    counts = re.findall(
        r"(\S+): (\d+) values, (\d+) re-encrypted, (\d+) already current", result.output
    )
    assert sum(int(c[3]) for c in counts) == 1  # the batch done before the interruption
    assert sum(int(c[2]) for c in counts) == sum(int(c[1]) for c in counts) - 1 >= 5
    db.session.expire_all()
    for table, column in keys.encrypted_columns():
        raw = sa.type_coerce(
            column, sa.LargeBinary() if column.type.impl is sa.LargeBinary else sa.Text()
        )
        for value in db.session.scalars(select(raw).where(column.is_not(None))):
            kid = (
                crypto.bytes_kid(bytes(value))
                if isinstance(value, bytes | memoryview)
                else crypto.text_kid(value)
            )
            assert kid == new.current, f"{table.name}.{column.name}"
    assert reload(intake).answers["why_now"] == SECRET_TEXT
    # Run again: nothing left to do.
    again = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert "Done: 0 values re-encrypted" in again.output
    # Without the old key, the new one alone reads everything.
    monkeypatch.setitem(
        app.extensions, "intake_keyring", crypto.Keyring(new.keys[:1], old.search_keys)
    )
    db.session.expire_all()
    assert reload(intake).contact.phone == PHONE_E164  # type: ignore[union-attr]


def test_keys_generate_prints_a_fresh_key(app: Flask) -> None:
    first = app.test_cli_runner().invoke(args=["keys", "generate"]).output.strip()
    second = app.test_cli_runner().invoke(args=["keys", "generate"]).output.strip()
    assert first != second
    assert crypto.Keyring.from_texts([first], second).current == crypto.key_id(
        crypto._decode_key(first)
    )


@pytest.fixture
def migrate_target(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of the same kind as the test database."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'migrate.sqlite'}"
        return
    url = pg_scratch_url(database_url, "migrate")
    pg_recreate(url)
    yield url
    pg_drop(url)


BEFORE = "4578058ddc76"


def test_the_migration_encrypts_existing_rows_and_old_links_keep_working(
    app: Flask, migrate_target: str
) -> None:
    with app.app_context():
        keyring = ring()
    other = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "migrate",
            "SQLALCHEMY_DATABASE_URI": migrate_target,
            "ENCRYPTION_KEYS": [base64_key(k) for _, k in keyring.keys],
            "SEARCH_KEY": base64_key(keyring.search_key),
            "JOB_RUNNER": "eager",
        }
    )
    now = utcnow()
    directory = other.extensions["migrate"].directory
    with other.app_context():
        upgrade(directory=directory, revision=BEFORE)
        with db.engine.begin() as conn:
            meta = sa.MetaData()
            t = {
                name: sa.Table(name, meta, autoload_with=conn)
                for name in (
                    "clinic", "staff", "questionnaire_version", "intake", "client_contact",
                    "urgent_follow_up", "brief_pdf", "audit_event", "intake_name_word",
                )
            }  # fmt: skip
            conn.execute(t["clinic"].insert().values(
                id=1, slug="old", name="Old Practice", created_at=now, crisis_texts={},
                self_referral_token="old-door",
            ))  # fmt: skip
            conn.execute(t["staff"].insert().values(
                id=1, clinic_id=1, email="t@old.example", name="T", password_hash="x",
                role="admin", created_at=now, totp_secret="JBSWY3DPEHPK3PXP",
            ))  # fmt: skip
            # A real definition: the dashboard reads the urgent row's follow-ups through it.
            source = (Path(__file__).parents[1] / "forms" / "readiness-v2.yaml").read_text()
            conn.execute(t["questionnaire_version"].insert().values(
                id=1, key="readiness", version=2, title="R", source=source,
                sha256=catalogue.sha256(source), created_at=now,
            ))  # fmt: skip
            conn.execute(t["intake"].insert().values(
                id=1, clinic_id=1, questionnaire_id=1, token="sent-before-the-upgrade",
                client_name="María López", email="maria@example.org", phone="+15555550123",
                status="submitted", answers={"why_now": SECRET_TEXT}, result={"total": 7},
                consent_name="María López", safety_asked=False, urgent=True, created_at=now,
                expires_at=now + timedelta(days=3), language="en", source="invitation",
            ))  # fmt: skip
            conn.execute(t["intake_name_word"].insert().values(
                intake_id=1, word="maria", clinic_id=1
            ))  # fmt: skip
            conn.execute(t["client_contact"].insert().values(
                id=1, intake_id=1, declined=False, phone=PHONE_E164, safe_times="Evenings",
                updated_at=now,
            ))  # fmt: skip
            conn.execute(t["urgent_follow_up"].insert().values(
                id=1, intake_id=1, staff_id=1, outcome="contacted", note="Spoke; safe tonight",
                created_at=now,
            ))  # fmt: skip
            conn.execute(t["brief_pdf"].insert().values(
                id=1, intake_id=1, state="ready", attempts=1, pdf=b"%PDF-1.7 old brief",
                updated_at=now,
            ))  # fmt: skip
            conn.execute(t["audit_event"].insert().values(
                id=1, clinic_id=1, action="client.invited", detail={"emailed": True},
                created_at=now,
            ))  # fmt: skip
        upgrade(directory=directory, revision="heads")

        # The link sent before the upgrade still opens, found by its hash.
        found = lifecycle.by_token("sent-before-the-upgrade")
        assert found is not None and found.id == 1
        assert found.answers == {"why_now": SECRET_TEXT} and found.result == {"total": 7}
        assert (found.client_name, found.email, found.phone) == (
            "María López",
            "maria@example.org",
            "+15555550123",
        )
        assert found.contact is not None and found.contact.phone == PHONE_E164
        assert found.follow_ups[0].note == "Spoke; safe tonight"
        assert db.session.get(BriefPdf, 1).pdf == b"%PDF-1.7 old brief"  # type: ignore[union-attr]
        assert db.session.get(AuditEvent, 1).detail == {"emailed": True}  # type: ignore[union-attr]
        from intake import clinics, dashboard

        old = clinics.by_referral_token("old-door")
        assert old is not None
        # A clinic from before the retention settings erases nothing until an admin says so.
        assert (old.retention_months, old.unopened_days) == (None, None)
        # The name search works on the new index: 'lop' finds 'López'.
        page = dashboard.page(1, dashboard.Filters(search="lop"))
        assert [i.id for i in page.rows] == [1]
        with db.engine.connect() as conn:
            raw = conn.execute(text("SELECT client_name, answers, token_hash FROM intake")).one()
            words = conn.execute(text("SELECT word FROM intake_name_word")).scalars().all()
            pdf = conn.execute(text("SELECT pdf FROM brief_pdf")).scalar_one()
        assert raw.client_name.startswith("e1.") and SECRET_TEXT not in raw.answers
        assert raw.token_hash == crypto.token_hash("sent-before-the-upgrade")
        assert "maria" not in words and len(words) == len({*words}) > 2
        assert b"old brief" not in bytes(pdf)
        db.session.remove()
        db.engine.dispose()


def base64_key(raw: bytes) -> str:
    """A raw key as configuration holds it."""
    import base64

    return base64.urlsafe_b64encode(raw).decode()


def test_outbox_files_are_private_and_no_log_line_holds_a_token(
    app: Flask,
    client: FlaskClient,
    clinic_with_admin: dict[str, Any],
    login: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    monkeypatch.setitem(app.config, "SMTP_HOST", None)
    caplog.set_level(logging.DEBUG)
    login("admin@north.example")
    # A client invitation, emailed (to the outbox), a reminder, a staff invitation and a
    # password reset: every kind of emailed link.
    # The staff form offers the newest version of each questionnaire.
    newest = catalogue.latest_builtin("readiness")
    assert newest is not None
    post_form(client, "/staff/invite", {
        "client_name": "Robin Client", "questionnaire_id": str(newest.id), "therapist_id": "",
        "email": "robin@example.org", "send_email": "y",
    })  # fmt: skip
    robin = db.session.scalars(select(Intake).order_by(Intake.id.desc())).first()
    assert robin is not None
    client.post(
        f"/staff/intakes/{robin.id}/remind",
        data={"csrf_token": _csrf(client, f"/staff/intakes/{robin.id}/invitation")},
    )
    post_form(client, "/staff/team/invite", {"email": "new@north.example", "name": "New",
                                             "role": "therapist"})  # fmt: skip
    client.post("/staff/logout", data={"csrf_token": _csrf(client, "/staff/")})
    post_form(client, "/staff/password/forgot", {"email": "admin@north.example"})
    outbox = sorted((tmp_path / "outbox").iterdir())
    assert len(outbox) >= 4
    assert (tmp_path / "outbox").stat().st_mode & 0o777 == 0o700
    tokens = []
    for path in outbox:
        assert path.stat().st_mode & 0o777 == 0o600, path
        body = path.read_text(errors="replace")
        tokens += re.findall(r"/(?:i|staff/join|staff/password/reset)/([A-Za-z0-9_-]{16,})", body)
    assert len(tokens) >= 4
    for token in tokens:
        assert token not in caplog.text
    # A client who opens their link leaves no token in the log either.
    client.get(f"/i/{tokens[0]}")
    assert tokens[0] not in caplog.text


def _csrf(client: FlaskClient, url: str) -> str:
    from tests.helpers import csrf_token

    return csrf_token(client, url)


def test_the_development_servers_request_lines_hold_no_token() -> None:
    record = logging.LogRecord(
        "werkzeug", logging.INFO, __file__, 1, '%s - - "%s" %s',
        ("127.0.0.1", "GET /i/s3cr3t-t0ken/p/now HTTP/1.1", "200"), None,
    )  # fmt: skip
    logs.RedactFilter().filter(record)
    assert "s3cr3t-t0ken" not in record.getMessage() and "/i/…/p/now" in record.getMessage()


def test_contact_values_are_encrypted_per_column(
    client: FlaskClient, clinic_with_admin: dict[str, Any]
) -> None:
    intake, _ = realistic_intake(client, clinic_with_admin)
    contact = db.session.scalar(select(ClientContact))
    assert contact is not None and contact.safe_times == CONTACT["safe_times"]
    raw = db.session.execute(text("SELECT phone FROM client_contact")).scalar_one()
    # A ciphertext moved into another column (or row's column of another kind) does not open.
    db.session.execute(text("UPDATE intake SET client_name = :v WHERE id = :id"),
                       {"v": raw, "id": intake.id})  # fmt: skip
    db.session.commit()
    db.session.expire_all()
    with pytest.raises(crypto.CryptoError):
        reload(intake).client_name  # noqa: B018
    db.session.rollback()
