"""Helpers every test module may use: forms posted as a browser would, the client's walk
through the default questionnaire, the questionnaire editor, PDFs read as text.

Fixtures live in conftest.py; tests never import from other test modules.
"""

from __future__ import annotations

import contextlib
import email.policy
import http.client
import io
import itertools
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping, Sequence
from email import message_from_bytes
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

from flask import Flask, request_started
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import inspect, select
from sqlalchemy.orm.exc import ObjectDeletedError

from intake import drafts
from intake.db import db
from intake.models import AuditEvent, Intake, QuestionnaireVersion, utcnow
from intake.questionnaire import Definition, load_file
from intake.questionnaire.flow import CONTACT as CONTACT_STEP
from intake.questionnaire.flow import GOALS as GOALS_STEP

PASSWORD = "correct horse battery staple"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

# Version 2 of the default questionnaire and an answer set that completes it (worked example
# A + words): most tests walk through its pages. Version 3 (forms/readiness.yaml, the default
# for new invitations) has its own tests (tests/test_readiness_v3.py).
DEFINITION = load_file("forms/readiness-v2.yaml")
# The newest version: what a link made by the staff form, seed-demo or invite asks.
NEWEST = load_file("forms/readiness.yaml")
EXAMPLE_A = DEFINITION.examples[0].answers
WORDS = {
    "why_now": "I keep losing sleep over work and want to understand why.",
    "hopes": "To feel calmer & make decisions <without> second-guessing.",
    "keep": "My morning runs.",
    "contact": "email",
    "previous_therapy": "no",
    # Version 3 asks it first (required); version 2 has no such question.
    "adult": "yes",
}
FULL = {**{k: str(v) for k, v in EXAMPLE_A.items()}, **WORDS}

# A clinic's own crisis contacts (the test clinics' settings): US services, in both languages.
CRISIS_CONTACTS: dict[str, Any] = {
    "emergency_number": "911",
    "crisis_texts": {
        "en": "Call or text 988 (Suicide and Crisis Lifeline) at any time, day or night.",
        "es": "Llame o envíe un mensaje de texto al 988 (Línea de Prevención del Suicidio y"
        " Crisis) a cualquier hora, de día o de noche.",
    },
}

# What a client gives on the wizard's contact step (complete() sends it unless answers
# hold "_contact").
CONTACT = {
    "phone": "+44 20 7946 0958",
    "voicemail_ok": "no",
    "texts_ok": "yes",
    "email": "alex@example.org",
    "safe_times": "After 6 pm; not at work.",
}

# How the brief names the default questionnaire's six dimensions.
DIMENSION_LABELS = (
    "Change readiness",
    "Own motivation",
    "Expects to take part",
    "Agency and responsibility",
    "Openness to exploring",
    "Practical commitment",
)

# The default questionnaire's pages before the one with the safety question.
BEFORE_SAFETY = ("now", "change", "reasons", "expectations", "ways", "practical")

# The questionnaire editor's draft used by the editor tests.
EDIT = "/staff/questionnaires/ours/edit"
# Who reads a client's answers: one sentence on the welcome and done pages and in the consent.
WHO_READS = {
    "en": "Your answers are read only by the clinic's therapists and by the staff who arrange"
    " your appointments.",
    "es": "Sus respuestas solo las leen los terapeutas de la clínica y el personal que organiza"
    " sus citas.",
}


def link_token(text: str) -> str:
    """The token of the first client link (/i/<token>) in a page, an email or an address."""
    match = re.search(r"/i/([A-Za-z0-9_-]+)", text)
    assert match, "no client link"
    return match.group(1)


def csrf_token(client: FlaskClient, url: str) -> str:
    """The CSRF token from the form on a page (the real one a browser would send)."""
    page = client.get(url)
    match = CSRF_RE.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {url} ({page.status_code})"
    return match.group(1)


def post_form(client: FlaskClient, url: str, data: dict[str, Any], **kw: Any) -> Any:
    """GET a page for its CSRF token, then POST the form as a browser would."""
    return client.post(url, data={**data, "csrf_token": csrf_token(client, url)}, **kw)


class SmtpInbox:
    """What the loopback SMTP server received, as parsed messages."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(cast(EmailMessage, parsed))
        return "250 OK"

    def body(self, index: int = -1) -> str:
        """The plain-text body of a received message (the last by default)."""
        part = self.messages[index].get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())

    def link(self, index: int = -1) -> str:
        """The first http(s) link in a received message."""
        match = re.search(r"https?://\S+", self.body(index))
        assert match, self.body(index)
        return match.group(0)


# The client's side.


def page_url(intake: Intake, page_id: str) -> str:
    """The address of one page of a client's intake."""
    return f"/i/{intake.token}/p/{page_id}"


