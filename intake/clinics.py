"""The one place that changes a clinic's settings: branding, crisis contacts, defaults."""

from __future__ import annotations

import secrets
from typing import Any

from . import audit
from .brief import jobs
from .db import db
from .models import Clinic, utcnow

# The settings a form change is recorded for in the audit log (the logo is noted separately).
TRACKED = (
    "name",
    "accent_color",
    "crisis_text",
    "emergency_number",
    "default_questionnaire",
    "link_expiry_days",
    "referral_daily_cap",
    "require_two_factor",
)


# The settings a brief PDF shows (its name, logo and colour): a change makes the PDFs stale.
BRIEF_FIELDS = {"name", "accent_color", "logo"}


def update_settings(
    clinic: Clinic,
    values: dict[str, Any],
    *,
    logo: tuple[bytes, str] | None = None,
    remove_logo: bool = False,
    self_referral: bool,
) -> list[str]:
    """Store the changes and their audit entry in one commit; returns the names changed.

    Stamps the time, so briefs re-render with the new branding.
    """
    before = {name: getattr(clinic, name) for name in TRACKED}
    for name in TRACKED:
        value = values[name]
        if value is None and name == "referral_daily_cap":
            continue  # left blank: the cap stays as it was
        setattr(clinic, name, value.strip() if isinstance(value, str) else value)
    clinic.crisis_text = clinic.crisis_text or None
    clinic.emergency_number = clinic.emergency_number or None
    clinic.default_questionnaire = clinic.default_questionnaire or None
    changed = [name for name in TRACKED if getattr(clinic, name) != before[name]]
    if logo is not None:
        clinic.logo, clinic.logo_mime = logo
        changed.append("logo")
    elif remove_logo and clinic.logo is not None:
        clinic.logo = clinic.logo_mime = None
        changed.append("logo")
    if self_referral and clinic.self_referral_token is None:
        clinic.self_referral_token = secrets.token_urlsafe(16)
        changed.append("self_referral")
    elif not self_referral and clinic.self_referral_token is not None:
        clinic.self_referral_token = None
        changed.append("self_referral")
    if changed:
        clinic.settings_updated_at = utcnow()
        audit.record("settings.changed", subject=clinic, fields=changed, commit=False)
    if set(changed) & BRIEF_FIELDS:
        # The clinic's briefs show these: their PDFs are made anew now, not on first view.
        jobs.schedule_refresh(clinic.id)
    db.session.commit()
    return changed
