"""The urgent path end to end, in Chromium: a therapist invites a client with a phone number;
the client confirms it and answers the safety question; the crisis page; the dashboard's urgent
row with the number; page 1 of the brief with it; contact recorded; and a second urgent intake
nobody follows up reminds the admins once its (shortened) wait is over. Mail is read from a
real SMTP server (aiosmtpd)."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from pypdf import PdfReader
from sqlalchemy import select, update

from intake import crypto, notify, outbox
from intake.accounts.auth import hash_password
from intake.db import db
from intake.models import Clinic, Intake, Job, JobState, Role, Staff, utcnow
from tests.browser.conftest import (
    PHONE,
    SCREENSHOTS,
    after_save,
    axe_violations,
    describe,
    screenshot,
)
from tests.helpers import PASSWORD, SmtpInbox, link_token

PROCEDURE = (
    "The assigned therapist calls the client within two hours. No answer: try again within the"
    " hour and tell the clinical lead."
)
NEXT = "button.primary[value=next]"


def click_and_wait(page: Any, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)
    page.wait_for_load_state()


def local(live_url: str, link: str) -> str:
    """A link printed on the public base URL, opened on the live test server instead."""
    parts = urlsplit(link)
    return live_url + parts.path + (f"?{parts.query}" if parts.query else "")


def no_axe_violations(page: Any, name: str, within: str | None = None) -> None:
    """axe-core finds nothing on the page (or in one part of it)."""
    found = axe_violations(page)
    if within:
        found = [
            v
            for v in found
            if any(
                page.evaluate(
                    "([t, w]) => !!document.querySelector(t)?.closest(w)",
                    [node["target"][0], within],
                )
                for node in v["nodes"]
            )
        ]
    assert found == [], f"{name}: {describe(found)}"


@pytest.fixture
def harbour(make_clinic: Any) -> dict[str, Any]:
    """A clinic with its crisis contacts, procedure and phone region; a therapist and an admin."""
    clinic_id, therapist = make_clinic("harbour")
    clinic = db.session.get(Clinic, clinic_id)
    assert clinic is not None
    clinic.name = "Harbour Street Therapy"
    clinic.phone_region = "US"
    clinic.safety_procedure = PROCEDURE
    clinic.urgent_escalation_minutes = 30
    db.session.add(
        Staff(
            clinic_id=clinic_id,
            email="lead@harbour.example",
            name="Lee Lead",
            role=Role.ADMIN,
            password_hash=hash_password(PASSWORD),
        )
    )
    staff = db.session.scalar(select(Staff).where(Staff.email == therapist))
    assert staff is not None
    staff.name = "Tess Therapist"
    db.session.commit()
    return {"id": clinic_id, "therapist": therapist}


def sign_in(page: Any, live_url: str, email: str) -> None:
    page.goto(f"{live_url}/staff/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    click_and_wait(page, "button.primary")


def invite(page: Any, live_url: str, name: str, phone: str) -> str:
    """Invite a client through the staff form; the client's link."""
    page.goto(f"{live_url}/staff/invite")
    page.fill("#client_name", name)
    page.fill("#phone", phone)
    click_and_wait(page, "button.primary")
    return str(page.input_value("#link"))


def answer_until_the_safety_question(page: Any, link: str) -> None:
    """Consent, the required answers, then the contact step (prefilled from the invitation)."""
    page.goto(link)
    page.fill("#consent_name", "Robin Ashdown")
    click_and_wait(page, "button.primary")
    page.check("#adult-0")
    page.fill("#why_now", "Since the move I have stopped sleeping properly.")
    page.fill("#hopes", "To sleep again and stop dreading Mondays.")
    # The default questionnaire (version 3) asks about wellbeing second: contact step next.
    click_and_wait(page, NEXT)


