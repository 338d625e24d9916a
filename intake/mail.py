"""Send email through a real SMTP server, or write it to instance/outbox/ when none is set."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import current_app

log = logging.getLogger(__name__)


def send(to: str | list[str], subject: str, body: str) -> None:
    """Send a plain-text message; with no SMTP_HOST configured, save it to the outbox."""
    cfg = current_app.config
    message = EmailMessage()
    message["From"] = cfg["MAIL_FROM"]
    message["To"] = ", ".join([to] if isinstance(to, str) else to)
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="intake.local")
    message.set_content(body)
    host = cfg.get("SMTP_HOST")
    if not host:
        outbox = Path(current_app.instance_path) / "outbox"
        outbox.mkdir(parents=True, exist_ok=True)
        name = message["Message-ID"].strip("<>").replace("@", "_") + ".eml"
        (outbox / name).write_bytes(bytes(message))
        log.warning("SMTP_HOST is not set: wrote email %r to %s", subject, outbox / name)
        return
    with smtplib.SMTP(host, int(cfg.get("SMTP_PORT", 25)), timeout=10) as smtp:
        if cfg.get("SMTP_STARTTLS"):
            smtp.starttls()
        if cfg.get("SMTP_USERNAME"):
            smtp.login(cfg["SMTP_USERNAME"], cfg.get("SMTP_PASSWORD", ""))
        smtp.send_message(message)
