"""A clinic's webhook: on each submission its practice system is told, by a POST signed with
HMAC-SHA256, which intake was sent and where to read it. A durable job (intake/outbox.py)
written in the submission's own commit, retried with growing waits. The payload holds ids and
links only, never answers.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from . import audit, intake_sets, outbox
from .db import db
from .mail import external_url
from .models import Intake, Webhook, utcnow

log = logging.getLogger(__name__)

KIND = "webhook.submitted"
EVENT = "intake.submitted"


class Refused(ValueError):
    """A webhook address this deployment will not post to."""


def of_clinic(clinic_id: int) -> Webhook | None:
    """The clinic's webhook, if it has one."""
    return db.session.scalar(select(Webhook).where(Webhook.clinic_id == clinic_id))


def check_url(url: str) -> None:
    """Refuse an address that is not http(s), and in production one that is not public HTTPS.

    A webhook makes this server send requests where an admin says: in production it may
    reach only public addresses over HTTPS, never this machine or the clinic's own network.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused("Give a full address starting with https://")
    if parts.username or parts.password:
        raise Refused("Leave user names and passwords out of the address.")
    if current_app.config.get("WEBHOOK_ALLOW_PRIVATE", not current_app.config.get("PRODUCTION")):
        return
    if parts.scheme != "https":
        raise Refused("The address must start with https://")
    try:
        found = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise Refused("That host name cannot be found.") from exc
    for *_, address in found:
        ip = ipaddress.ip_address(address[0])
        if not ip.is_global:
            raise Refused("The address must be reachable on the public internet.")


def save(clinic_id: int, url: str) -> tuple[Webhook, str | None]:
    """Set the clinic's webhook address; a new one gets a secret (returned once, else None)."""
    check_url(url)
    row = of_clinic(clinic_id)
    secret = None
    if row is None:
        secret = secrets.token_hex(32)
        row = Webhook(clinic_id=clinic_id, url=url, secret=secret)
        db.session.add(row)
    row.url, row.updated_at = url, utcnow()
    db.session.flush()
    audit.record("api.webhook_set", subject=row, commit=False, url=url, new_secret=bool(secret))
    db.session.commit()
    return row, secret


def new_secret(row: Webhook) -> str:
    """A fresh signing secret (the old one stops at once); returned once."""
    row.secret, row.updated_at = secrets.token_hex(32), utcnow()
    audit.record("api.webhook_set", subject=row, commit=False, url=row.url, new_secret=True)
    db.session.commit()
    return row.secret


def remove(row: Webhook) -> None:
    """No more webhook calls for the clinic."""
    audit.record("api.webhook_removed", subject=row, commit=False, url=row.url)
    db.session.delete(row)
    db.session.commit()


def submitted(intake: Intake) -> None:
    """Schedule the call in the caller's transaction (the submission's own commit)."""
    if of_clinic(intake.clinic_id) is not None:
        outbox.schedule(KIND, {"intake_id": intake.id}, key=f"webhook:{intake.id}")


def payload(intake: Intake) -> dict[str, Any]:
    """What the practice system is told: ids and links, never answers."""
    assert intake.submitted_at is not None
    return {
        "event": EVENT,
        "id": f"intake-{intake.id}-submitted",
        "intake_id": intake.id,
        "clinic": intake.clinic.slug,
        "submitted_at": intake.submitted_at.replace(microsecond=0).isoformat() + "Z",
        "questionnaires": [
            {"id": version.key, "version": version.version}
            for version in intake_sets.versions_of(intake)
        ],
        "links": {
            "intake": external_url("api.intake", intake_id=intake.id),
            "scores": external_url("api.scores", intake_id=intake.id),
            "fhir": external_url("api.intake_fhir", intake_id=intake.id),
            "brief": external_url("api.brief", intake_id=intake.id),
        },
    }


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Intake-Signature of a body: 'sha256=' and the HMAC of 'timestamp.body'."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, never followed (it could point anywhere)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _retry_delays() -> list[float]:
    return list(current_app.config.get("WEBHOOK_RETRY_DELAYS", (30, 120, 600, 1800, 3600)))


@outbox.handler(KIND, max_attempts=12, backoff=_retry_delays, lease=lambda: 60)
def deliver(params: dict[str, Any]) -> None:
    """POST the signed event; any answer but 2xx raises, and the outbox tries again later."""
    intake = db.session.get(Intake, params["intake_id"])
    hook = of_clinic(intake.clinic_id) if intake is not None else None
    if intake is None or hook is None or not intake.submitted:
        return  # erased, or the clinic removed its webhook meanwhile: nothing to tell
    check_url(hook.url)
    body = json.dumps(payload(intake), separators=(",", ":")).encode()
    stamp = str(int(time.time()))
    request = urllib.request.Request(
        hook.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "intake-webhook/1",
            "X-Intake-Event": EVENT,
            "X-Intake-Delivery": f"intake-{intake.id}-submitted",
            "X-Intake-Timestamp": stamp,
            "X-Intake-Signature": signature(hook.secret, stamp, body),
        },
    )
    opener = urllib.request.build_opener(_NoRedirects)
    timeout = float(current_app.config.get("WEBHOOK_TIMEOUT", 10))
    try:
        with opener.open(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    if not 200 <= status < 300:
        audit.record("api.webhook_failed", clinic_id=intake.clinic_id, subject=intake,
                     status=status)  # fmt: skip
        raise RuntimeError(f"webhook answered {status}")
    audit.record("api.webhook_delivered", clinic_id=intake.clinic_id, subject=intake,
                 status=status)  # fmt: skip
