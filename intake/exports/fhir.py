"""An intake (or a clinic's intakes in a date range) as a FHIR Bundle: the Questionnaire of each
stored version answered, the QuestionnaireResponse of each part and its Observations."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

from flask import current_app

from ..catalogue import definition_of
from ..db import db
from ..fhir import fhir_id
from ..fhir.questionnaire import questionnaire
from ..fhir.response import Source, bundle, full_url, response_resources
from ..models import Intake, QuestionnaireVersion, utcnow
from . import parts_of, submitted_between


def canonical_url(version: QuestionnaireVersion) -> str:
    """The Questionnaire's canonical URL: one per questionnaire (built-in, or the clinic's)."""
    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    owner = "" if version.clinic_id is None else f"clinic-{version.clinic_id}-"
    return f"{base}/fhir/Questionnaire/{owner}{version.key}"


def questionnaire_resource(version: QuestionnaireVersion) -> dict[str, Any]:
    """The Questionnaire resource of one exact stored version."""
    return questionnaire(
        definition_of(version),
        url=canonical_url(version),
        resource_id=fhir_id("q", version.id),
        date=version.created_at.date().isoformat(),
    )


def source_of(intake: Intake) -> Source:
    """Who answered and when: the intake, named as the clinic knows the client."""
    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    subject = {
        "identifier": {"system": f"{base}/fhir/intake", "value": str(intake.id)},
        "display": intake.client_name,
    }
    assert intake.submitted_at is not None
    return Source(intake.id, subject, intake.submitted_at, intake.language)


def intake_resources(
    intake: Intake, seen: dict[int, dict[str, Any]] | None = None
) -> Iterator[dict[str, Any]]:
    """Each answered part's Questionnaire (once per version: `seen` holds those already
    given, by version id), response and Observations."""
    seen = {} if seen is None else seen
    for part in parts_of(intake):
        resource = seen.get(part.version.id)
        if resource is None:
            resource = seen[part.version.id] = questionnaire_resource(part.version)
            yield resource
        yield from response_resources(
            part.definition,
            part.answers,
            part.result,
            questionnaire=resource,
            source=source_of(intake),
            part=part.index,
        )


def intake_bundle(intake: Intake) -> dict[str, Any]:
    """One submitted intake as a collection Bundle."""
    return bundle(
        intake_resources(intake), bundle_id=fhir_id("intake", intake.id), timestamp=utcnow()
    )


def clinic_bundle_json(clinic_id: int, start: date | None, end: date | None) -> Iterator[str]:
    """A clinic's submitted intakes in a date range as one Bundle, written as it is read."""
    head = bundle([], bundle_id=fhir_id("clinic", clinic_id, start or "", end or ""),
                  timestamp=utcnow())  # fmt: skip
    opening = json.dumps(head)[: -len("[]}")]
    yield opening + "[\n"
    seen: dict[int, dict[str, Any]] = {}
    first = True
    query = submitted_between(clinic_id, start, end).execution_options(yield_per=100)
    for intake in db.session.scalars(query):
        for resource in intake_resources(intake, seen):
            entry = {"fullUrl": full_url(resource), "resource": resource}
            yield ("" if first else ",\n") + json.dumps(entry, ensure_ascii=False)
            first = False
    yield "\n]}\n"