def onward(response: Any) -> str:
    """Where a save leads, without the ?saved=1 that makes the next step say it saved."""
    return str(response.headers["Location"]).removesuffix("?saved=1")


def fill_page(
    client: FlaskClient,
    intake: Intake,
    page_id: str,
    answers: dict[str, Any],
    action: str = "next",
    definition: Definition | None = None,
) -> Any:
    """Post one page with the answers that belong to it (signing the consent first if need be).

    The page is looked up in the intake's own questionnaire unless a definition is given.
    """
    if reload(intake).consent_at is None:
        sign(client, intake)
    definition = definition or definition_of_intake(intake)
    page = next(p for p in definition.pages if p.id == page_id)
    data = {i.id: answers[i.id] for i in page.items if i.id in answers}
    if "shown" in answers:
        data["shown"] = answers["shown"]
    data["action"] = action
    return post_form(client, page_url(intake, page_id), data)


def definition_of_intake(intake: Intake) -> Definition:
    """The questionnaire an intake answers (its stored version)."""
    from intake.catalogue import definition_of

    return definition_of(reload(intake).questionnaire)


def contact_url(intake: Intake) -> str:
    """The address of the wizard's contact step."""
    return f"/i/{intake.token}/contact"


def give_contact(
    client: FlaskClient, intake: Intake, data: dict[str, Any] | None = None, action: str = "next"
) -> Any:
    """Post the contact step (by default the details in CONTACT)."""
    if reload(intake).consent_at is None:
        sign(client, intake)
    return post_form(
        client, contact_url(intake), {**(CONTACT if data is None else data), "action": action}
    )


# What a client gives on the wizard's goals step (complete() sends it unless answers hold
# "_goals"): one goal in their own words, rated 3 of 10.
GOALS = {"goal_1": "Sleep through the night most weeks", "goal_1_rating": "3"}


def goals_url(intake: Intake) -> str:
    """The address of the wizard's goals step."""
    return f"/i/{intake.token}/goals"


def give_goals(
    client: FlaskClient, intake: Intake, data: dict[str, Any] | None = None, action: str = "next"
) -> Any:
    """Post the goals step (by default the goal in GOALS)."""
    return post_form(
        client, goals_url(intake), {**(GOALS if data is None else data), "action": action}
    )


def sign(client: FlaskClient, intake: Intake, name: str = "Alex Morgan Client", **kw: Any) -> Any:
    """Give consent on the welcome page with a typed name."""
    return post_form(client, f"/i/{intake.token}", {"consent_name": name}, **kw)


def complete(
    client: FlaskClient,
    intake: Intake,
    answers: dict[str, Any],
    definition: Definition | None = None,
) -> Any:
    """Sign, walk Next through every page the client is shown, then send from the review.

    FULL completes either version of the default questionnaire.
    """
    if reload(intake).consent_at is None:
        sign(client, intake)
    definition = definition or definition_of_intake(intake)
    url = page_url(intake, definition.pages[0].id)
    while "/review" not in url:
        page_id = url.rsplit("/", 1)[1]
        if page_id == "contact":
            response = give_contact(client, intake, answers.get("_contact"))
        elif page_id == "goals":
            response = give_goals(client, intake, answers.get("_goals"))
        else:
            response = fill_page(client, intake, page_id, answers, definition=definition)
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        # A save leads on with ?saved=1 (the next step says the answers are saved).
        url = onward(response)
        if "/support" in url:
            url = url.split("next=")[1]
            url = f"/i/{intake.token}/review" if url == "review" else page_url(intake, url)
            if url.endswith(f"/p/{CONTACT_STEP}"):
                url = contact_url(intake)
            if url.endswith(f"/p/{GOALS_STEP}"):
                url = goals_url(intake)
    return send_from_review(client, intake, answers.get("_contact"))


def send_from_review(
    client: FlaskClient, intake: Intake, contact: dict[str, Any] | None = None
) -> Any:
    """Send from the review, giving the contact step first if it was never confirmed (a
    questionnaire whose contact step comes before its first page, such as the PHQ-9's single
    page, or a test that went straight to a page): sending needs it."""
    stored = reload(intake)
    if stored.contact is None or stored.contact.confirmed_at is None:
        give_contact(client, intake, contact)
    return post_form(client, f"/i/{intake.token}/review", {})


def autosave(client: FlaskClient, intake: Intake, page_id: str, data: dict[str, Any]) -> Any:
    """What the page script sends: the page's fields, CSRF in the X-CSRFToken header."""
    token = csrf_token(client, page_url(intake, page_id))
    return client.post(
        f"{page_url(intake, page_id)}/autosave", data=data, headers={"X-CSRFToken": token}
    )


