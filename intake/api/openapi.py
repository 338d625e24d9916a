"""The OpenAPI 3.1 description of /api/v1/: what each endpoint takes and answers.

Written here as data, next to the routes; tests/test_api_schema.py checks the live API
against it (schemathesis), so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

from typing import Any

from ..models import Progress
from ..web import MAX_ID


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    words = {
        400: "A query parameter is not valid.",
        401: "No valid API token.",
        403: "The token's scope does not allow this.",
        404: "No such record at this clinic (another clinic's records are not found either).",
        409: "The intake has not been submitted yet.",
        422: "The request body is not valid.",
        429: "Too many requests with this token (see Retry-After).",
    }
    out = {str(c): _json(_ref("Error"), words[c]) for c in codes}
    if 429 in codes:
        out["429"]["headers"] = {"Retry-After": {"schema": {"type": "string"}}}
    return out


_ID = {"name": "intake_id", "in": "path", "required": True,
       "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}  # fmt: skip
_DATE = {"type": "string", "format": "date"}
_WHEN = {"type": ["string", "null"], "format": "date-time"}
_FHIR = {
    "type": "object",
    "required": ["resourceType"],
    "properties": {"resourceType": {"type": "string"}},
}


def document(server: str) -> dict[str, Any]:
    """The OpenAPI document, with this deployment's address as its server."""
    secured: list[dict[str, list[str]]] = [{"token": []}]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "intake API",
            "version": "1",
            "description": (
                "A clinic's intakes, scores, FHIR resources and brief PDFs, and new invitations,"
                " for its practice system. Every request carries a clinic's API token"
                " (Authorization: Bearer itk_...), issued by a clinic admin on the staff page"
                " 'API'; each request is audited and limited per token."
            ),
        },
        "servers": [{"url": server}],
        "security": secured,
        "paths": {
            "/intakes": {
                "get": {
                    "operationId": "listIntakes",
                    "summary": "The clinic's intakes, newest first",
                    "parameters": [
                        {
                            "name": "status",
                            "in": "query",
                            "schema": {"type": "string", "enum": [p.value for p in Progress]},
                        },
                        {"name": "submitted_from", "in": "query", "schema": _DATE},
                        {"name": "submitted_to", "in": "query", "schema": _DATE},
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 100},
                        },
                        {
                            "name": "before",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                        },
                    ],  # fmt: skip
                    "responses": {
                        "200": _json(_ref("IntakePage"), "A page of intakes."),
                        **_errors(400, 401, 429),
                    },  # fmt: skip
                }
            },
            "/intakes/{intake_id}": {
                "get": {
                    "operationId": "getIntake",
                    "summary": "One intake (never its answers)",
                    "parameters": [_ID],
                    "responses": {
                        "200": _json(_ref("Intake"), "The intake."),
                        **_errors(401, 404, 429),
                    },  # fmt: skip
                }
            },
            "/intakes/{intake_id}/scores": {
                "get": {
                    "operationId": "getScores",
                    "summary": "Each answered questionnaire's measures, flags and safety state",
                    "parameters": [_ID],
                    "responses": {
                        "200": _json(_ref("Scores"), "The scores."),
                        **_errors(401, 404, 409, 429),
                    },  # fmt: skip
                }
            },
            "/intakes/{intake_id}/fhir": {
                "get": {
                    "operationId": "getIntakeFhir",
                    "summary": "The intake as a FHIR R4 Bundle (Questionnaire,"
                    " QuestionnaireResponse, Observations)",
                    "parameters": [_ID],
                    "responses": {
                        "200": {
                            "description": "A collection Bundle.",
                            "content": {"application/fhir+json": {"schema": _FHIR}},
                        },
                        **_errors(401, 404, 409, 429),
                    },  # fmt: skip
                }
            },
            "/intakes/{intake_id}/brief.pdf": {
                "get": {
                    "operationId": "getBrief",
                    "summary": "The therapist's brief as a PDF",
                    "parameters": [_ID],
                    "responses": {
                        "200": {
                            "description": "The PDF.",
                            "content": {
                                "application/pdf": {
                                    "schema": {"type": "string", "format": "binary"}
                                }
                            },
                        },
                        "202": {
                            **_json(_ref("Preparing"), "The PDF is being prepared."),
                            "headers": {"Retry-After": {"schema": {"type": "string"}}},
                        },
                        **_errors(401, 404, 409, 429),
                    },  # fmt: skip
                }
            },
            "/fhir": {
                "get": {
                    "operationId": "getClinicFhir",
                    "summary": "The clinic's submitted intakes in a date range as one Bundle",
                    "parameters": [
                        {"name": "from", "in": "query", "schema": _DATE},
                        {"name": "to", "in": "query", "schema": _DATE},
                    ],
                    "responses": {
                        "200": {
                            "description": "A collection Bundle.",
                            "content": {"application/fhir+json": {"schema": _FHIR}},
                        },
                        **_errors(400, 401, 429),
                    },  # fmt: skip
                }
            },
            "/questionnaires/{version_id}/fhir": {
                "get": {
                    "operationId": "getQuestionnaireFhir",
                    "summary": "A stored questionnaire version as a FHIR Questionnaire",
                    "parameters": [
                        {
                            "name": "version_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                        }
                    ],  # fmt: skip
                    "responses": {
                        "200": {
                            "description": "The Questionnaire.",
                            "content": {"application/fhir+json": {"schema": _FHIR}},
                        },
                        **_errors(401, 404, 429),
                    },  # fmt: skip
                }
            },
            "/invitations": {
                "post": {
                    "operationId": "createInvitation",
                    "summary": "Invite a client (a read-and-invite token)",
                    "description": "422 also when the questionnaire or therapist named is not"
                    " one of the clinic's, the phone is not a number that can be called, or"
                    " send_email is true without an email. 409 until a clinic admin has set the"
                    " clinic's crisis contacts.",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("InvitationRequest")}},
                    },  # fmt: skip
                    "responses": {
                        "201": {
                            **_json(_ref("Invitation"), "The new intake and its link."),
                            "headers": {"Location": {"schema": {"type": "string"}}},
                        },
                        **_errors(401, 403, 422, 429),
                        "409": _json(
                            _ref("Error"),
                            "The clinic has not set its crisis contacts yet: no client can be"
                            " invited until a clinic admin sets them (Settings, Safety).",
                        ),
                    },  # fmt: skip
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "getOpenApi",
                    "summary": "This document",
                    "security": [],
                    "responses": {"200": _json({"type": "object"}, "The OpenAPI document.")},
                }
            },
        },
        "components": {
            "securitySchemes": {
                "token": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A clinic's API token (itk_...).",
                }
            },
            "schemas": _schemas(),
        },  # fmt: skip
    }


