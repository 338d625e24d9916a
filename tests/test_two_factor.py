"""Two-factor sign-in (TOTP): enrolment with a QR code drawn here, codes that work once,
recovery codes stored hashed, a clinic-wide requirement, an admin's reset, all audited."""

from __future__ import annotations

import re
import time
from typing import Any

import pyotp
from flask import current_app
from flask.testing import FlaskClient
from sqlalchemy import select

from intake.db import db
from intake.models import AuditEvent, Clinic, RecoveryCode, Role, Staff
from tests.helpers import PASSWORD, csrf_token, post_form, signed_in, switch_browser

SECRET_RE = re.compile(r'<code class="secret">([A-Z2-7 ]+)</code>')
CODES_RE = re.compile(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>")


def actions(name: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == name)))


def staff(email: str) -> Staff:
    db.session.expire_all()
    found = db.session.scalar(select(Staff).where(Staff.email == email))
    assert found is not None
    return found


def sign_in(client: FlaskClient, email: str) -> Any:
    switch_browser()
    response = post_form(client, "/staff/login", {"email": email, "password": PASSWORD})
    switch_browser()
    return response


def enrol(client: FlaskClient, url: str) -> tuple[str, list[str]]:
    """Scan (read the key off the page), type the app's code; the secret and recovery codes."""
    page = client.get(url).get_data(as_text=True)
    assert "<svg" in page and "QR code for your authenticator app" in page
    secret = SECRET_RE.search(page)
    assert secret, page
    key = secret.group(1).replace(" ", "")
    # The secret waits for its first code in the session cookie, sealed (the cookie is signed,
    # not encrypted): whoever reads the cookie cannot make codes with it.
    held = client.get_cookie("session")
    assert held is not None
    serializer = current_app.session_interface.get_signing_serializer(current_app)  # type: ignore[attr-defined]
    assert key not in str(serializer.loads(held.value))
    wrong = post_form(
        client, url, {"code": "000000" if pyotp.TOTP(key).now() != "000000" else "1"}
    )
    assert "That code is not right" in wrong.get_data(as_text=True)
    done = post_form(client, url, {"code": pyotp.TOTP(key).now()})
    codes = CODES_RE.findall(done.get_data(as_text=True))
    assert len(codes) == 10, done.get_data(as_text=True)
    return key, codes


def previous_code(key: str) -> str:
    return pyotp.TOTP(key).at(time.time() - 30)


def test_enrol_then_sign_in_with_a_code_that_works_once(
    client: FlaskClient, make_clinic: Any, login: Any
) -> None:
    _, email = make_clinic()
    login(email)
    key, codes = enrol(client, "/staff/account/two-factor")
    me = staff(email)
    assert me.two_factor and me.totp_secret == key
    stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and all(c.startswith("$argon2id$") for c in stored)
    assert not any(code.replace("-", "") in h for code in codes for h in stored)
    assert len(actions("staff.two_factor_enrolled")) == 1

    client.post("/staff/logout", data={"csrf_token": csrf_token(client, "/staff/")})
    first = sign_in(client, email)
    assert first.headers["Location"] == "/staff/login/code"
    assert not signed_in(client)  # the password alone opens nothing
    code = pyotp.TOTP(key).now()
    assert post_form(client, "/staff/login/code", {"code": code}).headers["Location"] == "/staff/"
    assert signed_in(client)

    # The same code (or an older one) never works again.
    client.post("/staff/logout", data={"csrf_token": csrf_token(client, "/staff/")})
    sign_in(client, email)
    again = post_form(client, "/staff/login/code", {"code": code})
    assert "That code is not right" in again.get_data(as_text=True)
    older = post_form(client, "/staff/login/code", {"code": previous_code(key)})
    assert older.status_code == 200 and not signed_in(client)
    assert [e.detail["reason"] for e in actions("staff.login_failed")] == ["code", "code"]


def test_a_recovery_code_signs_in_once_and_is_audited(
    client: FlaskClient, make_clinic: Any, login: Any
) -> None:
    _, email = make_clinic()
    login(email)
    _, codes = enrol(client, "/staff/account/two-factor")
    client.post("/staff/logout", data={"csrf_token": csrf_token(client, "/staff/")})
    sign_in(client, email)
    used = post_form(client, "/staff/login/code", {"code": codes[3].upper()})
    assert used.headers["Location"] == "/staff/"
    assert [e.detail["remaining"] for e in actions("staff.recovery_code_used")] == [9]
    client.post("/staff/logout", data={"csrf_token": csrf_token(client, "/staff/")})
    sign_in(client, email)
    again = post_form(client, "/staff/login/code", {"code": codes[3]})
    assert again.status_code == 200 and not signed_in(client)


def test_wrong_codes_are_throttled(client: FlaskClient, make_clinic: Any, login: Any) -> None:
    _, email = make_clinic()
    login(email)
    key, _ = enrol(client, "/staff/account/two-factor")
    client.post("/staff/logout", data={"csrf_token": csrf_token(client, "/staff/")})
    sign_in(client, email)
    for n in range(5):
        post_form(client, "/staff/login/code", {"code": f"{n:06d}"})
    locked = post_form(client, "/staff/login/code", {"code": pyotp.TOTP(key).now()})
    assert locked.status_code == 429
    assert "Too many wrong codes" in locked.get_data(as_text=True)
    assert not signed_in(client)
    assert [e.detail["scope"] for e in actions("staff.login_locked")] == ["code"]


def test_a_clinic_can_require_it_and_people_enrol_at_next_sign_in(
    client: FlaskClient, make_clinic: Any
) -> None:
    clinic_id, email = make_clinic()
    clinic = db.session.get(Clinic, clinic_id)
    assert clinic is not None
    clinic.require_two_factor = True
    db.session.commit()
    first = sign_in(client, email)
    assert first.headers["Location"] == "/staff/login/two-factor"
    assert not signed_in(client)
    page = client.get("/staff/login/two-factor").get_data(as_text=True)
    assert "North Practice asks everyone to sign in with a code" in page
    enrol(client, "/staff/login/two-factor")
    assert signed_in(client)
    assert staff(email).two_factor


def test_an_admin_resets_a_lost_phone(client: FlaskClient, make_clinic: Any, login: Any) -> None:
    clinic_id, email = make_clinic()
    login(email)
    enrol(client, "/staff/account/two-factor")
    therapist = staff(email)
    db.session.add(
        Staff(
            clinic_id=clinic_id,
            email="admin@north.example",
            name="Ada",
            role=Role.ADMIN,
            password_hash=therapist.password_hash,
        )
    )
    db.session.commit()
    admin = FlaskClient(client.application, response_wrapper=client.response_wrapper)
    sign_in(admin, "admin@north.example")
    page = f"/staff/team/{therapist.id}"
    assert "Reset two-factor sign-in" in admin.get(page).get_data(as_text=True)
    switch_browser()
    admin.post(f"{page}/two-factor/reset", data={"csrf_token": csrf_token(admin, page)})
    assert not staff(email).two_factor
    assert db.session.scalars(select(RecoveryCode)).all() == []
    assert not signed_in(client)  # signed out everywhere
    assert [e.detail["email"] for e in actions("staff.two_factor_reset")] == [email]
    assert sign_in(client, email).headers["Location"] == "/staff/"  # password alone again
