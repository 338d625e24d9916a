"""The JSON API: tokens issued on the staff page (shown once, hashed, revocable, scoped, every
use audited), its read endpoints and invitations, the per-token limit, and the webhook."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from intake import api_tokens, crypto, webhooks
from intake.db import db
from intake.models import ApiScope, ApiToken, AuditEvent, Clinic, Intake, Staff
from tests.helpers import audit_actions, csrf_token, fhir_valid, post_form, submitted

PHQ9 = {f"phq9_{n}": v for n, v in enumerate([2, 2, 2, 1, 1, 1, 0, 0, 0], start=1)}


def issue(clinic_id: int, scope: ApiScope = ApiScope.READ) -> str:
    admin = db.session.scalar(select(Staff).where(Staff.clinic_id == clinic_id))
    assert admin is not None
    return api_tokens.issue(clinic_id, "Practice system", scope, admin.id)[1]


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_an_admin_issues_a_token_shown_once_and_stored_hashed(
    client: FlaskClient, admin: int
) -> None:
    page = post_form(client, "/staff/api", {"name": "PracticePal", "scope": "read_invite"})
    text = page.get_data(as_text=True)
    token = text.split('<code class="secret">')[1].split("</code>")[0]
    assert token.startswith("itk_") and len(token) > 40
    row = db.session.scalar(select(ApiToken))
    assert row is not None and row.scope == ApiScope.READ_INVITE
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in json.dumps([e.detail for e in db.session.scalars(select(AuditEvent))])
    again = client.get("/staff/api").get_data(as_text=True)
    assert token not in again and row.hint in again  # never shown again, only its start
    assert client.get("/api/v1/intakes", headers=auth(token)).status_code == 200
    revoked = client.post(f"/staff/api/tokens/{row.id}/revoke",
                          data={"csrf_token": csrf_token(client, "/staff/api")})  # fmt: skip
    assert revoked.status_code == 302
    assert client.get("/api/v1/intakes", headers=auth(token)).status_code == 401
    assert [e.action for e in audit_actions("api.token_created")] == ["api.token_created"]
    assert audit_actions("api.token_revoked")


def test_therapists_cannot_manage_tokens(
    client: FlaskClient, make_clinic: Any, login: Any
) -> None:
    _, email = make_clinic()
    login(email)
    assert client.get("/staff/api").status_code == 403


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer itk_nope", "Basic dXNlcjpwYXNz", "Bearer " + "itk_" + "a" * 200],
)
def test_no_valid_token_no_data(client: FlaskClient, header: str | None) -> None:
    headers = {"Authorization": header} if header is not None else {}
    response = client.get("/api/v1/intakes", headers=headers)
    assert response.status_code == 401
    assert response.json["error"]["status"] == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_reading_intakes_scores_fhir_and_the_brief(
    app: Flask, client: FlaskClient, make_clinic: Any
) -> None:
    clinic_id, _ = make_clinic()
    intake = submitted(clinic_id, "phq9", PHQ9)
    token = issue(clinic_id)
    listed = client.get("/api/v1/intakes?status=submitted&limit=5", headers=auth(token))
    assert listed.status_code == 200
    (row,) = listed.json["data"]
    assert row["id"] == intake.id and row["status"] == "submitted"
    assert row["questionnaires"] == [{"id": "phq9", "version": 2,
                                      "title": row["questionnaires"][0]["title"]}]  # fmt: skip
    assert "answers" not in row and "phq9_1" not in json.dumps(row)
    scores = client.get(f"/api/v1/intakes/{intake.id}/scores", headers=auth(token)).json
    (measure,) = scores["parts"][0]["measures"]
    assert (measure["id"], measure["score"], measure["band"]) == ("phq9_total", 9, "mild")
    assert measure["codes"][0]["code"] == "44261-6"
    bundle = client.get(f"/api/v1/intakes/{intake.id}/fhir", headers=auth(token))
    assert bundle.mimetype == "application/fhir+json"
    fhir_valid(bundle.json)
    pdf = client.get(f"/api/v1/intakes/{intake.id}/brief.pdf", headers=auth(token))
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    clinic = client.get("/api/v1/fhir?from=2000-01-01", headers=auth(token))
    fhir_valid(json.loads(clinic.data))
    version = client.get(f"/api/v1/questionnaires/{intake.questionnaire_id}/fhir",
                         headers=auth(token))  # fmt: skip
    assert fhir_valid(version.json).id == f"q-{intake.questionnaire_id}"
    uses = audit_actions("api.request")
    assert len(uses) == 6 and all(u.actor_id is None for u in uses)
    assert uses[0].detail["path"] == "/api/v1/intakes" and uses[0].detail["status"] == 200


def test_another_clinics_records_are_not_found(client: FlaskClient, make_clinic: Any) -> None:
    own, _ = make_clinic()
    other, _ = make_clinic("south")
    theirs = submitted(other, "phq9", PHQ9)
    token = issue(own)
    for path in ("", "/scores", "/fhir", "/brief.pdf"):
        response = client.get(f"/api/v1/intakes/{theirs.id}{path}", headers=auth(token))
        assert response.status_code == 404, path
        assert response.json["error"]["status"] == 404
    assert client.get("/api/v1/intakes", headers=auth(token)).json["data"] == []
    clinic_bundle = json.loads(client.get("/api/v1/fhir", headers=auth(token)).data)
    assert "entry" in clinic_bundle and clinic_bundle["entry"] == []


def test_not_yet_submitted_and_bad_parameters(client: FlaskClient, make_clinic: Any,
                                              make_intake: Any) -> None:  # fmt: skip
    clinic_id, _ = make_clinic()
    open_ = make_intake(clinic_id)
    token = issue(clinic_id)
    assert client.get(f"/api/v1/intakes/{open_.id}/scores", headers=auth(token)).status_code == 409
    for query in ("status=lost", "limit=0", "limit=abc", "submitted_from=2026-13-01",
                  "before=-1"):  # fmt: skip
        response = client.get(f"/api/v1/intakes?{query}", headers=auth(token))
        assert response.status_code == 400, query
    assert client.get("/api/v1/nowhere", headers=auth(token)).json["error"]["status"] == 404
    response = client.delete("/api/v1/intakes", headers=auth(token))
    assert response.status_code == 405 and response.json["error"]["status"] == 405


def test_pages_follow_next_links(client: FlaskClient, make_clinic: Any, make_intake: Any) -> None:
    clinic_id, _ = make_clinic()
    made = [make_intake(clinic_id, f"Client {n}").id for n in range(5)]
    token = issue(clinic_id)
    seen: list[int] = []
    url: str | None = "/api/v1/intakes?limit=2"
    while url:
        page = client.get(url, headers=auth(token)).json
        seen += [row["id"] for row in page["data"]]
        url = page["next"]
    assert seen == sorted(made, reverse=True)


def test_an_invitation_needs_the_invite_scope(client: FlaskClient, make_clinic: Any) -> None:
    clinic_id, email = make_clinic()
    body = {"client_name": "Robin Vega", "email": "robin@example.com",
            "questionnaire": "gad7", "therapist_email": email.upper()}  # fmt: skip
    read_only = issue(clinic_id)
    refused = client.post("/api/v1/invitations", json=body, headers=auth(read_only))
    assert refused.status_code == 403
    assert db.session.scalar(select(Intake)) is None
    invite = issue(clinic_id, ApiScope.READ_INVITE)
    created = client.post("/api/v1/invitations", json=body, headers=auth(invite))
    assert created.status_code == 201, created.json
    intake = db.session.get(Intake, created.json["id"])
    assert intake is not None and intake.client_name == "Robin Vega"
    assert intake.questionnaire.key == "gad7" and intake.therapist is not None
    token = created.json["link"].rsplit("/", 1)[1]
    assert intake.token_hash == crypto.token_hash(token)
    assert created.headers["Location"].endswith(f"/api/v1/intakes/{intake.id}")
    assert audit_actions("client.invited")


def test_an_invitation_waits_for_the_clinics_crisis_contacts(
    client: FlaskClient, make_clinic: Any
) -> None:
    clinic_id, _ = make_clinic()
    invite = issue(clinic_id, ApiScope.READ_INVITE)
    clinic = db.session.get(Clinic, clinic_id)
    assert clinic is not None
    clinic.phone_region = "GB"
    db.session.commit()
    body = {"client_name": "Robin Vega", "phone": "020 7946 0958"}
    created = client.post("/api/v1/invitations", json=body, headers=auth(invite))
    assert created.status_code == 201, created.json
    intake = db.session.get(Intake, created.json["id"])
    assert intake is not None and intake.phone == "+442079460958"  # E.164, as staff store it
    local = client.post("/api/v1/invitations", json={**body, "phone": "12"}, headers=auth(invite))
    assert local.status_code == 422
    assert [p["field"] for p in local.json["error"]["problems"]] == ["phone"]
    clinic.emergency_number, clinic.crisis_texts = None, {}
    db.session.commit()
    refused = client.post("/api/v1/invitations", json=body, headers=auth(invite))
    assert refused.status_code == 409
    assert "has not set its crisis contacts yet" in refused.json["error"]["message"]
    assert db.session.scalar(select(func.count()).select_from(Intake)) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "client_name"),
        ({"client_name": ""}, "client_name"),
        ({"client_name": "A\nB"}, "client_name"),
        ({"client_name": "A", "email": "not-an-email"}, "email"),
        ({"client_name": "A", "questionnaire": "nope"}, "questionnaire"),
        ({"client_name": "A", "therapist_email": "x@elsewhere.example"}, "therapist_email"),
        ({"client_name": "A", "send_email": True}, "send_email"),
        ({"client_name": "A", "extra": 1}, "extra"),
        ({"client_name": "A", "phone": "call me"}, "phone"),
    ],
)
def test_invalid_invitations_say_which_field(
    client: FlaskClient, make_clinic: Any, body: dict[str, Any], field: str
) -> None:
    clinic_id, _ = make_clinic()
    token = issue(clinic_id, ApiScope.READ_INVITE)
    response = client.post("/api/v1/invitations", json=body, headers=auth(token))
    assert response.status_code == 422
    assert field in [p["field"] for p in response.json["error"]["problems"]]
    assert db.session.scalar(select(Intake)) is None
    not_json = client.post("/api/v1/invitations", data="x", headers=auth(token))
    assert not_json.status_code == 422


def test_each_token_is_rate_limited(
    app: Flask, client: FlaskClient, make_clinic: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "THROTTLE_RULES", {"api_token": "3/minute"})
    clinic_id, _ = make_clinic()
    first, second = issue(clinic_id), issue(clinic_id)
    codes = [client.get("/api/v1/intakes", headers=auth(first)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = client.get("/api/v1/intakes", headers=auth(first))
    assert int(limited.headers["Retry-After"]) > 0
    assert client.get("/api/v1/intakes", headers=auth(second)).status_code == 200
    assert [e.detail["status"] for e in audit_actions("api.request")][-3:] == [429, 429, 200]


class _Receiver(BaseHTTPRequestHandler):
    answers: list[int] = []
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.received.append((dict(self.headers), body))
        self.send_response(_Receiver.answers.pop(0) if _Receiver.answers else 204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    """A practice system's webhook endpoint on loopback."""
    _Receiver.answers, _Receiver.received = [], []
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook"
    finally:
        server.shutdown()
        server.server_close()


