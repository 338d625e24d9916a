"""A submitted part of an intake as FHIR: a QuestionnaireResponse, an Observation per scored
measure (derivedFrom the response), and Bundles of them.

Answers carry their codes and weights (ordinalValue and itemWeight on the Coding), a declined
question says so (data-absent-reason 'asked-declined'), and a total is answered on its own
item as the Questionnaire's calculatedExpression would. A measure with a code (the PHQ-9
total, LOINC 44261-6) is coded so; a readiness dimension is described as what it is: a 0-100
profile from the client's own ratings, not a validated instrument.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..questionnaire.answers import answer_problem
from ..questionnaire.conditions import is_answered, seen_answers
from ..questionnaire.model import DECLINED, Definition, Dimension, Item, ItemType
from ..scoring import DimensionScore, Result
from . import DATA_ABSENT, ITEM_WEIGHT, MEASURE_SYSTEM, ORDINAL_VALUE, fhir_id
from .conditions import option_coding
from .questionnaire import page_of_total, total_link_id

# Fixed, so a resource always gets the same fullUrl in every Bundle it appears in.
_NAMESPACE = uuid.UUID("7d0c1f8e-3b1a-4c55-9a64-2f4b7b1e9e21")
SURVEY = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "survey",
            "display": "Survey",
        }
    ]
}
NOT_VALIDATED = (
    "A readiness profile dimension from the intake questionnaire '{q}' (version {v}): the"
    " client's own ratings, averaged and rescaled to 0-100. It describes how the client sees"
    " their situation to prepare a first conversation; it is not a validated instrument, a"
    " diagnosis or a clinical score."
)


@dataclass(frozen=True)
class Source:
    """Who answered and when, as every resource of one intake names them."""

    intake_id: int
    subject: Mapping[str, Any]  # a FHIR Reference (identifier and display)
    authored: datetime  # UTC, as stored
    language: str


def instant(moment: datetime) -> str:
    """A stored UTC time as a FHIR dateTime with its zone."""
    return moment.replace(microsecond=0).isoformat() + "+00:00"


def full_url(resource: Mapping[str, Any]) -> str:
    """The urn:uuid a resource has in every Bundle (and its references use)."""
    name = f"{resource['resourceType']}/{resource['id']}"
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, name)}"


def reference(resource: Mapping[str, Any]) -> dict[str, str]:
    """A Reference to a resource of the same Bundle."""
    return {"reference": full_url(resource), "type": str(resource["resourceType"])}


def response_resources(
    definition: Definition,
    answers: Mapping[str, Any],
    result: Result,
    *,
    questionnaire: Mapping[str, Any],
    source: Source,
    part: int,
) -> list[dict[str, Any]]:
    """The QuestionnaireResponse of one answered part and an Observation per scored measure."""
    response = questionnaire_response(
        definition, answers, result, questionnaire=questionnaire, source=source, part=part
    )
    by_id = {m.id: m for m in definition.dimensions}
    observations = [
        observation(definition, by_id[s.id], s, response=response, source=source, part=part)
        for s in result.dimensions
        if s.score is not None and s.id in by_id
    ]
    return [response, *observations]


def questionnaire_response(
    definition: Definition,
    answers: Mapping[str, Any],
    result: Result,
    *,
    questionnaire: Mapping[str, Any],
    source: Source,
    part: int,
) -> dict[str, Any]:
    """The answers as a completed QuestionnaireResponse to the exact stored version."""
    d = definition
    seen = seen_answers(d, answers)
    scores = {s.id: s for s in result.dimensions}
    groups = []
    for n, page in enumerate(d.pages):
        children = [a for item in page.items if (a := _answer(d, item, seen.get(item.id)))]
        for measure in d.dimensions:
            score = scores.get(measure.id)
            if (
                measure.is_sum
                and page_of_total(d, measure) == n
                and score
                and score.score is not None
            ):
                children.append(
                    {
                        "linkId": total_link_id(d, measure),
                        "text": measure.label,
                        "answer": [{"valueInteger": int(score.score)}],
                    }
                )
        if children:
            groups.append({"linkId": page.id, "text": str(page.title), "item": children})
    return {
        "resourceType": "QuestionnaireResponse",
        "id": fhir_id("qr", source.intake_id, part),
        "language": source.language,
        "questionnaire": f"{questionnaire['url']}|{questionnaire['version']}",
        "status": "completed",
        "subject": dict(source.subject),
        "authored": instant(source.authored),
        "item": groups,
    }


def _answer(d: Definition, item: Item, value: Any) -> dict[str, Any] | None:
    """One question's item of the response, or None when it was not answered."""
    out: dict[str, Any] = {"linkId": item.id, "text": str(item.prompt)}
    if value == DECLINED:
        asked = {"url": DATA_ABSENT, "valueCode": "asked-declined"}
        return {**out, "extension": [asked]}
    if not is_answered(value) or answer_problem(d, item, value) is not None:
        return None
    values = value if isinstance(value, list) else [value]
    out["answer"] = [_value(d, item, v) for v in values]
    return out


