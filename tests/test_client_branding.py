"""The clinic's logo and colour on its clients' pages: from our own origin, only through that
clinic's links, and a colour only when it is readable (WCAG AA), with a clear message when not."""

from __future__ import annotations

import io
from typing import Any

from flask.testing import FlaskClient
from PIL import Image

from intake import colours
from intake.db import db
from intake.models import Clinic
from tests.helpers import browser_form

DARK = "#214f66"


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 20), DARK).save(out, "PNG")
    return out.getvalue()


def brand(clinic_id: int, colour: str = DARK, logo: bytes | None = None) -> Clinic:
    clinic = db.session.get(Clinic, clinic_id)
    assert clinic is not None
    clinic.accent_color, clinic.logo = colour, logo
    clinic.logo_mime = "image/png" if logo else None
    clinic.self_referral_token = f"ref-{clinic.slug}"
    db.session.commit()
    return clinic


def test_client_pages_show_the_clinics_logo_and_colour(
    client: FlaskClient, make_clinic: Any, make_intake: Any
) -> None:
    clinic_id, _ = make_clinic()
    brand(clinic_id, logo=png())
    intake = make_intake(clinic_id)
    page = client.get(f"/i/{intake.token}").get_data(as_text=True)
    assert f'<img src="/i/{intake.token}/logo" alt="">North Practice' in page
    assert f'href="/i/{intake.token}/brand.css"' in page
    with client.get(f"/i/{intake.token}/logo") as logo:
        assert logo.status_code == 200 and logo.data == png() and logo.mimetype == "image/png"
        assert logo.headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert logo.headers["X-Content-Type-Options"] == "nosniff"
    css = client.get(f"/i/{intake.token}/brand.css").get_data(as_text=True)
    assert f"--accent: {DARK}" in css
    # The self-referral page too.
    referral = client.get("/r/ref-north").get_data(as_text=True)
    assert '<img src="/r/ref-north/logo" alt="">' in referral
    assert client.get("/r/ref-north/logo").status_code == 200


def test_a_link_shows_only_its_own_clinics_logo(
    client: FlaskClient, make_clinic: Any, make_intake: Any
) -> None:
    north, _ = make_clinic("north")
    south, _ = make_clinic("south")
    brand(north, logo=png())
    brand(south)
    theirs = make_intake(south)
    assert client.get(f"/i/{theirs.token}/logo").status_code == 404  # south has none
    assert "<img" not in client.get(f"/i/{theirs.token}").get_data(as_text=True)
    assert client.get("/i/not-a-token/logo").status_code == 404
    assert client.get("/r/not-a-token/logo").status_code == 404


def test_a_light_colour_is_refused_with_a_darker_suggestion(
    client: FlaskClient, admin: int
) -> None:
    form = browser_form(client.get("/staff/settings").get_data(as_text=True))
    form["accent_color"] = "#f2a900"
    page = client.post("/staff/settings", data=form).get_data(as_text=True)
    assert "This colour is too light to read" in page and "4.5:1" in page
    assert colours.darker("#f2a900") in page and 'id="accent_color-error"' in page
    clinic = db.session.get(Clinic, admin)
    assert clinic is not None and clinic.accent_color != "#f2a900"
    form["accent_color"] = colours.darker("#f2a900")
    assert client.post("/staff/settings", data=form).status_code == 302


def test_a_light_colour_saved_before_is_never_shown_to_clients(
    client: FlaskClient, admin: int, make_intake: Any
) -> None:
    brand(admin, colour="#88ccee")
    intake = make_intake(admin)
    css = client.get(f"/i/{intake.token}/brand.css").get_data(as_text=True)
    assert "#88ccee" not in css and "--accent: #1f5f7a" in css
    settings = client.get("/staff/settings").get_data(as_text=True)
    assert "too light for text" in settings


def test_contrast_follows_wcag() -> None:
    assert round(colours.contrast("#000000", "#ffffff"), 1) == 21.0
    assert colours.passes("#1f5f7a") and not colours.passes("#f2a900")
    assert colours.passes(colours.darker("#88ccee"))
