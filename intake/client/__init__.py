"""The client's side: one blueprint for the intake link, its pages, and self-referral."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("client", __name__)

from . import autosave, branding, goals, referral, wizard  # noqa: E402,F401  (routes on bp)
