"""An intake's brief from its stored rows alone: the Brief value, the branding, a PDF now."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from .. import logos, phones
from ..exports import parts_of
from ..history import history_of
from ..models import Clinic, Intake, utcnow
from .content import (
    Brief,
    ConsentRecord,
    CrisisShown,
    Meta,
    Reach,
    build_brief,
    language_name,
    merge_briefs,
)
from .render import Branding, render_pdf

log = logging.getLogger(__name__)


def brief_for(intake: Intake) -> Brief:
    """The brief of a submitted intake, from its stored answers, result and version."""
    if intake.result is None:
        raise ValueError(f"intake {intake.id} has no result yet")
    parts = list(parts_of(intake))
    definition = parts[0].definition
    meta = Meta(
        clinic_name=intake.clinic.name,
        client_name=intake.client_name,
        invited_on=intake.created_at.date(),
        submitted_on=intake.submitted_at,
        generated_on=utcnow(),
        language=definition.language,
        answered_in=intake.language,
        flagged_urgent=intake.urgent,
        reach=reach_of(intake),
        crisis_shown=crisis_shown_of(intake),
        safety_procedure=intake.clinic.safety_procedure,
        consent=consent_of(intake),
    )
    # One section per measure of every questionnaire the intake asked (most ask one).
    brief = merge_briefs([build_brief(p.definition, p.answers, p.result, meta) for p in parts])
    return replace(brief, history=history_of(intake))


def reach_of(intake: Intake) -> Reach:
    """How the clinic may reach the client, from the contact step and the invitation."""
    contact = intake.contact
    invited = Reach(
        invited_phone=phones.display(intake.phone) or None,
        invited_tel=phones.tel(intake.phone) or None,
        invited_email=intake.email,
    )
    if contact is None:
        return invited
    if contact.declined:
        return replace(invited, given=contact.confirmed_at is not None, declined=True)
    # The invitation's details are shown beside the client's only where they differ.
    if contact.phone == intake.phone:
        invited = replace(invited, invited_phone=None, invited_tel=None)
    if (contact.email or "").casefold() == (intake.email or "").casefold():
        invited = replace(invited, invited_email=None)
    return replace(
        invited,
        given=contact.confirmed_at is not None,
        phone=phones.display(contact.phone) or None,
        tel=phones.tel(contact.phone) or None,
        email=contact.email,
        voicemail_ok=contact.voicemail_ok,
        texts_ok=contact.texts_ok,
        safe_times=contact.safe_times,
    )


def crisis_shown_of(intake: Intake) -> CrisisShown | None:
    """What the client was shown after a worrying safety answer, as recorded, if anything."""
    shown = intake.crisis_shown
    if not shown:
        return None
    try:
        at: datetime | None = datetime.fromisoformat(str(shown.get("at")))
    except ValueError:
        at = None
    language = shown.get("language")
    return CrisisShown(
        emergency=shown.get("emergency"),
        text=shown.get("text"),
        language=language_name(language) if language else None,
        page=str(shown.get("page") or "support"),
        at=at,
    )


def consent_of(intake: Intake) -> ConsentRecord | None:
    """The consent record: typed name, time, wording version and its language."""
    if intake.consent_at is None and intake.consent_name is None:
        return None
    version, _, language = (intake.consent_version or "").partition("/")
    return ConsentRecord(
        name=intake.consent_name,
        at=intake.consent_at,
        version=version or None,
        language=language_name(language) if language else None,
        invited_name=intake.client_name,
    )


def branding_of(clinic: Clinic) -> Branding:
    """A clinic's branding settings as the renderer takes them.

    An SVG logo stored before today's structure checks is checked again here and left out
    when it would be too costly to draw (a brief without its logo beats a stalled render).
    """
    logo, mime = clinic.logo, clinic.logo_mime
    if logo is not None and mime == "image/svg+xml" and (why := logos.too_complex(logo)):
        log.warning("clinic %s: stored SVG logo left out of briefs: %s", clinic.slug, why)
        logo = mime = None
    return Branding(
        slug=clinic.slug,
        logo=logo,
        logo_mime=mime,
        accent=clinic.accent_color or "",
        paper=clinic.paper_size or "A4",
        time_zone=clinic.time_zone or "UTC",
    )


def pdf_for(intake: Intake) -> bytes:
    """The brief rendered to PDF now, with the clinic's branding (the command line)."""
    return render_pdf(brief_for(intake), branding=branding_of(intake.clinic))
