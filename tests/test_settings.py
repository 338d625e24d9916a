"""Clinic settings: admins only, validated fields, logos checked by content, SVG sanitized."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from intake import crypto, logos
from intake.db import db
from intake.models import AuditEvent, Clinic, QuestionnaireVersion
from tests.helpers import audit_actions, browser_form, csrf_token

URL = "/staff/settings"
VALID = {
    "name": "North Practice",
    "accent_color": "#336699",
    "default_questionnaire": "readiness",
    "link_expiry_days": "14",
}


def save(client: FlaskClient, **changes: Any) -> Any:
    data = {**VALID, **changes, "csrf_token": csrf_token(client, URL)}
    return client.post(URL, data=data, content_type="multipart/form-data")


def clinic(clinic_id: int) -> Clinic:
    row = db.session.get(Clinic, clinic_id)
    assert row is not None
    db.session.refresh(row)
    return row


def png(size: tuple[int, int] = (40, 20)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "#336699").save(out, "PNG")
    return out.getvalue()


def test_therapists_get_403(client: FlaskClient, make_clinic: Any, login: Any) -> None:
    _, email = make_clinic()
    login(email)
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}/logo").status_code == 403


def test_admin_changes_settings(client: FlaskClient, admin: int, make_intake: Any) -> None:
    assert clinic(admin).settings_updated_at is None
    response = save(client, self_referral="y")
    assert response.status_code == 302
    row = clinic(admin)
    assert row.accent_color == "#336699" and row.link_expiry_days == 14
    assert row.settings_updated_at is not None
    assert row.self_referral_hash
    # The link is shown once, on the page after the save; only its hash is kept.
    page = client.get(URL).get_data(as_text=True)
    token = page.split("/r/", 1)[1].split("<", 1)[0]
    assert crypto.token_hash(token) == row.self_referral_hash
    assert "/r/" not in client.get(URL).get_data(as_text=True)
    assert client.get(f"/r/{token}").status_code == 200
    # A new link: the old one stops working at once, audited.
    client.post(f"{URL}/referral-link", data={"csrf_token": csrf_token(client, URL)})
    new = client.get(URL).get_data(as_text=True).split("/r/", 1)[1].split("<", 1)[0]
    assert new != token and client.get(f"/r/{token}").status_code == 404
    assert client.get(f"/r/{new}").status_code == 200
    assert audit_actions("settings.referral_link_reissued")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "settings.changed"))
    assert event is not None and "accent_color" in event.detail["fields"]
    # The crisis contacts (and their assertions) moved to Settings, Safety:
    # tests/test_safety_settings.py.


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"accent_color": "blue"}, "accent_color", "Use the form #rrggbb"),
        ({"link_expiry_days": "0"}, "link_expiry_days", "from 1 to 365"),
        ({"link_expiry_days": "many"}, "link_expiry_days", "from 1 to 365"),
        ({"name": ""}, "name", "Please enter the clinic"),
        ({"default_questionnaire": "nope"}, "default_questionnaire", "Not a valid choice"),
    ],
)
def test_bad_settings_keep_what_was_typed(
    client: FlaskClient, admin: int, changes: dict[str, str], field: str, message: str
) -> None:
    typed = {"name": "North Practice, Harbour Street", **changes}
    page = save(client, **typed).get_data(as_text=True)
    assert message in page and f'id="{field}-error"' in page
    if field != "name":
        assert "North Practice, Harbour Street" in page  # the name typed is still in the form
    assert clinic(admin).settings_updated_at is None


def test_png_logo_is_stored_and_served(client: FlaskClient, admin: int) -> None:
    save(client, logo=(io.BytesIO(png()), "logo.png"))
    assert clinic(admin).logo_mime == "image/png"
    served = client.get(f"{URL}/logo")
    assert served.mimetype == "image/png" and served.data == png()
    save(client, remove_logo="y")
    assert clinic(admin).logo is None


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"GIF89a" + b"\x00" * 100, "logo.png", "Please upload a PNG, JPEG or SVG image."),
        (b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, "logo.png", "damaged or not a real PNG"),
        (png() + b"\x00" * (300 * 1024), "logo.png", "the limit is 256 KB"),
        (b"<svg><unclosed", "logo.svg", "could not be read as XML"),
        (b"%PDF-1.7 <svg", "logo.pdf", "could not be read as XML"),
    ],
)
def test_bad_logos_are_refused(
    client: FlaskClient, admin: int, content: bytes, name: str, message: str
) -> None:
    page = save(client, logo=(io.BytesIO(content), name)).get_data(as_text=True)
    assert message in page and 'id="logo-error"' in page
    assert 'value="#336699"' in page  # other fields keep what was typed
    row = clinic(admin)
    assert row.logo is None and row.settings_updated_at is None


def test_every_error_shows_at_once_listed_above_the_form(client: FlaskClient, admin: int) -> None:
    bad_logo = (io.BytesIO(b"GIF89a" + b"\x00" * 100), "logo.png")
    page = save(client, accent_color="blue", logo=bad_logo).get_data(as_text=True)
    # The logo's error with the colour's, not only once the colour is fixed.
    assert 'id="accent_color-error"' in page and 'id="logo-error"' in page
    start = page.index('class="error-summary"')
    summary = page[start : page.index("</div>", start)]
    assert "Please check these fields" in summary
    assert 'href="#accent_color"' in summary and 'href="#logo"' in summary
    assert clinic(admin).settings_updated_at is None


def test_svg_logo_is_sanitized(client: FlaskClient, admin: int) -> None:
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)" viewBox="0 0 10 10">'
        b"<script>alert(2)</script>"
        b'<rect width="5" height="5" fill="#123456" onclick="alert(3)"/>'
        b'<a href="javascript:alert(4)"><text x="1" y="9">N</text></a>'
        b'<image href="http://tracker.example/x.png"/>'
        b'<use href="http://tracker.example/s.svg#a"/>'
        b"</svg>"
    )
    save(client, logo=(io.BytesIO(svg), "logo.svg"))
    row = clinic(admin)
    assert row.logo_mime == "image/svg+xml" and row.logo is not None
    for bad in (b"script", b"onload", b"onclick", b"javascript", b"tracker", b"<image"):
        assert bad not in row.logo
    assert b"<rect" in row.logo and b'fill="#123456"' in row.logo
    served = client.get(f"{URL}/logo")
    assert "default-src 'none'" in served.headers["Content-Security-Policy"]
    assert served.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "svg",
    [
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "y">]>'
        b'<svg xmlns="http://www.w3.org/2000/svg">&x;</svg>',
        b'<svg xmlns="http://www.w3.org/2000/svg"><style>@import url(http://e.x/a.css)</style>'
        b'<rect style="fill: url(http://e.x/p)"/></svg>',
        b'<html xmlns="http://www.w3.org/1999/xhtml"><svg/></html>',
    ],
)
def test_svg_without_danger_or_refused(svg: bytes) -> None:
    try:
        cleaned = logos.sanitize_svg(svg)
    except logos.LogoError:
        return
    assert b"@import" not in cleaned and b"e.x" not in cleaned and b"ENTITY" not in cleaned


def test_a_clinic_name_with_a_line_break_is_refused(
    client: FlaskClient, login: Any, clinic_with_admin: dict[str, Any]
) -> None:
    login("admin@north.example")
    data = {**VALID, "name": "North\r\nBcc: everyone@example.org"}
    data["csrf_token"] = csrf_token(client, URL)
    page = client.post(URL, data=data, content_type="multipart/form-data")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Please keep the name on one line" in html and 'id="name-error"' in html
    clinic = db.session.get(Clinic, clinic_with_admin["id"])
    assert clinic is not None
    db.session.refresh(clinic)
    assert clinic.name == "North Practice"


def test_saving_the_logo_or_colour_alone_keeps_the_default_questionnaire(
    client: FlaskClient, admin: int
) -> None:
    # A clinic questionnaire whose id sorts first: a select with nothing chosen showed it
    # first, and a save of other fields made it the default (and audited the change).
    db.session.add(
        QuestionnaireVersion(
            clinic_id=admin, key="aaa", version=1, title="Ours", source="x", sha256="0" * 64
        )
    )
    db.session.commit()
    form = browser_form(client.get(URL).get_data(as_text=True))
    form["accent_color"] = "#214f66"
    response = client.post(
        URL, data={**form, "logo": (io.BytesIO(png()), "logo.png")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 302
    row = clinic(admin)
    assert row.default_questionnaire is None and row.accent_color == "#214f66"
    entry = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "settings.changed")
    ).one()
    assert entry.detail["fields"] == ["accent_color", "logo"]
    # Chosen on purpose, it is kept, and shown as chosen the next time.
    save(client, default_questionnaire="aaa")
    assert clinic(admin).default_questionnaire == "aaa"
    assert browser_form(client.get(URL).get_data(as_text=True))["default_questionnaire"] == "aaa"
