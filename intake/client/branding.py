"""A clinic's logo and colour on its clients' pages, served from our own origin.

Each is reached only through a client link (or the clinic's self-referral link), so a link
shows its own clinic's logo and no other. A colour too light to read (WCAG AA) is never
used: the pages keep the standard one.
"""

from __future__ import annotations

from flask import Response, abort

from .. import clinics, colours, lifecycle
from ..brief.render import DEFAULT_ACCENT
from ..models import Clinic
from . import bp

# The clients' pages use the standard colour (the brief's too) unless the clinic's own one
# is readable.
STANDARD_ACCENT = DEFAULT_ACCENT


def _clinic_of_link(token: str) -> Clinic:
    intake = lifecycle.by_token(token)
    if intake is None:
        abort(404)
    return intake.clinic


def _clinic_of_referral(token: str) -> Clinic:
    clinic = clinics.by_referral_token(token)
    if clinic is None:
        abort(404)
    return clinic


@bp.get("/i/<token>/logo")
def logo(token: str) -> Response:
    """The logo of the clinic behind a client link."""
    return _logo(_clinic_of_link(token))


@bp.get("/r/<token>/logo")
def referral_logo(token: str) -> Response:
    """The logo of the clinic behind a self-referral link."""
    return _logo(_clinic_of_referral(token))


@bp.get("/i/<token>/brand.css")
def brand_css(token: str) -> Response:
    """The clinic's colour for the pages of a client link."""
    return _css(_clinic_of_link(token))


@bp.get("/r/<token>/brand.css")
def referral_brand_css(token: str) -> Response:
    """The clinic's colour for its self-referral page."""
    return _css(_clinic_of_referral(token))


def accent_of(clinic: Clinic) -> str:
    """The colour clients see: the clinic's when readable, else the standard one."""
    colour = (clinic.accent_color or "").lower()
    return colour if colours.passes(colour) else STANDARD_ACCENT


def _logo(clinic: Clinic) -> Response:
    if clinic.logo is None or clinic.logo_mime is None:
        abort(404)
    response = Response(clinic.logo, mimetype=clinic.logo_mime)
    # Even an SVG (sanitized on upload) can never run anything from here.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.private = True
    response.cache_control.max_age = 300
    return response


def _css(clinic: Clinic) -> Response:
    response = Response(f":root {{ --accent: {accent_of(clinic)}; }}\n", mimetype="text/css")
    response.cache_control.private = True
    response.cache_control.max_age = 300
    return response
