"""The staff area: sign-in, the clinic's list, briefs, and that clinics never see each other."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select

from intake.db import db
from intake.models import AuditEvent, Intake
from intake.staff import brief_pages
from tests.helpers import FULL, complete, csrf_token, fill_page, post_form


@pytest.fixture
def two_clinics(make_clinic: Any, make_intake: Any) -> dict[str, Any]:
    north, north_email = make_clinic("north")
    south, south_email = make_clinic("south")
    return {
        "north_email": north_email,
        "south_email": south_email,
        "north_intake": make_intake(north, "Nora North"),
        "south_intake": make_intake(south, "Sam South"),
    }


STAFF_URLS = ["/staff/", "/staff/intakes/{id}", "/staff/intakes/{id}/brief.pdf"]


@pytest.mark.parametrize("url", STAFF_URLS)
def test_anonymous_gets_the_login_page(
    client: FlaskClient, two_clinics: dict[str, Any], url: str
) -> None:
    response = client.get(url.format(id=two_clinics["north_intake"].id))
    assert response.status_code == 302
    assert "/staff/login" in response.headers["Location"]


@pytest.mark.parametrize("url", STAFF_URLS[1:])
def test_other_clinics_intake_is_404(
    client: FlaskClient, login: Any, two_clinics: dict[str, Any], url: str
) -> None:
    complete(client, two_clinics["south_intake"], FULL)
    login(two_clinics["north_email"])
    assert client.get(url.format(id=two_clinics["south_intake"].id)).status_code == 404
    assert client.get(url.format(id=999999)).status_code == 404


def test_wrong_password_says_so_beside_the_field(
    client: FlaskClient, two_clinics: dict[str, Any]
) -> None:
    response = post_form(
        client, "/staff/login", {"email": two_clinics["north_email"], "password": "nope"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "do not match an account" in html
    assert two_clinics["north_email"] in html  # the typed email is kept


def test_list_shows_only_own_clinic_with_urgent_first(
    client: FlaskClient, login: Any, make_intake: Any, two_clinics: dict[str, Any]
) -> None:
    north = two_clinics["north_intake"]
    later = make_intake(north.clinic_id, "Later Person")
    for page in ("now", "change", "reasons", "expectations", "ways", "practical"):
        fill_page(client, north, page, FULL)
    fill_page(client, north, "wellbeing", {"self_harm": "2"})
    login(two_clinics["north_email"])
    html = client.get("/staff/").get_data(as_text=True)
    assert "Sam South" not in html
    assert html.index("Nora North") < html.index(later.client_name)
    assert "URGENT" in html
    assert "In progress" in html and "Invited" in html


def test_login_follows_only_local_next(client: FlaskClient, two_clinics: dict[str, Any]) -> None:
    data = {"email": two_clinics["north_email"], "password": "correct horse battery staple"}
    url = "/staff/login?next=https://evil.example/x"
    response = client.post(url, data={**data, "csrf_token": csrf_token(client, url)})
    assert response.headers["Location"] == "/staff/"


def test_pending_intake_shows_status_not_brief(
    client: FlaskClient, login: Any, two_clinics: dict[str, Any]
) -> None:
    login(two_clinics["north_email"])
    response = client.get(f"/staff/intakes/{two_clinics['north_intake'].id}")
    assert "Invited, not started yet" in response.get_data(as_text=True)
    pdf = client.get(f"/staff/intakes/{two_clinics['north_intake'].id}/brief.pdf")
    assert pdf.status_code == 302


def test_brief_as_html_and_pdf(
    client: FlaskClient, login: Any, two_clinics: dict[str, Any]
) -> None:
    intake: Intake = two_clinics["north_intake"]
    complete(client, intake, FULL)
    login(two_clinics["north_email"])
    html = client.get(f"/staff/intakes/{intake.id}").get_data(as_text=True)
    assert "I keep losing sleep over work" in html
    assert "&lt;without&gt;" in html
    assert "/staff/brief-assets/screen.css" in html
    with client.get("/staff/brief-assets/screen.css") as css:
        assert css.status_code == 200 and css.mimetype == "text/css"
    assert client.get("/staff/brief-assets/brief.html").status_code == 404
    response = client.get(f"/staff/intakes/{intake.id}/brief.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "I keep losing sleep over work" in " ".join(text.split())
    assert "Change readiness" in text
    # Who read which brief is on record.
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.subject_id == intake.id)
    ).all()
    assert "brief.viewed" in actions and "brief.downloaded" in actions


def test_brief_states_the_language_the_client_answered_in(
    client: FlaskClient, login: Any, two_clinics: dict[str, Any]
) -> None:
    intake: Intake = two_clinics["north_intake"]
    client.get(f"/i/{intake.token}?lang=es")
    complete(client, intake, FULL)
    login(two_clinics["north_email"])
    html = client.get(f"/staff/intakes/{intake.id}").get_data(as_text=True)
    assert '<html lang="en"' in html  # the brief itself stays in the clinic's language
    assert "<dt>Answered in</dt><dd>Spanish</dd>" in html


def test_logout(client: FlaskClient, login: Any, two_clinics: dict[str, Any]) -> None:
    login(two_clinics["north_email"])
    assert client.get("/staff/").status_code == 200
    token = csrf_token(client, "/staff/")
    client.post("/staff/logout", data={"csrf_token": token})
    assert client.get("/staff/").status_code == 302


def test_urgent_flag_stays_when_the_safety_answer_is_changed_later(
    client: FlaskClient, login: Any, two_clinics: dict[str, Any]
) -> None:
    intake: Intake = two_clinics["north_intake"]
    for page in ("now", "change", "reasons", "expectations", "ways", "practical"):
        fill_page(client, intake, page, FULL)
    fill_page(client, intake, "wellbeing", {"self_harm": "1"})
    complete(client, intake, FULL)  # walks the pages again with self_harm back to 0
    login(two_clinics["north_email"])
    html = client.get(f"/staff/intakes/{intake.id}").get_data(as_text=True)
    text = " ".join(html.split())
    assert "URGENT" in text and "later changed it to the one shown" in text


# A clinic's own brief files are for that clinic's staff only.


def test_clinic_brief_assets_are_for_their_own_clinic(
    client: FlaskClient,
    login: Any,
    make_clinic: Any,
    monkeypatch: pytest.MonkeyPatch,
    clinic_with_admin: dict[str, Any],
    tmp_path: Path,
) -> None:
    make_clinic("south")
    (tmp_path / "clinics").mkdir()
    (tmp_path / "clinics" / "north.css").write_text("h1 { color: navy }")
    (tmp_path / "clinics" / "south.css").write_text("h1 { color: teal }")
    monkeypatch.setattr(brief_pages, "TEMPLATES_DIR", tmp_path)
    login(clinic_with_admin["therapist"])
    with client.get("/staff/brief-assets/clinics/north.css") as own:
        assert own.status_code == 200 and b"navy" in own.data
    for other in ("clinics/south.css", "fonts/../clinics/south.css", "clinics/./south.css"):
        assert client.get(f"/staff/brief-assets/{other}").status_code == 404, other
