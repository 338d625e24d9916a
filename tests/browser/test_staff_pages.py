"""The staff area in a real browser: axe-core on every staff page (0 violations), whole words
in table cells at 1366 px, stacked rows and nothing sideways at 375 px, the questionnaire
editor's line numbers and problem links. Screenshots at both sizes go to artifacts/screenshots/.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from intake import drafts, lifecycle
from intake.accounts import tokens
from intake.accounts.auth import hash_password
from intake.brief import store
from intake.catalogue import definition_of
from intake.db import db
from intake.models import BriefPdf, Clinic, Intake, PdfState, Role, Staff
from tests.browser.conftest import PHONE, axe_violations, describe, screenshot
from tests.helpers import FULL, PASSWORD, complete, readiness_v2, sign

WIDE = {"width": 1366, "height": 900}

# Every word of every table cell on one line: a word broken across lines ("Therapi st")
# shows as two boxes at different heights.
WORDS_BROKEN = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll('table th, table td')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const node = walker.currentNode;
      const re = /[^\\s\\-–]+/g; let m;  // a hyphen is a fair place to break
      while ((m = re.exec(node.data))) {
        if (m[0].includes('@') || m[0].includes('/')) continue;  // addresses may break
        const range = document.createRange();
        range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);
        const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        if (tops.size > 1) broken.push(m[0]);
      }
    }
  }
  return broken;
}"""


@dataclass
class Clinic1:
    admin: str
    therapist: str
    submitted: int
    urgent: int
    withdrawn: int
    member: int
    join_token: str
    reset_token: str


@pytest.fixture
def harbour(client: FlaskClient, make_clinic: Any, make_intake: Any) -> Clinic1:
    """A clinic with an admin, a therapist and intakes in every state, and a draft."""
    clinic_id, therapist_email = make_clinic("harbour")
    clinic = db.session.get(Clinic, clinic_id)
    assert clinic is not None
    clinic.name = "Harbour Street Therapy"
    admin = Staff(
        clinic_id=clinic_id,
        email="ada.lovelace-whitmore@harbour-street-therapy.example",
        name="Dr Ada Lovelace-Whitmore",
        role=Role.ADMIN,
        password_hash=hash_password(PASSWORD),
    )
    therapist = db.session.scalar(db.select(Staff).where(Staff.email == therapist_email))
    assert therapist is not None
    therapist.name = "Robin Therapist"
    invitee = Staff(
        clinic_id=clinic_id, email="sam@harbour.example", name="Sam New", password_hash="!"
    )
    db.session.add_all([admin, invitee])
    db.session.commit()
    join_token = tokens.issue(invitee, tokens.INVITE, timedelta(days=1))
    reset_token = tokens.issue(therapist, tokens.RESET, timedelta(hours=1))
    db.session.commit()
    version = readiness_v2()
    assert version is not None

    submitted = lifecycle.invite(clinic, "María López", version, therapist)
    complete(client, submitted, FULL)
    urgent = make_intake(clinic_id, name="Jordan Whitaker-Okonkwo")
    sign(client, urgent)
    lifecycle.save_page(urgent, definition_of(version), {"self_harm": 2}, "wellbeing")
    withdrawn = make_intake(clinic_id, name="Alex Withdrawn")
    lifecycle.revoke(withdrawn)
    lifecycle.invite(clinic, "Chris Invited", version, admin, email="chris.invited@example.org")
    drafts.create_copy(clinic_id, version, "ours", "Our intake", admin.id)
    return Clinic1(
        admin=admin.email,
        therapist=therapist.email,
        submitted=submitted.id,
        urgent=urgent.id,
        withdrawn=withdrawn.id,
        member=therapist.id,
        join_token=join_token,
        reset_token=reset_token,
    )


def sign_in(page: Any, live_url: str, email: str) -> None:
    page.goto(f"{live_url}/staff/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button.primary")


