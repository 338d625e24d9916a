"""What encryption at rest costs: a client's page save and a staff brief download, with the
real keys and with a pass-through keyring that stores the same values unencrypted.

Usage: python -m bench.crypto
Database: two fresh SQLite files in a temporary folder (one per mode).
Prints save_ms_encrypted, save_ms_plain, download_ms_encrypted, download_ms_plain (medians of
ROUNDS requests each, through the test client, so no network) and the raw cost of sealing and
opening a 100 KB brief PDF.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from bench.dashboard import build_app
from intake import catalogue, crypto, lifecycle
from intake.accounts.auth import hash_password
from intake.brief.samples import FREE_TEXT
from intake.db import db
from intake.models import Clinic, Role, Staff, utcnow
from intake.questionnaire import load_file

DEFINITION = load_file("forms/readiness.yaml")

ROUNDS = 40
PASSWORD = "bench password, not a secret"
CONTEXT = "brief_pdf.pdf"


class PlainKeyring(crypto.Keyring):
    """The same stored forms (prefix and key id) with the plain value inside: every other
    step of a request stays the same, only the cipher is left out."""

    def encrypt_text(self, plain: str, context: str) -> str:
        """'e1.<kid>.' and the text as it is."""
        return f"{crypto.TEXT_PREFIX}{self.current}.{plain}"

    def decrypt_text(self, stored: str, context: str) -> str:
        """The text after the prefix."""
        return stored[len(crypto.TEXT_PREFIX) + crypto.KID_LENGTH + 1 :]

    def encrypt_bytes(self, plain: bytes, context: str) -> bytes:
        """Magic, key id and the bytes as they are."""
        return crypto.BYTES_PREFIX + self.current.encode() + plain

    def decrypt_bytes(self, stored: bytes, context: str) -> bytes:
        """The bytes after the prefix."""
        return stored[len(crypto.BYTES_PREFIX) + crypto.KID_LENGTH :]


def median_ms(action: Any) -> float:
    """The median wall time of ROUNDS runs of action, in milliseconds."""
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def seed(app: Flask) -> tuple[str, int]:
    """A clinic, its admin and one submitted intake with its brief PDF; plus an open intake
    to save pages of. Returns the open intake's token and the submitted one's id."""
    with app.app_context():
        clinic = Clinic(
            slug="bench", name="Bench Practice", emergency_number="911",
            crisis_texts={"en": "Call 988.", "es": "Llame al 988."},
        )  # fmt: skip
        db.session.add(clinic)
        db.session.flush()
        db.session.add(
            Staff(
                clinic_id=clinic.id,
                email="a@bench.example",
                name="A",
                role=Role.ADMIN,
                password_hash=hash_password(PASSWORD),
            )  # fmt: skip
        )
        db.session.commit()
        version = catalogue.latest_builtin("readiness")
        assert version is not None
        definition = catalogue.definition_of(version)
        done = lifecycle.invite(clinic, "Submitted Client", version)
        done.consent_name, done.consent_at = "Submitted Client", utcnow()
        done.answers = dict(definition.examples[0].answers) | {"why_now": "Work, sleep."}
        db.session.commit()
        lifecycle.submit(done, definition)
        open_one = lifecycle.invite(clinic, "Saving Client", version)
        open_one.consent_name, open_one.consent_at = "Saving Client", utcnow()
        db.session.commit()
        assert open_one.token is not None
        return open_one.token, done.id


def actions(client: FlaskClient, token: str, intake_id: int) -> tuple[Any, Any]:
    """A page save (the first page, all its answers) and a brief PDF download, warmed up."""
    page = DEFINITION.pages[0]
    answers = {**{k: str(v) for k, v in DEFINITION.examples[0].answers.items()}, **FREE_TEXT}
    data = {i.id: answers[i.id] for i in page.items if i.id in answers} | {"action": "save"}

    def save() -> None:
        response = client.post(f"/i/{token}/p/{page.id}", data=data)
        assert response.status_code == 302, response.status_code

    def download() -> None:
        with client.get(f"/staff/intakes/{intake_id}/brief.pdf") as response:
            assert response.status_code == 200 and response.data.startswith(b"%PDF")

    save()
    download()  # warm: templates, the definition, the PDF rendered once and stored
    return save, download


def prepared(url: str, plain: bool) -> tuple[Flask, FlaskClient, Any, Any]:
    """A fresh database, encrypted or with the pass-through keyring, and its two actions."""
    app = build_app(url)
    app.config.update(JOB_RUNNER="eager", BRIEF_TIME_LIMIT=None)
    if plain:
        real = app.extensions["intake_keyring"]
        app.extensions["intake_keyring"] = PlainKeyring(real.keys, real.search_keys)
    token, intake_id = seed(app)
    client = app.test_client()
    client.post("/staff/login", data={"email": "a@bench.example", "password": PASSWORD})
    return (app, client, *actions(client, token, intake_id))


def timed(action: Any) -> float:
    """One run of action, in milliseconds."""
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    """Print the figures: the two modes take turns, so a busy moment of the machine falls
    on both alike."""
    folder = tempfile.mkdtemp(prefix="intake-bench-crypto-")
    os.environ.setdefault("INTAKE_INSTANCE_PATH", folder)
    modes = {
        label: prepared(f"sqlite:///{folder}/{label}.sqlite", label == "plain")
        for label in ("encrypted", "plain")
    }
    times: dict[str, list[float]] = {}
    for _ in range(ROUNDS):
        for label, (_, _, save, download) in modes.items():
            times.setdefault(f"save_ms_{label}", []).append(timed(save))
            times.setdefault(f"download_ms_{label}", []).append(timed(download))
    for name in (
        "save_ms_encrypted",
        "save_ms_plain",
        "download_ms_encrypted",
        "download_ms_plain",
    ):
        print(f"{name}={statistics.median(times[name]):.2f}")
    ring = crypto.Keyring.from_texts([crypto.new_key()], crypto.new_key())
    pdf = os.urandom(100_000)
    sealed = ring.encrypt_bytes(pdf, CONTEXT)
    print(f"seal_100kb_us={median_ms(lambda: ring.encrypt_bytes(pdf, CONTEXT)) * 1000:.0f}")
    print(f"open_100kb_us={median_ms(lambda: ring.decrypt_bytes(sealed, CONTEXT)) * 1000:.0f}")


if __name__ == "__main__":
    main()
