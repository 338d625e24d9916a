"""Status words say what is true: closed links, and PDFs made anew without anyone opening them.

The words live once, in intake/models.py (Progress, PdfStatus).
"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from intake import lifecycle
from intake.brief import jobs, store
from intake.db import db
from intake.models import BriefPdf, Intake, PdfState, PdfStatus, Progress, utcnow
from tests.helpers import FULL, browser_form, complete, reload


def row_of(page: str, name: str) -> str:
    """The dashboard row of one client, as text."""
    body = page.split("<tbody", 1)[1]
    row = next(r for r in body.split("<tr") if name in r)
    return " ".join(row.split())


@pytest.mark.parametrize(
    ("close", "words", "status"),
    [
        ("revoke", "Link withdrawn, answers not sent", Progress.WITHDRAWN),
        ("expire", "Link expired, answers not sent", Progress.EXPIRED),
    ],
)
def test_a_closed_link_is_never_called_in_progress(
    client: FlaskClient,
    admin: int,
    make_intake: Any,
    close: str,
    words: str,
    status: Progress,
) -> None:
    intake = make_intake(admin, name="Robin Closed")
    open_one = make_intake(admin, name="Sam Open")
    lifecycle.save_page(intake, _definition(intake), {"why_now": "Work."}, "now")
    if close == "revoke":
        lifecycle.revoke(intake)
    else:
        intake.expires_at = utcnow() - timedelta(days=1)
        db.session.commit()
    assert reload(intake).progress is status and status.label == words
    page = client.get("/staff/").get_data(as_text=True)
    assert words in row_of(page, "Robin Closed") and "In progress" not in row_of(page, "Robin")
    manage = client.get(f"/staff/intakes/{intake.id}/invitation").get_data(as_text=True)
    assert words in manage and "open until" not in manage
    pending = client.get(f"/staff/intakes/{intake.id}").get_data(as_text=True)
    assert "no longer opens" in pending and "open until" not in pending
    # The filters agree: a closed link is found by its state, never as in progress.
    found = client.get(f"/staff/?status={status.value}").get_data(as_text=True)
    assert "Robin Closed" in found and "Sam Open" not in found
    busy = client.get("/staff/?status=in_progress").get_data(as_text=True)
    assert "Robin Closed" not in busy
    invited = client.get("/staff/?status=invited").get_data(as_text=True)
    assert "Sam Open" in invited and open_one.progress is Progress.INVITED


def _definition(intake: Intake) -> Any:
    from intake.catalogue import definition_of

    return definition_of(intake.questionnaire)


def test_pdf_words_come_from_the_enum(client: FlaskClient, admin: int, make_intake: Any) -> None:
    assert PdfStatus.PREPARING.label == "PDF being prepared"
    assert PdfStatus.FAILED.label == "PDF failed: retry"


def test_a_branding_change_makes_the_clinics_pdfs_anew_without_opening_them(
    client: FlaskClient, admin: int, make_intake: Any
) -> None:
    intake = make_intake(admin)
    complete(client, intake, FULL)
    first = store.record_of(reload(intake))
    assert first is not None and first.state == PdfState.READY
    old_version = first.version
    # The admin saves a new colour and logo; nobody opens the brief afterwards.
    form = browser_form(client.get("/staff/settings").get_data(as_text=True))
    form["accent_color"] = "#214f66"
    logo = io.BytesIO()
    Image.new("RGB", (40, 20), "#214f66").save(logo, "PNG")
    logo.seek(0)
    client.post(
        "/staff/settings",
        data={**form, "logo": (logo, "logo.png")},
        content_type="multipart/form-data",
    )
    db.session.expire_all()
    row = db.session.get(BriefPdf, first.id)
    assert row is not None and row.state == PdfState.READY and row.version != old_version
    assert store.status(reload(intake)) is PdfStatus.READY
    page = client.get("/staff/").get_data(as_text=True)
    assert "being prepared" not in page


def test_a_deploy_that_changes_the_templates_refreshes_every_stale_pdf(
    app: Flask, client: FlaskClient, admin: int, make_intake: Any, monkeypatch: Any
) -> None:
    intake = make_intake(admin)
    complete(client, intake, FULL)
    assert store.status(reload(intake)) is PdfStatus.READY
    assert jobs.refresh() == 0  # nothing stale: nothing asked
    monkeypatch.setattr(store, "template_version", lambda: "a new deploy")
    assert store.status(reload(intake)) is PdfStatus.PREPARING
    with app.app_context():
        jobs.schedule_refresh()
        db.session.commit()  # the eager runner runs the refresh, then each render
    assert store.status(reload(intake)) is PdfStatus.READY
