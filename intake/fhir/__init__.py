"""FHIR R4 for our definitions and results: Questionnaire out and in, QuestionnaireResponse,
Observation and Bundle out. Pure: plain dicts in and out, no Flask, no database.

The URLs below name the standard extensions we read and write, and our own, which carry what
FHIR has no place for (a measure's proration rule, the safety item, worked examples) so that
our own export reads back as the same definition. Other systems ignore our extensions.
"""

from __future__ import annotations

import re

FHIR_VERSION = "4.0.1"

# Standard extensions (FHIR core and the SDC implementation guide).
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
ITEM_WEIGHT = "http://hl7.org/fhir/StructureDefinition/itemWeight"
TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
CALCULATED = (
    "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression"
)
VARIABLE = "http://hl7.org/fhir/StructureDefinition/variable"
ITEM_CONTROL = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
ITEM_CONTROL_SYSTEM = "http://hl7.org/fhir/questionnaire-item-control"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
HIDDEN = "http://hl7.org/fhir/StructureDefinition/questionnaire-hidden"
DATA_ABSENT = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
LOINC = "http://loinc.org"

# Our own: a deliberately unresolvable host (RFC 2606), so no one mistakes them for a
# published profile. Each carries one part of a definition as JSON text.
OURS = "http://intake.invalid/fhir"
EXT = f"{OURS}/StructureDefinition"
EXT_DEFINITION = f"{EXT}/definition"  # id, version, language, consent, scales, ... (JSON)
EXT_MEASURE = f"{EXT}/measure"  # one dimension or total, exactly (JSON)
EXT_ITEM = f"{EXT}/item"  # an item's type and keys FHIR has no place for (JSON)
EXT_SHOW_IF = f"{EXT}/show-if"  # a condition enableWhen cannot say exactly (JSON)
EXT_OPTION_VALUE = f"{EXT}/option-value"  # the stored value of an answer option
EXT_PAGE = f"{EXT}/page"  # a group that is one of our pages (its intro, JSON)
MEASURE_SYSTEM = f"{OURS}/CodeSystem/measure"
OPTION_SYSTEM = f"{OURS}/CodeSystem/option"

_NOT_ID = re.compile(r"[^A-Za-z0-9.-]")


def fhir_id(*parts: object) -> str:
    """A FHIR resource id from our names: letters, digits, '-' and '.', at most 64."""
    return _NOT_ID.sub("-", "-".join(str(p) for p in parts))[:64]
