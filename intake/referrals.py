"""Limits on a clinic's public self-referral link: per client address, per clinic per day,
and on the urgent emails self-referred intakes may raise."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import has_request_context
from sqlalchemy import func, select

from . import audit, throttle
from .db import db
from .models import Clinic, Intake, utcnow

log = logging.getLogger(__name__)

# Intake.source of an intake a person opened themselves from the clinic's public link.
SELF_REFERRAL = "self_referral"


def taken_today(clinic: Clinic) -> int:
    """Self-referrals the clinic received in the last 24 hours."""
    since = utcnow() - timedelta(hours=24)
    return (
        db.session.scalar(
            select(func.count(Intake.id)).where(
                Intake.clinic_id == clinic.id,
                Intake.source == SELF_REFERRAL,
                Intake.created_at >= since,
            )
        )
        or 0
    )


def refusal(clinic: Clinic) -> str | None:
    """Why a self-referral from this request cannot be taken now ('address' or 'clinic')."""
    if throttle.wait("referral_address", throttle.client_address()):
        return "address"
    if taken_today(clinic) >= clinic.referral_daily_cap:
        return "clinic"
    return None


def count(clinic: Clinic) -> None:
    """Count one self-referral against this client address."""
    throttle.hit("referral_address", throttle.client_address())


def notice_allowed(intake: Intake) -> bool:
    """Whether an urgent intake's email may go out now; never raises.

    Safety first: every urgent intake is flagged and pinned on the dashboard, and every
    invited client's notice goes out. Only self-referred intakes (anyone can open one) are
    limited per client address, so a flood of them cannot flood the clinic's inboxes; a
    notice held back is audited in the caller's transaction (the one raising the flag).
    """
    try:
        if intake.source != SELF_REFERRAL or not has_request_context():
            return True
        if not throttle.take("referral_notice_address", throttle.client_address()):
            return True
    except Exception:
        log.exception("the urgent-notice limit could not be checked; sending the notice")
        return True
    audit.record(
        "intake.urgent_notice_limited",
        clinic_id=intake.clinic_id,
        subject=intake,
        commit=False,
        reason="many urgent self-referrals from one address",
    )
    return False
