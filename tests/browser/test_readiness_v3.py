"""Version 3 of the default questionnaire in Chromium on a phone, in English and in Spanish:
the wellbeing page comes second (after the contact step), an answer above "not at all" shows
the two follow-ups in place, "right now: yes" leads to the crisis page and flags the intake
urgent; every page on the way is axe-clean. Without JavaScript the follow-ups appear when the
client comes back from the crisis page."""

from __future__ import annotations

from typing import Any

import pytest

from intake import catalogue, lifecycle
from intake.db import db
from intake.models import Clinic, Intake
from tests.browser.conftest import PHONE, after_save, axe_violations, describe, screenshot

NEXT = "button.primary[value=next]"
TEXTS = {
    "en": {
        "now": "What brings you here",
        "wellbeing": "How you have been lately",
        "why_now": "Since the move I have stopped sleeping properly.",
        "hopes": "To sleep again.",
        "now_prompt": "Are you having thoughts of ending your life right now?",
        "ever_prompt": "Have you ever tried to end your life?",
        "rather": "I'd rather not say",
    },
    "es": {
        "now": "Qué le trae aquí",
        "wellbeing": "Cómo se ha sentido últimamente",
        "why_now": "Desde la mudanza duermo mal.",
        "hopes": "Volver a dormir bien.",
        "now_prompt": "¿Tiene pensamientos de quitarse la vida en este momento?",
        "ever_prompt": "¿Alguna vez ha intentado quitarse la vida?",
        "rather": "Prefiero no decirlo",
    },
}


def click_and_wait(page: Any, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)
    page.wait_for_load_state()


def axe_clean(page: Any, name: str) -> None:
    found = axe_violations(page)
    assert found == [], f"{name}: {describe(found)}"
    wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 1, f"{name} scrolls sideways by {wide}px"


def reload(intake: Intake) -> Intake:
    db.session.expire_all()
    fresh = db.session.get(Intake, intake.id)
    assert fresh is not None
    return fresh


@pytest.fixture
def intake(make_clinic: Any) -> Intake:
    """An invitation on the newest built-in readiness questionnaire (version 3)."""
    clinic_id, _ = make_clinic("harbour")
    clinic = db.session.get(Clinic, clinic_id)
    version = catalogue.latest_builtin("readiness")
    assert clinic is not None and version is not None and version.version == 3
    clinic.name = "Harbour Street Therapy"
    db.session.commit()
    return lifecycle.invite(clinic, "Robin Ashdown", version)


def to_the_wellbeing_page(page: Any, base: str, language: str) -> None:
    """Consent, the first page, the contact step: the wellbeing page is next."""
    words = TEXTS[language]
    page.goto(base)
    assert page.get_attribute("html", "lang") == language
    page.fill("#consent_name", "Robin Ashdown")
    click_and_wait(page, "button.primary")
    page.wait_for_url("**/p/now")
    assert page.inner_text("h1") == words["now"]
    page.check("#adult-0")
    page.fill("#why_now", words["why_now"])
    page.fill("#hopes", words["hopes"])
    click_and_wait(page, NEXT)
    page.wait_for_url(after_save("/contact"))
    page.fill("#email", "robin@example.org")
    click_and_wait(page, NEXT)
    page.wait_for_url(after_save("/p/wellbeing"))
    assert page.inner_text("h1") == words["wellbeing"]


@pytest.mark.parametrize("language", ["en", "es"])
def test_wellbeing_second_and_follow_ups_after_a_positive_answer(
    browser: Any, live_url: str, intake: Intake, language: str
) -> None:
    locale = {"en": "en-US", "es": "es-ES"}[language]
    context = browser.new_context(viewport=PHONE, has_touch=True, locale=locale)
    page = context.new_page()
    page.set_default_timeout(15_000)
    words = TEXTS[language]
    to_the_wellbeing_page(page, f"{live_url}/i/{intake.token}", language)
    # The step counter says so too: the first page, the contact step, then this one.
    assert "3" in page.inner_text("main")

    # Not asked before an answer; none on "not at all".
    assert not page.locator("#safety_now-0").is_visible()
    assert not page.locator("#safety_ever-0").is_visible()
    page.check("#self_harm-0")
    assert not page.locator("#safety_now-0").is_visible()
    axe_clean(page, f"{language} wellbeing")

    # Above "not at all": both follow-ups appear in place, with "rather not say".
    page.check("#self_harm-1")
    page.locator("#safety_now-0").wait_for(state="visible")
    assert page.locator("#safety_ever-0").is_visible()
    text = page.inner_text("main")
    assert words["now_prompt"] in text and words["ever_prompt"] in text
    assert text.count(words["rather"]) == 2
    axe_clean(page, f"{language} wellbeing with follow-ups")
    screenshot(page, f"v3-{language}-wellbeing-follow-ups-phone")

    page.check("#safety_now-0")  # right now: yes
    click_and_wait(page, NEXT)
    page.wait_for_url("**/support?next=change")
    axe_clean(page, f"{language} crisis page")
    screenshot(page, f"v3-{language}-crisis-right-now-phone")
    stored = reload(intake)
    assert stored.urgent
    assert stored.answers["self_harm"] == 1 and stored.answers["safety_now"] == "yes"
    assert "safety_ever" not in stored.answers  # never required
    context.close()


def test_without_javascript_the_follow_ups_come_after_the_crisis_page(
    browser: Any, live_url: str, intake: Intake
) -> None:
    context = browser.new_context(
        viewport=PHONE, has_touch=True, locale="en-US", java_script_enabled=False
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    base = f"{live_url}/i/{intake.token}"
    to_the_wellbeing_page(page, base, "en")
    page.check("#self_harm-2")
    click_and_wait(page, NEXT)
    # Flagged at once, help first; the follow-ups wait on the page the client comes back to.
    page.wait_for_url("**/support?next=wellbeing")
    assert reload(intake).urgent
    page.goto(f"{base}/p/wellbeing")
    assert page.locator("#safety_now-0").is_visible()
    page.check("#safety_now-1")  # no
    page.check("#safety_ever-2")  # rather not say
    click_and_wait(page, NEXT)
    page.wait_for_url(after_save("/p/change"))
    answers = reload(intake).answers
    assert (answers["safety_now"], answers["safety_ever"]) == ("no", "rather_not_say")
    context.close()
