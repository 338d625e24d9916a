"""What a staff member's browser is shown once, kept on the server rather than in the cookie.

Flask's session cookie is signed, not encrypted: a client link put there (a credential to a
client's health data) or a note naming a client could be read from the cookie. Instead the
value is kept, encrypted (crypto.EncryptedJSON), on this browser's staff session row: the
cookie holds only the session's random token, the row is shared by every web process, and
another person's session cannot reach it. A value is forgotten when it is first shown, when
KEEP_FOR has passed, or when the session ends.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import request, session
from sqlalchemy import select, update

from ..db import db
from ..models import StaffSession, utcnow
from . import sessions

# Long enough for the redirect to the page that shows the value; then it is gone.
KEEP_FOR = timedelta(minutes=5)
# The kind under which notes (flash messages naming a client) are kept.
NOTES = "notes"
# A flag in the cookie (no value): something is kept, so a page without it reads nothing.
PENDING = "shown_once"


def _stamp(moment: datetime) -> str:
    # One fixed width, so the stamps compare as text.
    return moment.isoformat(timespec="microseconds")


def _row() -> StaffSession | None:
    """This browser's session row, read again under its lock: two tabs of one browser (one
    keeping a link, the other showing a note) never write over each other's values."""
    row = sessions.this_browser()
    if row is None:
        return None
    return db.session.scalar(
        select(StaffSession)
        .where(StaffSession.id == row.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _live(stored: dict[str, Any] | None) -> dict[str, Any]:
    """The stored values still within their time (expired ones are dropped)."""
    now = _stamp(utcnow())
    return {k: v for k, v in (stored or {}).items() if isinstance(v, dict) and v["until"] > now}


def _put(kind: str, value: Callable[[Any], Any]) -> None:
    """Keep value(what is kept under kind now, or None) under kind, and commit."""
    row = _row()
    if row is None:
        return  # no signed-in session: nothing may be kept
    values = _live(row.shown_once)
    pending = values.get(kind)
    until = _stamp(utcnow() + KEEP_FOR)
    # A new dict (not changed in place), so the encrypted column is written again.
    row.shown_once = {**values, kind: {"value": value(pending["value"] if pending else None),
                                       "until": until}}  # fmt: skip
    db.session.commit()
    session[PENDING] = True


def keep(kind: str, value: Any) -> None:
    """Keep a value for this browser's next page to show once (committed here)."""
    _put(kind, lambda _: value)


def take(kind: str) -> Any:
    """The value kept under kind (None if none or expired), forgotten from now on."""
    if not session.get(PENDING):
        return None
    row = _row()
    values = _live(row.shown_once if row is not None else None)
    kept = values.pop(kind, None)
    if row is not None and row.shown_once:
        row.shown_once = values or None
    # Ends the transaction, so the row's lock is not held while the page is drawn.
    db.session.commit()
    if not values:
        session.pop(PENDING, None)
    return None if kept is None else kept["value"]


def note(message: str, category: str = "info") -> None:
    """Like flask.flash, for a message that names a client or their address."""
    _put(NOTES, lambda pending: [*(pending or []), [category, message]])


def notes() -> list[tuple[str, str]]:
    """The notes kept for this staff page, as (category, message), then forgotten."""
    # Only staff pages show them: a client page opened in a staff member's browser (a link
    # tried at the front desk, the questionnaire preview) never names another client.
    if request.blueprint != "staff" or not session.get(PENDING):
        return []  # the common case reads nothing and writes nothing
    return [(str(c), str(m)) for c, m in take(NOTES) or []]


def forget_stale() -> int:
    """Empty what sessions idle for longer than KEEP_FOR still hold; returns how many.

    All of it has expired: a session's last_seen_at is at most SEEN_EVERY behind its latest
    request, which is when anything it holds was kept."""
    idle_since = utcnow() - KEEP_FOR - sessions.SEEN_EVERY
    result = db.session.execute(
        update(StaffSession)
        .where(StaffSession.shown_once.is_not(None), StaffSession.last_seen_at < idle_since)
        .values(shown_once=None)
    )
    db.session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
