"""Every staff route x {anonymous, therapist, admin} x {own clinic, other clinic}: one table.

A route in the app's URL map without a row in ROUTES fails test_every_staff_route_has_a_row.
To add a route, add one line to ROUTES with what each cell must answer:

- LOGIN: redirected to the sign-in page (the gate in intake/staff/__init__.py);
- 200, 302 (a redirect elsewhere), 403 (admins only), 404 (another clinic's record), 410 ...

URL arguments come from the clinic's objects in World by argument name (PARAMS), or from the
row's own `params`. GET routes are requested with GET; POST-only routes are posted with a
valid CSRF token and the row's `data`. Each cell is its own test on a fresh database.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient

from intake import lifecycle
from intake.accounts import tokens
from intake.accounts.auth import NO_PASSWORD, hash_password
from intake.db import db
from intake.models import Clinic, Intake, QuestionnaireDraft, QuestionnaireVersion, Staff
from tests.helpers import CRISIS_CONTACTS, PASSWORD, csrf_token, readiness_v2

LOGIN: Literal["login"] = "login"
Expect = int | Literal["login"]
HASH = hash_password(PASSWORD)
# The smallest valid PNG, as a clinic logo.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@dataclass
class Side:
    """One clinic and the records the URL arguments point at."""

    clinic: Clinic
    admin: Staff
    therapist: Staff
    colleague: Staff  # a therapist the admin pages act on
    invitee: Staff  # invited, has not joined yet
    intake: Intake
    draft_key: str
    invite_token: str
    reset_token: str


@dataclass(frozen=True)
class Row:
    """Expected answers: anonymous (either clinic), then (own clinic, other clinic) per role."""

    anonymous: Expect
    therapist: tuple[Expect, Expect]
    admin: tuple[Expect, Expect]
    data: dict[str, str] = field(default_factory=dict)
    params: dict[str, Callable[[Side], Any]] = field(default_factory=dict)


def public(status: int, **kw: Any) -> Row:
    """Anyone gets the same answer (sign-in, password reset, invitation links)."""
    return Row(status, (status, status), (status, status), **kw)


def staff(own: Expect, other: Expect = 404, **kw: Any) -> Row:
    """Any signed-in staff member; another clinic's record is 404."""
    return Row(LOGIN, (own, other), (own, other), **kw)


def admins(own: Expect, other: Expect = 404, **kw: Any) -> Row:
    """Clinic admins only; a therapist is refused before any record is looked up."""
    return Row(LOGIN, (403, 403), (own, other), **kw)


# URL arguments by name, taken from the clinic whose column is tested.
PARAMS: dict[str, Callable[[Side], Any]] = {
    "intake_id": lambda s: s.intake.id,
    "staff_id": lambda s: s.colleague.id,
    "key": lambda s: s.draft_key,
    "filename": lambda s: "screen.css",
}

