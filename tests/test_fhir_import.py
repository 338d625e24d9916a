"""FHIR R4 Questionnaire in: the HL7 SDC PHQ-9, SDC and LHC-Forms patterns, notes with linkIds,
and our own export read back as the same definition."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from intake.fhir.importer import NotAQuestionnaire, import_questionnaire
from intake.fhir.questionnaire import questionnaire
from intake.questionnaire import Definition, load_file, load_text
from intake.questionnaire.examples import check_examples
from intake.scoring import score

DATA = Path(__file__).parent / "data"
SDC_PHQ9 = json.loads((DATA / "sdc-phq9.questionnaire.json").read_text(encoding="utf-8"))
PHQ9 = load_file("forms/phq9.yaml")
WEIGHT = "http://hl7.org/fhir/StructureDefinition/itemWeight"
ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
CALC = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression"
VARIABLE = "http://hl7.org/fhir/StructureDefinition/variable"


def imported(resource: dict[str, Any], key: str = "imported") -> tuple[Definition, list[str]]:
    """The definition an import gives (loaded from its YAML, as an admin would), and its notes."""
    result = import_questionnaire(resource, key=key)
    definition = load_text(result.yaml(), source="imported.yaml")
    assert list(check_examples(definition)) == []
    return definition, [str(n) for n in result.notes]


def test_the_sdc_phq9_passes_forms_check(app: Flask, tmp_path: Path) -> None:
    out = tmp_path / "sdc_phq9.yaml"
    runner = app.test_cli_runner()
    made = runner.invoke(
        args=["forms", "import-fhir", str(DATA / "sdc-phq9.questionnaire.json"), "-o", str(out)]
    )
    assert made.exit_code == 0, made.output
    assert "H1/TS: total 'h1_ts'" in made.output  # what changed is reported with the linkId
    checked = runner.invoke(args=["forms", "check", str(out)])
    assert checked.exit_code == 0, checked.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server")
    assert "#   H1/TS: total 'h1_ts': the form gives no bands" in text


def test_the_contained_value_set_resolves_with_its_ordinal_values() -> None:
    definition, _ = imported(SDC_PHQ9)
    first = definition.item("h1_t1_q1")
    assert [(o.value, str(o.label), o.weight) for o in first.options or ()] == [
        (0, "Not at all", 0),
        (1, "Several days", 1),
        (2, "More than half the days", 2),
        (3, "Nearly every day", 3),
    ]
    assert {o.code.system for o in first.options or () if o.code} == {
        "http://hl7.org/fhir/uv/sdc/CodeSystem/CSPHQ9"
    }
    assert [o.code.code for o in first.options or () if o.code][0] == "Not-at-all"
    total = definition.dimensions[0]
    assert total.is_sum and total.range == (0, 27)
    assert total.items == tuple(f"h1_t1_q{n}" for n in range(1, 10))
    assert [(c.system, c.code) for c in total.codes] == [("http://loinc.org", "44261-6")]


def _phq9_sets() -> list[tuple[int, ...]]:
    """Every band edge pattern, the extremes, and a fixed sample of all 4^9 answer sets."""
    rng = random.Random(14)
    every = list(itertools.product(range(4), repeat=9))
    return [every[0], every[-1], *rng.sample(every, 1500)]


def test_answer_sets_give_the_same_totals_as_the_built_in_phq9() -> None:
    definition, _ = imported(SDC_PHQ9)
    total_id = definition.dimensions[0].id
    for values in _phq9_sets():
        ours = {f"phq9_{n}": v for n, v in enumerate(values, start=1)}
        theirs = {f"h1_t1_q{n}": v for n, v in enumerate(values, start=1)}
        expected = score(PHQ9, ours).dimension("phq9_total").score
        got = score(definition, theirs).dimension(total_id).score
        assert got == expected == sum(values), values


@pytest.mark.parametrize("name", ["readiness", "phq9", "gad7"])
def test_our_export_reads_back_as_the_same_definition(name: str) -> None:
    original = load_file(f"forms/{name}.yaml")
    exported = questionnaire(original, url=f"http://x.example/Questionnaire/{name}",
                             resource_id=name)  # fmt: skip
    back, notes = imported(json.loads(json.dumps(exported)), key=name)
    assert back.model_dump(mode="json") == original.model_dump(mode="json")
    assert not [n for n in notes if "safety" not in n]


def _form(*items: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Questionnaire", "status": "active", "name": "Test form",
            "item": list(items), **extra}  # fmt: skip


def _choice(link: str, weights: list[int], where: str = "option", **extra: Any) -> dict[str, Any]:
    options = []
    for n, weight in enumerate(weights):
        coding: dict[str, Any] = {"system": "http://loinc.org", "code": f"LA{n}-{link}",
                                  "display": f"Answer {n}"}  # fmt: skip
        ext = [{"url": WEIGHT if n % 2 else ORDINAL, "valueDecimal": weight}]
        if where == "coding":
            coding["extension"] = ext
            options.append({"valueCoding": coding})
        else:
            options.append({"valueCoding": coding, "extension": ext})
    return {"linkId": link, "text": f"Question {link}", "type": "choice",
            "answerOption": options, **extra}  # fmt: skip


def test_weights_on_the_option_or_its_coding_and_codes_kept() -> None:
    form = _form(
        {"linkId": "g", "type": "group", "text": "Page", "item": [
            _choice("/a", [0, 1, 2], code=[{"system": "http://loinc.org", "code": "1-1"}]),
            _choice("/b", [5, 3, 1], where="coding"),
        ]},
        code=[{"system": "http://loinc.org", "code": "99-9", "display": "Panel"}],
    )  # fmt: skip
    definition, _ = imported(form)
    a, b = definition.item("a"), definition.item("b")
    assert [o.weight for o in a.options or ()] == [0, 1, 2]
    assert [o.value for o in b.options or ()] == [5, 3, 1]  # distinct whole weights: the values
    assert [c.code for c in a.codes] == ["1-1"]
    assert [c.code for c in definition.codes] == ["99-9"]
    assert (a.options or ())[1].code is not None and (a.options or ())[1].code.code == "LA1-/a"


@pytest.mark.parametrize(
    "expression",
    [
        "%resource.answers().value.ordinal().sum()",
        "%resource.repeat(item).answer.value.weight().sum()",
        "%resource.item.item.answer.value.ordinal().sum()",
        "%resource.repeat(item).where(linkId in ('/a' | '/b')).answer.value.weight().sum()",
        "%resource.repeat(item).where(linkId='/a' or linkId='/b').answer.value.ordinal().sum()",
        "iif(%any_answered, %a + %b, {})",
        "iif(%a.exists(), %a, 0) + iif(%b.exists(), %b, 0)",
        "%resource.item.where(linkId='g').item.where(linkId='/a').answer.value.ordinal()"
        " + %resource.item.where(linkId='g').item.where(linkId='/b').answer.value.weight()",
        "%scores.sum()",
    ],
)
def test_common_sum_patterns_become_a_total(expression: str) -> None:
    variables = [
        {"url": VARIABLE, "valueExpression": {"name": name, "language": "text/fhirpath",
                                               "expression": text}}
        for name, text in [
            ("a", "%resource.item.where(linkId='g').item.where(linkId='/a')"
                  ".answer.value.ordinal()"),
            ("b", "%resource.repeat(item).where(linkId='/b').answer.value.weight()"),
            ("any_answered", "%a.exists() or %b.exists()"),
            ("scores", "%resource.repeat(item).answer.value.ordinal()"),
        ]
    ]  # fmt: skip
    total = {
        "linkId": "/total",
        "text": "Total",
        "type": "decimal",
        "extension": [
            {
                "url": CALC,
                "valueExpression": {"language": "text/fhirpath", "expression": expression},
            }
        ],
    }
    form = _form({"linkId": "g", "type": "group", "text": "Page",
                  "item": [_choice("/a", [0, 1, 2]), _choice("/b", [0, 2, 4]), total]},
                 extension=variables)  # fmt: skip
    definition, notes = imported(form)
    assert [d.items for d in definition.dimensions] == [("a", "b")], notes
    assert definition.dimensions[0].range == (0, 6)
    assert score(definition, {"a": 2, "b": 4}).dimension("total").score == 6


@pytest.mark.parametrize(
    "expression",
    ["%resource.answers().value.ordinal().sum() * 2", "%a.count()", "today()", "%a - %b"],
)
def test_any_other_expression_is_reported_never_evaluated(expression: str) -> None:
    total = {
        "linkId": "/total",
        "type": "integer",
        "text": "Total",
        "extension": [
            {
                "url": CALC,
                "valueExpression": {"language": "text/fhirpath", "expression": expression},
            }
        ],
    }
    form = _form(_choice("/a", [0, 1]), total)
    definition, notes = imported(form)
    assert definition.dimensions == ()
    assert any(n.startswith("/total: calculatedExpression") and expression in n for n in notes)


def test_enable_when_becomes_a_declarative_condition() -> None:
    form = _form(
        {"linkId": "g", "type": "group", "text": "Page", "item": [
            {"linkId": "smoke", "type": "boolean", "text": "Do you smoke?"},
            {"linkId": "how", "type": "integer", "text": "How much, 0 to 10?",
             "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/minValue",
                            "valueInteger": 0},
                           {"url": "http://hl7.org/fhir/StructureDefinition/maxValue",
                            "valueInteger": 10}],
             "enableWhen": [{"question": "smoke", "operator": "=", "answerBoolean": True}]},
            _choice("mood", [0, 1, 2]),
            {"linkId": "why", "type": "text", "text": "Why?", "maxLength": 500,
             "enableWhen": [{"question": "mood", "operator": "=", "answerCoding":
                             {"system": "http://loinc.org", "code": "LA1-mood"}},
                            {"question": "how", "operator": ">", "answerInteger": 5}],
             "enableBehavior": "any"},
            {"linkId": "later", "type": "string", "text": "Later",
             "enableWhen": [{"question": "nope", "operator": "=", "answerString": "x"}]},
        ]},
    )  # fmt: skip
    definition, notes = imported(form)
    assert definition.item("how").type.value == "ruler"
    assert definition.item("how").show_if is not None
    assert definition.item("how").show_if.model_dump(exclude_none=True) == {
        "item": "smoke", "equals": "yes"}  # fmt: skip
    why = definition.item("why")
    assert why.max_length == 500 and why.type.value == "long_text"
    assert why.show_if is not None and why.show_if.model_dump(mode="json", exclude_none=True) == {
        "any": [{"item": "mood", "equals": 1}, {"item": "how", "above": 5.0}]}  # fmt: skip
    assert definition.item("later").show_if is None
    assert any(n.startswith("later: enableWhen on 'nope'") for n in notes)


def test_what_cannot_be_mapped_is_reported_with_its_link_id() -> None:
    form = _form(
        {"linkId": "g", "type": "group", "text": "Page", "item": [
            {"linkId": "photo", "type": "attachment", "text": "A photo"},
            {"linkId": "drug", "type": "choice", "text": "Which drug?",
             "answerValueSet": "http://example.org/ValueSet/drugs"},
            {"linkId": "inner", "type": "group", "text": "Inner", "item": [
                {"linkId": "age", "type": "integer", "text": "Age"},
                {"linkId": "pets", "type": "choice", "repeats": True, "text": "Pets",
                 "answerOption": [{"valueString": "cat"}, {"valueString": "dog"}]},
            ]},
            {"linkId": "other", "type": "open-choice", "text": "Colour", "prefix": "4.",
             "answerOption": [{"valueString": "red"}]},
            {"linkId": "at", "type": "dateTime", "text": "When?"},
        ]},
    )  # fmt: skip
    definition, notes = imported(form)
    assert not definition.has_item("photo") and not definition.has_item("drug")
    assert definition.item("pets").type.value == "multiple_choice"
    assert str(definition.item("other").prompt) == "4. Colour"
    expected = [
        "photo: a 'attachment' question cannot be asked here",
        "drug: answerValueSet http://example.org/ValueSet/drugs cannot be resolved offline",
        "inner: a group inside a page",
        "age: a integer answer is asked as short text",
        "other: an answer typed in besides the choices is not offered",
        "at: a date and time is asked as a date",
    ]
    for start in expected:
        assert any(n.startswith(start) for n in notes), (start, notes)


def test_translations_prefixes_and_help_are_kept() -> None:
    def spanish(text: str) -> dict[str, Any]:
        return {
            "extension": [
                {
                    "url": "http://hl7.org/fhir/StructureDefinition/translation",
                    "extension": [
                        {"url": "lang", "valueCode": "es"},
                        {"url": "content", "valueString": text},
                    ],
                }
            ]
        }

    form = _form(
        {"linkId": "g", "type": "group", "text": "Page", "_text": spanish("Página"), "item": [
            {"linkId": "name", "type": "string", "text": "Name", "_text": spanish("Nombre"),
             "item": [{"linkId": "name.help", "type": "display", "text": "As you like",
                       "_text": spanish("Como quiera"),
                       "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/"
                                      "questionnaire-itemControl", "valueCodeableConcept": {
                                          "coding": [{"code": "help"}]}}]}]},
        ]},
        title="Form", _title=spanish("Formulario"), language="en",
    )  # fmt: skip
    definition, notes = imported(form)
    assert definition.languages == ("en", "es"), notes
    item = definition.item("name")
    assert item.prompt.translations == {"en": "Name", "es": "Nombre"}
    assert item.help is not None and item.help.translations["es"] == "Como quiera"


@pytest.mark.parametrize(
    ("resource", "message"),
    [
        ({"resourceType": "Patient"}, "Patient resource, not a Questionnaire"),
        ([1, 2], "not a FHIR resource"),
        ({"resourceType": "Questionnaire", "status": "draft"}, "has no items"),
        (
            {"resourceType": "Questionnaire", "item": [{"linkId": "x", "type": "attachment"}]},
            "none of the Questionnaire's items",
        ),
    ],
)
def test_what_is_not_a_questionnaire_is_refused(resource: Any, message: str) -> None:
    with pytest.raises(NotAQuestionnaire, match=message):
        import_questionnaire(resource)


def test_the_command_refuses_what_is_not_json(app: Flask, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["forms", "import-fhir", str(bad)])
    assert result.exit_code == 1 and "not JSON" in result.output


def test_the_editor_turns_an_uploaded_fhir_questionnaire_into_the_draft(
    client: Any, admin: int
) -> None:
    import io

    from tests.helpers import create, draft_text, press

    create(client)
    content = (DATA / "sdc-phq9.questionnaire.json").read_bytes()
    response = press(client, "upload", draft_text(admin),
                     upload=(io.BytesIO(content), "phq9.json"))  # fmt: skip
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Imported from FHIR. 3 things could not be kept as they were" in page
    text = draft_text(admin)
    definition = load_text(text, source="ours.yaml")
    assert definition.id == "ours" and definition.version == 1
    assert "H1/TS: total" in text and len(definition.dimensions) == 1
    refused = press(client, "upload", text,
                    upload=(io.BytesIO(b'{"resourceType": "Patient"}'), "p.json"))  # fmt: skip
    assert "This file cannot be imported: this is a Patient resource" in refused.get_data(
        as_text=True
    )


def test_a_group_shown_on_an_earlier_answer_is_a_conditional_page() -> None:
    form = _form(
        {"linkId": "first", "type": "group", "text": "First",
         "item": [{"linkId": "smoke", "type": "boolean", "text": "Do you smoke?"}]},
        {"linkId": "second", "type": "group", "text": "Second",
         "enableWhen": [{"question": "smoke", "operator": "=", "answerBoolean": True}],
         "item": [{"linkId": "how", "type": "string", "text": "How much?"}]},
    )  # fmt: skip
    definition, _ = imported(form)
    second = definition.pages[1]
    assert second.show_if is not None
    assert second.show_if.model_dump(exclude_none=True) == {"item": "smoke", "equals": "yes"}


def test_hostile_json_is_refused_not_a_server_error(client: Any, admin: int) -> None:
    import io

    from tests.helpers import create, draft_text, press

    create(client)
    deep = b"[" * 100_000 + b"]" * 100_000
    response = press(client, "upload", draft_text(admin), upload=(io.BytesIO(deep), "q.json"))
    assert response.status_code == 200
    assert "This file cannot be imported: it is not JSON" in response.get_data(as_text=True)
    nested: dict[str, Any] = {"linkId": "x", "type": "group", "text": "x", "item": []}
    top = nested
    for n in range(40):
        child = {"linkId": f"g{n}", "type": "group", "text": "g", "item": []}
        nested["item"].append(child)
        nested = child
    with pytest.raises(NotAQuestionnaire, match="nested"):
        import_questionnaire(_form(top))
