"""The API's endpoints: intakes, their scores, FHIR resources and brief PDF, a clinic's FHIR
Bundle for a date range, creating an invitation, and the OpenAPI document."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import Response, current_app, jsonify, request, stream_with_context, url_for
from pydantic import ValidationError
from sqlalchemy import func, select
from werkzeug.wrappers import Response as BaseResponse

from .. import catalogue, clinics, dashboard, intake_sets, lifecycle, phones
from ..brief import jobs
from ..db import db
from ..exports import fhir, parts_of
from ..models import Clinic, Intake, IntakeStatus, Progress, QuestionnaireVersion, Staff
from ..scoring import summary
from ..web import MAX_ID
from . import bp, error, may_invite, token
from .forms import InvitationRequest
from .openapi import document

FHIR_JSON = "application/fhir+json"
MAX_PAGE = 100


def _intake_or_404(intake_id: int) -> Intake | None:
    """One of the token's clinic's intakes; another clinic's is indistinguishable from none."""
    found: Intake | None = db.session.scalar(
        select(Intake).where(
            Intake.id == intake_id,
            Intake.clinic_id == token().clinic_id,
            Intake.status != IntakeStatus.ERASED,
        )
    )
    return found


def _when(value: Any) -> str | None:
    return value.replace(microsecond=0).isoformat() + "Z" if value else None


def intake_json(intake: Intake) -> dict[str, Any]:
    """An intake as the API shows it: state, dates, questionnaires, links; never answers."""
    progress = intake.progress
    links = {"self": url_for("api.intake", intake_id=intake.id, _external=True)}
    if intake.submitted:
        links["scores"] = url_for("api.scores", intake_id=intake.id, _external=True)
        links["fhir"] = url_for("api.intake_fhir", intake_id=intake.id, _external=True)
        links["brief"] = url_for("api.brief", intake_id=intake.id, _external=True)
    therapist = intake.therapist
    return {
        "id": intake.id,
        "status": progress.value,
        "status_label": progress.label,
        "client_name": intake.client_name,
        "language": intake.language,
        "source": intake.source,
        "urgent": intake.urgent,
        "therapist": {"id": therapist.id, "name": therapist.name} if therapist else None,
        "questionnaires": [
            {"id": version.key, "version": version.version, "title": version.title}
            for version in intake_sets.versions_of(intake)
        ],  # fmt: skip
        "created_at": _when(intake.created_at),
        "expires_at": _when(intake.expires_at),
        "submitted_at": _when(intake.submitted_at),
        "reviewed_at": _when(intake.reviewed_at),
        "links": links,
    }


def _date_arg(name: str) -> date | None:
    value = request.args.get(name)
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _BadRequest(f"'{name}' must be a date written as YYYY-MM-DD") from None


class _BadRequest(Exception):
    pass


# The query parameters each endpoint takes (as the OpenAPI document says); others are refused,
# so a misspelt filter never silently returns everything.
QUERY = {
    "api.intakes": {"status", "submitted_from", "submitted_to", "limit", "before"},
    "api.clinic_fhir": {"from", "to"},
}


@bp.before_request
def _known_parameters() -> None:
    unknown = set(request.args) - QUERY.get(str(request.endpoint), set())
    if unknown and request.endpoint != "api.openapi":
        raise _BadRequest("unknown query parameter: " + ", ".join(sorted(unknown))[:200])


@bp.errorhandler(_BadRequest)
def _bad_request(exc: _BadRequest) -> BaseResponse:
    return error(400, str(exc))


@bp.get("/intakes")
def intakes() -> BaseResponse:
    """The clinic's intakes, newest first, a page at a time (`after` is the last id seen)."""
    query = select(Intake).where(
        Intake.clinic_id == token().clinic_id, Intake.status != IntakeStatus.ERASED
    )
    status = request.args.get("status")
    if status is not None:
        if status not in {p.value for p in Progress}:
            raise _BadRequest("'status' is one of " + ", ".join(p.value for p in Progress))
        query = query.where(dashboard.progress_is(Progress(status)))
    start, end = _date_arg("submitted_from"), _date_arg("submitted_to")
    if start or end:
        from ..exports import submitted_between

        ids = submitted_between(token().clinic_id, start, end).with_only_columns(Intake.id)
        query = query.where(Intake.id.in_(ids.order_by(None)))
    limit = _int_arg("limit", 50, 1, MAX_PAGE) or 50
    before = _int_arg("before", None, 1, MAX_ID)
    if before is not None:
        query = query.where(Intake.id < before)
    rows = list(db.session.scalars(query.order_by(Intake.id.desc()).limit(limit + 1)))
    page, more = rows[:limit], len(rows) > limit
    args = {k: v for k, v in request.args.items() if k != "before"}
    following = (
        url_for("api.intakes", _external=True, **args, before=page[-1].id) if more else None
    )
    return jsonify({"data": [intake_json(i) for i in page], "next": following})


def _int_arg(name: str, default: int | None, low: int, high: int) -> int | None:
    value = request.args.get(name)
    if value is None:
        return default
    if not value.isdigit() or not low <= int(value) <= high:
        raise _BadRequest(f"'{name}' must be a whole number from {low} to {high}")
    return int(value)


@bp.get("/intakes/<int:intake_id>")
def intake(intake_id: int) -> BaseResponse:
    """One intake."""
    found = _intake_or_404(intake_id)
    return jsonify(intake_json(found)) if found else error(404)