@contextlib.contextmanager
def as_in_production(app: Flask) -> Iterator[None]:
    """Meanwhile each request starts as in production: nothing loaded and no transaction (a
    test's requests otherwise share its session, which holds what the fixtures loaded). The
    test's own objects stay usable: read again if a commit expired them, then detached."""

    def fresh(_: Flask, **__: Any) -> None:
        session = db.session()
        for instance in list(session.identity_map.values()):
            if inspect(instance).expired_attributes:
                with contextlib.suppress(ObjectDeletedError):
                    session.refresh(instance)
        session.expunge_all()
        session.commit()

    request_started.connect(fresh, app)
    try:
        yield
    finally:
        request_started.disconnect(fresh, app)


def reload(intake: Intake) -> Intake:
    """The intake as stored now."""
    db.session.expire_all()
    fresh = db.session.get(Intake, intake.id)
    assert fresh is not None
    return fresh


# The questionnaire editor.


def readiness_v2() -> QuestionnaireVersion:
    """The stored version 2 of the built-in readiness questionnaire (DEFINITION)."""
    version = db.session.scalar(
        select(QuestionnaireVersion).where(
            QuestionnaireVersion.key == "readiness",
            QuestionnaireVersion.version == DEFINITION.version,
            QuestionnaireVersion.clinic_id.is_(None),
        )
    )
    assert version is not None
    return version


def builtin_id() -> int:
    """The stored id of the built-in default questionnaire the editor offers (its newest)."""
    from intake import catalogue

    version = catalogue.latest_builtin("readiness")
    assert version is not None
    return version.id


def create(client: FlaskClient, key: str = "ours") -> Any:
    """Start a clinic questionnaire as a copy of the built-in one."""
    form = {"original": str(builtin_id()), "key": key, "title": "Our intake"}
    return post_form(client, "/staff/questionnaires", form)


def press(client: FlaskClient, action: str, source: str, **extra: Any) -> Any:
    """Press one of the editor's buttons with this text in the box."""
    data = {"action": action, "source": source, "csrf_token": csrf_token(client, EDIT), **extra}
    return client.post(EDIT, data=data, content_type="multipart/form-data")


def draft_text(clinic_id: int) -> str:
    """The stored text of the clinic's draft 'ours'."""
    row = drafts.draft(clinic_id, "ours")
    assert row is not None
    db.session.refresh(row)
    return row.source


def audit_actions(action: str) -> list[AuditEvent]:
    """Every audit entry of one action, oldest first."""
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    return list(db.session.scalars(query))


