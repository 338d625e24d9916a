"""JSON Schema of the definition format, generated from the model, for editor completion."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .model import OPERATORS, SUBJECTS, TEXT_JSON_SCHEMA, Definition

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PATH = PROJECT_ROOT / "forms" / "schema.json"

HEADER = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "urn:intake:schema:questionnaire-definition",
    "title": "Intake questionnaire definition",
    "description": (
        "One version of a questionnaire for the intake app, written in YAML under forms/:"
        " pages of questions, scored dimensions and their bands, indices, flags for the"
        " therapist, the safety item and worked examples. Add the line"
        " '# yaml-language-server: $schema=./schema.json' at the top of the file for"
        " completion and checks in your editor. Generated from intake/questionnaire/model.py"
        " by 'python -m intake.questionnaire.schema'; do not edit by hand."
    ),
}


def json_schema() -> dict[str, Any]:
    """The definition format as a JSON Schema (draft 2020-12, draft-07 keywords only)."""
    schema = Definition.model_json_schema()
    _tidy(schema)
    _share_text(schema)
    schema["$defs"]["Text"] = {
        "description": "Text the client reads: plain text in the definition's language, or"
        " one text per language listed in 'languages'.",
        **TEXT_JSON_SCHEMA,
    }
    _condition_shape(schema["$defs"]["Condition"])
    # Our header first so the file opens with what it is; pydantic's root title goes.
    body = {k: v for k, v in schema.items() if k not in HEADER}
    return {**HEADER, **body}


def write_schema(path: Path) -> None:
    """Write the schema as pretty JSON."""
    text = json.dumps(json_schema(), indent=2, sort_keys=False, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")


def _tidy(node: Any) -> None:
    """Editor-friendly touches that say nothing the model does not already say."""
    if isinstance(node, dict):
        # A null default adds nothing and makes some editors complete 'key: null'.
        if "default" in node and node["default"] is None:
            del node["default"]
        # dict[Ident, ...]: keys that are not identifiers are rejected by the model too.
        if "patternProperties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            _tidy(value)
    elif isinstance(node, list):
        for value in node:
            _tidy(value)


def _share_text(node: Any) -> None:
    """Every inline copy of the Text schema becomes a reference to one definition."""
    if isinstance(node, dict):
        text = TEXT_JSON_SCHEMA["anyOf"]
        alternatives = node.get("anyOf")
        if alternatives == text:
            del node["anyOf"]
            node["$ref"] = "#/$defs/Text"
        elif isinstance(alternatives, list) and alternatives[: len(text)] == text:
            # An optional text: pydantic merges the null into the same list.
            node["anyOf"] = [{"$ref": "#/$defs/Text"}, *alternatives[len(text) :]]
        for value in node.values():
            _share_text(value)
    elif isinstance(node, list):
        for value in node:
            _share_text(value)


def _given(key: str) -> dict[str, Any]:
    """Matches an object where this key is present with a non-null value."""
    return {"required": [key], "properties": {key: {"not": {"type": "null"}}}}


def _condition_shape(condition: dict[str, Any]) -> None:
    """Mirror Condition's rule: 'all', 'any', or one subject compared by one operator.

    The model's validator enforces this when a file is loaded; stating it here lets an
    editor point at a condition with two operators while it is being written.
    """
    condition["oneOf"] = [_given(key) for key in ("all", "any", *SUBJECTS)]
    condition["if"] = {"anyOf": [_given(key) for key in SUBJECTS]}
    condition["then"] = {"oneOf": [_given(op) for op in OPERATORS]}
    condition["else"] = {"not": {"anyOf": [_given(op) for op in OPERATORS]}}


def main(argv: Sequence[str] | None = None) -> int:
    """Write the schema to PATH (default forms/schema.json in the project)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) > 1 or (args and args[0] in ("-h", "--help")):
        print("usage: python -m intake.questionnaire.schema [PATH]", file=sys.stderr)
        return 2
    path = Path(args[0]) if args else DEFAULT_PATH
    write_schema(path)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