def test_a_submission_calls_the_signed_webhook_and_retries(
    app: Flask, client: FlaskClient, admin: int, receiver: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_DELAYS", (0,))
    page = client.post(
        "/staff/api/webhook",
        data={"url": receiver, "action": "save", "csrf_token": csrf_token(client, "/staff/api")},
    )
    secret = page.get_data(as_text=True).split('<code class="secret">')[1].split("</code>")[0]
    _Receiver.answers = [500, 503]  # the practice system is down twice, then answers
    intake = submitted(admin, "phq9", PHQ9)
    assert len(_Receiver.received) == 3
    headers, body = _Receiver.received[-1]
    stamp = headers["X-Intake-Timestamp"]
    expected = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256)
    assert headers["X-Intake-Signature"] == "sha256=" + expected.hexdigest()
    event = json.loads(body)
    assert event["event"] == "intake.submitted" and event["intake_id"] == intake.id
    assert event["links"]["fhir"].endswith(f"/api/v1/intakes/{intake.id}/fhir")
    assert "phq9_1" not in body.decode() and "Sam Rivera" not in body.decode()  # ids only
    assert [e.detail["status"] for e in audit_actions("api.webhook_failed")] == [500, 503]
    assert [e.detail["status"] for e in audit_actions("api.webhook_delivered")] == [204]


def test_production_webhooks_reach_only_public_https(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "PRODUCTION", True)
    for url in (
        "http://example.com/hook",
        "https://127.0.0.1/hook",
        "https://10.0.0.8/x",
        "https://localhost/x",
        "ftp://example.com/",
        "https://user:pw@example.com/",
    ):
        with pytest.raises(webhooks.Refused):
            webhooks.check_url(url)
