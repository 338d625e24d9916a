"""The audit log: record who viewed, downloaded, invited, changed or signed in."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState, Session

from .db import db
from .models import AuditEvent, FollowUp

# How the log page names actions; an action without an entry is shown by its own name.
LABELS = {
    "staff.login": "Signed in",
    "staff.login_failed": "Failed sign-in",
    "staff.logout": "Signed out",
    "staff.invited": "Invited a colleague",
    "staff.invitation_resent": "Re-sent a colleague's invitation",
    "staff.joined": "Accepted an invitation",
    "staff.password_reset_requested": "Asked for a password reset",
    "staff.password_reset_completed": "Set a new password",
    "staff.role_changed": "Changed a role",
    "staff.deactivated": "Deactivated an account",
    "staff.reactivated": "Reactivated an account",
    "intake.urgent_notified": "Urgent intake: staff emailed",
    "intake.urgent_notify_failed": "Urgent intake: email failed",
    "intake.urgent_followed_up": "Urgent intake: contact with the client recorded",
    "intake.urgent_escalated": "Urgent intake: admins reminded, no one had reached the client",
    "intake.urgent_escalation_failed": "Urgent intake: reminder email failed",
    "intake.under_age": "A client said they are under 18: the intake stopped",
    "intake.under_age_notified": "Intake stopped (under 18): staff emailed",
    "intake.under_age_notify_failed": "Intake stopped (under 18): email failed",
    "intake.safety_summary_viewed": "Viewed the safety summary of an intake in progress",
    "intake.reviewed": "Marked an intake reviewed",
    "intake.reassigned": "Reassigned an intake",
    "client.invited": "Invited a client",
    "client.reinvited": "Invited a client again (a later intake)",
    "client.record_viewed": "Viewed a client's record",
    "client.self_referred": "A client referred themselves",
    "client.link_resent": "Re-sent a client's link",
    "client.link_reissued": "Made a new client link",
    "client.link_revoked": "Withdrew a client's link",
    "client.reminded": "Sent a client a reminder",
    "brief.viewed": "Viewed a brief",
    "brief.downloaded": "Downloaded a brief",
    "brief.retried": "Asked for a brief's PDF again",
    "questionnaire.created": "Created a questionnaire",
    "questionnaire.edited": "Edited a questionnaire draft",
    "questionnaire.published": "Published a questionnaire",
    "intake_set.saved": "Saved an intake set",
    "intake_set.deleted": "Deleted an intake set",
    "settings.changed": "Changed clinic settings",
    "settings.referral_link_reissued": "Made a new self-referral link",
    "settings.safety_changed": "Changed the crisis contacts or safety settings",
    "staff.login_locked": "Sign-in paused after failed attempts",
    "staff.password_changed": "Changed their password",
    "staff.sessions_ended": "Signed out everywhere",
    "staff.two_factor_enrolled": "Set up two-factor sign-in",
    "staff.two_factor_reset": "Reset a colleague's two-factor sign-in",
    "staff.recovery_code_used": "Signed in with a recovery code",
    "staff.recovery_codes_renewed": "Made new recovery codes",
    "intake.urgent_notice_limited": "Urgent intake: email held back (many from one address)",
    "export.csv": "Downloaded intakes as CSV",
    "export.dictionary": "Downloaded a data dictionary",
    "export.fhir": "Downloaded intakes as FHIR",
    "api.token_created": "Created an API token",
    "api.token_revoked": "Revoked an API token",
    "api.request": "API request",
    "api.webhook_set": "Set the submission webhook",
    "api.webhook_removed": "Removed the submission webhook",
    "api.webhook_delivered": "Webhook delivered",
    "api.webhook_failed": "Webhook delivery failed",
    "client.copy_closed": "Closed a client's link to their own copy",
    "client.exported": "Downloaded everything held about a client",
    "client.erased": "Erased a client's data",
}


# How settings fields are named in sentences (clinics.TRACKED, the logo, self-referral).
SETTING_NAMES = {
    "goal_step": "goals step",
    "name": "clinic name",
    "accent_color": "brand colour",
    "crisis_text": "crisis contacts",
    "emergency_number": "emergency number",
    "default_questionnaire": "default questionnaire",
    "link_expiry_days": "link expiry",
    "logo": "logo",
    "self_referral": "self-referral link",
    "referral_daily_cap": "daily self-referral cap",
    "require_two_factor": "two-factor requirement",
    "copy_link_days": "own-copy link time",
    "retention_months": "retention of submitted intakes",
    "unopened_days": "retention of unopened invitations",
    # Settings, Safety (clinics.SAFETY).
    "client_languages": "languages offered to clients",
    "crisis_texts": "crisis texts",
    "safety_procedure": "safety procedure",
    "urgent_escalation_minutes": "reminder time for urgent intakes",
    "phone_region": "phone region",
}
_SIGN_IN_FAILURES = {
    "password": "wrong password or unknown email",
    "deactivated": "the account is deactivated",
}
_SIGN_OUTS = {"manual": "signed out", "idle": "signed out after a time without activity"}


def label(action: str) -> str:
    """A readable name for an action."""
    return LABELS.get(action, action.replace(".", " ").replace("_", " ").capitalize())


def describe(event: AuditEvent, names: dict[int, str] | None = None) -> str:
    """An entry's details as a sentence for the log page (names: staff ids to names)."""
    d = dict(event.detail or {})
    names = names or {}

    def person(staff_id: Any) -> str:
        return names.get(staff_id, "nobody") if staff_id else "nobody"

    match event.action:
        case "staff.login_failed":
            why = _SIGN_IN_FAILURES.get(d.get("reason", "password"), str(d.get("reason")))
            return f"Tried {d.get('email', 'an email')}: {why}."
        case "staff.logout":
            return _SIGN_OUTS.get(d.get("reason", "manual"), "signed out").capitalize() + "."
        case "staff.invited":
            role = _role(d.get("role"))
            return f"Invited {d.get('email', '')} as {role}.".replace("  ", " ")
        case "staff.role_changed":
            return f"From {_role(d.get('old'))} to {_role(d.get('new'))}."
        case "intake.reassigned":
            return f"From {person(d.get('before'))} to {person(d.get('after'))}."
        case "client.invited" | "client.reinvited" | "client.link_resent":
            said = "The link was emailed." if d.get("emailed") else "The link was given to copy."
            return said + (
                " It is a new link; the old one no longer opens." if d.get("new_token") else ""
            )
        case "client.link_reissued":
            return "For a reminder; the old link no longer opens."
        case "settings.referral_link_reissued":
            return "The old self-referral link no longer opens."
        case "settings.changed" | "settings.safety_changed":
            fields = [SETTING_NAMES.get(f, f.replace("_", " ")) for f in d.get("fields", [])]
            return f"Changed the {_join(fields)}." if fields else ""
        case "questionnaire.created":
            return f"Questionnaire '{d.get('key', '')}', started as a copy."
        case "questionnaire.edited":
            state = "valid" if d.get("valid") else "with problems still to fix"
            return f"Saved the draft of '{d.get('key', '')}', {state}."
        case "intake_set.saved":
            return f"Asks {', '.join(str(k) for k in d.get('questionnaires', []))}, in this order."
        case "questionnaire.published":
            return f"Published a new version of '{d.get('key', '')}'."
        case "intake.urgent_notified" | "intake.under_age_notified":
            return f"Emailed {d.get('to', 'staff')}."
        case "intake.urgent_followed_up":
            try:
                outcome = FollowUp(str(d.get("outcome"))).label
            except ValueError:
                outcome = "Recorded contact"
            waited = d.get("waited_minutes")
            after = f", {_minutes_word(waited)} after the flag" if waited is not None else ""
            return f"{outcome}{after}."
        case "intake.urgent_escalated":
            waited = _minutes_word(d.get("waited_minutes"))
            return (
                f"Reminded {d.get('to', 'the admins')}: nobody had spoken with the client"
                f" after {waited}."
            )
        case "intake.urgent_escalation_failed":
            return (
                f"The reminder could not be sent ({d.get('error', 'unknown error')});"
                " it is retried."
            )
        case "staff.login_locked":
            wait = _minutes(d.get("seconds"))
            return f"{d.get('email', 'An account')}: sign-in paused for {wait}.".capitalize()
        case "staff.password_changed":
            ended = d.get("other_sessions") or 0
            return f"Their other sessions ended ({ended})." if ended else ""
        case "staff.sessions_ended":
            return f"Sessions ended: {d.get('sessions', 0)}."
        case "staff.recovery_code_used":
            return f"Recovery codes left: {d.get('remaining', 0)}."
        case "intake.urgent_notice_limited":
            return "The flag stands on the dashboard; the email to staff was held back."
        case "client.erased":
            why = "the clinic's retention period" if d.get("reason") == "retention" else "request"
            return f"Erased on {why}; {d.get('rows_deleted', 0)} records deleted."
        case "intake.urgent_notify_failed":
            return (
                f"The email could not be sent ({d.get('error', 'unknown error')}); it is retried."
            )
    return " ".join(f"{_words(k).capitalize()}: {_value(v)}." for k, v in d.items())


