"""The command line that scripts rely on: forms check and score, seed-demo, invite, brief."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from intake import clinics, crypto
from intake.db import db
from intake.models import Clinic, Intake
from intake.questionnaire import load_file
from tests.helpers import FULL, complete, post_form


def test_forms_check_passes_the_default(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["forms", "check"])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output


def test_forms_check_names_file_place_and_line(
    app: Flask, tmp_path: Path, forms_dir: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    text = (forms_dir / "readiness-v2.yaml").read_text()
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


def test_invite_takes_the_clients_email_and_phone(app: Flask, make_clinic: Any) -> None:
    make_clinic("east")
    runner = app.test_cli_runner()
    args = ["invite", "--clinic", "east", "--name", "Robin"]
    result = runner.invoke(
        args=[*args, "--email", "robin@example.org", "--phone", "+44 20 7946 0958"]
    )
    assert result.exit_code == 0, result.output
    token = result.output.strip().rsplit("/", 1)[1]
    intake = db.session.scalar(select(Intake).where(Intake.token_hash == crypto.token_hash(token)))
    assert intake is not None
    assert (intake.email, intake.phone) == ("robin@example.org", "+442079460958")
    bad_phone = runner.invoke(args=[*args, "--phone", "call me"])
    assert bad_phone.exit_code != 0 and "--phone: Please use digits" in bad_phone.output
    local = runner.invoke(args=[*args, "--phone", "(201) 555-0123"])
    assert local.exit_code != 0 and "country code" in local.output
    bad_email = runner.invoke(args=[*args, "--email", "robin-at-example"])
    assert bad_email.exit_code != 0 and "--email:" in bad_email.output
    assert db.session.scalar(select(func.count()).select_from(Intake)) == 1


def test_seed_demo_sets_labelled_demo_crisis_contacts_and_a_demo_phone(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "Crisis contacts: demo values" in result.output
    clinic = db.session.scalar(select(Clinic).where(Clinic.slug == "demo"))
    assert clinic is not None and clinics.missing_crisis_contacts(clinic) == []
    assert clinic.emergency_number == "555-0100"
    assert clinic.crisis_texts["en"].startswith("DEMO CLINIC")
    assert clinic.crisis_texts["es"].startswith("CLÍNICA DE DEMOSTRACIÓN")
    assert (clinic.safety_procedure or "").startswith("DEMO")
    intake = db.session.scalar(select(Intake).where(Intake.clinic_id == clinic.id))
    assert intake is not None and intake.phone == "+12015550123"
    # An admin's own values are never overwritten by a later run.
    clinic.emergency_number = "112"
    db.session.commit()
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    db.session.refresh(clinic)
    assert clinic.emergency_number == "112"


# forms score: a definition's result for a set of answers, as JSON.

BUILT_IN = ["readiness", "phq9", "gad7"]


@pytest.mark.no_database
@pytest.mark.parametrize("form", BUILT_IN)
def test_forms_score_gives_every_built_in_example_its_expected_result(
    app: Flask, forms_dir: Path, tmp_path: Path, form: str
) -> None:
    path = forms_dir / f"{form}.yaml"
    definition = load_file(path)
    runner = app.test_cli_runner()
    for example in definition.examples:
        answers = tmp_path / "answers.json"
        answers.write_text(json.dumps(example.answers), encoding="utf-8")
        result = runner.invoke(args=["forms", "score", str(path), "--answers", str(answers)])
        assert result.exit_code == 0, result.output
        out = json.loads(result.stdout)
        measures = {m["id"]: m for m in out["measures"]}
        assert (out["questionnaire"], out["version"]) == (definition.id, definition.version)
        assert list(measures) == [d.id for d in definition.dimensions]
        expect = example.expect
        for dim_id, want in expect.scores.items():
            got = measures[dim_id]["score"]
            if want == "not_scored":
                assert got is None and measures[dim_id]["status"] == "not_scored"
            else:
                assert got == pytest.approx(want, abs=0.005), (example.name, dim_id)
        for dim_id, band in expect.bands.items():
            assert measures[dim_id]["band"] == band, example.name
        if expect.prorated is not None:
            prorated = [m["id"] for m in out["measures"] if m["status"] == "prorated"]
            assert sorted(prorated) == sorted(expect.prorated), example.name
        if expect.flags is not None:
            assert sorted(out["flags"]) == sorted(expect.flags), example.name
        if expect.urgent is not None:
            assert out["urgent"] is expect.urgent, example.name
        for m in out["measures"]:
            assert sorted(m["items_used"] + m["items_missing"]) == sorted(
                next(d for d in definition.dimensions if d.id == m["id"]).items
            )


def test_forms_score_reads_standard_input(app: Flask, forms_dir: Path) -> None:
    answers = {f"phq9_{n}": 2 for n in range(1, 10)}
    del answers["phq9_5"]
    result = app.test_cli_runner().invoke(
        args=["forms", "score", str(forms_dir / "phq9.yaml"), "--answers", "-"],
        input=json.dumps(answers),
    )
    assert result.exit_code == 0, result.output
    (measure,) = json.loads(result.stdout)["measures"]
    assert measure == {
        "id": "phq9_total",
        "label": "PHQ-9 depression symptoms",
        "method": "sum",
        "score": 18,
        "range": [0, 27],
        "status": "prorated",
        "reason": None,
        "band": "moderately_severe",
        "band_label": "Moderately severe",
        "items_used": [f"phq9_{n}" for n in (1, 2, 3, 4, 6, 7, 8, 9)],
        "items_missing": ["phq9_5"],
        "prorated_from": 18,
        "codes": [
            {"system": "http://loinc.org", "code": "44261-6", "display": "PHQ-9 total score"}
        ],
    }
    assert json.loads(result.stdout)["urgent"] is True


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ('{"phq9_1": 4}', "standard input: phq9_1: 4 is not one of this question's options"),
        ('{"phq9_10": 1}', "standard input: phq9_10: unknown item 'phq9_10'"),
        ("[1, 2]", "standard input: must be a JSON object of answers by item id"),
        ('{"phq9_1": 1', "standard input: not JSON (Expecting ',' delimiter, line 1 column 13)"),
    ],
    ids=["off-the-scale", "unknown-item", "not-an-object", "not-json"],
)
def test_forms_score_refuses_answers_that_do_not_fit(
    app: Flask, forms_dir: Path, answers: str, message: str
) -> None:
    result = app.test_cli_runner().invoke(
        args=["forms", "score", str(forms_dir / "phq9.yaml"), "--answers", "-"], input=answers
    )
    assert result.exit_code == 1
    assert message in result.output
    assert result.stdout == ""


def test_forms_score_names_file_place_and_line_of_a_broken_definition(
    app: Flask, forms_dir: Path, tmp_path: Path
) -> None:
    text = (forms_dir / "gad7.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "gad7.yaml"
    bad.write_text(text.replace("range: [0, 21]", "range: [0, 20]"), encoding="utf-8")
    answers = tmp_path / "a.json"
    answers.write_text("{}", encoding="utf-8")
    result = app.test_cli_runner().invoke(
        args=["forms", "score", str(bad), "--answers", str(answers)]
    )
    line = text.splitlines().index("    range: [0, 21]") + 1
    assert result.exit_code == 1
    assert f"{bad}:{line}: dimensions[0].range: the items' answers give totals from 0 to 21" in (
        result.output
    )


def test_forms_check_passes_the_built_in_instruments(app: Flask, forms_dir: Path) -> None:
    paths = [str(forms_dir / f"{form}.yaml") for form in ("phq9", "gad7")]
    result = app.test_cli_runner().invoke(args=["forms", "check", *paths])
    assert result.exit_code == 0, result.output
    assert "2 definition(s) OK" in result.output


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
    # Nothing printed before stops working unannounced; no second demo client. The link is
    # new (only its hash is stored, so the old one cannot be printed again), and says so.
    assert "password: unchanged" in again.output and password.group(1) not in again.output
    assert f"Client intake link: {link.group(1)}" not in again.output
    assert "the one printed before no longer works" in again.output
    new_link = re.search(r"Client intake link: (\S+)", again.output)
    assert new_link and client.get(new_link.group(1)).status_code == 200
    assert client.get(link.group(1)).status_code == 404
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