def _value(d: Definition, item: Item, value: Any) -> dict[str, Any]:
    if item.type in (ItemType.SINGLE_CHOICE, ItemType.MULTIPLE_CHOICE, ItemType.AGREEMENT):
        coding = option_coding(d, item, value)
        weight = d.item_value(item, value)
        if weight is not None:
            coding["extension"] = [
                {"url": ORDINAL_VALUE, "valueDecimal": weight},
                {"url": ITEM_WEIGHT, "valueDecimal": weight},
            ]
        return {"valueCoding": coding}
    if item.type is ItemType.RULER:
        return {"valueInteger": int(value)}
    if item.type is ItemType.YES_NO:
        return {"valueBoolean": value == "yes"}
    if item.type is ItemType.CONSENT:
        return {"valueBoolean": value is True}
    if item.type is ItemType.DATE:
        return {"valueDate": str(value)}
    return {"valueString": str(value)}


def observation(
    definition: Definition,
    measure: Dimension,
    score: DimensionScore,
    *,
    response: Mapping[str, Any],
    source: Source,
    part: int,
) -> dict[str, Any]:
    """One scored measure as an Observation derived from the response."""
    d = definition
    if measure.codes:
        code: dict[str, Any] = {
            "coding": [c.model_dump(exclude_none=True) for c in measure.codes],
            "text": measure.label,
        }
    else:
        code = {
            "coding": [
                {
                    "system": MEASURE_SYSTEM,
                    "code": f"{d.id}.{measure.id}",
                    "display": measure.label,
                }
            ],
            "text": measure.label,
        }
    out: dict[str, Any] = {
        "resourceType": "Observation",
        "id": fhir_id("obs", source.intake_id, part, measure.id),
        "status": "final",
        "category": [SURVEY],
        "code": code,
        "subject": dict(source.subject),
        "effectiveDateTime": instant(source.authored),
        "derivedFrom": [reference(response)],
    }
    low, high = d.range_of(measure)
    if measure.is_sum:
        out["valueInteger"] = int(score.score or 0)
        notes = [f"{measure.description.strip()} Range {low:g}-{high:g}."]
    else:
        out["valueQuantity"] = {"value": score.score, "unit": "points on a 0-100 scale"}
        notes = [NOT_VALIDATED.format(q=d.id, v=d.version)]
    band = next((b for b in d.bands_for(measure) if b.id == score.band), None)
    if band is not None:
        out["interpretation"] = [{"text": band.label}]
    if score.status == "prorated":
        notes.append(_prorated(measure, score))
    out["note"] = [{"text": text} for text in notes]
    return out


def _prorated(measure: Dimension, score: DimensionScore) -> str:
    missing = ", ".join(score.missing)
    if measure.is_sum:
        return (
            f"Prorated: {len(score.missing)} of {len(score.items)} answers missing ({missing});"
            f" the mean of the answered items times {len(score.items)} gave {score.exact},"
            f" rounded ({measure.rounding_rule.value.replace('_', ' ')}) to {score.score:g}."
        )
    return f"From the answered items only; missing: {missing}."


def bundle(
    resources: Iterable[Mapping[str, Any]], *, bundle_id: str, timestamp: datetime
) -> dict[str, Any]:
    """A collection Bundle of resources, each under its urn:uuid."""
    return {
        "resourceType": "Bundle",
        "id": bundle_id,
        "type": "collection",
        "timestamp": instant(timestamp),
        "entry": [{"fullUrl": full_url(r), "resource": dict(r)} for r in resources],
    }