def pdf_text(pdf: bytes) -> str:
    """A PDF's text, pages joined, whitespace collapsed."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


# Staff sign-in.


def switch_browser() -> None:
    """Forget per-request caches before another browser's request.

    pytest-flask keeps one app context (so one g) for the whole test: flask_wtf caches the
    CSRF token and Flask-Login the signed-in user in g, which would leak between browsers.
    """
    from flask import g

    g.pop("csrf_token", None)
    g.pop("_login_user", None)


def signed_in(client: FlaskClient) -> bool:
    """Whether this browser is signed in, judged by its own session only."""
    switch_browser()
    response = client.get("/staff/")
    switch_browser()
    return response.status_code == 200


# Fuzzing: every client and staff form posted with generated values (tests/test_fuzz.py,
# bench/fuzz.py).


def hostile_values() -> Any:
    """A Hypothesis strategy of what a hostile or careless client may send in one field."""
    from hypothesis import strategies as st

    chars = st.characters(blacklist_categories=("Cs",))
    special = [
        "", " ", "\t", "\x00", "a\x00b", "0", "-1", "1", "3", "10", "11", "99", "1e9", "3.5",
        str(2**63), str(2**64), str(10**30), "-" + str(2**70), "__declined__", "yes", "no",
        "email", "phone", "<script>alert(1)</script>", "' OR 1=1 --", "{{7*7}}", "%00",
        "../../etc/passwd", "A" * 5000, "é" * 400, "2026-13-45", "9999-12-31", "0001-01-01",
        "2026-02-30", "\u202e", "\r\n", "admin", "therapist", "y", "on", "#zzzzzz", "#1f5f7a",
    ]  # fmt: skip
    one = st.one_of(
        st.sampled_from(special),
        st.text(chars, max_size=40),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
    )
    return st.one_of(one, st.lists(one, min_size=0, max_size=3))


class Fuzzer:
    """Posts generated values to every form of both sides and checks what was kept.

    "Lost" counts a saved answer that changed although nothing valid replaced it: another
    intake's answers, another page's answers, or an answer on the posted page that became
    something the question does not offer.
    """

    def __init__(self, app: Any) -> None:
        from intake import lifecycle
        from intake.accounts.auth import hash_password
        from intake.models import Clinic, Role, Staff

        self.app = app
        clinic = Clinic(slug="fuzz", name="Fuzz Practice", self_referral_token="fuzz-door",
                        **CRISIS_CONTACTS)  # fmt: skip
        db.session.add(clinic)
        db.session.flush()
        hashed = hash_password(PASSWORD)
        self.admin = Staff(clinic_id=clinic.id, email="admin@fuzz.example", name="Ada",
                           role=Role.ADMIN, password_hash=hashed)  # fmt: skip
        self.colleague = Staff(clinic_id=clinic.id, email="col@fuzz.example", name="Col",
                               password_hash=hashed)  # fmt: skip
        db.session.add_all([self.admin, self.colleague])
        db.session.commit()
        version = readiness_v2()
        self.version_id = version.id
        self.target = lifecycle.invite(clinic, "Fuzz Target", version, self.admin)
        self.other = lifecycle.invite(clinic, "Kept Client", version, self.admin)
        self.staff = app.test_client()
        self.client = app.test_client()
        self.anonymous = app.test_client()
        for intake in (self.target, self.other):
            sign(self.client, intake, "Fuzz Person")
            for page in DEFINITION.pages[:3]:
                fill_page(self.client, intake, page.id, FULL, action="save")
        # Urgent, so the follow-up form records (its answers must stay as they are).
        self.other.urgent, self.other.urgent_at = True, utcnow()
        db.session.commit()
        post_form(self.staff, "/staff/login", {"email": self.admin.email, "password": PASSWORD})
        self.tokens: dict[int, str] = {}
        self.posts = self.server_errors = self.lost = 0
        self.problems: list[str] = []

    def forms(self) -> list[tuple[str, str, tuple[str, ...]]]:
        """(who posts, url, field names) for every form with fields."""
        staff = [
            ("anonymous", "/staff/login", ("email", "password")),
            ("anonymous", "/staff/password/forgot", ("email",)),
            ("staff", "/staff/invite", ("client_name", "email", "phone", "therapist_id",
                                        "questionnaire_id", "send_email")),
            ("staff", "/staff/team/invite", ("name", "email", "role")),
            ("staff", f"/staff/team/{self.colleague.id}/role", ("role",)),
            ("staff", "/staff/settings", ("name", "accent_color", "default_questionnaire",
                                          "link_expiry_days", "referral_daily_cap",
                                          "self_referral", "require_two_factor",
                                          "copy_link_days", "retention_months",
                                          "unopened_days", "time_zone", "goal_step")),
            ("staff", "/staff/sets/new", ("name", "part_1", "part_2", "part_3", "part_4",
                                          "part_5")),
            ("staff", f"/staff/clients/{self.other.client_id}", ("client_name", "email",
                                                                 "phone", "therapist_id",
                                                                 "questionnaire_id",
                                                                 "send_email")),
            ("staff", "/staff/settings/safety", ("client_languages", "emergency_number",
                                                 "crisis_text_en", "crisis_text_es",
                                                 "safety_procedure", "urgent_escalation_minutes",
                                                 "phone_region")),
            ("staff", f"/staff/intakes/{self.other.id}/follow-up", ("outcome", "note")),
            ("staff", "/staff/questionnaires", ("original", "key", "title")),
            ("staff", f"/staff/intakes/{self.other.id}/therapist", ("therapist_id",)),
            ("staff", "/staff/account/password", ("current", "password", "confirm")),
            ("staff-get", "/staff/", ("q", "status", "therapist", "after", "before")),
            ("staff-get", "/staff/audit", ("action", "actor", "start", "end", "page")),
            ("anonymous", "/r/fuzz-door", ("client_name", "email", "homepage")),
            ("client", f"/i/{self.target.token}", ("consent_name",)),
            ("client", contact_url(self.target), ("phone", "voicemail_ok", "texts_ok", "email",
                                                  "safe_times", "declined", "action")),
        ]  # fmt: skip
        pages = [
            ("client", page_url(self.target, p.id), (*(i.id for i in p.items), "action", "shown"))
            for p in DEFINITION.pages
        ]
        autosaves = [
            ("client-xhr", page_url(self.target, p.id) + "/autosave", tuple(i.id for i in p.items))
            for p in DEFINITION.pages
        ]
        return staff + pages + autosaves

    def _browser(self, who: str) -> FlaskClient:
        return {"anonymous": self.anonymous, "staff": self.staff, "staff-get": self.staff}.get(
            who, self.client
        )

    def _token(self, browser: FlaskClient) -> str:
        key = id(browser)
        if key not in self.tokens:
            page = "/staff/login" if browser is not self.client else page_url(self.target, "now")
            self.tokens[key] = csrf_token(browser, page)
        return self.tokens[key]

    def post(self, form: tuple[str, str, tuple[str, ...]], values: dict[str, Any]) -> None:
        """One post (or GET for search forms) with these values, then the checks."""
        from intake import throttle

        who, url, _ = form
        browser = self._browser(who)
        before = self._answers()
        throttle.reset(self.app)  # the limits are tested elsewhere; here every post gets in
        switch_browser()
        data = {k: v for k, v in values.items() if v is not None}
        if who == "staff-get":
            response = browser.get(url, query_string=data)
        elif who == "client-xhr":
            response = browser.post(url, data=data, headers={"X-CSRFToken": self._token(browser)})
        else:
            response = browser.post(url, data={**data, "csrf_token": self._token(browser)})
        switch_browser()
        self.posts += 1
        status = response.status_code
        response.close()
        if status >= 500:
            self.server_errors += 1
            self.problems.append(f"{status} from {url} with {data!r}"[:500])
        self._check(url, data, before)

    def _answers(self) -> dict[int, dict[str, Any]]:
        db.session.expire_all()
        rows = db.session.scalars(select(Intake).where(Intake.id.in_([self.target.id,
                                                                     self.other.id])))  # fmt: skip
        return {row.id: dict(row.answers or {}) for row in rows}

    def _check(self, url: str, data: dict[str, Any], before: dict[int, dict[str, Any]]) -> None:
        after = self._answers()
        if after[self.other.id] != before[self.other.id]:
            self._lose(f"another intake's answers changed after {url}")
        page = next(
            (p for p in DEFINITION.pages if url.startswith(page_url(self.target, p.id))), None
        )
        on_page = {i.id: i for i in page.items} if page else {}
        old, new = before[self.target.id], after[self.target.id]
        for key in set(old) | set(new):
            if old.get(key) == new.get(key):
                continue
            item = on_page.get(key)
            if item is None:
                self._lose(f"answer {key} changed after a post to {url}")
            elif new.get(key) is not None and not _valid(item, new[key], data.get(key)):
                self._lose(f"answer {key} became {new[key]!r} after {data.get(key)!r}")
        if self.client.get(f"/i/{self.target.token}/review").status_code >= 500:
            self._lose("the client's review page no longer opens")

    def _lose(self, problem: str) -> None:
        self.lost += 1
        self.problems.append(problem[:500])


def _valid(item: Any, stored: Any, posted: Any) -> bool:
    """Whether a stored answer is one the question offers and the client sent."""
    from datetime import date

    from intake.questionnaire.model import DECLINED, ItemType

    sent = [str(v) for v in (posted if isinstance(posted, list) else [posted])]
    if stored == DECLINED:
        return bool(item.decline) and DECLINED in sent
    t = item.type
    if t in (ItemType.SHORT_TEXT, ItemType.LONG_TEXT):
        limit = item.max_length or (300 if t is ItemType.SHORT_TEXT else 4000)
        return (
            isinstance(stored, str)
            and stored == stored.strip()
            and 0 < len(stored) <= limit
            and "\x00" not in stored
            and any(s.strip() == stored for s in sent)
        )
    if t is ItemType.CONSENT:
        return stored is True
    if t is ItemType.DATE:
        try:
            date.fromisoformat(stored)
        except (TypeError, ValueError):
            return False
        return True
    if t is ItemType.YES_NO:
        return stored in ("yes", "no") and stored in sent
    if t is ItemType.RULER:
        return isinstance(stored, int) and 0 <= stored <= 10 and str(stored) in sent
    if t is ItemType.AGREEMENT:
        low, high = DEFINITION.scale_for(item)
        return isinstance(stored, int) and low <= stored <= high and str(stored) in sent
    options = {o.value for o in item.options or ()}
    if isinstance(stored, list):
        return bool(stored) and all(v in options and str(v) in sent for v in stored)
    return stored in options and str(stored) in sent


def sleep_for(seconds: float) -> str:
    """Work that takes a while (for time-limit tests run in a child process)."""
    import time

    time.sleep(seconds)
    return "slept"


# Live processes: gunicorn, RQ workers, honcho, a Redis of the test's own, scratch databases.
# Loopback only, every wait bounded; each process is stopped by the PID it was started with.

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
APP = "intake:create_app()"
# The secret every process of one live test shares (signed cookies work on any of them).
LIVE_SECRET = "live-test-secret-" + "x" * 32


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(
    check: Callable[[], Any],
    timeout: float,
    what: str,
    every: float = 0.1,
    reraise: type[Exception] | None = None,
) -> Any:
    """Call check until it returns something true; fail after timeout seconds.

    An exception from check means "not yet", except one of type reraise, which ends the wait.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except Exception as exc:
            if reraise is not None and isinstance(exc, reraise):
                raise
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def live_env(**settings: str) -> dict[str, str]:
    """The environment of a live process: this venv first on PATH, production settings given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTAKE_", "PROMETHEUS_"))}
    env.pop("SECRET_KEY", None)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["SECRET_KEY"] = LIVE_SECRET
    # The test session's encryption keys (tests/conftest.py): a live process reads its rows.
    for name in ("INTAKE_ENCRYPTION_KEYS", "INTAKE_SEARCH_KEY", "INTAKE_SEARCH_KEYS"):
        if name in os.environ:
            env[name] = os.environ[name]
    env.update(settings)
    return env


def flask_command(env: Mapping[str, str], *args: str, timeout: float = 120) -> str:
    """Run `flask --app intake ARGS` in the project folder; its output (fails on error)."""
    done = subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "intake", *args],
        cwd=ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"flask {' '.join(args)}: {done.stdout}\n{done.stderr}"
    return done.stdout


class Live:
    """Processes started for one test, stopped (group by group, by their PIDs) at the end."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.started: list[tuple[subprocess.Popen[bytes], Path]] = []

    def start(
        self, name: str, args: Sequence[str], env: Mapping[str, str]
    ) -> subprocess.Popen[bytes]:
        """Start a process in its own session; its output goes to FOLDER/NAME.log."""
        log = self.folder / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                list(args),
                cwd=ROOT,
                env=dict(env),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append((process, log))
        return process

    def gunicorn(self, name: str, port: int, env: Mapping[str, str], workers: int = 2) -> str:
        """gunicorn with the project's gunicorn.conf.py on 127.0.0.1:PORT; its base URL."""
        settings = {**env, "PORT": str(port), "WEB_CONCURRENCY": str(workers)}
        args = [str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py", APP]
        return self.serving(name, self.start(name, args, settings), port)

    def serving(self, name: str, process: subprocess.Popen[bytes], port: int) -> str:
        """Wait until the process answers /readyz on the port; its base URL."""
        base = f"http://127.0.0.1:{port}"

        def ready() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}")
            return Http(base).get("/readyz")[0] == 200

        try:
            wait_until(ready, 60, f"{name} on {base}", reraise=RuntimeError)
        except (AssertionError, RuntimeError) as exc:
            raise AssertionError(f"{exc}\n{self.log(name)[-3000:]}") from exc
        return base

    def worker(self, name: str, env: Mapping[str, str]) -> subprocess.Popen[bytes]:
        """One `flask --app intake jobs worker`."""
        args = [str(VENV_BIN / "flask"), "--app", "intake", "briefs", "worker"]
        return self.start(name, args, env)

    def log(self, name: str) -> str:
        """What a process has written so far."""
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def stop(self, process: subprocess.Popen[bytes], timeout: float = 20) -> None:
        """SIGTERM to the process's group (graceful), SIGKILL after timeout seconds."""
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # anything the group left behind

    def stop_all(self) -> None:
        """Stop everything started, newest first."""
        for process, _ in reversed(self.started):
            self.stop(process)