def _minutes(seconds: Any) -> str:
    """A wait in seconds as people say it."""
    try:
        minutes = max(1, round(int(seconds) / 60))
    except (TypeError, ValueError):
        return "a while"
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def _minutes_word(minutes: Any) -> str:
    """A number of minutes as people say it."""
    try:
        count = int(minutes)
    except (TypeError, ValueError):
        return "a while"
    return "1 minute" if count == 1 else f"{count} minutes"


def _role(value: Any) -> str:
    labels = {"admin": "clinic admin", "therapist": "therapist"}
    return labels.get(str(value), str(value or "a role"))


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _words(key: str) -> str:
    return key.replace("_", " ")


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return _join([str(v) for v in value]) if value else "none"
    return str(value)


def record(
    action: str,
    *,
    clinic_id: int | None = None,
    subject: Any = None,
    actor_id: int | None = None,
    commit: bool = True,
    anonymous: bool = False,
    **detail: Any,
) -> AuditEvent:
    """Append one event; actor and clinic default to the signed-in user (unless anonymous:
    an API request acts by its token, never by whatever browser session came along).

    Other modules log their own actions with it, e.g. record("brief.viewed", subject=intake).
    """
    signed_in = not anonymous and has_request_context() and current_user.is_authenticated
    entry = AuditEvent(
        clinic_id=clinic_id
        if clinic_id is not None
        else (current_user.clinic_id if signed_in else None),
        actor_id=actor_id if actor_id is not None else (current_user.id if signed_in else None),
        action=action,
        subject_type=type(subject).__name__.lower() if subject is not None else None,
        subject_id=getattr(subject, "id", None),
        detail=detail,
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    if commit:
        db.session.commit()
    return entry


SCRUBBED = "[erased]"


def scrub(subject_type: str, subject_id: int, words: Iterable[str]) -> int:
    """Remove a client's personal data from the entries about one subject; returns how many
    changed. The one exception to append-only: a client's erasure outranks the log.

    A detail value that contains any of the words (their name, email, phone) is replaced,
    and an entry the client's own browser made (no staff actor) loses its address. Who did
    what, and when, stays. Runs on the connection, below the ORM guards on purpose.
    """
    lowered = [w.lower() for w in words if w]
    table = AuditEvent.__table__
    connection = db.session.connection()
    rows = connection.execute(
        select(table.c.id, table.c.detail, table.c.ip, table.c.actor_id).where(
            table.c.subject_type == subject_type, table.c.subject_id == subject_id
        )
    ).all()
    changed = 0
    for row in rows:
        detail = {
            key: SCRUBBED if any(w in str(value).lower() for w in lowered) else value
            for key, value in (row.detail or {}).items()
        }
        ip = row.ip if row.actor_id is not None else None
        if detail != (row.detail or {}) or ip != row.ip:
            connection.execute(
                table.update().where(table.c.id == row.id).values(detail=detail, ip=ip)
            )
            changed += 1
    return changed


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _immutable(*_: Any) -> None:
    # Entries cannot be edited from the application, whatever a view tries.
    raise PermissionError("audit events are append-only")


@event.listens_for(Session, "do_orm_execute")
def _no_bulk_changes(state: ORMExecuteState) -> None:
    # The same rule for update()/delete() statements, which skip the per-row events above.
    if (state.is_update or state.is_delete) and any(
        mapper.class_ is AuditEvent for mapper in state.all_mappers
    ):
        raise PermissionError("audit events are append-only")
