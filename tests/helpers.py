"""Helpers every test module may use: forms posted as a browser would, the client's walk
through the default questionnaire, the questionnaire editor, PDFs read as text.

Fixtures live in conftest.py; tests never import from other test modules.
"""

from __future__ import annotations

import email.policy
import io
import re
from email import message_from_bytes
from email.message import EmailMessage
from typing import Any, cast

from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select

from intake import drafts
from intake.db import db
from intake.models import AuditEvent, Intake, QuestionnaireVersion
from intake.questionnaire import load_file

PASSWORD = "correct horse battery staple"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

# The default questionnaire and an answer set that completes it (worked example A + words).
DEFINITION = load_file("forms/readiness.yaml")
EXAMPLE_A = DEFINITION.examples[0].answers
WORDS = {
    "why_now": "I keep losing sleep over work and want to understand why.",
    "hopes": "To feel calmer & make decisions <without> second-guessing.",
    "keep": "My morning runs.",
    "contact": "email",
    "previous_therapy": "no",
}
FULL = {**{k: str(v) for k, v in EXAMPLE_A.items()}, **WORDS}

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


def fill_page(
    client: FlaskClient,
    intake: Intake,
    page_id: str,
    answers: dict[str, Any],
    action: str = "next",
) -> Any:
    """Post one page with the answers that belong to it (signing the consent first if need be)."""
    if reload(intake).consent_at is None:
        sign(client, intake)
    page = next(p for p in DEFINITION.pages if p.id == page_id)
    data = {i.id: answers[i.id] for i in page.items if i.id in answers}
    if "shown" in answers:
        data["shown"] = answers["shown"]
    data["action"] = action
    return post_form(client, page_url(intake, page_id), data)


def sign(client: FlaskClient, intake: Intake, name: str = "Alex Morgan Client", **kw: Any) -> Any:
    """Give consent on the welcome page with a typed name."""
    return post_form(client, f"/i/{intake.token}", {"consent_name": name}, **kw)


def complete(client: FlaskClient, intake: Intake, answers: dict[str, Any]) -> Any:
    """Sign, walk Next through every page the client is shown, then send from the review."""
    if reload(intake).consent_at is None:
        sign(client, intake)
    url = page_url(intake, "now")
    while "/review" not in url:
        page_id = url.rsplit("/", 1)[1]
        response = fill_page(client, intake, page_id, answers)
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        url = response.headers["Location"]
        if "/support" in url:
            url = url.split("next=")[1]
            url = f"/i/{intake.token}/review" if url == "review" else page_url(intake, url)
    return post_form(client, f"/i/{intake.token}/review", {})


def autosave(client: FlaskClient, intake: Intake, page_id: str, data: dict[str, Any]) -> Any:
    """What the page script sends: the page's fields, CSRF in the X-CSRFToken header."""
    token = csrf_token(client, page_url(intake, page_id))
    return client.post(
        f"{page_url(intake, page_id)}/autosave", data=data, headers={"X-CSRFToken": token}
    )


def reload(intake: Intake) -> Intake:
    """The intake as stored now."""
    db.session.expire_all()
    fresh = db.session.get(Intake, intake.id)
    assert fresh is not None
    return fresh


# The questionnaire editor.


def builtin_id() -> int:
    """The stored id of the built-in default questionnaire."""
    version = db.session.scalar(
        select(QuestionnaireVersion).where(
            QuestionnaireVersion.key == "readiness", QuestionnaireVersion.clinic_id.is_(None)
        )
    )
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


def sleep_for(seconds: float) -> str:
    """Work that takes a while (for time-limit tests run in a child process)."""
    import time

    time.sleep(seconds)
    return "slept"


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
