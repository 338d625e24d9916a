"""The one place that changes a clinic's settings: branding, crisis contacts, defaults.

Also the one place that says what a client in crisis is shown: only the clinic's own
emergency number and crisis text, never a questionnaire's built-in default.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from . import audit, crypto, i18n
from .brief import jobs
from .brief.content import language_name
from .db import db
from .models import Clinic, utcnow
from .questionnaire import Definition

# The settings a form change is recorded for in the audit log (the logo is noted separately).
TRACKED = (
    "name",
    "accent_color",
    "default_questionnaire",
    "link_expiry_days",
    "referral_daily_cap",
    "require_two_factor",
    "goal_step",
    "copy_link_days",
    "retention_months",
    "unopened_days",
    "unfinished_days",
    "time_zone",
)
# The safety settings (Settings -> Safety), audited as "settings.safety_changed".
SAFETY = (
    "client_languages",
    "emergency_number",
    "crisis_texts",
    "safety_procedure",
    "urgent_escalation_minutes",
    "phone_region",
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
        if (value is None and name == "referral_daily_cap") or (name == "time_zone" and not value):
            continue  # left blank: the cap (or the time zone) stays as it was
        setattr(clinic, name, value.strip() if isinstance(value, str) else value)
    clinic.default_questionnaire = clinic.default_questionnaire or None
    changed = [name for name in TRACKED if getattr(clinic, name) != before[name]]
    if logo is not None:
        clinic.logo, clinic.logo_mime = logo
        changed.append("logo")
    elif remove_logo and clinic.logo is not None:
        clinic.logo = clinic.logo_mime = None
        changed.append("logo")
    if self_referral and clinic.self_referral_hash is None:
        # Only its hash is kept: the page after this one shows the link, once.
        clinic.self_referral_token = secrets.token_urlsafe(REFERRAL_TOKEN_BYTES)
        changed.append("self_referral")
    elif not self_referral and clinic.self_referral_hash is not None:
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


def update_safety(clinic: Clinic, values: dict[str, Any]) -> list[str]:
    """Store the safety settings and their audit entry in one commit; returns the names changed.

    Blank texts are stored as none; crisis texts are kept per language, blanks dropped.
    """
    before = {name: getattr(clinic, name) for name in SAFETY}
    for name in SAFETY:
        value = values[name]
        if isinstance(value, str):
            value = value.strip() or None
        setattr(clinic, name, value)
    clinic.crisis_texts = {
        lang: text.strip() for lang, text in (values["crisis_texts"] or {}).items() if text.strip()
    }
    changed = [name for name in SAFETY if getattr(clinic, name) != before[name]]
    if changed:
        # The brief's page 1 prints the safety procedure: stale PDFs are rendered again.
        clinic.settings_updated_at = utcnow()
        audit.record("settings.safety_changed", subject=clinic, fields=changed, commit=False)
    if "safety_procedure" in changed:
        # Printed on an urgent brief's page 1: those PDFs are made anew now, not on first view.
        jobs.schedule_refresh(clinic.id)
    db.session.commit()
    return changed


def offered_languages(clinic: Clinic) -> tuple[str, ...]:
    """The languages the clinic lets clients answer in (default: every interface language)."""
    interface = i18n.interface_languages()
    chosen = tuple(lang for lang in clinic.client_languages or () if lang in interface)
    return chosen or interface


def client_languages(clinic: Clinic, definition: Definition) -> tuple[str, ...]:
    """The languages a client may answer this questionnaire in at this clinic.

    Those the questionnaire offers and the clinic offers; when they share none, the
    questionnaire's own language (the clinic then has no crisis text for it: see crisis_for).
    """
    offered = offered_languages(clinic)
    both = tuple(lang for lang in definition.offered_languages if lang in offered)
    return both or (definition.language,)


def missing_crisis_contacts(clinic: Clinic) -> list[str]:
    """What an admin must still set before clients can be invited, in plain words."""
    missing = [] if clinic.emergency_number else ["the emergency number"]
    texts = clinic.crisis_texts or {}
    missing += [
        f"the crisis text in {language_name(lang)}"
        for lang in offered_languages(clinic)
        if not texts.get(lang)
    ]
    return missing


class CrisisContactsMissing(Exception):
    """The clinic has not set its crisis contacts, so no client may be invited yet."""

    def __init__(self, clinic: Clinic, missing: Sequence[str]) -> None:
        self.missing = list(missing)
        super().__init__(
            f"{clinic.name} has not set its crisis contacts yet (missing: "
            f"{', '.join(self.missing)}). A clinic admin can set them under Settings, Safety;"
            " until then no client can be invited."
        )


def require_crisis_contacts(clinic: Clinic) -> None:
    """Raise CrisisContactsMissing unless the clinic's crisis contacts are complete."""
    if missing := missing_crisis_contacts(clinic):
        raise CrisisContactsMissing(clinic, missing)


@dataclass(frozen=True)
class Crisis:
    """What a client is shown after a worrying safety answer: only the clinic's own contacts.

    language is the language of the text (another of the clinic's when the client's is
    missing); a missing number or text is None, and the page then says so in general terms.
    """

    emergency: str | None
    text: str | None
    language: str | None


def crisis_for(clinic: Clinic, language: str) -> Crisis:
    """The clinic's crisis contacts for a client answering in this language."""
    texts = clinic.crisis_texts or {}
    if texts.get(language):
        chosen: str | None = language
    else:
        chosen = next((lang for lang in offered_languages(clinic) if texts.get(lang)), None)
        chosen = chosen or next(iter(texts), None)
    return Crisis(clinic.emergency_number, texts.get(chosen) if chosen else None, chosen)


# 16 bytes: 128 bits, far beyond guessing (the link is public to the clinic's clients anyway).
REFERRAL_TOKEN_BYTES = 16


def new_referral_link(clinic: Clinic) -> str:
    """A new self-referral token (the old link stops working at once), audited; returns it."""
    token = secrets.token_urlsafe(REFERRAL_TOKEN_BYTES)
    clinic.self_referral_token = token
    audit.record("settings.referral_link_reissued", subject=clinic, commit=False)
    db.session.commit()
    return token


def by_referral_token(token: str) -> Clinic | None:
    """The clinic whose self-referral link this is (looked up by the token's hash)."""
    clinic = db.session.scalar(
        select(Clinic).where(Clinic.self_referral_hash == crypto.token_hash(token))
    )
    if clinic is not None:
        clinic.remember_referral_token(token)
    return clinic