def _schemas() -> dict[str, Any]:
    links = {
        "type": "object",
        "required": ["self"],
        "properties": {k: {"type": "string"} for k in ("self", "scores", "fhir", "brief")},
        "additionalProperties": False,
    }
    intake = {
        "type": "object",
        "required": ["id", "status", "status_label", "client_name", "language", "source",
                     "urgent", "therapist", "questionnaires", "created_at", "expires_at",
                     "submitted_at", "reviewed_at", "links"],
        "properties": {
            "id": {"type": "integer"},
            "status": {"type": "string", "enum": [p.value for p in Progress]},
            "status_label": {"type": "string"},
            "client_name": {"type": "string"},
            "language": {"type": "string"},
            "source": {"type": "string"},
            "urgent": {"type": "boolean"},
            "therapist": {"oneOf": [
                {"type": "null"},
                {"type": "object", "required": ["id", "name"],
                 "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}},
            ]},
            "questionnaires": {"type": "array", "items": {
                "type": "object", "required": ["id", "version", "title"],
                "properties": {"id": {"type": "string"}, "version": {"type": "integer"},
                               "title": {"type": "string"}}}},
            "created_at": _WHEN, "expires_at": _WHEN, "submitted_at": _WHEN,
            "reviewed_at": _WHEN,
            "links": links,
        },
    }  # fmt: skip
    number = {"type": ["number", "null"]}
    measure = {
        "type": "object",
        "required": ["id", "label", "method", "score", "range", "status", "band", "codes"],
        "properties": {
            "id": {"type": "string"}, "label": {"type": "string"},
            "method": {"type": "string", "enum": ["mean", "sum"]},
            "score": number,
            "range": {"type": "array", "items": {"type": "number"}},
            "status": {"type": "string", "enum": ["scored", "prorated", "not_scored"]},
            "reason": {"type": ["string", "null"]},
            "band": {"type": ["string", "null"]},
            "band_label": {"type": ["string", "null"]},
            "items_used": {"type": "array", "items": {"type": "string"}},
            "items_missing": {"type": "array", "items": {"type": "string"}},
            "prorated_from": number,
            "codes": {"type": "array", "items": {"type": "object"}},
        },
    }  # fmt: skip
    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["status", "message"],
                    "properties": {
                        "status": {"type": "integer"},
                        "message": {"type": "string"},
                        "problems": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["field", "message"],
                                "properties": {
                                    "field": {"type": "string"},
                                    "message": {"type": "string"},
                                },
                            },
                        },
                    },
                }
            },
        },  # fmt: skip
        "Intake": intake,
        "IntakePage": {
            "type": "object",
            "required": ["data", "next"],
            "properties": {
                "data": {"type": "array", "items": _ref("Intake")},
                "next": {"type": ["string", "null"]},
            },
        },  # fmt: skip
        "Scores": {
            "type": "object",
            "required": ["intake_id", "parts"],
            "properties": {
                "intake_id": {"type": "integer"},
                "parts": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": [
                            "questionnaire",
                            "measures",
                            "flags",
                            "urgent",
                            "safety_unanswered",
                        ],
                        "properties": {
                            "questionnaire": {"type": "object", "required": ["id", "version"]},
                            "measures": {"type": "array", "items": measure},
                            "indices": {"type": "object"},
                            "flags": {"type": "array", "items": {"type": "string"}},
                            "urgent": {"type": "boolean"},
                            "safety_unanswered": {"type": "boolean"},
                        },
                    },
                },
            },
        },  # fmt: skip
        "Preparing": {
            "type": "object",
            "required": ["status", "message"],
            "properties": {"status": {"const": "preparing"}, "message": {"type": "string"}},
        },
        "InvitationRequest": {
            "type": "object",
            "required": ["client_name"],
            "additionalProperties": False,
            "properties": {
                "client_name": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 200,
                    "pattern": "^[^\\x00-\\x1f\\x7f]*\\S[^\\x00-\\x1f\\x7f]*$",
                },
                "email": {"type": ["string", "null"], "format": "email", "maxLength": 254},
                "phone": {
                    "type": ["string", "null"],
                    "maxLength": 40,
                    "pattern": "^[0-9+()\\-. /]*$",
                },
                "questionnaire": {
                    "type": ["string", "null"],
                    "maxLength": 64,
                    "description": "A questionnaire id; default: the clinic's.",
                },
                "questionnaires": {
                    "type": ["array", "null"],
                    "minItems": 1,
                    "maxItems": 5,
                    "items": {"type": "string", "maxLength": 64, "pattern": "^[a-z][a-z0-9_]*$"},
                    "description": "Several questionnaire ids, asked through one link in this"
                    " order (instead of 'questionnaire').",
                },
                "therapist_email": {"type": ["string", "null"], "format": "email"},
                "send_email": {"type": "boolean", "default": False},
            },
        },  # fmt: skip
        "Invitation": {
            "allOf": [
                _ref("Intake"),
                {
                    "type": "object",
                    "required": ["link", "emailed"],
                    "properties": {"link": {"type": "string"}, "emailed": {"type": "boolean"}},
                },
            ],
        },  # fmt: skip
    }
