"""One link, three questionnaires, in Chromium: an admin defines a set (readiness, PHQ-9,
GAD-7) and invites with it; the client answers everything on a phone-sized screen with one
progress bar and the self-harm question asked once; the brief (HTML and PDF) shows the
readiness profile and each total in its own section."""

from __future__ import annotations

import io
from typing import Any

from pypdf import PdfReader
from sqlalchemy import select

from intake.db import db
from intake.models import Role, Staff
from tests.browser.conftest import PHONE, after_save, axe_violations, describe, screenshot
from tests.browser.test_staff_pages import check
from tests.browser.test_urgent_path import click_and_wait, local, sign_in

NEXT = "button.primary[value=next]"
# Every PHQ-9 item "several days" but item 9 "not at all": total 8, mild. Every GAD-7 item
# "more than half the days": total 14, moderate. Readiness choices: the middle of each scale.
CHOICES = {
    **{f"phq9_{n}": "1" for n in range(1, 9)},
    "phq9_9": "0",
    **{f"gad7_{n}": "2" for n in range(1, 8)},
    "adult": "yes",  # 18 or over (readiness version 3)
}
PICK = """choices => {
  const names = new Set([...document.querySelectorAll('input[type=radio]')]
    .filter(i => !i.closest('[hidden]')).map(i => i.name));
  for (const name of names) {
    const wanted = choices[name];
    const all = [...document.querySelectorAll(`input[type=radio][name="${name}"]`)];
    const el = all.find(i => i.value === wanted) || all[Math.floor(all.length / 2)];
    el.click();
  }
}"""


def test_one_link_with_readiness_phq9_and_gad7_answered_end_to_end(
    browser: Any, live_url: str, make_clinic: Any
) -> None:
    clinic_id, email = make_clinic("bundle")
    staff_row = db.session.scalar(select(Staff).where(Staff.email == email))
    assert staff_row is not None
    staff_row.role = Role.ADMIN
    db.session.commit()

    staff_context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US")
    staff = staff_context.new_page()
    staff.set_default_timeout(15_000)
    sign_in(staff, live_url, email)
    staff.goto(f"{live_url}/staff/sets/new")
    staff.fill("#name", "First appointment")
    staff.select_option("#part_1", "readiness")
    staff.select_option("#part_2", "phq9")
    staff.select_option("#part_3", "gad7")
    click_and_wait(staff, "button.primary")
    assert "First appointment" in staff.inner_text("main")
    check(staff, "intake-sets")
    # Two that cannot be one intake: said beside the second choice, nothing saved.
    staff.goto(f"{live_url}/staff/sets/new")
    staff.fill("#name", "Twice")
    staff.select_option("#part_1", "phq9")
    staff.select_option("#part_2", "phq9")
    click_and_wait(staff, "button.primary")
    assert "'phq9' is chosen twice" in staff.inner_text("#part_2-error")
    assert staff.get_attribute("#part_2", "aria-describedby") == "part_2-error"
    assert staff.input_value("#name") == "Twice"
    check(staff, "intake-set-error")
    staff.goto(f"{live_url}/staff/invite")
    check(staff, "invite-client-with-sets")
    staff.fill("#client_name", "Jamie Okafor")
    staff.select_option(
        "#questionnaire_id", label="Intake set: First appointment (readiness, phq9, gad7)"
    )
    click_and_wait(staff, "button.primary")
    link = local(live_url, str(staff.input_value("#link")))

    context = browser.new_context(viewport=PHONE, has_touch=True, locale="en-US")
    client = context.new_page()
    client.set_default_timeout(15_000)
    client.goto(link)
    client.fill("#consent_name", "Jamie Okafor")
    click_and_wait(client, "button.primary")
    progress: list[tuple[int, int]] = []
    self_harm_questions = 0
    while "/review" not in client.url:
        words = client.inner_text(".progress-text").split()  # Step k of n
        progress.append((int(words[1]), int(words[3])))
        self_harm_questions += client.inner_text("main").count("better off dead")
        if after_save("/contact").search(client.url):
            client.check("#declined")
        else:
            for box in ("why_now", "hopes"):
                if client.locator(f"#{box}").count():
                    client.fill(f"#{box}", "Sleep has been poor since the spring.")
            client.evaluate(PICK, CHOICES)
        if "/p/phq9" in client.url:
            screenshot(client, "set-01-phq9-phone")
            assert axe_violations(client) == [], describe(axe_violations(client))
            wide = client.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert wide <= 1, "the PHQ-9 page scrolls sideways on a phone"
        click_and_wait(client, NEXT)
        assert "/support" not in client.url
    # One progress bar over the three questionnaires (and the contact step), the self-harm
    # question asked once.
    # (a page shown again, say with a question that appeared, keeps its number).
    steps = sorted(set(progress))
    assert [k for k, _ in steps] == list(range(1, len(steps) + 1)), progress
    assert steps[-1][1] == len(steps) >= 9, progress
    assert self_harm_questions == 1
    click_and_wait(client, "button.primary")
    client.wait_for_url("**/done")
    context.close()

    staff.goto(f"{live_url}/staff/")
    click_and_wait(staff, "text=Jamie Okafor")
    staff.wait_for_selector("section.measure")
    intake_id = int(staff.url.rstrip("/").rsplit("/", 1)[1])
    html = staff.inner_text("main")
    assert "Where the client is starting from" in html
    measures = staff.locator("section.measure")
    assert measures.count() == 2
    # Lower case: a table's header row may be set in capitals.
    phq9, gad7 = (" ".join(measures.nth(n).inner_text().lower().split()) for n in range(2))
    assert "patient health questionnaire (phq-9)" in phq9 and "on a scale of 0–27" in phq9
    assert "total 8 on a scale of 0–27: mild" in phq9 and "9 of 9 answered" in phq9
    assert "gad-7" in gad7 and "7 of 7 answered" in gad7
    assert "total 14 on a scale of 0–21: moderate" in gad7
    pdf = staff.request.get(f"{live_url}/staff/intakes/{intake_id}/brief.pdf")
    assert pdf.status == 200
    text = " ".join(
        " ".join((p.extract_text() or "") for p in PdfReader(io.BytesIO(pdf.body())).pages).split()
    )
    assert "3 questionnaires:" in text and "Where the client is starting from" in text
    assert "on a scale of 0–27" in text and "on a scale of 0–21" in text
    staff_context.close()
    assert clinic_id
