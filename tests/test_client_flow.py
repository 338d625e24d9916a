"""The client's wizard through the test client: every path a person can take, in two languages."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, request, request_started
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy import event, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from intake import intake_sets, lifecycle, notify
from intake.accounts.auth import login_manager
from intake.brief.build import brief_for
from intake.client import forms as client_forms
from intake.client import own_copy, wizard
from intake.client.forms import page_form
from intake.db import db
from intake.models import Intake, IntakeStatus, Job, utcnow
from intake.questionnaire.model import ItemType
from tests.helpers import (
    DEFINITION,
    EXAMPLE_A,
    FULL,
    WHO_READS,
    WORDS,
    as_in_production,
    autosave,
    complete,
    contact_url,
    csrf_token,
    definition_of_intake,
    fill_page,
    give_contact,
    page_url,
    pdf_text,
    post_form,
    reload,
    send_from_review,
    sign,
)


@pytest.fixture
def intake(make_clinic: Any, make_intake: Any) -> Intake:
    clinic_id, _ = make_clinic()
    return make_intake(clinic_id)


@pytest.fixture
def started(client: FlaskClient, intake: Intake) -> Intake:
    """An intake whose client has signed the consent on the welcome page."""
    sign(client, intake)
    return reload(intake)


def test_token_is_unguessable(intake: Intake) -> None:
    # 32 random bytes in URL-safe base64: at least 128 bits of entropy, as asked.
    assert len(intake.token) >= 43


def test_welcome_page_greets_and_explains(client: FlaskClient, intake: Intake) -> None:
    html = client.get(f"/i/{intake.token}").get_data(as_text=True)
    assert "Alex Client" in html and "North Practice" in html
    # Seven sections and the contact step (every questionnaire has it), and one more for
    # those who had therapy before ("Step k of 9").
    assert (
        "There are 8 or 9 short sections, depending on your answers."
        " Most people take about 15 minutes." in html
    )
    assert "come back later with the same link" in html
    assert WHO_READS["en"] in html.replace("&#39;", "'")
    # Said on the done page instead, after the questions that ask how the client sees it.
    assert "joint effort" not in html
    # The consent step: its text, a labelled name box that signs it, and today's date.
    assert DEFINITION.consent is not None
    assert " ".join(DEFINITION.consent.text.split()) in " ".join(html.split())
    assert '<label for="consent_name"' in html and 'autocomplete="name"' in html
    assert "<time datetime=" in html


def test_questions_wait_for_consent(client: FlaskClient, intake: Intake) -> None:
    response = client.get(page_url(intake, "now"))
    assert response.headers["Location"].endswith(f"/i/{intake.token}")
    response = post_form(client, f"/i/{intake.token}", {"consent_name": "   "})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'class="error-summary"' in html and 'href="#consent_name"' in html
    assert 'id="consent_name-error"' in html and 'aria-invalid="true"' in html
    assert "Please type your full name to give your consent." in html
    stored = reload(intake)
    assert stored.consent_at is None and stored.status == "invited"


def test_consent_is_signed_with_name_date_and_wording(client: FlaskClient, intake: Intake) -> None:
    response = sign(client, intake, "  Alex Morgan Client ")
    assert response.headers["Location"].endswith(page_url(intake, "now"))
    stored = reload(intake)
    assert stored.consent_name == "Alex Morgan Client"
    assert stored.consent_at is not None and stored.started_at is not None
    assert stored.consent_version == "2026-11/en"
    assert stored.status == "in_progress" and stored.answers == {}
    # Coming back by the link goes to the questions, not to the consent again.
    assert client.get(f"/i/{intake.token}").headers["Location"].endswith(page_url(intake, "now"))


def test_unknown_link_is_a_friendly_404(client: FlaskClient) -> None:
    response = client.get("/i/not-a-real-token")
    assert response.status_code == 404
    assert "contact the clinic" in response.get_data(as_text=True)


def test_complete_intake_is_scored_with_its_version(client: FlaskClient, intake: Intake) -> None:
    response = complete(client, intake, FULL)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/i/{intake.token}/done")
    done = client.get(f"/i/{intake.token}/done").get_data(as_text=True)
    assert "your answers have been sent" in done
    stored = reload(intake)
    assert stored.status == "submitted"
    assert stored.questionnaire.key == "readiness" and stored.questionnaire.version == 2
    assert stored.result is not None
    dims = {d["id"]: d for d in stored.result["dimensions"]}
    assert dims["change"]["score"] == pytest.approx(68.75)
    assert dims["expects_to_take_part"]["reversed"] == ["exp_fix", "exp_receive"]
    assert stored.answers["why_now"] == WORDS["why_now"]
    assert stored.answers["cr_want"] == 4  # ints stay ints
    assert stored.consent_version == "2026-11/en"


def test_progress_is_shown(client: FlaskClient, started: Intake) -> None:
    html = client.get(page_url(started, "now")).get_data(as_text=True)
    # 'Therapy before' is hidden until previous therapy is answered yes; the contact step counts.
    assert "Step 1 of 8" in html


def test_back_and_next_keep_answers(client: FlaskClient, started: Intake) -> None:
    fill_page(client, started, "now", FULL)
    response = fill_page(client, started, "change", {"cr_want": "2"}, action="back")
    assert response.headers["Location"].endswith(page_url(started, "now") + "?saved=1")
    html = client.get(page_url(started, "now")).get_data(as_text=True)
    assert "I keep losing sleep over work" in html
    html = client.get(page_url(started, "change")).get_data(as_text=True)
    assert re.search(r'<input checked id="cr_want-\d" name="cr_want" type="radio" value="2"', html)
    assert reload(started).answers["cr_want"] == 2


def test_back_does_not_demand_required_answers(client: FlaskClient, started: Intake) -> None:
    fill_page(client, started, "now", FULL)
    response = fill_page(client, started, "change", {}, action="back")
    assert response.status_code == 302


def test_resume_by_link_returns_where_the_client_stopped(
    client: FlaskClient, started: Intake
) -> None:
    fill_page(client, started, "now", FULL)
    fill_page(client, started, "change", FULL)
    # A new browser with the same link.
    with client.application.test_client() as other:
        response = other.get(f"/i/{started.token}")
        assert response.headers["Location"].endswith(page_url(started, "reasons"))
        html = other.get(page_url(started, "now")).get_data(as_text=True)
        assert "I keep losing sleep over work" in html


def test_save_and_continue_later(client: FlaskClient, started: Intake) -> None:
    response = fill_page(client, started, "now", {"why_now": "Half a thought"}, action="save")
    assert response.headers["Location"].endswith(f"/i/{started.token}/saved")
    html = client.get(f"/i/{started.token}/saved").get_data(as_text=True)
    assert "Your answers are saved" in html and started.token in html
    assert reload(started).answers["why_now"] == "Half a thought"
    assert client.get(f"/i/{started.token}").headers["Location"].endswith(page_url(started, "now"))


# "Your answers are saved." after Next or Back: a flag on the next step's address (?saved=1).

SAVE_STATUS = re.compile(
    r'<span class="save-status" id="save-status" role="status">([^<]*)</span>'
)


def save_status(html: str) -> str:
    """The wizard step's status line (the page also carries the text for its script)."""
    match = SAVE_STATUS.search(html)
    assert match, html[:2000]
    return match.group(1)


