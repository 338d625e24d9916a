"""FHIR out: each built-in Questionnaire, and a submitted intake's QuestionnaireResponse,
Observations and Bundle, validated by fhir.resources' R4B models."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from intake import catalogue
from intake.db import db
from intake.exports.fhir import clinic_bundle_json, intake_bundle, questionnaire_resource
from intake.models import utcnow
from tests.helpers import fhir_valid, submitted

PHQ9_ANSWERS = {f"phq9_{n}": v for n, v in enumerate([3, 2, 2, 1, 1, 1, 0, 0, 0], start=1)}
ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"


def entries(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


@pytest.mark.parametrize("key", ["readiness", "phq9", "gad7"])
def test_each_built_in_questionnaire_validates(app: Flask, key: str) -> None:
    version = catalogue.latest_builtin(key)
    assert version is not None
    resource = questionnaire_resource(version)
    model = fhir_valid(resource)
    assert model.version == str(version.version)
    assert resource["id"] == f"q-{version.id}"


def test_a_phq9_intake_as_a_bundle(app: Flask, make_clinic: Any) -> None:
    clinic_id, _ = make_clinic()
    intake = submitted(clinic_id, "phq9", {**PHQ9_ANSWERS, "phq9_difficulty": "somewhat"})
    bundle = intake_bundle(intake)
    fhir_valid(bundle)
    for entry in bundle["entry"]:
        fhir_valid(entry["resource"])
    (questionnaire,) = entries(bundle, "Questionnaire")
    (response,) = entries(bundle, "QuestionnaireResponse")
    (total,) = entries(bundle, "Observation")
    # Linked to the exact stored version the client answered.
    assert questionnaire["id"] == f"q-{intake.questionnaire_id}"
    assert response["questionnaire"] == f"{questionnaire['url']}|{questionnaire['version']}"
    answers = {i["linkId"]: i for g in response["item"] for i in g["item"]}
    first = answers["phq9_1"]["answer"][0]["valueCoding"]
    assert (first["system"], first["code"], first["display"]) == (
        "http://loinc.org", "LA6571-9", "Nearly every day")  # fmt: skip
    assert {"url": ORDINAL, "valueDecimal": 3} in first["extension"]
    assert answers["phq9_total"]["answer"] == [{"valueInteger": 10}]
    assert answers["phq9_difficulty"]["answer"][0]["valueCoding"]["code"] == "LA6573-5"
    assert total["code"]["coding"][0]["code"] == "44261-6"
    assert total["valueInteger"] == 10
    assert total["interpretation"] == [{"text": "Moderate"}]
    by_url = {e["resource"]["id"]: e["fullUrl"] for e in bundle["entry"]}
    assert total["derivedFrom"][0]["reference"] == by_url[response["id"]]
    assert response["subject"]["display"] == "Sam Rivera"


def test_a_readiness_dimension_is_not_passed_off_as_an_instrument(
    app: Flask, make_clinic: Any
) -> None:
    from tests.helpers import EXAMPLE_A

    clinic_id, _ = make_clinic()
    intake = submitted(clinic_id, "readiness", dict(EXAMPLE_A))
    bundle = intake_bundle(intake)
    observations = entries(bundle, "Observation")
    assert observations
    for observation in observations:
        fhir_valid(observation)
        assert all(c["system"] != "http://loinc.org" for c in observation["code"]["coding"])
        assert "not a validated instrument" in observation["note"][0]["text"]
        assert observation["valueQuantity"]["unit"] == "points on a 0-100 scale"


def test_a_declined_answer_says_so_and_a_prorated_total_says_how(
    app: Flask, make_clinic: Any
) -> None:
    clinic_id, _ = make_clinic()
    answers = {**PHQ9_ANSWERS, "phq9_7": "__declined__"}
    answers.pop("phq9_8")
    intake = submitted(clinic_id, "phq9", answers)
    bundle = intake_bundle(intake)
    fhir_valid(bundle)
    (response,) = entries(bundle, "QuestionnaireResponse")
    items = {i["linkId"]: i for g in response["item"] for i in g["item"]}
    assert "answer" not in items["phq9_7"]
    assert items["phq9_7"]["extension"][0]["valueCode"] == "asked-declined"
    assert "phq9_8" not in items
    (total,) = entries(bundle, "Observation")
    assert "Prorated: 2 of 9 answers missing" in total["note"][1]["text"]


def test_the_command_writes_the_bundle(app: Flask, make_clinic: Any, tmp_path: Path) -> None:
    clinic_id, _ = make_clinic()
    intake = submitted(clinic_id, "gad7", {f"gad7_{n}": 1 for n in range(1, 8)})
    out = tmp_path / "bundle.json"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["export", "fhir", str(intake.id), "-o", str(out)])
    assert result.exit_code == 0, result.output
    written = json.loads(out.read_text(encoding="utf-8"))
    fhir_valid(written)
    assert entries(written, "Observation")[0]["code"]["coding"][0]["code"] == "70274-6"
    printed = runner.invoke(args=["export", "fhir", str(intake.id)])
    assert json.loads(printed.output)["id"] == written["id"]
    missing = runner.invoke(args=["export", "fhir", "999999"])
    assert missing.exit_code == 1 and "no intake 999999" in missing.output


def test_a_clinic_bundle_for_a_date_range(app: Flask, make_clinic: Any) -> None:
    clinic_id, _ = make_clinic()
    old = submitted(clinic_id, "phq9", PHQ9_ANSWERS, name="Old Client")
    old.submitted_at = utcnow() - timedelta(days=40)
    db.session.commit()
    new = [submitted(clinic_id, "phq9", PHQ9_ANSWERS, name=f"Client {n}") for n in range(2)]
    other_id, _ = make_clinic("south")
    submitted(other_id, "phq9", PHQ9_ANSWERS, name="Elsewhere")
    today = utcnow().date()
    bundle = json.loads("".join(clinic_bundle_json(clinic_id, today - timedelta(days=7), today)))
    fhir_valid(bundle)
    responses = entries(bundle, "QuestionnaireResponse")
    assert sorted(r["subject"]["display"] for r in responses) == ["Client 0", "Client 1"]
    assert len(entries(bundle, "Questionnaire")) == 1  # one version, listed once
    assert len(entries(bundle, "Observation")) == 2
    everything = json.loads("".join(clinic_bundle_json(clinic_id, None, None)))
    assert len(entries(everything, "QuestionnaireResponse")) == 3
    assert {new[0].id, old.id} <= {
        int(r["subject"]["identifier"]["value"])
        for r in entries(everything, "QuestionnaireResponse")
    }
