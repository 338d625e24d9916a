"""The live API against its own OpenAPI 3.1 document, property-based (schemathesis): no server
error and no answer that contradicts the document, for data that fits it and data that does
not, with a token that may read and invite.

Bounded for CI: a fixed number of generated requests per operation and mode, derandomized.
(Schemathesis' pytest loader does not run on pytest 9.2, so its Hypothesis strategies are
driven here directly, as its documentation shows for tests of one's own.)
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy import select

from intake import api_tokens
from intake.api.openapi import document
from intake.db import db
from intake.models import ApiScope, Staff
from tests.helpers import EXAMPLE_A, submitted

# Per operation and mode: enough to reach every parameter's edges, few enough for CI.
EXAMPLES = 25
OPERATIONS = [
    (method.upper(), path)
    for path, methods in document("http://localhost/api/v1")["paths"].items()
    for method in methods
]


@pytest.fixture
def token(app: Flask, make_clinic: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """A read-and-invite token of a clinic with a submitted intake; another clinic has one."""
    monkeypatch.setitem(app.config, "THROTTLE_RULES", {"api_token": "100000/minute"})
    clinic_id, _ = make_clinic()
    submitted(clinic_id, "readiness", dict(EXAMPLE_A))
    other_id, _ = make_clinic("south")
    submitted(other_id, "readiness", dict(EXAMPLE_A))
    staff = db.session.scalar(select(Staff).where(Staff.clinic_id == clinic_id))
    assert staff is not None
    return api_tokens.issue(clinic_id, "Schema test", ApiScope.READ_INVITE, staff.id)[1]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_the_api_keeps_to_its_document(
    app: Flask, token: str, method: str, path: str, mode: GenerationMode
) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = schema[path][method]
    if mode is GenerationMode.NEGATIVE and path == "/openapi.json":
        pytest.skip("takes nothing, so nothing can be wrong with what it is sent")
    headers = {"Authorization": f"Bearer {token}"}
    # Valid-looking invitations may name a questionnaire or therapist the clinic does not
    # have: a documented 422 the document's types cannot foresee.
    excluded = [positive_data_acceptance] if path == "/invitations" else []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def check(case: Any) -> None:
        case.call_and_validate(headers=headers, excluded_checks=excluded)

    check()