ROUTES: dict[str, Row] = {
    # Accounts (intake/staff/accounts.py): public pages and sign-out.
    "staff.login": public(200),
    "staff.logout": staff(302, 302),
    "staff.forgot_password": public(200),
    "staff.reset_password": public(200, params={"token": lambda s: s.reset_token}),
    "staff.join": public(200, params={"token": lambda s: s.invite_token}),
    # The steps after the password: without a half-done sign-in, back to the sign-in page.
    "staff.login_choose": public(302),
    "staff.login_code": public(302),
    "staff.login_enrol": public(302),
    # One's own account (intake/staff/account.py).
    "staff.account": staff(200, 200),
    "staff.change_password": staff(200, 200),
    "staff.two_factor_setup": staff(200, 200),
    "staff.renew_recovery_codes": staff(302, 302),  # no two-factor yet: back to the account
    "staff.sign_out_elsewhere": staff(302, 302),
    # Team and audit log (intake/staff/admin.py, intake/staff/audit_log.py).
    "staff.team": admins(200, 200),
    "staff.invite_staff": admins(200, 200),
    "staff.member": admins(200),
    "staff.change_role": admins(302, data={"role": "admin"}),
    "staff.deactivate_staff": admins(302),
    "staff.reactivate_staff": admins(302),
    "staff.sign_out_member": admins(302),
    "staff.reset_two_factor": admins(302),
    "staff.resend_staff_invitation": admins(200, params={"staff_id": lambda s: s.invitee.id}),
    "staff.audit_log": admins(200, 200),
    # Dashboard and intakes (intake/staff/workspace.py, briefs.py, invitations.py).
    "staff.intakes": staff(200, 200),
    "staff.intake": staff(200),
    "staff.brief_pdf": staff(302),  # not submitted yet: back to the intake page
    "staff.retry_brief": staff(302),
    "staff.brief_asset": staff(200, 200),
    "staff.mark_reviewed": staff(302),
    "staff.record_follow_up": staff(302, data={"outcome": "tried"}),
    "staff.safety": staff(200, params={"intake_id": lambda s: _urgent(s).id}),
    "staff.reassign": staff(302, data={"therapist_id": ""}),
    "staff.invite": staff(200, 200),
    "staff.invitation": staff(200),
    # A client across intakes and their re-invitation (intake/staff/clients.py).
    "staff.client": staff(200, params={"client_id": lambda s: s.intake.client_id}),
    "staff.revoke": staff(302),
    "staff.resend": staff(302),
    "staff.remind": staff(302),
    # A client's data rights (intake/staff/rights.py).
    "staff.export_client": admins(200),
    "staff.erase_client": admins(200),
    "staff.close_link": staff(302),
    # Clinic settings and questionnaires (intake/staff/settings.py, questionnaires.py).
    "staff.settings": admins(200, 200),
    "staff.safety_settings": admins(200, 200),
    "staff.new_referral_link": admins(302, 302),
    "staff.logo": admins(200, 200),
    "staff.questionnaire_list": admins(200, 200),
    "staff.questionnaire_edit": admins(200),
    "staff.questionnaire_diff": admins(200),
    # Intake sets (intake/staff/intake_sets.py): another clinic's set is 404.
    "staff.intake_set_list": admins(200, 200),
    "staff.intake_set_new": admins(200, 200),
    "staff.intake_set_edit": admins(200, params={"set_id": lambda s: _set(s).id}),
    "staff.intake_set_delete": admins(200, params={"set_id": lambda s: _set(s).id}),
    # Exports (intake/staff/exports.py): the clinic's own intakes only, by construction.
    "staff.exports": admins(200, 200),
    "staff.export_csv": admins(200, 200),
    "staff.export_dictionary": admins(200, 200),
    "staff.export_fhir": admins(200, 200),
    # API tokens and the webhook (intake/staff/api_access.py).
    "staff.api_settings": admins(200, 200),
    "staff.api_token_revoke": admins(302, params={"token_id": lambda s: _token(s).id}),
    "staff.api_webhook": admins(200, 200),  # no address given: the page, with the error
}


def _set(side: Side) -> Any:
    """An intake set of the side's clinic (readiness, then the PHQ-9)."""
    from intake import intake_sets

    return intake_sets.save(side.clinic, "Standard", ["readiness", "phq9"])


def _urgent(side: Side) -> Intake:
    """The side's intake, flagged urgent while still in progress (its safety summary opens)."""
    side.intake.urgent, side.intake.urgent_at = True, side.intake.created_at
    db.session.commit()
    return side.intake


def _token(side: Side, scope: str = "read") -> Any:
    """An API token of the side's clinic (the row; its secret is in ._secret)."""
    from intake import api_tokens
    from intake.models import ApiScope

    row, secret = api_tokens.issue(side.clinic.id, "System", ApiScope(scope), side.admin.id)
    row._secret = secret
    return row


def _staff(clinic: Clinic, email: str, role: str = "therapist", joined: bool = True) -> Staff:
    person = Staff(
        clinic_id=clinic.id,
        email=email,
        name=email.split("@")[0].title(),
        role=role,
        password_hash=HASH if joined else NO_PASSWORD,
    )
    db.session.add(person)
    db.session.flush()
    return person