def session_cookies(response: Any, app: Flask) -> list[str]:
    """The Set-Cookie headers of a response that set the session cookie."""
    name = app.config["SESSION_COOKIE_NAME"] + "="
    return [c for c in response.headers.getlist("Set-Cookie") if c.startswith(name)]


def own_context_get(client: FlaskClient, address: str) -> Any:
    """A GET with the client's cookies, in a thread of its own so that it runs in an app
    context of its own, as in production (within a test every request otherwise shares the
    test's context, and so its `g`)."""
    cookie = client.get_cookie(client.application.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    browser = client.application.test_client(use_cookies=False)
    headers = {"Cookie": f"{cookie.key}={cookie.value}"}
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(browser.get, address, headers=headers).result()


def test_a_page_save_sets_no_session_cookie(client: FlaskClient, started: Intake) -> None:
    # The session holds the CSRF token, set when the first page was shown; a save and the
    # page after it leave it as it is (a flash wrote to it on each save, and again to clear).
    response = fill_page(client, started, "now", FULL)
    assert response.status_code == 302 and reload(started).answers["why_now"]
    assert session_cookies(response, client.application) == []
    shown = own_context_get(client, response.headers["Location"])
    assert shown.headers.getlist("Set-Cookie") == []
    assert save_status(shown.get_data(as_text=True)) == "Your answers are saved."


def test_client_pages_leave_the_cookies_alone(client: FlaskClient, started: Intake) -> None:
    # A client's pages never consult the staff sign-in: its strong protection finds a session
    # with no staff member's mark and rewrites it (the session cookie signed again, and a
    # remember-me deletion) on every page. A client's page acts for the link's holder alone.
    client.get(page_url(started, "now"))  # the form's CSRF token, in the session from now on
    for address in (
        page_url(started, "now"),
        f"/i/{started.token}/contact",
        page_url(started, "change") + "?saved=1",
        f"/i/{started.token}/review",
    ):
        shown = own_context_get(client, address)
        assert shown.status_code == 200, address
        assert shown.headers.getlist("Set-Cookie") == [], address


def test_a_client_page_opened_by_signed_in_staff_acts_for_the_client_alone(
    client: FlaskClient,
    make_clinic: Any,
    make_intake: Any,
    login: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clinic_id, therapist = make_clinic()
    intake = make_intake(clinic_id)
    login(therapist)
    loaded: list[str] = []
    load_staff = login_manager._user_callback
    assert load_staff is not None

    def counted(session_id: str) -> Any:
        loaded.append(session_id)
        return load_staff(session_id)

    monkeypatch.setattr(login_manager, "_user_callback", counted)
    shown = own_context_get(client, f"/i/{intake.token}")
    assert shown.status_code == 200 and loaded == []  # the staff member is never loaded
    assert own_context_get(client, "/staff/").status_code == 200  # and is still signed in
    assert len(loaded) == 1


def test_the_saved_notice_shows_after_a_save_only(client: FlaskClient, started: Intake) -> None:
    html = client.get(page_url(started, "now")).get_data(as_text=True)
    assert save_status(html) == ""
    response = fill_page(client, started, "now", FULL)
    assert response.headers["Location"] == page_url(started, "change") + "?saved=1"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert save_status(html) == "Your answers are saved."
    # Back says so too; a plain visit (a link, the address typed again) does not.
    back = fill_page(client, started, "change", FULL, action="back")
    assert back.headers["Location"] == page_url(started, "now") + "?saved=1"
    assert save_status(client.get(back.headers["Location"]).get_data(as_text=True))
    assert save_status(client.get(page_url(started, "change")).get_data(as_text=True)) == ""
    # A page posted from the flagged address (its form posts to it) and shown again with
    # what needs fixing: no notice there.
    url = page_url(started, "now") + "?saved=1"
    again = post_form(client, url, {"why_now": "x" * 4001, "action": "next"})
    assert again.status_code == 200 and save_status(again.get_data(as_text=True)) == ""


def test_the_saved_notice_shows_on_the_contact_step_and_the_review(
    client: FlaskClient, started: Intake
) -> None:
    for page_id in ("now", "change", "reasons", "expectations", "ways"):
        fill_page(client, started, page_id, FULL)
    to_contact = fill_page(client, started, "practical", FULL)
    assert to_contact.headers["Location"] == contact_url(started) + "?saved=1"
    html = client.get(to_contact.headers["Location"]).get_data(as_text=True)
    assert save_status(html) == "Your answers are saved."
    give_contact(client, started)
    onwards = fill_page(client, started, "wellbeing", FULL)
    assert onwards.headers["Location"] == f"/i/{started.token}/review?saved=1"
    notice = '<p class="notice" role="status">Your answers are saved.</p>'
    assert notice in client.get(onwards.headers["Location"]).get_data(as_text=True)
    assert notice not in client.get(f"/i/{started.token}/review").get_data(as_text=True)


def test_the_saved_notice_speaks_spanish_and_a_language_switch_does_not_repeat_it(
    client: FlaskClient, intake: Intake
) -> None:
    client.get(f"/i/{intake.token}?lang=es")
    sign(client, intake)
    response = fill_page(client, intake, "now", FULL)
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert save_status(html) == "Sus respuestas están guardadas."
    # The switcher links to the same page without the flag: switching saves nothing.
    assert f'href="{page_url(intake, "change")}?lang=en" lang="en"' in html
    assert "saved=1&amp;" not in html and "&amp;saved=1" not in html
    english = client.get(f"{page_url(intake, 'change')}?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english and save_status(english) == ""


def test_missing_required_answer_shows_message_beside_field(
    client: FlaskClient, started: Intake
) -> None:
    response = fill_page(client, started, "now", {"hopes": "Keep this text", "why_now": "  "})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'class="error-summary"' in html and 'href="#why_now"' in html
    assert "What brings you to therapy now? — Please answer this question." in html
    assert 'id="why_now-error"' in html and "Please answer this question." in html
    assert "Keep this text" in html  # nothing typed is lost
    assert reload(started).answers.get("hopes") == "Keep this text"


@pytest.mark.parametrize(
    ("page", "data", "message"),
    [
        ("practical", {"earliest_start": "31/02/2027", "contact": "email"}, "real date"),
        ("practical", {"contact": "carrier-pigeon"}, "choose one of the options"),
        ("change", {"cr_want": "9"}, "choose one of the options"),
        ("now", {"why_now": "x" * 4001, "hopes": "h"}, "under 4000 characters"),
        ("practical", {"contact": "email", "availability": ["weekend", "noon"]}, "options"),
    ],
    ids=["bad-date", "unknown-choice", "off-scale", "too-long", "unknown-checkbox"],
)
def test_bad_input_gets_a_clear_message(
    client: FlaskClient, started: Intake, page: str, data: dict[str, Any], message: str
) -> None:
    response = fill_page(client, started, page, data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)


def test_line_breaks_count_as_the_browser_counts_them(
    client: FlaskClient, started: Intake
) -> None:
    # The browser's maxlength counts a line break once but sends it as CR LF: a box filled
    # to its limit in the browser is within the limit here too, and stored with LF.
    lines = ["x" * 79] * 50
    sent = "\r\n".join(lines) + "\r\n"
    assert len(sent) > 4000 and len(sent.replace("\r\n", "\n")) == 4000
    response = fill_page(client, started, "now", {"why_now": sent, "hopes": "h"})
    assert response.status_code == 302
    assert reload(started).answers["why_now"] == "\n".join(lines)
    # One character more is still too long.
    response = fill_page(client, started, "now", {"why_now": sent + "x", "hopes": "h"})
    assert "under 4000 characters" in response.get_data(as_text=True)


def test_conditional_page_appears_only_when_it_applies(
    client: FlaskClient, intake: Intake
) -> None:
    complete(client, intake, {**FULL, "previous_therapy": "yes", "previous_details": "CBT, 2019"})
    stored = reload(intake)
    assert stored.answers["previous_details"] == "CBT, 2019"

    other = Intake(
        clinic_id=stored.clinic_id,
        client_name="B",
        questionnaire_id=stored.questionnaire_id,
        token="t" * 43,
        answers={},
        consent_at=stored.consent_at,
        status="in_progress",
    )
    db.session.add(other)
    db.session.commit()
    fill_page(client, other, "now", FULL)
    fill_page(client, other, "change", FULL)
    fill_page(client, other, "reasons", FULL)
    response = fill_page(client, other, "expectations", FULL)
    assert response.headers["Location"].endswith(page_url(other, "ways") + "?saved=1")
    assert client.get(page_url(other, "before")).status_code == 302


def test_double_submit_is_harmless(client: FlaskClient, intake: Intake) -> None:
    review = f"/i/{intake.token}/review"
    token = csrf_token(client, f"/i/{intake.token}")
    complete(client, intake, FULL)
    first = reload(intake).submitted_at
    # The same form sent a second time, as a double click or a resent request would.
    response = client.post(review, data={"csrf_token": token})
    assert response.headers["Location"].endswith(f"/i/{intake.token}/done")
    assert reload(intake).submitted_at == first


def test_submitted_intake_cannot_be_changed(client: FlaskClient, intake: Intake) -> None:
    sign(client, intake)
    # The token of the page as it was open in the browser before the client sent it.
    token = csrf_token(client, page_url(intake, "now"))
    complete(client, intake, FULL)
    response = client.post(
        page_url(intake, "now"),
        data={"why_now": "Changed later", "hopes": "x", "action": "next", "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/i/{intake.token}/done")
    assert reload(intake).answers["why_now"] == WORDS["why_now"]
    assert client.get(page_url(intake, "now")).headers["Location"].endswith("/done")


def test_post_without_csrf_token_is_refused(client: FlaskClient, intake: Intake) -> None:
    response = client.post(page_url(intake, "now"), data={"why_now": "x", "action": "next"})
    assert response.status_code == 400
    assert "Please try that again" in response.get_data(as_text=True)
    assert reload(intake).answers == {}


# The client's forms do not check the token themselves (forms.ClientForm): the one check
# before every view must refuse each of their posts without it, or with another's.
CLIENT_POSTS = ("", "/p/now", "/goals", "/contact", "/review")


@pytest.mark.parametrize("path", CLIENT_POSTS)
@pytest.mark.parametrize("token", [None, "not-the-token"])
def test_every_client_post_needs_the_csrf_token(
    client: FlaskClient, started: Intake, path: str, token: str | None
) -> None:
    before = reload(started)
    data = {"action": "next", "why_now": "x", "consent": "y", "consent_name": "A Name"}
    if token is not None:
        data["csrf_token"] = token
    response = client.post(f"/i/{started.token}{path}", data=data)
    assert response.status_code == 400
    after = reload(started)
    assert (after.answers, after.current_page, after.updated_at) == (
        before.answers,
        before.current_page,
        before.updated_at,
    )


def test_safety_answer_shows_crisis_information_next_and_flags_at_once(
    client: FlaskClient, started: Intake
) -> None:
    for page in ("now", "change", "reasons", "expectations", "ways", "practical"):
        fill_page(client, started, page, FULL)
    response = fill_page(client, started, "wellbeing", {"self_harm": "1"})
    assert response.status_code == 302
    assert f"/i/{started.token}/support" in response.headers["Location"]
    assert "saved" not in response.headers["Location"]  # the crisis page leads, not a notice
    # Flagged before the crisis page is even requested: holds if the client leaves now.
    stored = reload(started)
    assert stored.urgent and stored.urgent_at is not None and stored.status == "in_progress"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert html.index("You do not have to carry this alone") < html.index("Continue my questions")
    assert "911" in html and "988" in html
    # The emergency number comes first, as a link a phone can call.
    assert html.index('href="tel:911"') < html.index("988")
    assert 'href="/i/' + started.token + '/review"' in html


@contextmanager
def statements_seen(app: Flask) -> Iterator[list[str]]:
    """Every SQL statement run meanwhile; as in production, each request starts with nothing
    loaded (a test's requests otherwise share one session, which holds what the fixtures
    loaded)."""
    seen: list[str] = []

    def watch(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    def forget(_: Flask, **__: Any) -> None:
        db.session.expunge_all()

    event.listen(db.engine, "before_cursor_execute", watch)
    request_started.connect(forget, app)
    try:
        yield seen
    finally:
        request_started.disconnect(forget, app)
        event.remove(db.engine, "before_cursor_execute", watch)


def test_client_pages_read_no_clinic_setting_on_its_own(
    app: Flask, client: FlaskClient, started: Intake
) -> None:
    """The clinic's settings no client page reads are left out of every client page's first
    read (lifecycle._NOT_ON_CLIENT_PAGES); a page that read one after all would load it
    alone, one more query on every such page. The whole path, urgent answer, sending and the
    client's own copy included."""
    alone = re.compile(r"^SELECT clinic\.(\w+)(?: AS \w+)?\s+FROM clinic\s+WHERE", re.M)
    with statements_seen(app) as statements:
        for page in ("now", "change", "reasons", "expectations", "ways", "practical"):
            client.get(page_url(started, page))
            autosave(client, started, page, {"why_now": "Sleep."} if page == "now" else {})
            fill_page(client, started, page, FULL)
        support = fill_page(client, started, "wellbeing", {"self_harm": "1"}).headers["Location"]
        client.get(support)
        client.get(contact_url(started))
        give_contact(client, started, None)
        client.get(f"/i/{started.token}/saved")
        client.get(f"/i/{started.token}/review")
        sent = post_form(client, f"/i/{started.token}/review", {})
        assert sent.headers["Location"].endswith("/done")
        client.get(f"/i/{started.token}/done")
        assert client.get(f"/i/{started.token}/answers.pdf").status_code == 200
    loaded = [column for statement in statements for column in alone.findall(statement)]
    stored = reload(started)
    assert stored.urgent and stored.submitted
    # The logo alone is read on its own, by what needs it: the brief's fingerprint, once,
    # when the client sends (its bytes are never read with the clinic).
    assert loaded == ["logo"]


def test_answering_reads_no_column_on_its_own(
    app: Flask, client: FlaskClient, started: Intake
) -> None:
    """A page of questions, its saves and autosave leave out what they never read of the
    intake, its clinic and its version (lifecycle._INTAKE_NOT_WHILE_ANSWERING and its kin);
    one that read such a column after all would load it alone, one more query on every save.
    Pages shown, sent with a question still to answer, saved, autosaved, the safety question
    asked again and answered urgently; then the page of a revoked link and of a sent intake.
    (On SQLite a save reads the whole row again, having no row lock to hold: what a page
    reads after its save is checked in the PostgreSQL pass.)"""
    alone = re.compile(
        r"^SELECT ((?:intake|clinic|questionnaire_version)\.\w+)(?: AS \w+)?\s+FROM", re.M
    )

    def change(**values: Any) -> None:
        db.session.execute(update(Intake).where(Intake.id == started.id).values(**values))
        db.session.commit()

    with statements_seen(app) as statements:
        assert fill_page(client, started, "now", {}).status_code == 200  # what needs fixing
        for page in ("now", "change", "reasons", "expectations", "ways", "practical"):
            client.get(page_url(started, page))
            autosave(client, started, page, {"why_now": "Sleep."} if page == "now" else {})
            fill_page(client, started, page, FULL, action="save")
            fill_page(client, started, page, FULL)
        assert fill_page(client, started, "wellbeing", {}).status_code == 200  # asked again
        urgent = fill_page(client, started, "wellbeing", {"self_harm": "1"})
        assert "/support" in urgent.headers["Location"]
        change(revoked_at=utcnow())
        assert client.get(page_url(started, "now")).status_code == 410
        change(revoked_at=None, status=IntakeStatus.SUBMITTED, submitted_at=utcnow())
        assert client.get(page_url(started, "now")).headers["Location"].endswith("/done")
    loaded = [column for statement in statements for column in alone.findall(statement)]
    # A page's read of its intake.
    reads = [statement for statement in statements if "WHERE intake.token_hash" in statement]
    stored = reload(started)
    assert stored.urgent and stored.answers["why_now"] == FULL["why_now"]
    assert loaded == []
    # The pages' reads leave those columns out (and the test would pass unread otherwise).
    assert reads and not any(re.search(r"\b(client_name|crisis_texts)\b", r) for r in reads)


def test_safety_item_left_blank_is_asked_once_more(client: FlaskClient, started: Intake) -> None:
    for page in ("now", "change", "reasons", "expectations", "ways", "practical"):
        fill_page(client, started, page, FULL)
    again = fill_page(client, started, "wellbeing", {})
    assert again.status_code == 200
    assert "This question helps us look after you" in again.get_data(as_text=True)
    onwards = fill_page(client, started, "wellbeing", {})
    assert onwards.headers["Location"].endswith(f"/i/{started.token}/review?saved=1")
    send_from_review(client, started)
    stored = reload(started)
    assert stored.result is not None
    assert stored.result["safety_unanswered"] is True and stored.result["urgent"] is False


def test_review_lists_answers_and_blocks_missing_required(
    client: FlaskClient, started: Intake
) -> None:
    fill_page(client, started, "now", {"why_now": "w", "hopes": "h"}, action="save")
    html = client.get(f"/i/{started.token}/review").get_data(as_text=True)
    assert "How would you like us to contact you?" in html  # required, still missing
    response = post_form(client, f"/i/{started.token}/review", {})
    assert response.status_code == 200
    assert reload(started).status == "in_progress"


def test_client_text_is_escaped(client: FlaskClient, started: Intake) -> None:
    fill_page(client, started, "now", {"why_now": "<script>alert(1)</script>", "hopes": "h"})
    html = client.get(page_url(started, "now")).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# Questions that depend on an answer on the same page.


def test_question_shown_by_an_answer_on_its_page_is_asked_before_moving_on(
    client: FlaskClient, started: Intake
) -> None:
    for page in ("now", "change", "reasons", "expectations", "ways"):
        fill_page(client, started, page, FULL)
    html = client.get(page_url(started, "practical")).get_data(as_text=True)
    assert re.search(r'id="q-leave_message" data-item="leave_message"[^>]* hidden', html)
    # Without a script the new question cannot appear in place: the page comes back with
    # it shown and pointed out, not with an error, and the answers so far are kept.
    response = fill_page(client, started, "practical", {"contact": "phone"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is one more question, based on your answer" in html
    assert 'href="#leave_message-0"' in html and 'class="error-summary"' not in html
    assert not re.search(r'data-item="leave_message"[^>]* hidden', html)
    assert reload(started).answers["contact"] == "phone"
    response = fill_page(client, started, "practical", {"contact": "phone", "leave_message": "no"})
    # On to the contact step, which comes before the safety question's page.
    assert response.headers["Location"].endswith(contact_url(started) + "?saved=1")
    assert reload(started).answers["leave_message"] == "no"


def test_question_already_on_screen_moves_on_at_once(client: FlaskClient, started: Intake) -> None:
    # The script shows the question in place and lists it in 'shown'.
    shown = " ".join(i.id for i in DEFINITION.pages[6].items)
    data = {"contact": "phone", "leave_message": "yes", "shown": shown}
    response = fill_page(client, started, "practical", data)
    # On to the contact step, which comes before the safety question's page.
    assert response.headers["Location"].endswith(contact_url(started) + "?saved=1")
    assert reload(started).answers["leave_message"] == "yes"


def test_hidden_question_is_neither_saved_nor_required(
    client: FlaskClient, started: Intake
) -> None:
    shown = " ".join(i.id for i in DEFINITION.pages[6].items if i.id != "leave_message")
    data = {"contact": "email", "leave_message": "no", "shown": shown}
    response = fill_page(client, started, "practical", data)
    assert response.status_code == 302
    assert "leave_message" not in reload(started).answers


# Languages.


def test_language_from_the_link_sticks_on_every_device(
    client: FlaskClient, intake: Intake
) -> None:
    html = client.get(f"/i/{intake.token}?lang=es").get_data(as_text=True)
    assert '<html lang="es">' in html
    assert "Preparándonos para nuestra primera conversación" in html
    assert "Su nombre completo" in html and "Acepto – empezar las preguntas" in html
    assert reload(intake).language == "es"
    sign(client, intake)
    with client.application.test_client() as other:
        page = other.get(page_url(intake, "now"), headers={"Accept-Language": "en"})
        html = page.get_data(as_text=True)
    assert "¿Qué le trae a terapia en este momento?" in html
    assert "Paso 1 de 8" in html and "Guardar y continuar más tarde" in html
    assert reload(intake).consent_version == "2026-11/es"


def test_each_clients_page_messages_are_in_their_language(
    client: FlaskClient, make_clinic: Any, make_intake: Any
) -> None:
    # A page's form class is made once and reused: one client's English never shows on
    # another client's Spanish page, nor the other way round.
    clinic_id, _ = make_clinic()
    english, spanish = make_intake(clinic_id, "Ann Client"), make_intake(clinic_id, "Bea Client")
    too_long = {"why_now": "x" * 4001}
    html = fill_page(client, english, "now", too_long).get_data(as_text=True)
    assert "Please keep this under 4000 characters." in html
    client.get(f"/i/{spanish.token}?lang=es")
    html = fill_page(client, spanish, "now", too_long).get_data(as_text=True)
    assert "Por favor, use menos de 4000 caracteres." in html
    html = fill_page(client, english, "now", too_long).get_data(as_text=True)
    assert "Please keep this under 4000 characters." in html


def test_a_page_form_speaks_the_interface_language_it_is_made_in(app: Flask) -> None:
    # The staff preview shows one definition's pages in each language in turn; a form class
    # made for one language is never handed out for another.
    page = DEFINITION.pages[0]
    item = next(i for i in page.items if i.type is ItemType.LONG_TEXT)
    too_long = {item.id: "x" * ((item.max_length or 4000) + 1)}
    expected = {"en": "Please keep this under", "es": "Por favor, use menos de"}
    with app.test_request_context(method="POST", data=too_long):
        for language in ("en", "es", "en"):
            with force_locale(language):
                form = page_form(DEFINITION, page.items, strict=False, formdata=request.form)
                form.validate()
                assert form[item.id].errors[0].startswith(expected[language])


def test_the_form_classes_used_last_are_kept_longest(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Previews of drafts make classes once; the clients' own forms, used again and again,
    # must not be the ones pushed out.
    monkeypatch.setattr(client_forms, "FORM_CLASSES_KEPT", 3)
    monkeypatch.setattr(client_forms, "_form_classes", {})
    pages = [(page.items[:1]) for page in DEFINITION.pages[:4]]
    assert len(pages) == 4
    with app.test_request_context():
        made = [type(page_form(DEFINITION, items, strict=False)) for items in pages[:3]]
        assert type(page_form(DEFINITION, pages[0], strict=False)) is made[0]  # used again
        page_form(DEFINITION, pages[3], strict=False)  # a fourth: the least used goes
        assert type(page_form(DEFINITION, pages[0], strict=False)) is made[0]
        assert type(page_form(DEFINITION, pages[1], strict=False)) is not made[1]


def test_browser_language_is_used_until_the_client_chooses(
    client: FlaskClient, intake: Intake
) -> None:
    spanish = {"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}
    html = client.get(f"/i/{intake.token}", headers=spanish).get_data(as_text=True)
    assert '<html lang="es">' in html and "Hola, Alex Client." in html
    assert reload(intake).language == "en"  # only looked at, not chosen yet
    # The switcher links to the same page in the other language.
    assert f'href="/i/{intake.token}?lang=en" lang="en" hreflang="en"' in html
    html = client.get(f"/i/{intake.token}?lang=en", headers=spanish).get_data(as_text=True)
    assert '<html lang="en">' in html and reload(intake).language == "en"


def test_spanish_messages_and_choices(client: FlaskClient, intake: Intake) -> None:
    client.get(f"/i/{intake.token}?lang=es")
    sign(client, intake)
    html = fill_page(client, intake, "now", {"hopes": "Algo"}).get_data(as_text=True)
    assert "Por favor, revise esta respuesta" in html
    assert "Por favor, responda esta pregunta." in html
    html = client.get(page_url(intake, "wellbeing")).get_data(as_text=True)
    assert "pensamientos de que estaría mejor muerto(a) o de lastimarse de alguna manera" in html
    assert "Más de la mitad de los días" in html
    html = client.get(page_url(intake, "reasons")).get_data(as_text=True)
    assert "Prefiero no responder" in html and "Muy cierto para mí" in html


def test_spanish_safety_page(client: FlaskClient, intake: Intake) -> None:
    client.get(f"/i/{intake.token}?lang=es")
    sign(client, intake)
    response = fill_page(client, intake, "wellbeing", {"self_harm": "2"})
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "No tiene que cargar con esto a solas" in html
    assert "En caso de emergencia, llame al" in html and "Continuar con mis preguntas" in html


def test_brief_names_the_language_the_client_answered_in(
    client: FlaskClient, intake: Intake
) -> None:
    client.get(f"/i/{intake.token}?lang=es")
    complete(client, intake, {**FULL, "why_now": "Duermo mal desde la mudanza."})
    brief = brief_for(reload(intake))
    assert brief.meta.answered_in == "es" and brief.meta.answered_in_name == "Spanish"
    # The brief itself stays in the clinic's language.
    assert brief.meta.language == "en"
    assert any("What brings you to therapy now?" in q.prompt for q in brief.own_words)


# Autosave, as the script calls it.


def test_autosave_keeps_valid_answers_and_says_what_to_show(
    client: FlaskClient, started: Intake
) -> None:
    fill_page(client, started, "now", FULL)
    data = {"contact": "phone", "earliest_start": "not a date", "cm_regular": "4"}
    response = autosave(client, started, "practical", data)
    assert response.status_code == 200
    body = response.get_json()
    assert body["saved"] is True and body["held"] == []
    assert "leave_message" in body["visible"] and "contact" in body["visible"]
    assert "real date" in body["errors"]["earliest_start"]
    stored = reload(started)
    assert stored.answers["contact"] == "phone" and stored.answers["cm_regular"] == 4
    assert "earliest_start" not in stored.answers
    # Saving in the background never moves where the client resumes.
    assert stored.current_page == "change"
    assert autosave(client, started, "practical", {"contact": "email"}).get_json()["visible"] == [
        "cm_regular",
        "cm_continue",
        "cm_priorities",
        "availability",
        "contact",
        "earliest_start",
    ]


def test_autosave_leaves_the_safety_answer_to_the_client(
    client: FlaskClient, started: Intake
) -> None:
    response = autosave(client, started, "wellbeing", {"self_harm": "3"})
    assert response.status_code == 200 and response.get_json()["held"] == ["self_harm"]
    stored = reload(started)
    assert "self_harm" not in stored.answers and not stored.urgent
    # Their own Next then saves it, flags the intake and shows the crisis page.
    response = fill_page(client, started, "wellbeing", {"self_harm": "3"})
    assert "/support" in response.headers["Location"] and reload(started).urgent


def test_autosave_needs_the_csrf_header(client: FlaskClient, started: Intake) -> None:
    response = client.post(f"{page_url(started, 'now')}/autosave", data={"why_now": "x"})
    assert response.status_code == 400
    assert reload(started).answers == {}


def test_autosave_refuses_before_consent_and_after_sending(
    client: FlaskClient, intake: Intake
) -> None:
    token = csrf_token(client, f"/i/{intake.token}")
    url = f"{page_url(intake, 'now')}/autosave"
    response = client.post(url, data={"why_now": "x"}, headers={"X-CSRFToken": token})
    assert response.status_code == 409 and reload(intake).answers == {}
    complete(client, intake, FULL)
    response = client.post(url, data={"why_now": "later"}, headers={"X-CSRFToken": token})
    assert response.status_code == 409
    assert reload(intake).answers["why_now"] == WORDS["why_now"]


# After sending: thank-you page and the client's own copy.


def test_thank_you_page_offers_the_clients_copy(client: FlaskClient, intake: Intake) -> None:
    assert client.get(f"/i/{intake.token}/answers.pdf").status_code == 302
    complete(client, intake, FULL)
    html = client.get(f"/i/{intake.token}/done").get_data(as_text=True)
    assert "What happens next" in html
    assert f'action="/i/{intake.token}/answers.pdf"' in html
    response = client.get(f"/i/{intake.token}/answers.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    assert "Your answers" in text and "North Practice" in text
    assert "I keep losing sleep over work and want to understand why." in text
    assert "What brings you to therapy now?" in text and "By email" in text
    # Their words only: nothing of the therapist's brief.
    assert "Change readiness" not in text and "Own motivation" not in text


def test_the_clients_dates_are_the_days_where_the_clinic_is(
    app: Flask,
    client: FlaskClient,
    intake: Intake,
    make_intake: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Sent at 00:30 UTC on 28 November: still the evening of the 27th in New York.
    clinic = reload(intake).clinic
    clinic.time_zone = "America/New_York"
    db.session.commit()
    complete(client, intake, FULL)
    stored = reload(intake)
    stored.submitted_at = datetime(2026, 11, 28, 0, 30)
    db.session.commit()
    response = client.get(f"/i/{intake.token}/answers.pdf")
    assert "my-answers-2026-11-27.pdf" in response.headers["Content-Disposition"]
    assert "November 27, 2026, 7:30" in " ".join(pdf_text(response.data).split())
    # The same copy made for staff (a data export: no client page asked for it).
    with app.test_request_context():
        copy = own_copy.answers_pdf(reload(intake), definition_of_intake(intake))
    assert "November 27, 2026, 7:30" in " ".join(pdf_text(copy).split())
    # The day the client signs on: New York's, not the server's.
    monkeypatch.setattr(wizard, "utcnow", lambda: datetime(2026, 11, 28, 0, 30))
    other = make_intake(clinic.id, "Sam Client")
    welcome = client.get(f"/i/{other.token}").get_data(as_text=True)
    assert '<time datetime="2026-11-27">' in welcome
    # A zone Flask-Babel cannot open (zoneinfo knows it, pytz does not): UTC, never a 500.
    clinic = reload(intake).clinic
    clinic.time_zone = "posixrules"
    db.session.commit()
    assert client.get(f"/i/{intake.token}/done").status_code == 200


def test_clients_copy_is_in_their_language_and_escapes_their_text(
    client: FlaskClient, intake: Intake
) -> None:
    client.get(f"/i/{intake.token}?lang=es")
    words = '<img src="file:///etc/passwd"> Quiero dormir mejor'
    complete(client, intake, {**FULL, "why_now": words})
    response = client.get(f"/i/{intake.token}/answers.pdf")
    assert "mis-respuestas-" in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    assert "Sus respuestas" in text and "¿Qué le trae a terapia en este momento?" in text
    assert '<img src="file:///etc/passwd"> Quiero dormir mejor' in text
    assert "root:" not in text
    assert "Por correo electrónico" in text


# Races: another tab, a late autosave. On PostgreSQL a page's save (its post or autosave) reads
# its intake without the row's lock and writes only if the row is still the version it read;
# otherwise it is made again from a read under the lock. Every other client post (the welcome,
# the contact and goals steps, Send) reads under the lock, so another tab's Send or Next waits
# for it. SQLite has no row locks: there each save reads the row again right before it writes.
# The tests below make the other tab's change right after the post's first read, on both.


def _row_locks() -> bool:
    return db.engine.dialect.name == "postgresql"


def _locked_elsewhere(intake_id: int) -> bool:
    """Whether another connection (another tab's request) would have to wait for the row."""
    with db.engine.connect() as conn:
        try:
            conn.execute(
                text("SELECT id FROM intake WHERE id = :id FOR UPDATE NOWAIT"), {"id": intake_id}
            )
        except OperationalError:
            return True
        return False


@pytest.fixture(params=["fresh requests", "the test's session"])
def requests_as(request: pytest.FixtureRequest, app: Flask) -> Iterator[None]:
    """A race test runs twice: each request starting with no transaction, as in production,
    and each request sharing the test's open session."""
    with as_in_production(app) if request.param == "fresh requests" else contextlib.nullcontext():
        yield


def meanwhile(monkeypatch: pytest.MonkeyPatch, change: Any) -> list[str]:
    """Make `change(intake_id)` on a connection of its own, committed, right after the next
    client post has read its intake and before it looks at anything (once). Returns a list
    that notes each page save made again from a read under the lock."""
    done: list[int] = []
    real_walk = intake_sets.walk_of

    def walk_of(row: Intake) -> Any:
        if not done and request.method == "POST":
            done.append(row.id)
            change(row.id)
        return real_walk(row)

    again: list[str] = []
    real_again = lifecycle._read_again_locked

    def read_again_locked() -> None:
        again.append("read again under the lock")
        real_again()

    monkeypatch.setattr(intake_sets, "walk_of", walk_of)
    monkeypatch.setattr(lifecycle, "_read_again_locked", read_again_locked)
    return again


def _set(**values: Any) -> Any:
    def change(intake_id: int) -> None:
        with db.engine.begin() as conn:
            conn.execute(update(Intake).where(Intake.id == intake_id).values(**values))

    return change


def _answered_in_another_tab(intake_id: int) -> None:
    # Another tab's save of another question, in a session (and transaction) of its own.
    with Session(db.engine) as other:
        row = other.get(Intake, intake_id)
        assert row is not None
        row.answers = {**(row.answers or {}), "expect_self": "From the other tab."}
        other.commit()


def test_a_send_holds_its_intake_from_the_first_read(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch, clinic_with_admin: dict[str, Any]
) -> None:
    if not _row_locks():
        pytest.skip("PostgreSQL's row locks (SQLite reads the row again to save)")
    intake: Intake = clinic_with_admin["intake"]
    checked: list[bool] = []
    # Every answer given, and how to reach them: the next post is the Send.
    give_contact(client, intake)
    lifecycle.save_page(intake, DEFINITION, {**EXAMPLE_A, **WORDS}, "review")
    token = csrf_token(client, f"/i/{intake.token}/review")
    # Right after the post read the row, before it looked at anything: another tab's Send,
    # Next or autosave could not commit now; it would wait for this post.
    meanwhile(monkeypatch, lambda intake_id: checked.append(_locked_elsewhere(intake_id)))
    response = client.post(f"/i/{intake.token}/review", data={"csrf_token": token})
    assert response.headers["Location"].endswith(f"/i/{intake.token}/done")
    assert checked == [True]
    # Answered: the row is free again.
    assert not _locked_elsewhere(intake.id)
    assert reload(intake).submitted


@pytest.mark.parametrize("post", ["page", "autosave"])
def test_a_page_save_holds_no_lock_and_commits_each_statement(
    app: Flask,
    client: FlaskClient,
    monkeypatch: pytest.MonkeyPatch,
    clinic_with_admin: dict[str, Any],
    post: str,
) -> None:
    """A page's save reads without the row lock, and its read and its write are each a
    statement committed on its own (no BEGIN or COMMIT around them)."""
    if not _row_locks():
        pytest.skip("PostgreSQL's row versions")
    intake: Intake = clinic_with_admin["intake"]
    sign(client, intake)
    checked: list[bool] = []
    meanwhile(monkeypatch, lambda intake_id: checked.append(_locked_elsewhere(intake_id)))
    ran: list[tuple[str, bool]] = []

    def watch(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "NOWAIT" not in statement:  # not the check made meanwhile, on its own connection
            ran.append((statement.split(None, 1)[0], conn.connection.dbapi_connection.autocommit))

    with as_in_production(app):
        event.listen(db.engine, "before_cursor_execute", watch)
        try:
            if post == "page":
                assert fill_page(client, intake, "now", FULL).status_code == 302
            else:
                assert autosave(client, intake, "now", {"why_now": "typed"}).get_json()["saved"]
        finally:
            event.remove(db.engine, "before_cursor_execute", watch)
    assert checked == [False]
    assert ran[-2:] == [("SELECT", True), ("UPDATE", True)]
    # Back in the pool, every connection is as staff pages and jobs expect it: in transactions.
    db.session.commit()
    pooled = [db.engine.connect() for _ in range(db.engine.pool.checkedin())]  # type: ignore[attr-defined]
    try:
        assert pooled and not any(c.connection.dbapi_connection.autocommit for c in pooled)
    finally:
        for conn in pooled:
            conn.close()
    stored = reload(intake)
    assert stored.answers["why_now"] == (FULL["why_now"] if post == "page" else "typed")
    if post == "page":
        assert stored.current_page == "change"


@pytest.mark.usefixtures("requests_as")
def test_a_page_sent_while_the_intake_is_sent_in_another_tab(
    client: FlaskClient,
    monkeypatch: pytest.MonkeyPatch,
    clinic_with_admin: dict[str, Any],
) -> None:
    intake: Intake = clinic_with_admin["intake"]
    sign(client, intake)
    # The other tab's Send commits between this page post's read and its save.
    again = meanwhile(monkeypatch, _set(status="submitted"))
    response = fill_page(client, intake, "now", FULL)
    assert response.headers["Location"].endswith(f"/i/{intake.token}/done")
    assert reload(intake).answers == {}
    # PostgreSQL: the save found the row changed, and was made again from a locked read.
    assert len(again) == _row_locks()


def test_a_language_chosen_while_the_intake_is_sent_in_another_tab(
    app: Flask,
    client: FlaskClient,
    monkeypatch: pytest.MonkeyPatch,
    clinic_with_admin: dict[str, Any],
) -> None:
    """Settling the language is a write too: a page's save read without the lock makes it
    from a read under the lock, so a sent intake keeps the language it was answered in."""
    if not _row_locks():
        pytest.skip("PostgreSQL's row locks (SQLite has none to hold)")
    intake: Intake = clinic_with_admin["intake"]
    sign(client, intake)
    assert reload(intake).language == "en"
    token = csrf_token(client, page_url(intake, "now"))
    again = meanwhile(monkeypatch, _set(status="submitted"))
    with as_in_production(app):
        response = client.post(
            f"{page_url(intake, 'now')}?lang=es",
            data={"csrf_token": token, "action": "save", "why_now": "Dormir mejor."},
        )
    assert response.headers["Location"].endswith(f"/i/{intake.token}/done")
    stored = reload(intake)
    assert stored.language == "en" and stored.answers == {}
    assert again


@pytest.mark.usefixtures("requests_as")
def test_a_late_autosave_keeps_the_page_the_client_moved_to(
    client: FlaskClient,
    monkeypatch: pytest.MonkeyPatch,
    clinic_with_admin: dict[str, Any],
) -> None:
    intake: Intake = clinic_with_admin["intake"]
    fill_page(client, intake, "now", FULL, action="save")
    assert reload(intake).current_page == "now"
    # The client's Next commits between the autosave reading the row and saving.
    meanwhile(monkeypatch, _set(current_page="change"))
    response = autosave(client, intake, "now", {"why_now": "typed a moment before Next"})
    assert response.get_json()["saved"] is True
    stored = reload(intake)
    assert stored.current_page == "change"
    assert stored.answers["why_now"] == "typed a moment before Next"


@pytest.mark.usefixtures("requests_as")
@pytest.mark.parametrize("post", ["page", "autosave"])
def test_an_answer_saved_in_another_tab_meanwhile_is_kept(
    client: FlaskClient,
    monkeypatch: pytest.MonkeyPatch,
    clinic_with_admin: dict[str, Any],
    post: str,
) -> None:
    """A save merges its answers into what is stored when it writes, not into what it read:
    another tab's answer committed in between stays."""
    intake: Intake = clinic_with_admin["intake"]
    sign(client, intake)
    again = meanwhile(monkeypatch, _answered_in_another_tab)
    if post == "page":
        assert fill_page(client, intake, "now", FULL, action="save").status_code == 302
    else:
        assert autosave(client, intake, "now", {"why_now": "typed"}).get_json()["saved"]
    stored = reload(intake)
    assert stored.answers["expect_self"] == "From the other tab."
    assert stored.answers["why_now"] == (FULL["why_now"] if post == "page" else "typed")
    assert len(again) == _row_locks()


def test_an_urgent_answer_is_saved_with_its_notice_from_a_locked_read(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch, started: Intake
) -> None:
    """The first urgent answer writes the flag and the clinic's notice in one transaction: a
    page save read without the lock makes it again from a read under the lock."""
    again = meanwhile(monkeypatch, lambda _: None)
    with as_in_production(app):
        response = fill_page(client, started, "wellbeing", {"self_harm": "1"})
    assert "/support" in response.headers["Location"]
    stored = reload(started)
    assert stored.urgent and stored.urgent_at is not None
    notices = select(Job.kind).where(Job.key.like(f"%:{started.id}"))
    assert set(db.session.scalars(notices)) == {notify.URGENT, notify.ESCALATE}
    assert len(again) == _row_locks()


def test_save_page_without_a_page_keeps_the_stored_one(
    client: FlaskClient, clinic_with_admin: dict[str, Any]
) -> None:
    intake: Intake = clinic_with_admin["intake"]
    lifecycle.save_page(intake, DEFINITION, {"why_now": "x"}, "reasons")
    lifecycle.save_page(reload(intake), DEFINITION, {"hopes": "y"}, None)
    stored = reload(intake)
    assert stored.current_page == "reasons" and stored.answers == {"why_now": "x", "hopes": "y"}


def test_the_form_waits_for_an_autosave_in_flight() -> None:
    script = (Path(__file__).resolve().parents[1] / "intake/static/intake.js").read_text()
    handler = script.split('form.addEventListener("submit"', 1)[1].split("});\n", 1)[0]
    assert "event.preventDefault()" in handler and "form.submit()" in handler
    assert "if (!pending)" in handler  # with nothing pending the browser posts as usual
