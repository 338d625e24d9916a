"""Two-factor sign-in for staff: TOTP codes from an authenticator app, and recovery codes."""

from __future__ import annotations

import secrets
import time

import pyotp
import segno
from markupsafe import Markup
from sqlalchemy import delete, select, update

from .. import audit
from ..crypto import CryptoError, keyring
from ..db import db
from ..models import RecoveryCode, Staff, utcnow
from . import auth, sessions

ISSUER = "Intake"
RECOVERY_CODES = 10
# Lower-case letters and digits people cannot confuse (no 0/o, 1/l/i).
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def new_secret() -> str:
    """A fresh random TOTP secret (160 bits, base32)."""
    return pyotp.random_base32(32)


# What a secret waiting for its first code is bound to while the session cookie holds it.
_SEALED = "session.two_factor_secret"


def sealed(secret: str) -> str:
    """A secret being set up, as the session cookie keeps it until a code confirms it:
    encrypted, as the cookie is signed but readable and the secret makes every future code."""
    return keyring().encrypt_text(secret, _SEALED)


def unsealed(value: object) -> str | None:
    """The secret sealed() kept, or None (none, or one no configured key opens)."""
    if not isinstance(value, str):
        return None
    try:
        return keyring().decrypt_text(value, _SEALED)
    except (CryptoError, ValueError):
        return None


def provisioning_uri(staff: Staff, secret: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(
        name=staff.email, issuer_name=f"{ISSUER} ({staff.clinic.name})"[:60]
    )


def qr_svg(uri: str) -> Markup:
    """The QR code of an address as inline SVG, drawn here (nothing is sent elsewhere)."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=5, border=2, dark="#000", light="#fff", title="QR code for your authenticator app"
    )
    return Markup(svg)  # our own drawing of an address we built; holds no user markup


def spaced(secret: str) -> str:
    """The secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _step(secret: str, code: str) -> int | None:
    """The time step a code belongs to (this one or either neighbour), or None."""
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = int(time.time())
    for offset in (0, -1, 1):
        at = now + offset * totp.interval
        if secrets.compare_digest(totp.at(at), code):
            return at // totp.interval
    return None


def code_matches(secret: str, code: str) -> bool:
    """Whether a code is right for a secret now (enrolment: nothing used yet)."""
    return _step(secret, code) is not None


def verify(staff: Staff, code: str) -> bool:
    """Whether a code signs this person in; each code works once (not committed)."""
    if not staff.two_factor or staff.totp_secret is None:
        return False
    step = _step(staff.totp_secret, code)
    if step is None or (staff.totp_last_step is not None and step <= staff.totp_last_step):
        return False
    staff.totp_last_step = step
    return True


def enrol(staff: Staff, secret: str) -> list[str]:
    """Turn two-factor sign-in on with a confirmed secret; returns fresh recovery codes."""
    staff.totp_secret = secret
    staff.totp_enabled_at = utcnow()
    staff.totp_last_step = None
    codes = _new_codes(staff)
    audit.record(
        "staff.two_factor_enrolled",
        clinic_id=staff.clinic_id,
        actor_id=staff.id,
        subject=staff,
        commit=False,
    )
    db.session.commit()
    return codes


def renew_codes(staff: Staff) -> list[str]:
    """A new set of recovery codes; the old ones stop working."""
    codes = _new_codes(staff)
    audit.record("staff.recovery_codes_renewed", subject=staff, commit=False)
    db.session.commit()
    return codes


def use_recovery_code(staff: Staff, code: str) -> bool:
    """Sign in with a recovery code, which is then used up (audited; not committed)."""
    typed = normalise(code)
    if len(typed) != 10:
        return False
    rows = db.session.scalars(
        select(RecoveryCode).where(
            RecoveryCode.staff_id == staff.id, RecoveryCode.used_at.is_(None)
        )
    ).all()
    for row in rows:
        if auth._verify(row.code_hash, typed):
            done = db.session.execute(
                update(RecoveryCode)
                .where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
                .values(used_at=utcnow())
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                return False  # used by another request at the same moment
            audit.record(
                "staff.recovery_code_used",
                clinic_id=staff.clinic_id,
                actor_id=staff.id,
                subject=staff,
                commit=False,
                remaining=len(rows) - 1,
            )
            return True
    return False


def remaining_codes(staff: Staff) -> int:
    """How many unused recovery codes a person has."""
    return len(
        db.session.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.staff_id == staff.id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )


def reset(staff: Staff) -> None:
    """An admin turns a colleague's two-factor sign-in off (a lost phone); they are signed
    out everywhere and enrol again at their next sign-in if the clinic requires it."""
    staff.totp_secret = None
    staff.totp_enabled_at = None
    staff.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.staff_id == staff.id))
    sessions.end_all(staff, "2fa_reset")
    audit.record("staff.two_factor_reset", subject=staff, commit=False, email=staff.email)
    db.session.commit()


def normalise(code: str) -> str:
    """A recovery code as stored: lower case, without spaces or dashes."""
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _new_codes(staff: Staff) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.staff_id == staff.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))  # ~49 bits each
        db.session.add(RecoveryCode(staff_id=staff.id, code_hash=auth.hash_password(raw)))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes
