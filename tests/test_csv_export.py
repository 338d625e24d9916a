"""CSV and its data dictionary: one row per intake, codes and weights in the dictionary, free
text only when asked, no formula reaches a spreadsheet, the admins' page and the command."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from intake.exports.tables import intakes_csv, neutralise
from tests.helpers import EXAMPLE_A, audit_actions, submitted

PHQ9 = {f"phq9_{n}": v for n, v in enumerate([1, 1, 1, 1, 1, 0, 0, 0, 0], start=1)}


def read(chunks: Any) -> list[dict[str, str]]:
    text = "".join(chunks)
    assert text.startswith("\ufeff")  # spreadsheets read it as UTF-8
    return list(csv.DictReader(io.StringIO(text[1:])))


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("plain words", "plain words"),
        (-3, -3),
        ("", ""),
    ],
)
def test_cells_that_start_like_a_formula_are_neutralised(value: Any, written: Any) -> None:
    assert neutralise(value) == written


def test_one_row_per_intake_with_codes_and_weights_in_the_dictionary(
    app: Flask, make_clinic: Any, tmp_path: Path
) -> None:
    clinic_id, _ = make_clinic()
    words = {"why_now": "=cmd|' /C calc'!A0", "hopes": "Sleep, más calma"}
    readiness = submitted(clinic_id, "readiness", {**EXAMPLE_A, **words})
    phq9 = submitted(clinic_id, "phq9", {**PHQ9, "phq9_9": "__declined__"})
    out = tmp_path / "north.csv"
    result = app.test_cli_runner().invoke(
        args=["export", "csv", "--clinic", "north", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = read([out.read_text(encoding="utf-8")])
    assert [r["intake_id"] for r in rows] == [str(readiness.id), str(phq9.id)]
    first, second = rows
    assert first["status"] == "Submitted, not yet reviewed" and first["language"] == "en"
    assert first["questionnaires"] == "readiness:2" and second["phq9__version"] == "2"
    assert second["phq9__phq9_1"] == "1" and second["phq9__phq9_9"] == "asked-declined"
    assert second["phq9__phq9_total"] == "" and second["phq9__phq9_total__status"] == "not_scored"
    assert first["readiness__change"] != "" and first["phq9__phq9_1"] == ""
    assert "readiness__why_now" not in first  # free text only when asked for
    dictionary = read([(tmp_path / "north.dictionary.csv").read_text(encoding="utf-8")])
    by_name = {r["variable"]: r for r in dictionary}
    assert [r["variable"] for r in dictionary] == list(first)  # one entry per column
    item = by_name["phq9__phq9_1"]
    assert item["field_type"] == "radio" and item["versions"] == "2"
    assert item["choices"].startswith("0, Not at all | 1, Several days")
    assert "0 = http://loinc.org|LA6568-5" in item["codes"]
    assert item["weights"] == "0 = 0 | 1 = 1 | 2 = 2 | 3 = 3"
    assert item["item_codes"] == "http://loinc.org|44250-9"
    assert by_name["phq9__phq9_total"]["item_codes"] == "http://loinc.org|44261-6"
    assert "mild, Mild (5-9)" in by_name["phq9__phq9_total__band"]["choices"]
    assert "not a validated instrument" in by_name["readiness__change"]["note"]


def test_free_text_when_ticked_and_never_as_a_formula(app: Flask, make_clinic: Any) -> None:
    clinic_id, _ = make_clinic()
    words = {"why_now": "=cmd|' /C calc'!A0", "hopes": "Sleep, más calma"}
    submitted(clinic_id, "readiness", {**EXAMPLE_A, **words})
    (row,) = read(intakes_csv(clinic_id, None, None, include_text=True))
    assert row["readiness__why_now"] == "'=cmd|' /C calc'!A0"
    assert row["readiness__hopes"] == "Sleep, más calma"


def test_the_admins_page_downloads_and_audits(app: Flask, client: FlaskClient, admin: int) -> None:
    submitted(admin, "phq9", PHQ9)
    page = client.get("/staff/exports")
    assert page.status_code == 200 and b"Download CSV" in page.data
    response = client.get("/staff/exports/intakes.csv?start=2000-01-01&text=y")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = read([response.get_data(as_text=True)])
    assert len(rows) == 1 and rows[0]["phq9__phq9_total"] == "5"
    dictionary = client.get("/staff/exports/dictionary.csv")
    assert dictionary.status_code == 200 and b"phq9__phq9_1" in dictionary.data
    bundle = client.get("/staff/exports/bundle.json")
    assert bundle.status_code == 200 and bundle.json["resourceType"] == "Bundle"
    (entry,) = audit_actions("export.csv")
    assert entry.detail == {"start": "2000-01-01", "end": None, "free_text": True}
    assert audit_actions("export.dictionary") and audit_actions("export.fhir")
    bad = client.get("/staff/exports/intakes.csv?start=2026-05-01&end=2026-04-01")
    assert bad.status_code == 200 and b"before the" in bad.data  # the form, with the error
