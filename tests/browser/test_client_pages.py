"""The client's side in a real browser: axe-core on every page, keyboard only, in Spanish."""

from __future__ import annotations

import re
from typing import Any

import pytest

from intake.db import db
from intake.models import Clinic, Intake
from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    after_save,
    axe_violations,
    describe,
    screenshot,
)

NEXT = "button.primary[value=next]"


def intake_url(live_url: str, intake: Intake) -> str:
    return f"{live_url}/i/{intake.token}"


def reload(intake: Intake) -> Intake:
    db.session.expire_all()
    fresh = db.session.get(Intake, intake.id)
    assert fresh is not None
    return fresh


@pytest.fixture
def intake(make_clinic: Any, make_intake: Any) -> Intake:
    clinic_id, _ = make_clinic("harbour")
    clinic = db.session.get(Clinic, clinic_id)
    assert clinic is not None
    clinic.name = "Harbour Street Therapy"
    db.session.commit()
    return make_intake(clinic_id, name="Robin Ashdown")


def consented(page: Any, live_url: str, intake: Intake) -> str:
    """Open the intake's link and give consent; the link's address."""
    base = intake_url(live_url, intake)
    page.goto(base)
    page.fill("#consent_name", "Robin Ashdown")
    click_and_wait(page, "button.primary")
    return base


def check(page: Any, name: str) -> None:
    """No axe violation on the page as it is now; pictures at phone and desktop size."""
    violations = axe_violations(page)
    assert violations == [], f"{name}: {describe(violations)}"
    # Nothing may scroll sideways on a phone, nor at 320 px: 1280 px at 400% zoom (WCAG 1.4.10).
    for width in (PHONE["width"], 320):
        page.set_viewport_size({"width": width, "height": PHONE["height"]})
        wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert wide <= 1, f"{name} scrolls sideways by {wide}px at {width}px"
    screenshot(page, f"{name}-phone")
    page.set_viewport_size(DESKTOP)
    screenshot(page, f"{name}-desktop")
    page.set_viewport_size(PHONE)


def focused(page: Any, selector: str) -> bool:
    return bool(page.evaluate("s => document.activeElement.matches(s)", selector))


