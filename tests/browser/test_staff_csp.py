"""The staff pages in Chromium under the Content-Security-Policy: sign-in, dashboard, the
brief's screen page (its nonce'd style), settings, the questionnaire preview, two-factor
set-up. The desktop fixture fails the test on any CSP violation in the console."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from intake.db import db
from intake.models import Clinic, Role, Staff
from tests.browser.conftest import watch_csp
from tests.helpers import FULL, PASSWORD, complete, create


def test_staff_pages_keep_to_the_csp(
    live_url: str,
    desktop: Any,
    client: FlaskClient,
    make_clinic: Any,
    make_intake: Any,
    login: Any,
) -> None:
    clinic_id, email = make_clinic()
    staff = db.session.scalar(select(Staff).where(Staff.email == email))
    clinic = db.session.get(Clinic, clinic_id)
    assert staff is not None and clinic is not None
    staff.role = Role.ADMIN
    clinic.accent_color = "#aa3300"
    db.session.commit()
    intake = make_intake(clinic_id, "Robin Brief")
    complete(client, intake, FULL)
    login(email)
    create(client)  # a draft questionnaire to preview

    page = desktop
    page.goto(f"{live_url}/staff/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_url}/staff/")
    assert "Robin Brief" in page.content()

    page.goto(f"{live_url}/staff/intakes/{intake.id}")
    # The brief's inline <style> applies (by its nonce): the accent colour is in force.
    accent = page.evaluate(
        "() => getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()"
    )
    assert accent == "#aa3300"
    assert page.locator("[data-print]").first.is_visible()  # print.js ran

    for path in ("/staff/settings", "/staff/account/two-factor", "/staff/team", "/staff/audit"):
        response = page.goto(f"{live_url}{path}")
        assert response is not None and response.status == 200, path
    assert page.goto(f"{live_url}/staff/account/two-factor") is not None
    assert page.locator(".qr svg").is_visible()

    page.goto(f"{live_url}/staff/questionnaires/ours/edit")
    with page.context.expect_page() as opened:
        page.click("button[value=preview]")  # opens in a new tab
    preview = opened.value
    violations = watch_csp(preview)
    preview.wait_for_selector("iframe.preview")
    assert preview.locator("iframe.preview").count() > 3
    preview.wait_for_load_state("load")
    assert violations == [], violations
