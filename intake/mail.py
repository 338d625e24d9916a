"""Send email through a real SMTP server, or write it to instance/outbox/ when none is set."""

from __future__ import annotations

import logging
import smtplib
import threading
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any, Literal

from flask import Flask, current_app, has_request_context, url_for

log = logging.getLogger(__name__)

# How an email went: through the SMTP server, only to instance/outbox/, or not at all.
Delivery = Literal["sent", "outbox", "failed"]


class MailError(Exception):
    """The SMTP server could not be reached or refused the message."""


def configured() -> bool:
    """Whether a real SMTP server is set (otherwise messages only reach instance/outbox/)."""
    return bool(current_app.config.get("SMTP_HOST"))


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link for an email, on PUBLIC_BASE_URL whatever address the request used."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    if has_request_context():
        return base + url_for(endpoint, **values)
    with current_app.test_request_context(base_url=base):
        return url_for(endpoint, _external=True, **values)


def send(to: str | list[str], subject: str, body: str) -> None:
    """Send a plain-text message; with no SMTP_HOST configured, save it to the outbox.

    Raises MailError when the SMTP server cannot take it, so callers can say so plainly.
    """
    cfg = current_app.config
    message = EmailMessage()
    try:
        message["From"] = cfg["MAIL_FROM"]
        message["To"] = ", ".join([to] if isinstance(to, str) else to)
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(domain="intake.local")
        message.set_content(body)
    except ValueError as exc:
        # A header the email library refuses (a line break in it): the message cannot go.
        log.error("could not build email %r: %s", subject, exc)
        raise MailError(str(exc)) from exc
    host = cfg.get("SMTP_HOST")
    if not host:
        outbox = Path(current_app.instance_path) / "outbox"
        outbox.mkdir(parents=True, exist_ok=True)
        name = message["Message-ID"].strip("<>").replace("@", "_") + ".eml"
        (outbox / name).write_bytes(bytes(message))
        log.warning("SMTP_HOST is not set: wrote email %r to %s", subject, outbox / name)
        return
    try:
        with smtplib.SMTP(host, int(cfg.get("SMTP_PORT") or 25), timeout=10) as smtp:
            if cfg.get("SMTP_STARTTLS"):
                smtp.starttls()
            if cfg.get("SMTP_USERNAME"):
                smtp.login(cfg["SMTP_USERNAME"], cfg.get("SMTP_PASSWORD") or "")
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        log.error("could not send email %r via %s: %s", subject, host, exc)
        raise MailError(str(exc)) from exc


def deliver(to: str | list[str], subject: str, body: str) -> Delivery:
    """Send, and say how it went rather than raise: the caller tells the person plainly."""
    try:
        send(to, subject, body)
    except MailError:
        return "failed"
    return "sent" if configured() else "outbox"


_threads_lock = threading.Lock()
_threads: list[threading.Thread] = []


def send_later(to: str | list[str], subject: str, body: str) -> None:
    """Send from a background thread, after the response; never raises.

    For messages whose sending must not show in the response time (a password reset must
    take as long for an unknown email as for a known one). At once, in the caller, when
    MAIL_SYNC is true; unset, it follows TESTING.
    """
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    sync = app.config.get("MAIL_SYNC")
    if sync if sync is not None else app.testing:
        deliver(to, subject, body)
        return
    thread = threading.Thread(
        target=_in_thread, args=(app, to, subject, body), name="mail", daemon=True
    )
    thread.start()
    with _threads_lock:
        _threads[:] = [t for t in _threads if t.is_alive()] + [thread]


def _in_thread(app: Flask, to: str | list[str], subject: str, body: str) -> None:
    with app.app_context():
        deliver(to, subject, body)


def wait_for_mail(timeout: float = 30) -> None:
    """Wait until messages sent from background threads are out (tests, shutdown)."""
    with _threads_lock:
        pending = list(_threads)
        _threads.clear()
    for thread in pending:
        thread.join(timeout)