def _side(slug: str) -> Side:
    clinic = Clinic(
        slug=slug,
        name=f"{slug.title()} Practice",
        logo=PNG,
        logo_mime="image/png",
        **CRISIS_CONTACTS,
    )
    db.session.add(clinic)
    db.session.flush()
    admin = _staff(clinic, f"admin@{slug}.example", "admin")
    therapist = _staff(clinic, f"therapist@{slug}.example")
    colleague = _staff(clinic, f"colleague@{slug}.example")
    invitee = _staff(clinic, f"invitee@{slug}.example", joined=False)
    invite_token = tokens.issue(invitee, tokens.INVITE, timedelta(days=1))
    reset_token = tokens.issue(therapist, tokens.RESET, timedelta(hours=1))
    db.session.commit()
    version = readiness_v2()
    assert version is not None
    intake = lifecycle.invite(
        clinic, "Alex Client", version, therapist, email=f"alex@{slug}.example"
    )
    # Directly, not drafts.create_copy: its YAML round trip would triple each cell's time.
    draft = QuestionnaireDraft(
        clinic_id=clinic.id,
        key=f"{slug}-form",
        source=re.sub(r"(?m)^id: .*$", f"id: {slug}-form", version.source, count=1),
        based_on_id=version.id,
        updated_by_id=admin.id,
    )
    db.session.add(draft)
    db.session.commit()
    return Side(
        clinic, admin, therapist, colleague, invitee, intake, draft.key, invite_token, reset_token
    )


@pytest.fixture
def world(app: Flask) -> dict[str, Side]:
    """Two clinics with the same kinds of records: the signed-in user's and another."""
    return {"own": _side("own"), "other": _side("other")}


def _rules(app: Flask, endpoint: str) -> list[Any]:
    return [r for r in app.url_map.iter_rules() if r.endpoint == endpoint]


def staff_endpoints(app: Flask) -> set[str]:
    """Every endpoint of the staff area: the staff blueprint and anything under /staff."""
    return {
        r.endpoint
        for r in app.url_map.iter_rules()
        if r.endpoint.startswith("staff.") or r.rule.startswith("/staff")
    }


def test_every_staff_route_has_a_row(app: Flask) -> None:
    endpoints = staff_endpoints(app)
    missing = sorted(endpoints - ROUTES.keys())
    stale = sorted(ROUTES.keys() - endpoints)
    assert not missing, f"add a row to ROUTES in tests/test_access_matrix.py for: {missing}"
    assert not stale, f"ROUTES has rows for routes that no longer exist: {stale}"


def _check(response: Any, expected: Expect, cell: str) -> None:
    location = response.headers.get("Location", "")
    if expected == LOGIN:
        assert response.status_code == 302 and location.startswith("/staff/login?next="), (
            f"{cell}: expected the sign-in gate, got {response.status_code} {location}"
        )
        return
    assert response.status_code == expected, (
        f"{cell}: expected {expected}, got "
        + str(response.status_code)
        + (f" -> {location}" if location else "")
    )
    if expected == 302:
        assert not location.startswith("/staff/login?next="), f"{cell}: sent to sign in"


@pytest.mark.parametrize("whose", ["own", "other"])
@pytest.mark.parametrize("who", ["anonymous", "therapist", "admin"])
@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_access(
    app: Flask,
    client: FlaskClient,
    login: Any,
    world: dict[str, Side],
    endpoint: str,
    who: str,
    whose: str,
) -> None:
    row = ROUTES[endpoint]
    rules = _rules(app, endpoint)
    assert rules, f"{endpoint} has a row in ROUTES but no route"
    if who == "anonymous":
        expected: Expect = row.anonymous
    else:
        own, other = row.therapist if who == "therapist" else row.admin
        expected = own if whose == "own" else other
        login(getattr(world["own"], who).email)
    side = world[whose]
    for rule in rules:
        sources = {**PARAMS, **row.params}
        unknown = rule.arguments - sources.keys()
        assert not unknown, f"{endpoint}: give `params` (or PARAMS) for {sorted(unknown)}"
        values = {arg: sources[arg](side) for arg in rule.arguments}
        with app.test_request_context():
            url = url_for(endpoint, **values)
        if "GET" in rule.methods:
            response = client.get(url)
        else:
            token = csrf_token(client, "/staff/login")
            response = client.post(url, data={**row.data, "csrf_token": token})
        with response:  # file responses hold their file open until closed
            _check(response, expected, f"{endpoint} {who} {whose}: {rule.methods} {url}")


