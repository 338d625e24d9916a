"""The client's own copy of their answers: what they wrote, as a PDF in their language.

Not the therapist's brief: no scores, no profile, no flags; only the questions they were
shown and their answers, so they keep a record of what they shared.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections import OrderedDict
from datetime import datetime
from pathlib import Path

from flask_babel import format_date, format_time, gettext, ngettext
from jinja2 import Environment

from .. import dates
from ..brief.render import TEMPLATES_DIR, html_to_pdf, template_environment
from ..models import Intake, utcnow
from ..questionnaire import Definition
from .display import Section, sections

TEMPLATE = "answers.html"
STYLESHEET = "answers.css"
# Rendered copies kept in this process, so a client (or anyone holding the link) pressing
# "download" again and again costs one render, not one each time. Bounded, and keyed by
# everything the copy shows: a changed template or language makes a new one.
CACHE_SIZE = 32
_cache: OrderedDict[str, bytes] = OrderedDict()
_cache_lock = threading.Lock()


def cached_answers_pdf(
    intake: Intake, definition: Definition, *, leave_out_sensitive: bool = True
) -> bytes:
    """answers_pdf, rendered once per submitted intake, language, choice and template version."""
    key = _cache_key(intake, definition, leave_out_sensitive)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    pdf = answers_pdf(intake, definition, leave_out_sensitive=leave_out_sensitive)
    with _cache_lock:
        _cache[key] = pdf
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return pdf


def _cache_key(intake: Intake, definition: Definition, leave_out: bool) -> str:
    root = TEMPLATES_DIR.resolve()
    files = sorted(p for p in root.glob("answers.*") if p.is_file())
    signature = "|".join(f"{p.name}:{p.stat().st_mtime_ns}:{p.stat().st_size}" for p in files)
    parts = (
        intake.id,
        intake.token,
        intake.submitted_at,
        definition.language,
        leave_out,
        signature,
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def sensitive_items(definition: Definition) -> frozenset[str]:
    """The items a copy leaves out when the client asks: the safety item, its follow-ups, and
    every item the definition marks sensitive."""
    ids = {item.id for item in definition.items() if item.sensitive}
    if definition.safety is not None:
        ids.add(definition.safety.item)
        if definition.safety.follow_ups is not None:
            ids |= {definition.safety.follow_ups.now, definition.safety.follow_ups.ever}
    return frozenset(ids)


def _kept(
    definition: Definition, intake: Intake, leave_out_sensitive: bool
) -> tuple[list[Section], bool]:
    """The sections the copy shows, and whether anything the client answered was left out."""
    shown = sections(definition, intake.answers or {})
    if not leave_out_sensitive:
        return shown, False
    drop = sensitive_items(definition)
    kept: list[Section] = []
    for section in shown:
        answers = tuple((item, text) for item, text in section.answers if item.id not in drop)
        if answers:
            kept.append(Section(section.page, answers))
    left_out = any(item.id in drop for section in shown for item, _ in section.answers)
    return kept, left_out


def answers_pdf(
    intake: Intake,
    definition: Definition,
    *,
    templates_dir: Path | None = None,
    leave_out_sensitive: bool = True,
) -> bytes:
    """The submitted answers of an intake as a PDF, in the definition's (client's) language;
    by default without the sensitive answers (someone else may see the copy)."""
    root = (templates_dir or TEMPLATES_DIR).resolve()
    kept, left_out = _kept(definition, intake, leave_out_sensitive)
    html = (
        _environment(root)
        .get_template(TEMPLATE)
        .render(
            intake=intake,
            definition=definition,
            sections=kept,
            left_out=left_out,
            lang=definition.language,
            submitted=_moment(intake.submitted_at, intake.clinic.time_zone),
        )
    )
    # Through the brief's renderer and its restricted fetcher: the client's own text is in
    # this document; nothing it says may make WeasyPrint read a local file or reach a server.
    return html_to_pdf(html, templates_dir=root, stylesheets=(STYLESHEET,))


def filename(intake: Intake) -> str:
    """The download's file name, with the date it was sent."""
    # The day where the clinic is, as the copy itself says.
    sent = dates.local(intake.submitted_at or utcnow(), intake.clinic.time_zone)
    day = sent.date().isoformat()
    # Translated: the file lands among the client's own downloads.
    return gettext("my-answers") + f"-{day}.pdf"


def _moment(value: datetime | None, zone: str) -> str:
    if value is None:
        return ""
    # Where the clinic is, whoever asks for the copy (the client, or staff exporting their
    # data); date and hour:minute: seconds and time zones mean nothing to the client here.
    local = dates.local(value, zone)
    return (
        f"{format_date(local, 'long', rebase=False)}, {format_time(local, 'short', rebase=False)}"
    )


@functools.lru_cache(maxsize=4)
def _environment(root: Path) -> Environment:
    """Autoescaping Jinja with the interface's translations (Flask-Babel's gettext)."""
    env = template_environment(root, extensions=["jinja2.ext.i18n"])
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters["day"] = lambda value: format_date(value, "long") if value else ""
    return env


def forget_all() -> None:
    """Drop every copy kept in this process (an erasure must leave none of the client's)."""
    with _cache_lock:
        _cache.clear()
