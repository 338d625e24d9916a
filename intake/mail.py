"""Send email through a real SMTP server, or write it to instance/outbox/ when none is set."""

from __future__ import annotations

import logging
import os
import smtplib
import threading
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any, Literal

from flask import Flask, current_app, has_request_context, request, url_for

log = logging.getLogger(__name__)

# How an email went: through the SMTP server, only to instance/outbox/, or not at all.
Delivery = Literal["sent", "outbox", "failed"]


class MailError(Exception):
    """The SMTP server could not be reached or refused the message."""


def configured() -> bool:
    """Whether a real SMTP server is set (otherwise messages only reach instance/outbox/)."""
    return bool(current_app.config.get("SMTP_HOST"))


# Flask's own `flask run` address: the last resort of a command run with no server known.
FALLBACK_BASE_URL = "http://127.0.0.1:5000"
_SERVED = "intake.served_base_url"


def base_url() -> str:
    """Where links point: PUBLIC_BASE_URL, else the address this app serves on.

    The served address is the one the server is bound to (the WSGI SERVER_NAME and
    SERVER_PORT), never the Host header a request carries, and it is remembered for the
    emails background jobs send. A command run with neither falls back to flask run's default.
    """
    configured = current_app.config.get("PUBLIC_BASE_URL")
    if configured:
        return str(configured).rstrip("/")
    if has_request_context():
        environ = request.environ
        scheme = environ.get("wsgi.url_scheme", "http")
        host, port = environ.get("SERVER_NAME", "127.0.0.1"), str(environ.get("SERVER_PORT", ""))
        default_port = {"http": "80", "https": "443"}.get(scheme)
        served = f"{scheme}://{host}" + (f":{port}" if port and port != default_port else "")
        current_app.extensions[_SERVED] = served
        return served
    return str(current_app.extensions.get(_SERVED) or FALLBACK_BASE_URL)


def base_url_known() -> bool:
    """Whether links point at a known address (configured, or seen served), not a guess."""
    return bool(current_app.config.get("PUBLIC_BASE_URL") or current_app.extensions.get(_SERVED))


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link for an email or a page to show, on base_url() whatever the Host."""
    base = base_url()
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
        outbox.mkdir(mode=0o700, parents=True, exist_ok=True)
        name = message["Message-ID"].strip("<>").replace("@", "_") + ".eml"
        # Readable by the app's user only: these hold live sign-in and client links.
        fd = os.open(outbox / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(bytes(message))
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


def delivery_note(delivery: Delivery, to: str, what: str = "the link") -> str:
    """What happened to an email, said the same way on every page that sends one.

    what names the message when it went ("the link", "a reminder"); otherwise the person
    is asked to pass on the link themselves.
    """
    if delivery == "sent":
        return f"We emailed {what} to {to}."
    if delivery == "outbox":
        return (
            f"The email to {to} was not sent: this server has no mail server set up"
            " (INTAKE_SMTP_HOST), so it was written to the outbox folder on the server"
            " instead. Please copy the link and send it to them yourself."
        )
    return (
        f"We could not send the email to {to}: the mail server did not take it just now."
        " Please copy the link and send it to them yourself."
    )


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