def children(pid: int) -> list[int]:
    """The PIDs whose parent is pid (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
    return sorted(found)


class Http:
    """A small HTTP client for live servers: keeps cookies, never follows redirects.

    It sends Secure cookies over plain HTTP on loopback, as a TLS-terminating proxy would
    let a browser do, so the production settings can be tested without certificates.
    """

    def __init__(self, base: str, timeout: float = 30):
        self.base = base.rstrip("/")
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.csrf: str | None = None

    def request(
        self,
        method: str,
        path: str,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        """One request; (status, headers with lower-case names, body)."""
        url = path if path.startswith("http") else self.base + path
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        parts = urllib.parse.urlsplit(url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=self.timeout)
        try:
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            connection.request(method, target, body=body, headers=sent)
            response = connection.getresponse()
            content = response.read()
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name] = rest.split(";", 1)[0]
            return response.status, {k.lower(): v for k, v in response.getheaders()}, content
        finally:
            connection.close()

    def get(self, path: str, **kw: Any) -> tuple[int, dict[str, str], bytes]:
        """GET a path; its CSRF token, if the page has a form, is kept for the next post."""
        status, headers, body = self.request("GET", path, **kw)
        if match := CSRF_RE.search(body.decode(errors="replace")):
            self.csrf = match.group(1)
        return status, headers, body

    def post(self, path: str, data: Mapping[str, Any]) -> tuple[int, dict[str, str], bytes]:
        """POST a form with the kept CSRF token (GET a page with a form first)."""
        return self.request("POST", path, {**data, "csrf_token": self.csrf or ""})

    def form(self, path: str, data: Mapping[str, Any]) -> tuple[int, dict[str, str], bytes]:
        """GET the page for its CSRF token, then POST the form to it, as a browser would."""
        self.get(path)
        return self.post(path, data)


def page_data(
    page_id: str,
    answers: Mapping[str, Any],
    action: str = "next",
    definition: Definition | None = None,
) -> dict[str, Any]:
    """The fields a client posts on one page of a definition; by default the newest default
    questionnaire (the one a live process's links ask)."""
    page = next(p for p in (definition or NEWEST).pages if p.id == page_id)
    data: dict[str, Any] = {i.id: answers[i.id] for i in page.items if i.id in answers}
    data["action"] = action
    return data


def complete_over_http(http: Http, link: str, answers: Mapping[str, Any]) -> int:
    """A client's whole intake over HTTP: consent, Next through every page, send.

    Returns how many pages were posted. Each request may go to another server (http.base can
    change between calls if the caller alternates; see complete_alternating).
    """
    return complete_alternating([http], link, answers)


def complete_alternating(clients: Sequence[Http], link: str, answers: Mapping[str, Any]) -> int:
    """complete_over_http, each step on the next client in turn (same cookies for all)."""
    path = urllib.parse.urlsplit(link).path
    token = path.rsplit("/", 1)[1]
    turn = itertools.cycle(clients)
    status, _, _ = next(turn).form(path, {"consent_name": "Alex Morgan Client"})
    assert status == 302, status
    url, posted = f"/i/{token}/p/now", 0
    while "/review" not in url:
        page_id = url.rsplit("/", 1)[1]
        # The contact step (before the page with the safety question) takes CONTACT.
        data = {**CONTACT, "action": "next"} if url == f"/i/{token}/contact" else None
        status, headers, body = next(turn).form(url, data or page_data(page_id, answers))
        assert status == 302, (url, status, body[:500])
        posted += 1
        url = urllib.parse.urlsplit(headers["location"]).path
        if "/support" in url:
            target = urllib.parse.parse_qs(urllib.parse.urlsplit(headers["location"]).query)
            page = target["next"][0]
            url = f"/i/{token}/review" if page == "review" else f"/i/{token}/p/{page}"
            if page == CONTACT_STEP:
                url = f"/i/{token}/contact"
    status, headers, _ = next(turn).form(f"/i/{token}/review", {})
    assert status == 302 and headers["location"].endswith("/done"), status
    return posted


def share_cookies(*clients: Http) -> None:
    """Make clients share one cookie jar, as one browser talking to several servers would."""
    jar = clients[0].cookies
    for other in clients[1:]:
        other.cookies = jar


def seed_demo(env: Mapping[str, str]) -> dict[str, str]:
    """`flask --app intake prepare` and `seed-demo`: the printed link, email and password."""
    flask_command(env, "prepare")
    out = flask_command(env, "seed-demo")
    found = {
        key: re.search(pattern, out)
        for key, pattern in {
            "link": r"Client intake link: (\S+)",
            "email": r"email:\s+(\S+)",
            "password": r"password:\s+(\S+)",
        }.items()
    }
    assert all(found.values()), out
    return {key: match.group(1) for key, match in found.items() if match}


def pg_scratch_url(base_url: str, suffix: str) -> str:
    """The URL of a scratch database named after the test database: <name>_<suffix>."""
    parts = urllib.parse.urlsplit(base_url)
    name = parts.path.lstrip("/")
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}_{suffix}"))


