"""API tokens: issued by a clinic admin (shown once, stored as a hash), scoped read or
read+invite, revocable at once; every request made with one is audited."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select

from . import audit
from .db import db
from .models import ApiScope, ApiToken, utcnow

PREFIX = "itk_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def issue(clinic_id: int, name: str, scope: ApiScope, actor_id: int) -> tuple[ApiToken, str]:
    """A new token for the clinic: the row, and the token itself (never stored, shown once)."""
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        clinic_id=clinic_id,
        name=name.strip(),
        scope=scope,
        token_hash=_digest(token),
        hint=token[:10],
        created_by_id=actor_id,
    )
    db.session.add(row)
    db.session.flush()
    audit.record("api.token_created", subject=row, commit=False, name=row.name, scope=scope.value)
    db.session.commit()
    return row, token


def clinic_tokens(clinic_id: int) -> list[ApiToken]:
    """A clinic's tokens, working ones first, newest first."""
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.clinic_id == clinic_id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id)
        )
    )


def token_of(clinic_id: int, token_id: int) -> ApiToken | None:
    """One of the clinic's tokens; another clinic's is indistinguishable from none."""
    return db.session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.clinic_id == clinic_id)
    )


def revoke(row: ApiToken, actor_id: int) -> None:
    """Stop a token working, from the next request on."""
    if row.revoked_at is None:
        row.revoked_at, row.revoked_by_id = utcnow(), actor_id
        audit.record("api.token_revoked", subject=row, commit=False, name=row.name)
        db.session.commit()


def authenticate(header: str | None) -> ApiToken | None:
    """The working token an Authorization header carries ('Bearer itk_...'), else None."""
    if not header or not header.startswith("Bearer "):
        return None
    token = header[len("Bearer ") :].strip()
    if not token.startswith(PREFIX) or len(token) > 100:
        return None
    return db.session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == _digest(token), ApiToken.revoked_at.is_(None)
        )
    )


def record_use(row: ApiToken, method: str, path: str, status: int) -> None:
    """Audit one request made with a token (and note when it was last used)."""
    row.last_used_at = utcnow()
    audit.record(
        "api.request",
        clinic_id=row.clinic_id,
        subject=row,
        commit=False,
        anonymous=True,
        token=row.name,
        method=method,
        path=path[:200],
        status=status,
    )
    db.session.commit()
