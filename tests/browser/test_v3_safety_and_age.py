"""Version 3's safety follow-ups and 18-or-over item on a phone, in English and Spanish, axe
clean: after "right now: yes" the crisis page leads with the emergency number and "stay with
someone you trust"; a client under 18 is told kindly what to do instead and asked no more."""

from __future__ import annotations

from typing import Any

import pytest

from intake.db import db
from intake.models import Clinic, Intake
from tests.browser.conftest import PHONE, after_save, axe_violations, describe, screenshot
from tests.helpers import safety_v3_intake

NEXT = "button.primary[value=next]"
LOCALES = {"en": "en-US", "es": "es-ES"}


@pytest.fixture
def clinic_id(make_clinic: Any) -> int:
    clinic_id, _ = make_clinic("harbour")
    clinic = db.session.get(Clinic, clinic_id)
    assert clinic is not None
    clinic.name = "Harbour Street Therapy"
    db.session.commit()
    return clinic_id


def click_and_wait(page: Any, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)
    page.wait_for_load_state()


def clean(page: Any, name: str) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{name}: {describe(violations)}"
    wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 1, f"{name} scrolls sideways by {wide}px"
    screenshot(page, f"v3-{name}-phone")


def begin(browser: Any, live_url: str, intake: Intake, lang: str) -> tuple[Any, Any]:
    """A phone-sized browser that has signed the consent and is on the first page."""
    context = browser.new_context(viewport=PHONE, locale=LOCALES[lang])
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_url}/i/{intake.token}?lang={lang}")
    page.fill("#consent_name", "Sam Client")
    click_and_wait(page, "button.primary")
    page.wait_for_url("**/p/about")
    return context, page


@pytest.mark.parametrize("lang", ["en", "es"])
def test_right_now_yes_puts_the_number_and_stay_with_someone_first(
    browser: Any, live_url: str, clinic_id: int, lang: str
) -> None:
    intake = safety_v3_intake(clinic_id)
    context, page = begin(browser, live_url, intake, lang)
    try:
        page.check("#adult-0")
        click_and_wait(page, NEXT)
        page.wait_for_url(after_save("/contact"))
        page.check("#declined")
        click_and_wait(page, NEXT)
        page.wait_for_url(after_save("/p/wellbeing"))
        assert not page.is_visible("#safety_now-0")
        page.check("#self_harm-2")
        # The follow-ups appear in place after a positive answer.
        page.wait_for_selector("#safety_now-0", state="visible")
        clean(page, f"follow-ups-{lang}")
        page.check("#safety_now-0")
        page.check("#safety_ever-1")
        click_and_wait(page, NEXT)
        page.wait_for_url("**/support?next=**")
        clean(page, f"crisis-right-now-{lang}")
        # Read in order: heading, the number, "stay with someone", then the rest.
        order = page.evaluate(
            """() => [...document.querySelectorAll('main section.crisis > *')]
                 .map(e => e.matches('h1') ? 'heading' : e.classList.contains('emergency')
                   ? 'number' : e.classList.contains('stay') ? 'stay' : 'other')"""
        )
        assert order[:3] == ["heading", "number", "stay"], order
        assert page.is_visible("main a.call[href^='tel:']")
        heading = {"en": "Please get help now", "es": "Por favor, busque ayuda ahora"}[lang]
        assert page.inner_text("main h1").strip() == heading
        # The number sits in the first screenful of a phone.
        box = page.locator("main a.call").bounding_box()
        assert box is not None and box["y"] + box["height"] < PHONE["height"]
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["en", "es"])
def test_under_18_is_told_what_to_do_instead(
    browser: Any, live_url: str, clinic_id: int, lang: str
) -> None:
    intake = safety_v3_intake(clinic_id, name="Robin Young")
    context, page = begin(browser, live_url, intake, lang)
    try:
        page.check("#adult-1")
        click_and_wait(page, NEXT)
        page.wait_for_url("**/under-18")
        clean(page, f"under-18-{lang}")
        text = page.inner_text("main")
        doctor = {"en": "family doctor", "es": "médico de familia"}[lang]
        in_touch = {"en": "will be in touch", "es": "se pondrá en contacto"}[lang]
        assert doctor in text and in_touch in text
        assert page.is_visible("main a.call[href^='tel:']")
        # No more questions: the next page leads back here.
        page.goto(f"{live_url}/i/{intake.token}/p/wellbeing")
        page.wait_for_url("**/under-18")
    finally:
        context.close()
