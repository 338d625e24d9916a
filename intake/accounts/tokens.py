"""Single-use, expiring links for staff (invitations, password resets); only hashes are stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update

from ..db import db
from ..models import Staff, StaffToken, utcnow

INVITE = "invite"
RESET = "reset"
# 32 bytes of randomness, as for client links.
TOKEN_BYTES = 32


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def issue(staff: Staff, purpose: str, lifetime: timedelta) -> str:
    """A new link token for a staff member; earlier unused ones for the same purpose stop working.

    Adds to the session without committing; the caller commits with its other changes.
    """
    now = utcnow()
    db.session.execute(
        update(StaffToken)
        .where(
            StaffToken.staff_id == staff.id,
            StaffToken.purpose == purpose,
            StaffToken.used_at.is_(None),
        )
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    db.session.add(
        StaffToken(
            staff_id=staff.id,
            purpose=purpose,
            token_hash=_digest(token),
            expires_at=now + lifetime,
        )
    )
    return token


def peek(token: str, purpose: str) -> Staff | None:
    """The active staff member a usable token belongs to, without using it up."""
    row = db.session.scalar(
        select(StaffToken).where(
            StaffToken.token_hash == _digest(token),
            StaffToken.purpose == purpose,
            StaffToken.used_at.is_(None),
            StaffToken.expires_at > utcnow(),
        )
    )
    if row is None or not row.staff.active:
        return None
    return row.staff


def consume(token: str, purpose: str) -> Staff | None:
    """Use a token up; returns its staff member, or None if it is unknown, used or expired.

    One conditional UPDATE marks it used, so two requests racing with the same link cannot
    both succeed. Does not commit; the caller commits with the change the link allows.
    """
    staff = peek(token, purpose)
    if staff is None:
        return None
    now = utcnow()
    done = db.session.execute(
        update(StaffToken)
        .where(
            StaffToken.token_hash == _digest(token),
            StaffToken.used_at.is_(None),
            StaffToken.expires_at > now,
        )
        .values(used_at=now)
    )
    return staff if done.rowcount == 1 else None  # type: ignore[attr-defined]
