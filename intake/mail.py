"""Send email through a real SMTP server, or write it to instance/outbox/ when none is set."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any, Literal

from flask import current_app, has_request_context, url_for

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
