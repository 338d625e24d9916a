"""An intake's brief from its stored rows alone: the Brief value, the branding, a PDF now."""

from __future__ import annotations

import logging

from .. import logos
from ..catalogue import definition_of
from ..models import Clinic, Intake, utcnow
from ..scoring import Result
from .content import Brief, Meta, build_brief
from .render import Branding, render_pdf


def brief_for(intake: Intake) -> Brief:
    """The brief of a submitted intake, from its stored answers, result and version."""
    if intake.result is None:
        raise ValueError(f"intake {intake.id} has no result yet")
    definition = definition_of(intake.questionnaire)
    meta = Meta(
        clinic_name=intake.clinic.name,
        client_name=intake.client_name,
        invited_on=intake.created_at.date(),
        submitted_on=intake.submitted_at,
        generated_on=utcnow(),
        language=definition.language,
        answered_in=intake.language,
        flagged_urgent=intake.urgent,
    )
    return build_brief(definition, intake.answers, Result.from_json(intake.result), meta)


log = logging.getLogger(__name__)


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
    )


def pdf_for(intake: Intake) -> bytes:
    """The brief rendered to PDF now, with the clinic's branding (the command line)."""
    return render_pdf(brief_for(intake), branding=branding_of(intake.clinic))