@bp.get("/intakes/<int:intake_id>/scores")
def scores(intake_id: int) -> BaseResponse:
    """Each answered part's measures on their own scale, bands, flags and the safety state."""
    found = _intake_or_404(intake_id)
    if found is None:
        return error(404)
    if not found.submitted:
        return error(409)
    parts = []
    for part in parts_of(found):
        scored = summary(part.definition, part.result)
        parts.append({"questionnaire": {"id": part.version.key, "version": part.version.version},
                      **{k: scored[k] for k in ("measures", "indices", "flags", "urgent",
                                                 "safety_unanswered")}})  # fmt: skip
    return jsonify({"intake_id": found.id, "parts": parts})


@bp.get("/intakes/<int:intake_id>/fhir")
def intake_fhir(intake_id: int) -> BaseResponse:
    """The intake's FHIR Bundle: Questionnaire, QuestionnaireResponse, Observations."""
    found = _intake_or_404(intake_id)
    if found is None:
        return error(404)
    if not found.submitted:
        return error(409)
    return Response(json.dumps(fhir.intake_bundle(found), ensure_ascii=False), mimetype=FHIR_JSON)


@bp.get("/intakes/<int:intake_id>/brief.pdf")
def brief(intake_id: int) -> BaseResponse:
    """The brief's PDF; 202 with Retry-After while it is being prepared."""
    found = _intake_or_404(intake_id)
    if found is None:
        return error(404)
    if not found.submitted:
        return error(409)
    stored = jobs.current_pdf(found)
    if stored is None or stored.pdf is None:
        response = jsonify({"status": "preparing", "message": "The PDF is being prepared."})
        response.status_code = 202
        response.headers["Retry-After"] = "10"
        return response
    return Response(
        stored.pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="brief-{found.id}.pdf"'},
    )


@bp.get("/fhir")
def clinic_fhir() -> BaseResponse:
    """The clinic's submitted intakes in a date range as one FHIR Bundle, streamed."""
    start, end = _date_arg("from"), _date_arg("to")  # 'to' before 'from': nothing in between
    chunks = fhir.clinic_bundle_json(token().clinic_id, start, end)
    return Response(stream_with_context(chunks), mimetype=FHIR_JSON)


@bp.get("/questionnaires/<int:version_id>/fhir")
def questionnaire_fhir(version_id: int) -> BaseResponse:
    """One stored questionnaire version (built-in or the clinic's) as a FHIR Questionnaire."""
    version = db.session.get(QuestionnaireVersion, version_id)
    if version is None or version.clinic_id not in (None, token().clinic_id):
        return error(404)
    resource = fhir.questionnaire_resource(version)
    return Response(json.dumps(resource, ensure_ascii=False), mimetype=FHIR_JSON)


@bp.post("/invitations")
def create_invitation() -> BaseResponse:
    """Invite a client (a read-and-invite token): the intake and its link, emailed if asked."""
    if not may_invite():
        return error(403)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return error(422, 'Send a JSON object such as {"client_name": "Sam Rivera"}.')
    try:
        wanted = InvitationRequest.model_validate(body)
    except ValidationError as exc:
        problems = [
            {"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"]}
            for e in exc.errors(include_url=False, include_input=False)
        ]
        return error(422, problems=problems)
    clinic = db.session.get(Clinic, token().clinic_id)
    assert clinic is not None
    if missing := clinics.missing_crisis_contacts(clinic):
        # As on the staff page: no client meets a safety question before these are set.
        return error(409, str(clinics.CrisisContactsMissing(clinic, missing)))
    fallback = current_app.config["DEFAULT_QUESTIONNAIRE"]
    version = (
        catalogue.latest_for(clinic.id, wanted.questionnaire)
        if wanted.questionnaire
        else catalogue.default_for(clinic, fallback)
    )
    if version is None:
        problem = {"field": "questionnaire", "message": "no such questionnaire at this clinic"}
        return error(422, problems=[problem])
    asked: QuestionnaireVersion | list[QuestionnaireVersion] = version
    if wanted.questionnaires:
        if wanted.questionnaire:
            problem = {
                "field": "questionnaires",
                "message": "give questionnaire or questionnaires",
            }
            return error(422, problems=[problem])
        try:
            asked = intake_sets.resolve(clinic.id, wanted.questionnaires)
        except intake_sets.BundleError as exc:
            problems = [{"field": "questionnaires", "message": p} for p in exc.problems]
            return error(422, problems=problems)
    therapist = None
    if wanted.therapist_email:
        therapist = db.session.scalar(
            select(Staff).where(
                Staff.clinic_id == clinic.id,
                Staff.active.is_(True),
                func.lower(Staff.email) == str(wanted.therapist_email).lower(),
            )  # fmt: skip
        )
        if therapist is None:
            problem = {"field": "therapist_email", "message": "no active staff member here"}
            return error(422, problems=[problem])
    if wanted.send_email and not wanted.email:
        problem = {"field": "send_email", "message": "sending the link needs an email"}
        return error(422, problems=[problem])
    phone = None
    if wanted.phone:
        # Read in the clinic's phone region and stored in E.164, as the staff form does.
        try:
            phone = phones.parse(wanted.phone, clinic.phone_region)
        except phones.PhoneError as exc:
            problem = {"field": "phone", "message": phones.STAFF_MESSAGES[exc.reason]}
            return error(422, problems=[problem])
    created = lifecycle.invite(
        clinic,
        wanted.client_name,
        asked,
        therapist,
        email=str(wanted.email) if wanted.email else None,
        phone=phone,
        emailed=wanted.send_email,
    )
    emailed = wanted.send_email and lifecycle.send_link(created) != "failed"
    out = {**intake_json(created), "link": lifecycle.client_link(created), "emailed": emailed}
    response = jsonify(out)
    response.status_code = 201
    response.headers["Location"] = out["links"]["self"]
    return response


@bp.get("/openapi.json")
def openapi() -> BaseResponse:
    """The OpenAPI 3.1 description of this API."""
    return jsonify(document(url_for("api.openapi", _external=True).rsplit("/", 1)[0]))