def check(page: Any, name: str) -> None:
    """axe at phone size, nothing sideways there, whole words at 1366 px; both pictures."""
    page.set_viewport_size(PHONE)
    violations = axe_violations(page)
    assert violations == [], f"{name}: {describe(violations)}"
    wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 1, f"{name} scrolls sideways by {wide}px at 375px"
    screenshot(page, f"staff-{name}-375")
    page.set_viewport_size(WIDE)
    broken = page.evaluate(WORDS_BROKEN)
    assert broken == [], f"{name}: words broken across lines at 1366px: {broken}"
    wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 1, f"{name} scrolls sideways by {wide}px at 1366px"
    screenshot(page, f"staff-{name}-1366")


def visit(page: Any, url: str, name: str, status: int | None = None) -> None:
    response = page.goto(url)
    expected = (status,) if status else (200, 202)
    assert response is not None and response.status in expected, f"{name}: {response.status}"
    check(page, name)


def test_every_staff_page_passes_axe_at_both_sizes(
    browser: Any, live_url: str, harbour: Clinic1
) -> None:
    context = browser.new_context(viewport=WIDE, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    base = f"{live_url}/staff"
    try:
        visit(page, f"{base}/login", "login")
        visit(page, f"{base}/password/forgot", "forgot-password")
        visit(page, f"{base}/password/reset/{harbour.reset_token}", "reset-password")
        visit(page, f"{base}/join/{harbour.join_token}", "join")
        visit(page, f"{base}/join/no-such-token", "link-no-longer-works", 410)
        page.goto(f"{base}/password/forgot")
        page.fill("#email", "nobody@harbour.example")
        with page.expect_navigation():
            page.click("button.primary")
        check(page, "forgot-password-sent")
        sign_in(page, live_url, harbour.admin)
        visit(page, f"{base}/", "dashboard")
        # On a phone the rows stack: one card per intake, each value named.
        page.set_viewport_size(PHONE)
        assert (
            page.evaluate(
                "getComputedStyle(document.querySelector('table.stack tbody tr')).display"
            )
            == "block"
        )
        visit(page, f"{base}/?q=maria", "dashboard-search")
        assert "María López" in page.inner_text("table")
        visit(page, f"{base}/?status=withdrawn", "dashboard-withdrawn")
        visit(page, f"{base}/invite", "invite-client")
        visit(page, f"{base}/intakes/{harbour.submitted}/invitation", "invitation")
        visit(page, f"{base}/intakes/{harbour.withdrawn}/invitation", "invitation-withdrawn")
        visit(page, f"{base}/intakes/{harbour.urgent}/invitation", "invitation-urgent")
        # Erasing asks for the client's name; a wrong one is said beside the field.
        visit(page, f"{base}/intakes/{harbour.withdrawn}/erase", "erase-client")
        page.fill("#confirm", "Someone Else")
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        assert "nothing was erased" in page.inner_text("main")
        check(page, "erase-client-error")
        visit(page, f"{base}/intakes/{harbour.urgent}", "intake-pending-urgent")
        # Recording contact: refused without an outcome (said beside it), then recorded.
        with page.expect_navigation():
            page.click("form.follow-up button.primary")
        check(page, "follow-up-error")
        page.check("input[name=outcome][value=contacted]")
        page.fill("#note", "Called; we agreed to speak again tomorrow morning.")
        with page.expect_navigation():
            page.click("form.follow-up button.primary")
        check(page, "intake-urgent-followed-up")
        visit(page, f"{base}/intakes/{harbour.urgent}/safety", "safety-summary")
        visit(page, f"{base}/intakes/{harbour.submitted}", "brief")
        # A PDF still being made: the 202 page that points to the web brief.
        record = db.session.scalar(
            db.select(BriefPdf).where(BriefPdf.intake_id == harbour.submitted)
        )
        assert record is not None
        record.state, record.wanted_version, record.version = PdfState.QUEUED, None, None
        intake = db.session.get(Intake, harbour.submitted)
        assert intake is not None
        record.wanted_version = store.version_of(intake)
        db.session.commit()
        visit(page, f"{base}/intakes/{harbour.submitted}/brief.pdf", "pdf-being-prepared", 202)
        visit(page, f"{base}/settings", "settings")
        visit(page, f"{base}/settings/safety", "settings-safety")
        # Crisis contacts once set can be changed, never emptied: the message beside the field.
        page.fill("#emergency_number", "")
        with page.expect_navigation():
            page.click("button.primary")
        assert "cannot be removed once set" in page.inner_text("main")
        check(page, "settings-safety-error")
        visit(page, f"{base}/team", "team")
        visit(page, f"{base}/team/{harbour.member}", "team-member")
        visit(page, f"{base}/team/invite", "invite-colleague")
        page.fill("#name", "Lee Colleague")
        page.fill("#email", "lee@harbour.example")
        with page.expect_navigation():
            page.click("button.primary")
        check(page, "colleague-invited")
        visit(page, f"{base}/audit", "audit-log")
        visit(page, f"{base}/questionnaires", "questionnaires")
        visit(page, f"{base}/questionnaires/ours/diff", "questionnaire-diff")
        visit(page, f"{base}/questionnaires/ours/edit", "editor")
        with context.expect_page() as opened:
            page.click("button[value=preview]")
        preview = opened.value
        preview.wait_for_load_state()
        check(preview, "questionnaire-preview")
        preview.close()
        # Before a clinic has set its crisis contacts: the banner, and invitations closed.
        clinic = db.session.scalar(db.select(Clinic).where(Clinic.slug == "harbour"))
        assert clinic is not None
        clinic.emergency_number, clinic.crisis_texts = None, {}
        db.session.commit()
        visit(page, f"{base}/", "dashboard-crisis-contacts-missing")
        assert "Clients cannot be invited yet" in page.inner_text("main")
        visit(page, f"{base}/invite", "invite-closed")
        visit(page, f"{base}/settings/safety", "settings-safety-unset")
        sign_in(page, live_url, harbour.therapist)  # a therapist meets the admin-only page
        response = page.goto(f"{base}/settings")
        assert response is not None and response.status == 403
        check(page, "forbidden")
    finally:
        context.close()


def test_the_editor_numbers_lines_and_takes_you_to_a_problem(
    browser: Any, live_url: str, harbour: Clinic1
) -> None:
    context = browser.new_context(viewport=WIDE, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, live_url, harbour.admin)
        page.goto(f"{live_url}/staff/questionnaires/ours/edit")
        page.wait_for_selector(".cm-editor .cm-lineNumbers")
        height = page.evaluate("document.querySelector('.cm-editor').offsetHeight")
        assert height >= 500, f"the editor is {height}px high"
        lines = page.evaluate("window.intakeEditor.state.doc.lines")
        assert lines > 500
        # Break one line far down, save: the problem names its line; a click goes there.
        target = page.evaluate(
            """() => {
              const doc = window.intakeEditor.state.doc;
              for (let n = doc.lines; n > 300; n--) {
                const line = doc.line(n);
                if (line.text.trim().startsWith('type: ')) {
                  window.intakeEditor.dispatch({changes: {from: line.from, to: line.to,
                    insert: line.text.replace(/type: [a-z_]+/, 'type: slider')}});
                  return n;
                }
              }
              return 0;
            }"""
        )
        assert target > 300
        with page.expect_navigation():
            page.click("button[value=save]")
        link = page.locator(f"a[data-line='{target}']")
        assert f"Line {target}" in link.inner_text()
        check(page, "editor-with-problem")
        page.set_viewport_size(WIDE)
        link.click()
        at = page.evaluate(
            "(() => { const s = window.intakeEditor.state;"
            " return s.doc.lineAt(s.selection.main.head).number; })()"
        )
        assert at == target
        assert page.evaluate("document.activeElement.closest('.cm-editor') !== null")
        screenshot(page, "staff-editor-at-problem-1366")
    finally:
        context.close()


def test_without_javascript_the_editor_is_a_text_box_that_fits(
    browser: Any, live_url: str, harbour: Clinic1
) -> None:
    context = browser.new_context(viewport=WIDE, locale="en-US", java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, live_url, harbour.admin)
        page.goto(f"{live_url}/staff/questionnaires/ours/edit")
        rows = int(page.get_attribute("textarea#source", "rows") or 0)
        assert rows == 40
        assert page.evaluate("document.querySelector('.cm-editor')") is None
    finally:
        context.close()
