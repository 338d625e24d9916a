"""The command line that scripts rely on: forms check, seed-demo, invite, brief."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from intake.db import db
from intake.models import Intake
from tests.helpers import FULL, complete, post_form


def test_forms_check_passes_the_default(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["forms", "check"])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output


def test_forms_check_names_file_place_and_line(
    app: Flask, tmp_path: Path, forms_dir: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    text = (forms_dir / "readiness.yaml").read_text()
    bad.write_text(text.replace("type: ruler", "type: slider", 1))
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(text.replace("own_motivation: 91.67", "own_motivation: 12.00"))
    result = app.test_cli_runner().invoke(args=["forms", "check", str(bad), str(wrong)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 2, result.output
    line_no = text.splitlines().index("        type: ruler") + 1
    assert lines[0].startswith(f"{bad}:{line_no}: pages[1].items[4].type: unknown value 'slider'")
    assert "own_motivation expected 12.00, got 91.67" in lines[1]


def test_seed_demo_on_empty_database_prints_what_to_open(app: Flask, client: FlaskClient) -> None:
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    link = re.search(r"Client intake link: (http://localhost/i/\S+)", result.output)
    email = re.search(r"email:\s+(\S+)", result.output)
    password = re.search(r"password:\s+(\S+)", result.output)
    assert link and email and password
    assert client.get(link.group(1).removeprefix("http://localhost")).status_code == 200
    response = post_form(
        client, "/staff/login", {"email": email.group(1), "password": password.group(1)}
    )
    assert response.headers["Location"] == "/staff/"
    # A second run works too, and its newly printed password is the one that works.
    again = app.test_cli_runner().invoke(args=["seed-demo"])
    assert again.exit_code == 0, again.output


def test_invite_prints_a_link(app: Flask, client: FlaskClient, make_clinic: Any) -> None:
    make_clinic("east")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["invite", "--clinic", "east", "--name", "Robin"])
    assert result.exit_code == 0, result.output
    path = result.output.strip().removeprefix("http://localhost")
    assert "Robin" in client.get(path).get_data(as_text=True)
    missing = runner.invoke(args=["invite", "--clinic", "nowhere", "--name", "Robin"])
    assert missing.exit_code != 0 and "no clinic with slug 'nowhere'" in missing.output


def test_brief_writes_a_pdf(
    app: Flask, client: FlaskClient, make_clinic: Any, make_intake: Any, tmp_path: Path
) -> None:
    clinic_id, _ = make_clinic()
    intake = make_intake(clinic_id)
    runner = app.test_cli_runner()
    out = tmp_path / "brief.pdf"
    early = runner.invoke(args=["brief", str(intake.id), "-o", str(out)])
    assert early.exit_code != 0 and "not submitted yet" in early.output
    complete(client, intake, FULL)
    result = runner.invoke(args=["brief", str(intake.id), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")


def test_seed_demo_again_keeps_the_password_and_the_demo_client(
    app: Flask, client: FlaskClient
) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert "Demo Therapist, clinic admin of Demo Practice" in first.output
    password = re.search(r"password:\s+(\S+)", first.output)
    link = re.search(r"Client intake link: (\S+)", first.output)
    assert password and link
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0, again.output
    # Nothing printed before stops working unannounced; no second demo client.
    assert "password: unchanged" in again.output and password.group(1) not in again.output
    assert f"Client intake link: {link.group(1)}" in again.output
    assert db.session.scalar(select(func.count()).select_from(Intake)) == 1
    email = re.search(r"email:\s+(\S+)", again.output)
    assert email
    signed = post_form(
        client, "/staff/login", {"email": email.group(1), "password": password.group(1)}
    )
    assert signed.headers["Location"] == "/staff/"
    # Asked for, a new password is printed and the old one stops working (said so).
    renewed = runner.invoke(args=["seed-demo", "--new-password"])
    fresh = re.search(r"password:\s+(\S+)", renewed.output)
    assert fresh and fresh.group(1) != password.group(1)
