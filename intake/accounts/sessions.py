"""Staff sessions kept on the server: each signed-in browser is a row that can be ended."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, g, request, session
from sqlalchemy import select, update

from ..db import db
from ..models import Staff, StaffSession, utcnow

# The session cookie holds this random token; the table holds only its hash.
TOKEN = "staff_session"
# last_seen_at is written at most this often (the idle limit is minutes, not seconds).
SEEN_EVERY = timedelta(seconds=60)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def begin(staff: Staff) -> StaffSession:
    """A new session for this browser (added, not committed: the sign-in commits it)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = StaffSession(
        staff_id=staff.id,
        token_hash=_digest(token),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=float(current_app.config["STAFF_SESSION_HOURS"])),
        ip=(request.remote_addr or "")[:64] or None,
        user_agent=(request.user_agent.string or "")[:200] or None,
    )
    db.session.add(row)
    session[TOKEN] = token
    g.staff_session = row
    return row


def current(staff: Staff) -> tuple[StaffSession | None, str | None]:
    """This browser's live session of this person, or None and why it ended (if it just did).

    A session past its absolute lifetime, or idle on the server for longer than the idle
    limit, is ended here.
    """
    token = session.get(TOKEN)
    if not isinstance(token, str):
        return None, None
    row = db.session.scalar(select(StaffSession).where(StaffSession.token_hash == _digest(token)))
    if row is None or row.staff_id != staff.id or row.ended_at is not None:
        return None, None
    now = utcnow()
    idle = timedelta(minutes=float(current_app.config["STAFF_IDLE_MINUTES"])) + SEEN_EVERY
    reason = (
        "lifetime" if row.expires_at <= now else "idle" if now - row.last_seen_at > idle else None
    )
    if reason:
        _end_rows([row.id], reason)
        db.session.commit()
        return None, reason
    g.staff_session = row
    return row, None


def seen() -> None:
    """Note activity on the server (at most once a minute)."""
    row: StaffSession | None = g.get("staff_session")
    now = utcnow()
    if row is not None and now - row.last_seen_at >= SEEN_EVERY:
        row.last_seen_at = now
        db.session.commit()


def end(reason: str) -> None:
    """End this browser's session on the server."""
    token = session.get(TOKEN)
    if isinstance(token, str):
        db.session.execute(
            update(StaffSession)
            .where(StaffSession.token_hash == _digest(token), StaffSession.ended_at.is_(None))
            .values(ended_at=utcnow(), ended_reason=reason, shown_once=None)
        )
        db.session.commit()


def end_all(staff: Staff, reason: str, *, keep_current: bool = False) -> int:
    """End every session of a person (not committed); returns how many were live."""
    query = select(StaffSession.id).where(
        StaffSession.staff_id == staff.id, StaffSession.ended_at.is_(None)
    )
    token = session.get(TOKEN) if keep_current else None
    if isinstance(token, str):
        query = query.where(StaffSession.token_hash != _digest(token))
    ids = list(db.session.scalars(query))
    _end_rows(ids, reason)
    return len(ids)


def live(staff: Staff) -> list[StaffSession]:
    """A person's live sessions, newest first (for their account page)."""
    now = utcnow()
    return list(
        db.session.scalars(
            select(StaffSession)
            .where(
                StaffSession.staff_id == staff.id,
                StaffSession.ended_at.is_(None),
                StaffSession.expires_at > now,
            )
            .order_by(StaffSession.created_at.desc())
        )
    )


def this_browser() -> StaffSession | None:
    """This browser's live session row (the one sign-in checked, else found by its token)."""
    row: StaffSession | None = g.get("staff_session")
    token = session.get(TOKEN)
    if row is None and isinstance(token, str):
        row = db.session.scalar(
            select(StaffSession).where(
                StaffSession.token_hash == _digest(token), StaffSession.ended_at.is_(None)
            )
        )
    return row


def is_current(row: StaffSession) -> bool:
    """Whether a session row is this browser's."""
    token = session.get(TOKEN)
    return isinstance(token, str) and row.token_hash == _digest(token)


def _end_rows(ids: list[int], reason: str) -> None:
    if ids:
        db.session.execute(
            update(StaffSession)
            .where(StaffSession.id.in_(ids), StaffSession.ended_at.is_(None))
            .values(ended_at=utcnow(), ended_reason=reason, shown_once=None)
        )