def crisis_answer(page: Any) -> None:
    """The safety question answered above 'not at all': the crisis page comes next."""
    page.wait_for_url(after_save("/p/wellbeing"))
    page.check("#self_harm-1")  # several days
    # The follow-ups appear in place (the autosave's answer). Next before they have shown
    # leads, rightly, to the crisis page and back to this page (/support?next=wellbeing),
    # not on to /p/change.
    page.locator("#safety_now-0").wait_for(state="visible")
    click_and_wait(page, NEXT)
    page.wait_for_url(re.compile(r"/support\?next=change$"))


def test_from_the_flag_to_a_person_who_has_called_the_client(
    browser: Any,
    live_url: str,
    smtp: SmtpInbox,
    harbour: dict[str, Any],
    tmp_path: Path,
) -> None:
    staff_context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US")
    staff = staff_context.new_page()
    staff.set_default_timeout(15_000)
    sign_in(staff, live_url, harbour["therapist"])
    link = local(live_url, invite(staff, live_url, "Robin Ashdown", "(201) 555-0123"))

    # The client, on a phone: the contact step before the safety question, prefilled.
    client_context = browser.new_context(viewport=PHONE, has_touch=True, locale="en-US")
    client = client_context.new_page()
    client.set_default_timeout(15_000)
    answer_until_the_safety_question(client, link)
    client.wait_for_url(after_save("/contact"))
    assert client.input_value("#phone") == "+1 201-555-0123"
    client.check("#voicemail_ok-1")  # no messages
    client.check("#texts_ok-0")
    client.fill("#safe_times", "After 6 pm")
    no_axe_violations(client, "contact step")
    for width in (PHONE["width"], 320):
        client.set_viewport_size({"width": width, "height": PHONE["height"]})
        wide = client.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert wide <= 1, f"the contact step scrolls sideways at {width}px"
    client.set_viewport_size(PHONE)
    screenshot(client, "urgent-01-contact-step-phone")
    click_and_wait(client, NEXT)
    crisis_answer(client)
    crisis = client.inner_text("main")
    assert "In an emergency, call 911" in crisis
    assert "Call or text 988" in crisis  # the clinic's own crisis text, never a default
    assert "Harbour Street Therapy has been told" in crisis
    no_axe_violations(client, "crisis page")
    screenshot(client, "urgent-02-crisis-page-phone")

    # The notice reached the therapist and the admin, with a link and no answers.
    (notice,) = smtp.messages
    assert notice["Subject"] == notify.SUBJECT
    assert "sleeping" not in smtp.body() and "+1" not in smtp.body()

    # The dashboard's urgent row: the number to call, and how long it has waited.
    staff.goto(f"{live_url}/staff/")
    row = staff.locator("tr.urgent").first
    assert row.locator("a[href='tel:+1-201-555-0123']").inner_text().startswith("+1 201-555-0123")
    assert (
        "(no messages)" in row.inner_text()
        and "No contact recorded yet: waiting" in row.inner_text()
    )
    no_axe_violations(staff, "dashboard", within="tr.urgent")
    screenshot(staff, "urgent-03-dashboard-1366")
    staff.set_viewport_size({"width": 375, "height": 812})
    screenshot(staff, "urgent-04-dashboard-375")
    staff.set_viewport_size({"width": 1366, "height": 900})

    # The client finishes and sends.
    click_and_wait(client, "text=Continue my questions")
    while "/review" not in client.url:  # the rest of the questions, left blank
        click_and_wait(client, NEXT)
    click_and_wait(client, "button.primary")
    client.wait_for_url("**/done")
    client_context.close()

    # The therapist follows the email's link: the brief, with how to reach the client first.
    staff.goto(local(live_url, smtp.link(0)))
    box = staff.locator("section.safety.urgent")
    assert "+1 201-555-0123" in box.inner_text() and PROCEDURE[:40] in box.inner_text()
    assert box.locator("a[href='tel:+1-201-555-0123']").count() == 1
    intake_id = int(staff.url.rstrip("/").rsplit("/", 1)[1])
    pdf = staff.request.get(f"{live_url}/staff/intakes/{intake_id}/brief.pdf")
    assert pdf.status == 200
    first = " ".join((PdfReader(io.BytesIO(pdf.body())).pages[0].extract_text() or "").split())
    for text in ("URGENT", "How to reach Robin Ashdown", "+1 201-555-0123", "leave no message"):
        assert text in first, text
    brief_pdf = tmp_path / "brief.pdf"
    brief_pdf.write_bytes(pdf.body())
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "110",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            "-png",
            str(brief_pdf),
            str(SCREENSHOTS / "urgent-05-brief-page-1"),
        ],
        check=True,
    )

    # A call that reached nobody: on record, and the client still waits for someone.
    staff.check("#outcome-1")
    staff.fill("#note", "No answer at 15:02; no message left.")
    click_and_wait(staff, ".urgent-panel button.primary")
    assert "Not reached yet: waiting" in staff.inner_text(".urgent-panel")
    staff.goto(f"{live_url}/staff/")
    row = staff.locator("tr.urgent").first
    assert "Tried to reach the client: Tess Therapist" in row.inner_text()
    assert "Not reached yet: waiting" in row.inner_text()
    assert "1 where nobody has spoken with the client yet" in staff.inner_text("main")
    staff.set_viewport_size({"width": 375, "height": 812})
    screenshot(staff, "urgent-07-not-reached-yet-375")
    staff.set_viewport_size({"width": 1366, "height": 900})
    staff.goto(f"{live_url}/staff/intakes/{intake_id}")

    # Someone called: recorded on the page, by whom and when.
    staff.check("#outcome-0")
    staff.fill("#note", "Spoke at 15:10; safe tonight, seeing us Thursday.")
    click_and_wait(staff, ".urgent-panel button.primary")
    assert "Spoke with the client: Tess Therapist" in staff.inner_text("body")
    no_axe_violations(staff, "brief page", within=".brief-urgent")
    no_axe_violations(staff, "brief page", within="section.safety")
    screenshot(staff, "urgent-06-brief-web-1366")
    staff.goto(f"{live_url}/staff/")
    assert "Spoke with the client: Tess Therapist" in staff.inner_text("tr.urgent")

    # A second client answers the same way, and nobody records contact.
    second = local(live_url, invite(staff, live_url, "Sam Second", "+1 201 555 0199"))
    other = browser.new_context(viewport=PHONE, has_touch=True, locale="en-US").new_page()
    other.goto(second)
    other.fill("#consent_name", "Sam Second")
    click_and_wait(other, "button.primary")
    other.goto(second + "/p/wellbeing")
    crisis_answer(other)
    other.context.close()
    assert len(smtp.messages) == 2
    db.session.expire_all()
    # Found by its link's hash: names are encrypted, so no query can match them.
    digest = crypto.token_hash(link_token(second))
    sam = db.session.scalar(select(Intake).where(Intake.token_hash == digest))
    assert sam is not None and sam.urgent

    # Before the wait is over nothing more is sent; after it (brought forward here rather
    # than waited out), the admins hear of the second intake, and not of the first.
    assert outbox.sweep() == 0
    db.session.execute(update(Job).where(Job.kind == notify.ESCALATE).values(run_at=utcnow()))
    db.session.commit()
    outbox.sweep()
    reminders = [m for m in smtp.messages if m["Subject"] == notify.ESCALATION_SUBJECT]
    assert len(reminders) == 1
    assert reminders[0]["To"] == "lead@harbour.example"
    assert f"/staff/intakes/{sam.id}" in smtp.body(smtp.messages.index(reminders[0]))
    jobs = list(db.session.scalars(select(Job).where(Job.kind == notify.ESCALATE)))
    assert {job.state for job in jobs} == {JobState.DONE}
    staff.goto(f"{live_url}/staff/")
    assert "1 where nobody has spoken with the client yet" in staff.inner_text("main")
    staff_context.close()