def tab_to(page: Any, selector: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches the selector."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(page, selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def choose(page: Any, name: str, steps: int = 0) -> None:
    """Tick a radio button by keyboard: Tab into the group, Space, then arrow down."""
    tab_to(page, f"input[name={name}]")
    page.keyboard.press("Space")
    for _ in range(steps):
        page.keyboard.press("ArrowDown")


def press_and_wait(page: Any, key: str = "Enter") -> None:
    with page.expect_navigation():
        page.keyboard.press(key)
    page.wait_for_load_state()


def click_and_wait(page: Any, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)
    page.wait_for_load_state()


def heading(page: Any) -> str:
    return str(page.inner_text("h1"))


def test_every_client_page_passes_axe(phone: Any, live_url: str, intake: Intake) -> None:
    page = phone
    base = intake_url(live_url, intake)
    page.goto(base)
    assert focused(page, "h1")
    check(page, "01-welcome")
    click_and_wait(page, "button.primary")  # no name typed: the error state
    assert focused(page, ".error-summary")
    check(page, "02-welcome-error")
    page.fill("#consent_name", "Robin Ashdown")
    click_and_wait(page, "button.primary")
    page.wait_for_url("**/p/now")
    check(page, "03-now")
    heading_at = "document.querySelector('main h1').getBoundingClientRect().top + scrollY"
    before = page.evaluate(heading_at)
    page.fill("#hopes", "Sleep again.")
    # The autosave's "saved" fills a line kept for it: nothing the client reads moves.
    page.wait_for_selector("#save-status:has-text('saved')")
    assert page.evaluate(heading_at) == before
    click_and_wait(page, NEXT)
    assert focused(page, ".error-summary")
    check(page, "04-now-error")
    page.fill("#why_now", "Since the move I have stopped sleeping properly.")
    click_and_wait(page, NEXT)
    # Next leads on with ?saved=1 and the step says so (not a flash: no session write); the
    # script then takes the flag out of the address, so a reload does not say it again.
    assert page.inner_text("#save-status") == "Your answers are saved."
    page.wait_for_url(re.compile(r"/p/change$"))
    page.reload()
    assert page.inner_text("#save-status") == ""
    for name in ("05-change", "06-reasons", "07-expectations", "08-ways"):
        assert focused(page, "h1"), name
        check(page, name)
        click_and_wait(page, NEXT)
    page.wait_for_url(after_save("/p/practical"))
    page.check("#contact-1")  # by phone: a question appears in place
    page.wait_for_selector("#q-leave_message:not([hidden])")
    # The autosave's own "saved" (the line already says so after Next): its time beside it.
    page.wait_for_selector("#save-status:has-text('saved') + .save-time:not(:empty)")
    check(page, "09-practical-autosaved")
    click_and_wait(page, NEXT)
    # The contact step (every questionnaire has it, before its safety question).
    page.wait_for_url(after_save("/contact"))
    assert focused(page, "h1")
    check(page, "09b-contact")
    click_and_wait(page, NEXT)  # neither a number nor an email, nor declined
    assert focused(page, ".error-summary")
    check(page, "09c-contact-error")
    page.check("#declined")
    click_and_wait(page, NEXT)
    page.wait_for_url(after_save("/p/wellbeing"))
    check(page, "10-wellbeing")
    click_and_wait(page, NEXT)  # left blank: asked once more
    page.wait_for_selector(".ask-again")
    check(page, "11-wellbeing-ask-again")
    page.check("#self_harm-1")
    click_and_wait(page, NEXT)
    page.wait_for_url("**/support?next=review")
    assert focused(page, "h1")
    check(page, "12-support")
    click_and_wait(page, "text=Continue my questions")
    page.wait_for_url("**/review")
    check(page, "13-review")
    page.goto(f"{base}/p/practical")
    click_and_wait(page, "button.link[value=save]")
    page.wait_for_url("**/saved")
    check(page, "14-saved")
    page.goto(f"{base}/review")
    click_and_wait(page, "button.primary")
    page.wait_for_url("**/done")
    check(page, "15-done-with-support")
    page.goto(f"{base}/done?lang=es")
    assert heading(page) == "Gracias, sus respuestas se han enviado"
    check(page, "16-done-es")
    page.goto(f"{live_url}/i/no-such-link")
    check(page, "17-not-found")
    page.goto(f"{live_url}/")
    check(page, "18-home")


def test_review_with_a_missing_answer_and_a_question_added_by_the_server(
    browser: Any, phone: Any, live_url: str, intake: Intake
) -> None:
    page = phone
    base = consented(page, live_url, intake)
    page.goto(f"{base}/review")
    check(page, "20-review-missing")
    # The network drops the autosave: the page says so, and Next still does everything.
    page.route("**/autosave", lambda route: route.abort())
    page.goto(f"{base}/p/practical")
    page.check("#contact-1")
    page.wait_for_selector("#save-status:has-text('could not be saved')")
    assert page.is_hidden("#q-leave_message")
    click_and_wait(page, NEXT)
    assert page.is_visible("#q-leave_message") and focused(page, ".added-summary")
    check(page, "21-practical-question-added-by-the-server")

    # Without JavaScript at all, the same page works by posting.
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    bare = context.new_page()
    bare.goto(f"{base}/p/practical")
    assert bare.is_visible("#q-leave_message")  # contact=phone is saved by now
    bare.check("#contact-0")
    click_and_wait(bare, NEXT)
    assert after_save("/contact").search(bare.url)  # the contact step, a plain form too
    bare.fill("#email", "robin@example.org")
    click_and_wait(bare, NEXT)
    assert after_save("/p/wellbeing").search(bare.url)
    screenshot(bare, "22-wellbeing-without-script-phone")
    context.close()
    assert "leave_message" not in reload(intake).answers


def test_an_answer_the_autosave_refused_is_named_not_called_saved(
    phone: Any, live_url: str, intake: Intake
) -> None:
    page = phone
    base = consented(page, live_url, intake)
    page.goto(f"{base}/p/practical")
    page.check("#contact-1")
    page.wait_for_selector("#save-status:has-text('saved')")
    # A date already past fails its check: the line names the question and what to change.
    page.fill("#earliest_start", "2020-01-01")
    page.wait_for_selector("#save-status:has-text('needs a change')")
    status = page.inner_text("#save-status")
    assert "From what date could you start? \u2014 This date has already passed." in status
    assert page.get_attribute("#save-status", "class") == "save-status unsaved"
    assert page.inner_text(".save-time") == ""
    stored = reload(intake).answers
    assert stored["contact"] == "phone" and "earliest_start" not in stored
    check(page, "23-practical-autosave-refused")
    # Changed to a date ahead, it is saved, and the line says so again.
    page.fill("#earliest_start", "2099-01-01")
    page.wait_for_selector("#save-status:text-is('Your answers are saved.')")
    assert page.get_attribute("#save-status", "class") == "save-status"
    assert reload(intake).answers["earliest_start"] == "2099-01-01"


def test_whole_intake_by_keyboard_on_a_phone_in_spanish(
    browser: Any, live_url: str, intake: Intake
) -> None:
    context = browser.new_context(viewport=PHONE, has_touch=True, locale="es-ES")
    page = context.new_page()
    base = intake_url(live_url, intake)
    page.goto(base)
    assert page.get_attribute("html", "lang") == "es"
    assert focused(page, "h1")
    tab_to(page, "#consent_name")
    page.keyboard.type("Robin Ashdown")
    press_and_wait(page)
    assert heading(page) == "Qué le trae aquí"
    assert focused(page, "h1")  # the screen reader starts at the top of the new page
    screenshot(page, "es-01-now")
    # A required answer forgotten: the summary is announced, focused and links to the box.
    # At 320 px the autosave's "saved" and its time take two lines, kept for them: the
    # question being typed in does not move.
    page.set_viewport_size({"width": 320, "height": PHONE["height"]})
    box_at = "document.querySelector('#hopes').getBoundingClientRect().top + scrollY"
    before = page.evaluate(box_at)
    tab_to(page, "#hopes")
    page.keyboard.type("Volver a dormir bien.")
    page.wait_for_selector("#save-status:not(:empty) + .save-time:not(:empty)")
    assert page.evaluate("document.querySelector('.save-line').offsetHeight") > 40  # two lines
    assert page.evaluate(box_at) == before
    page.set_viewport_size(PHONE)
    tab_to(page, NEXT)
    press_and_wait(page)
    assert focused(page, ".error-summary")
    assert "Por favor, responda esta pregunta." in page.inner_text(".error-summary")
    screenshot(page, "es-02-now-error")
    page.keyboard.press("Tab")
    assert focused(page, ".error-summary a")
    page.keyboard.press("Enter")
    assert focused(page, "#why_now")
    page.keyboard.type("Desde la mudanza duermo mal y mi hermano lo notó.")
    tab_to(page, NEXT)
    press_and_wait(page)
    assert heading(page) == "En qué punto está frente al cambio"
    for name, steps in (("cr_want", 3), ("cr_begun", 2), ("cr_unsure", 1), ("cr_clarity", 3)):
        choose(page, name, steps)
    choose(page, "importance", 8)
    choose(page, "confidence", 6)
    screenshot(page, "es-03-change")
    tab_to(page, NEXT)
    press_and_wait(page)
    assert heading(page) == "Sus razones para venir"
    choose(page, "own_want", 4)
    tab_to(page, NEXT)
    press_and_wait(page)
    assert heading(page) == "Qué espera de la terapia"
    context.close()

    # Leaves in the middle; comes back by the same link on another device, whose browser
    # prefers English: the intake remembers Spanish and where the client stopped.
    other = browser.new_context(viewport=PHONE, has_touch=True, locale="en-US")
    page = other.new_page()
    page.goto(base)
    page.wait_for_url("**/p/expectations")
    assert heading(page) == "Qué espera de la terapia"
    assert page.get_attribute("html", "lang") == "es"
    choose(page, "previous_therapy", 1)  # No
    tab_to(page, NEXT)
    press_and_wait(page)
    assert heading(page) == "Cómo enfrenta las cosas"
    tab_to(page, NEXT)
    press_and_wait(page)
    assert heading(page) == "Cuestiones prácticas"
    choose(page, "contact", 1)  # by phone: the follow-up question appears in place
    page.wait_for_selector("#q-leave_message:not([hidden])")
    choose(page, "leave_message", 1)  # No
    screenshot(page, "es-04-practical")
    tab_to(page, NEXT)
    press_and_wait(page)
    assert heading(page) == "Cómo podemos comunicarnos con usted"
    tab_to(page, "#phone")
    page.keyboard.type("+34 612 345 678")
    screenshot(page, "es-04b-contact")
    tab_to(page, NEXT)
    press_and_wait(page)
    assert heading(page) == "Cómo se ha sentido últimamente"
    choose(page, "self_harm", 0)  # Ningún día
    tab_to(page, NEXT)
    press_and_wait(page)
    assert heading(page) == "Revise sus respuestas"
    assert "Por llamada telefónica" in page.inner_text("main")
    screenshot(page, "es-05-review")
    tab_to(page, "button.primary")
    press_and_wait(page)
    assert heading(page) == "Gracias, sus respuestas se han enviado"
    screenshot(page, "es-06-done")
    other.close()

    stored = reload(intake)
    assert stored.status == "submitted" and stored.language == "es"
    assert stored.consent_name == "Robin Ashdown" and stored.consent_version == "2026-11/es"
    assert stored.answers["why_now"].startswith("Desde la mudanza")
    assert stored.answers["cr_want"] == 4 and stored.answers["importance"] == 8
    assert stored.answers["contact"] == "phone" and stored.answers["leave_message"] == "no"
    assert stored.answers["self_harm"] == 0 and not stored.urgent
    assert stored.contact is not None and stored.contact.phone == "+34612345678"


def test_safety_path_shows_help_first_and_lets_the_client_continue(
    phone: Any, live_url: str, intake: Intake
) -> None:
    page = phone
    base = consented(page, live_url, intake)
    page.goto(f"{base}/p/wellbeing")
    tab_to(page, "input[name=self_harm]")
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")  # several days
    # The background save keeps it for Next (which shows the crisis page), and says so.
    page.wait_for_selector("#save-status:has-text('about your safety is saved when you press')")
    assert not reload(intake).urgent
    tab_to(page, NEXT)
    press_and_wait(page)
    assert heading(page) == "You do not have to carry this alone"
    assert focused(page, "h1")
    order = page.evaluate(
        "() => [...document.querySelectorAll('main a, main p')].map(e => e.textContent.trim())"
    )
    assert order[0].startswith("In an emergency, call") and "911" in order[0]
    assert page.get_attribute("a.call", "href") == "tel:911"
    assert reload(intake).urgent
    check(page, "30-support-phone")
    tab_to(page, "a.button.primary")
    press_and_wait(page)
    assert heading(page) == "Check your answers"


def test_self_referral_and_closed_link_pages_pass_axe(
    phone: Any, live_url: str, intake: Intake, make_intake: Any
) -> None:
    from datetime import timedelta

    from intake import erasure
    from intake.models import utcnow

    clinic = db.session.get(Clinic, intake.clinic_id)
    assert clinic is not None
    clinic.self_referral_token = "harbour-door"
    expired = make_intake(intake.clinic_id, name="Sam Late")
    expired.expires_at = utcnow() - timedelta(days=1)
    db.session.commit()
    erased = make_intake(intake.clinic_id, name="Kim Erased")
    erased_url = intake_url(live_url, erased)
    erasure.erase(erased)
    page = phone
    page.goto(f"{live_url}/r/harbour-door")
    check(page, "23-self-referral")
    page.click("button.primary")  # no name: the message sits beside the field
    page.wait_for_selector(".field-error")
    check(page, "24-self-referral-error")
    page.goto(intake_url(live_url, expired))
    assert "expired" in heading(page)
    check(page, "25-link-expired")
    page.goto(erased_url)
    assert heading(page) == "This link has closed"
    assert "Kim Erased" not in page.inner_text("body")
    check(page, "26-link-erased")


def test_phq9_alone_in_spanish_on_a_phone(
    browser: Any, live_url: str, intake: Intake, make_intake: Any
) -> None:
    from intake import catalogue, lifecycle

    clinic = db.session.get(Clinic, intake.clinic_id)
    version = catalogue.latest_builtin("phq9")
    assert clinic is not None and version is not None
    phq9 = lifecycle.invite(clinic, "Robin Ashdown", version)
    context = browser.new_context(viewport=PHONE, has_touch=True, locale="es-ES")
    page = context.new_page()
    base = intake_url(live_url, phq9)
    page.goto(base)
    assert heading(page) == "Cuestionario sobre la salud del paciente (PHQ-9)"
    check(page, "40-phq9-welcome-es")
    page.fill("#consent_name", "Robin Ashdown")
    click_and_wait(page, "button.primary")
    # The contact step comes first: the PHQ-9's one page holds its safety question.
    page.wait_for_url("**/contact")
    assert heading(page) == "Cómo podemos comunicarnos con usted"
    page.fill("#phone", "+34 612 345 678")
    check(page, "40b-phq9-contact-es")
    click_and_wait(page, NEXT)
    page.wait_for_url(after_save("/p/phq9"))
    assert "Poco interés o placer en hacer cosas" in page.inner_text("main")
    assert page.is_hidden("#q-phq9_difficulty")  # asked once a problem is ticked
    check(page, "41-phq9-es")
    for n in range(1, 9):
        page.check(f"#phq9_{n}-1")  # Varios días
    page.wait_for_selector("#q-phq9_difficulty:not([hidden])")
    page.check("#phq9_9-0")  # Ningún día
    page.check("#phq9_difficulty-1")
    check(page, "42-phq9-es-difficulty-shown")
    click_and_wait(page, NEXT)
    page.wait_for_url(after_save("/review"))
    assert page.inner_text("main .notice") == "Sus respuestas están guardadas."
    check(page, "43-phq9-review-es")
    click_and_wait(page, "button.primary")
    page.wait_for_url("**/done")
    context.close()
    stored = reload(phq9)
    assert stored.result is not None and stored.result["dimensions"][0]["score"] == 8
    assert stored.answers["phq9_difficulty"] == "somewhat" and not stored.urgent
    assert stored.contact is not None and stored.contact.phone == "+34612345678"


def test_a_ruler_keeps_0_to_10_on_one_row_on_a_phone(
    phone: Any, live_url: str, intake: Intake
) -> None:
    page = phone
    base = consented(page, live_url, intake)
    page.goto(f"{base}/p/change")
    for width in (PHONE["width"], 320):
        page.set_viewport_size({"width": width, "height": PHONE["height"]})
        rows = page.evaluate(
            """() => [...document.querySelectorAll('.options.ruler')].map(group =>
                 new Set([...group.querySelectorAll('input[type=radio]:not([value=__declined__])')]
                   .map(box => Math.round(box.getBoundingClientRect().top))).size)"""
        )
        assert rows and all(n == 1 for n in rows), f"rows of each ruler at {width}px: {rows}"
    screenshot(page, "ruler-one-row-phone")
