"""Links point where the app is reached: INTAKE_PUBLIC_BASE_URL, else the address it serves.

`make run PORT=8123` once printed, copied and emailed links on port 5000.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient

from intake import mail
from intake.db import db
from intake.models import Staff
from tests.helpers import PASSWORD, csrf_token, fill_page, post_form, sign

ROOT = Path(__file__).resolve().parents[1]
SERVED = "http://127.0.0.1:8123"


@pytest.fixture
def unset(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """No INTAKE_PUBLIC_BASE_URL, and no address seen served yet."""
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", None)
    monkeypatch.delitem(app.extensions, mail._SERVED, raising=False)


def test_make_run_gives_the_server_and_the_seed_the_address_it_serves() -> None:
    dry = subprocess.run(
        ["make", "-n", "run", "PORT=8123"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "INTAKE_PUBLIC_BASE_URL=${INTAKE_PUBLIC_BASE_URL:-http://127.0.0.1:8123}" in dry
    exported = dry[dry.index("export INTAKE_PUBLIC_BASE_URL") :]
    assert "seed-demo" in exported and "run --host 127.0.0.1 --port 8123" in exported


def test_client_pages_and_emails_use_the_served_address_never_the_host_header(
    app: Flask, client: FlaskClient, unset: None, make_clinic: Any, make_intake: Any, login: Any
) -> None:
    clinic_id, email = make_clinic()
    intake = make_intake(clinic_id)
    sign(client, intake)
    fill_page(client, intake, "now", {"why_now": "Work."}, action="save")
    spoofed = {"Host": "evil.example"}
    saved = client.get(f"/i/{intake.token}/saved", base_url=SERVED, headers=spoofed)
    text = saved.get_data(as_text=True)
    assert f"{SERVED}/i/{intake.token}" in text and ":5000" not in text
    assert "evil.example" not in text
    # Staff pages served there show and copy links on it too.
    g.pop("csrf_token", None)  # pytest-flask's one app context outlives the client's session
    signed = post_form(client, f"{SERVED}/staff/login", {"email": email, "password": PASSWORD})
    assert signed.status_code == 302
    g.pop("csrf_token", None)
    # A link is shown to staff once, when made: a re-send makes one.
    csrf = csrf_token(client, f"{SERVED}/staff/intakes/{intake.id}/invitation")
    client.post(f"{SERVED}/staff/intakes/{intake.id}/resend", data={"csrf_token": csrf})
    page = client.get(f"{SERVED}/staff/intakes/{intake.id}/invitation")
    assert f'value="{SERVED}/i/' in page.get_data(as_text=True)
    # A background job (an urgent email) remembers the served address.
    with app.app_context():
        assert mail.external_url("staff.login") == f"{SERVED}/staff/login"


def test_the_configured_address_wins(
    app: Flask, client: FlaskClient, make_clinic: Any, make_intake: Any
) -> None:
    intake = make_intake(make_clinic()[0])
    sign(client, intake)
    fill_page(client, intake, "now", {"why_now": "Work."}, action="save")
    saved = client.get(f"/i/{intake.token}/saved", base_url=SERVED)
    assert f"http://localhost/i/{intake.token}" in saved.get_data(as_text=True)


def test_commands_without_an_address_say_what_they_assume(
    app: Flask, unset: None, make_clinic: Any
) -> None:
    make_clinic("east")
    result = app.test_cli_runner().invoke(args=["invite", "--clinic", "east", "--name", "Robin"])
    assert result.exit_code == 0, result.output
    assert "INTAKE_PUBLIC_BASE_URL is not set" in result.output
    assert re.search(r"^http://\S+/i/\S+$", result.output, re.M)


def test_colleague_invitations_use_the_served_address(
    app: Flask, client: FlaskClient, unset: None, admin: int
) -> None:
    response = post_form(
        client,
        "http://localhost:8123/staff/team/invite",
        {"name": "Robin", "email": "robin@north.example", "role": "therapist"},
    )
    assert 'value="http://localhost:8123/staff/join/' in response.get_data(as_text=True)
    robin = db.session.query(Staff).filter_by(email="robin@north.example").one()
    assert robin.clinic_id == admin
