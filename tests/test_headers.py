"""Security headers and caching on every route of the URL map: a strict CSP with no inline
script, never framed, nosniff, no Referer, nothing kept by the browser, HSTS in production."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import select

from intake import create_app, crypto
from intake.db import db
from intake.models import Clinic, Intake, Role, Staff
from tests.helpers import FULL, complete, csrf_token

# Files anyone may cache (revalidating): the same for everyone, nothing about a person.
CACHEABLE = {"static", "staff.brief_asset"}


def check(response: Any, where: str, endpoint: str) -> None:
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    assert csp, f"{where}: no Content-Security-Policy"
    directives = dict(
        (part.split(" ", 1) + [""])[:2] for part in (p.strip() for p in csp.split(";")) if part
    )
    if "default-src" in directives and directives["default-src"] == "'none'":
        pass  # the logo's own, stricter policy
    else:
        assert directives["script-src"] == "'self'", f"{where}: {csp}"
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, f"{where}: {csp}"
        assert directives["frame-ancestors"] == "'none'", where
        assert directives["object-src"] == "'none'" and directives["base-uri"] == "'none'"
    assert headers["X-Content-Type-Options"] == "nosniff", where
    assert headers["X-Frame-Options"] == "DENY", where
    assert headers["Referrer-Policy"] == "no-referrer", where
    if endpoint not in CACHEABLE:
        assert headers["Cache-Control"] == "no-store", f"{where}: {headers.get('Cache-Control')}"
    assert "Strict-Transport-Security" not in headers  # only in production, over HTTPS


@pytest.fixture
def world(app: Flask, make_clinic: Any, make_intake: Any, client: FlaskClient) -> dict[str, Any]:
    clinic_id, email = make_clinic()
    clinic = db.session.get(Clinic, clinic_id)
    assert clinic is not None
    clinic.self_referral_token = "open-door"
    staff = db.session.scalar(select(Staff).where(Staff.email == email))
    assert staff is not None
    staff.role = Role.ADMIN
    db.session.commit()
    submitted: Intake = make_intake(clinic_id, "Sent Client")
    complete(client, submitted, FULL)
    open_: Intake = make_intake(clinic_id, "Open Client")
    return {"email": email, "submitted": submitted, "open": open_, "staff": staff}


def test_every_route_has_the_headers(
    app: Flask, client: FlaskClient, login: Any, world: dict[str, Any]
) -> None:
    values = {
        "intake_id": world["submitted"].id,
        "client_id": world["submitted"].client_id,
        "staff_id": world["staff"].id,
        "key": "none",
        "filename": "screen.css",
        "page_id": "now",
        "token": world["submitted"].token,
        "token_id": 1,
        "version_id": world["submitted"].questionnaire_id,
        "set_id": 1,
    }
    per_endpoint = {
        "static": {"filename": "app.css"},
        "client.referral": {"token": "open-door"},
        "client.page": {"token": world["open"].token},
        "client.autosave": {"token": world["open"].token},
        "client.start": {"token": world["open"].token},
    }
    login(world["email"])
    seen = 0
    for rule in app.url_map.iter_rules():
        args = {
            a: per_endpoint.get(rule.endpoint, {}).get(a, values.get(a)) for a in rule.arguments
        }
        with app.test_request_context():
            url = url_for(rule.endpoint, **args)
        if "GET" in (rule.methods or ()):
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": csrf_token(client, "/staff/")})
        with response:
            assert response.status_code < 500, url
            check(response, f"{rule.endpoint} {url} ({response.status_code})", rule.endpoint)
        seen += 1
        if rule.endpoint == "staff.logout":
            login(world["email"])
    assert seen == len(list(app.url_map.iter_rules()))


def test_pdfs_and_error_pages_have_them_too(
    client: FlaskClient, login: Any, world: dict[str, Any]
) -> None:
    intake = world["submitted"]
    copy = client.get(f"/i/{intake.token}/answers.pdf")
    assert copy.mimetype == "application/pdf"
    check(copy, "client copy", "client.answers_copy")
    check(client.get("/i/no-such-token"), "404", "client.start")
    check(client.post("/staff/login", data={}), "CSRF 400", "staff.login")
    login(world["email"])
    brief = client.get(f"/staff/intakes/{intake.id}/brief.pdf")
    assert brief.mimetype == "application/pdf"
    check(brief, "brief PDF", "staff.brief_pdf")


def test_no_template_has_inline_script_or_style(app: Flask) -> None:
    """The CSP allows no inline script: every script is a file; the brief's one <style> has
    the page's nonce."""
    from pathlib import Path

    roots = [Path(app.root_path) / "templates", Path(app.root_path).parent / "report_templates"]
    for path in (p for root in roots for p in root.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), path
        assert not re.search(r"\son[a-z]+\s*=", text), f"{path}: inline event handler"
        assert not re.search(r"""\sstyle\s*=\s*["']""", text), f"{path}: style attribute"
        assert "javascript:" not in text, path


def test_the_brief_page_style_carries_the_response_nonce(
    client: FlaskClient, login: Any, world: dict[str, Any]
) -> None:
    login(world["email"])
    page = client.get(f"/staff/intakes/{world['submitted'].id}")
    nonce = re.search(r"<style nonce=\"([^\"]+)\">", page.get_data(as_text=True))
    assert nonce, "the brief page's <style> has no nonce"
    assert f"'nonce-{nonce.group(1)}'" in page.headers["Content-Security-Policy"]
    again = client.get(f"/staff/intakes/{world['submitted'].id}")
    assert nonce.group(1) not in again.headers["Content-Security-Policy"]  # fresh each time


def test_production_adds_hsts(tmp_path: Any) -> None:
    app = create_app(
        {
            "TESTING": True,
            "PRODUCTION": True,
            "SECRET_KEY": "p" * 40,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.sqlite",
            "ALLOW_SQLITE": True,
            "REDIS_URL": "redis://redis.internal:6379/0",
            "PUBLIC_BASE_URL": "https://intake.example",
            "ENCRYPTION_KEYS": crypto.new_key(),
            "SEARCH_KEY": crypto.new_key(),
        }
    )
    response = app.test_client().get("/", base_url="https://intake.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