# The JSON API (intake/api/): the token names the clinic; no session counts.


@dataclass(frozen=True)
class ApiRow:
    """Expected answers: no token, then (own clinic, other clinic) per token scope.

    A revoked token gets what no token gets.
    """

    no_token: int
    read: tuple[int, int]
    invite: tuple[int, int]
    json: dict[str, Any] | None = None
    params: dict[str, Callable[[Side], Any]] = field(default_factory=dict)


def api(no_token: int, own: int, other: int | None = None, **kw: Any) -> ApiRow:
    """Any token may; another clinic's records are 404 (or the same when none is named)."""
    other = own if other is None else other
    return ApiRow(no_token, (own, other), (own, other), **kw)


def _version(side: Side) -> int:
    """A questionnaire version of the side's own clinic."""
    builtin = readiness_v2()
    assert builtin is not None
    row = QuestionnaireVersion(
        clinic_id=side.clinic.id,
        key="own_copy",
        version=1,
        title="Own copy",
        source=builtin.source,
        sha256=builtin.sha256,
    )
    db.session.add(row)
    db.session.commit()
    return row.id


API_ROUTES: dict[str, ApiRow] = {
    "api.openapi": api(200, 200),
    "api.intakes": api(401, 200),
    "api.intake": api(401, 200, 404),
    # The world's intakes are not submitted yet: 409 for one's own.
    "api.scores": api(401, 409, 404),
    "api.intake_fhir": api(401, 409, 404),
    "api.brief": api(401, 409, 404),
    "api.clinic_fhir": api(401, 200),
    "api.questionnaire_fhir": api(401, 200, 404, params={"version_id": _version}),
    "api.create_invitation": ApiRow(401, (403, 403), (201, 201), json={"client_name": "Kim"}),
}


def test_every_api_route_has_a_row(app: Flask) -> None:
    endpoints = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("api.")}
    assert endpoints == API_ROUTES.keys(), sorted(endpoints ^ API_ROUTES.keys())


@pytest.mark.parametrize("whose", ["own", "other"])
@pytest.mark.parametrize("who", ["no_token", "read", "invite", "revoked"])
@pytest.mark.parametrize("endpoint", sorted(API_ROUTES))
def test_api_access(
    app: Flask,
    client: FlaskClient,
    login: Any,
    world: dict[str, Side],
    endpoint: str,
    who: str,
    whose: str,
) -> None:
    row = API_ROUTES[endpoint]
    login(world["own"].admin.email)  # a signed-in browser's cookie opens nothing here
    headers: dict[str, str] = {}
    if who != "no_token":
        token = _token(world["own"], "read_invite" if who == "invite" else "read")
        headers["Authorization"] = f"Bearer {token._secret}"
        if who == "revoked":
            from intake import api_tokens

            api_tokens.revoke(token, world["own"].admin.id)
    if who in ("no_token", "revoked"):
        expected = 200 if endpoint == "api.openapi" else row.no_token
    else:
        own, other = row.read if who == "read" else row.invite
        expected = own if whose == "own" else other
    side = world[whose]
    (rule,) = _rules(app, endpoint)
    sources = {**PARAMS, **row.params}
    values = {arg: sources[arg](side) for arg in rule.arguments}
    with app.test_request_context():
        url = url_for(endpoint, **values)
    if "GET" in (rule.methods or ()):
        response = client.get(url, headers=headers)
    else:
        response = client.post(url, json=row.json, headers=headers)
    with response:
        assert response.status_code == expected, f"{endpoint} {who} {whose}: {url}"
        assert response.is_json or response.mimetype in ("application/fhir+json",)