def pg_admin(url: str) -> Any:
    """An autocommit psycopg connection to the server of a SQLAlchemy URL (database postgres)."""
    import psycopg

    parts = urllib.parse.urlsplit(url.replace("postgresql+psycopg://", "postgresql://", 1))
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    return psycopg.connect(admin, autocommit=True, connect_timeout=5)


def pg_rows(url: str, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """The rows of one query on the database a SQLAlchemy URL names."""
    import psycopg

    plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(plain, connect_timeout=5) as connection:
        return list(connection.execute(sql, params).fetchall())  # type: ignore[arg-type]


def pg_recreate(url: str) -> None:
    """Drop (if there) and create the database a URL names, empty."""
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    with pg_admin(url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def pg_drop(url: str) -> None:
    """Drop the database a URL names, ending its connections."""
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    with pg_admin(url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start_redis(live: Live) -> tuple[str, subprocess.Popen[bytes]]:
    """A Redis of the test's own on a free loopback port, keeping nothing on disk."""
    port = free_port()
    args = ["redis-server", "--port", str(port), "--bind", "127.0.0.1"]
    args += ["--save", "", "--appendonly", "no", "--dir", str(live.folder)]
    process = live.start(f"redis-{port}", args, live_env())

    def answers() -> bool:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")

    wait_until(answers, 15, f"redis-server on port {port}")
    return f"redis://127.0.0.1:{port}/0", process


def browser_form(html: str, form_index: int = -1) -> dict[str, Any]:
    """What a browser would post from a page's form untouched: every field with its shown
    value (a select's selected option, else its first; ticked boxes only)."""
    from html.parser import HTMLParser

    class Forms(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.forms: list[dict[str, Any]] = []
            self.select: str | None = None
            self.first: str | None = None
            self.chosen: str | None = None
            self.textarea: str | None = None

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            a = {k: v or "" for k, v in attrs}
            if tag == "form":
                self.forms.append({})
            elif not self.forms:
                return
            elif tag == "input" and a.get("name") and a.get("type") not in ("submit", "file"):
                if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                    return
                self.forms[-1][a["name"]] = a.get("value", "y")
            elif tag == "select":
                self.select, self.first, self.chosen = a.get("name"), None, None
            elif tag == "option" and self.select:
                value = a.get("value", "")
                self.first = value if self.first is None else self.first
                if "selected" in a:
                    self.chosen = value
            elif tag == "textarea":
                self.textarea = a.get("name")
                self.forms[-1][self.textarea or ""] = ""

        def handle_data(self, data: str) -> None:
            if self.textarea and self.forms:
                self.forms[-1][self.textarea] += data

        def handle_endtag(self, tag: str) -> None:
            if tag == "select" and self.select and self.forms:
                value = self.chosen if self.chosen is not None else self.first
                self.forms[-1][self.select] = value or ""
                self.select = None
            elif tag == "textarea":
                self.textarea = None

    parser = Forms()
    parser.feed(html)
    return parser.forms[form_index]


# Submitted intakes for the export tests, without walking the client's pages.


def submitted(
    clinic_id: int, key: str, answers: dict[str, Any], name: str = "Sam Rivera"
) -> Intake:
    """An intake on a built-in questionnaire, answered and sent (scored and stored as usual).

    'readiness' means its version 2, whose answers (EXAMPLE_A) the export tests send.
    """
    from intake import catalogue, lifecycle
    from intake.catalogue import definition_of
    from intake.models import Clinic

    clinic = db.session.get(Clinic, clinic_id)
    version = readiness_v2() if key == "readiness" else catalogue.latest_builtin(key)
    assert clinic is not None and version is not None
    intake = lifecycle.invite(clinic, name, version)
    lifecycle.save_page(intake, definition_of(version), answers, None)
    lifecycle.submit(intake, definition_of(version))
    return reload(intake)


def fhir_valid(resource: dict[str, Any]) -> Any:
    """A resource validated by the FHIR R4B models of fhir.resources (raises when invalid)."""
    from fhir.resources.R4B import get_fhir_model_class

    return get_fhir_model_class(resource["resourceType"]).model_validate(resource)


# Version-3 keys (safety follow-ups, the 18-or-over item, sensitive answers) on a small form.

SAFETY_V3_PATH = Path(__file__).resolve().parent / "data" / "safety_v3.yaml"
SAFETY_V3 = load_file(SAFETY_V3_PATH)


def safety_v3_intake(clinic_id: int, name: str = "Sam Client", **fields: Any) -> Intake:
    """An invited intake of one clinic on tests/data/safety_v3.yaml (stored for that clinic)."""
    from intake import lifecycle
    from intake.catalogue import sha256
    from intake.models import Clinic

    source = SAFETY_V3_PATH.read_text(encoding="utf-8")
    version = db.session.scalar(
        select(QuestionnaireVersion).where(
            QuestionnaireVersion.clinic_id == clinic_id, QuestionnaireVersion.key == "safety_v3"
        )
    )
    if version is None:
        version = QuestionnaireVersion(
            clinic_id=clinic_id,
            key="safety_v3",
            version=1,
            title="Safety and age test form",
            source=source,
            sha256=sha256(source),
        )
        db.session.add(version)
        db.session.commit()
    clinic = db.session.get(Clinic, clinic_id)
    assert clinic is not None
    intake = lifecycle.invite(clinic, name, version)
    for key, value in fields.items():
        setattr(intake, key, value)
    db.session.commit()
    return intake
