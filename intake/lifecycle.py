"""The one place that changes intakes: invite, save a page, flag urgent, submit, review.

Each change is committed together with its audit entry, so neither can exist without the
other; emails go out after the commit and say how they went.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from flask import render_template
from sqlalchemy import ColumnElement, bindparam, event, inspect, literal_column, select, update
from sqlalchemy.orm import Session, defaultload, defer, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from . import (
    audit,
    clients,
    clinics,
    crypto,
    intake_sets,
    mail,
    metrics,
    names,
    notify,
    shared_rows,
    webhooks,
)
from .brief import jobs
from .db import db
from .models import (
    Client,
    ClientContact,
    ClientGoal,
    Clinic,
    GoalRating,
    Intake,
    IntakeNameWord,
    IntakePart,
    IntakeStatus,
    QuestionnaireVersion,
    Staff,
    utcnow,
)
from .questionnaire import Definition
from .questionnaire.flow import merge_answers
from .referrals import SELF_REFERRAL
from .scoring import is_urgent, safety_status, score

log = logging.getLogger(__name__)

# 32 bytes of randomness: 256 bits, far beyond guessing.
TOKEN_BYTES = 32


class AlreadySubmitted(Exception):
    """A submitted intake is immutable."""


class ReadAgainLocked(Exception):
    """A page save read without the row lock could not write what it read: another request
    changed the row since, or the save writes more than the row (an urgent notice). Nothing
    was written; the caller makes the save again from a read under the lock."""


def invite(
    clinic: Clinic,
    client_name: str,
    questionnaire: QuestionnaireVersion | Sequence[QuestionnaireVersion],
    therapist: Staff | None = None,
    *,
    email: str | None = None,
    phone: str | None = None,
    source: str = "invitation",
    emailed: bool = False,
    client: Client | None = None,
) -> Intake:
    """Create an intake with a fresh unguessable link token that expires per clinic setting.

    questionnaire is one version, or several (an intake set's, in order) asked through the
    one link. Raises clinics.CrisisContactsMissing until the clinic has set its crisis
    contacts: a client must never meet a safety question whose answer leads to a built-in
    default; intake_sets.BundleError when the questionnaires cannot be asked together.
    client: the existing client this re-invites (staff chose them); otherwise a new client.
    """
    clinics.require_crisis_contacts(clinic)
    versions = (
        [questionnaire] if isinstance(questionnaire, QuestionnaireVersion) else list(questionnaire)
    )
    if len(versions) != 1:
        intake_sets.bundle_of(versions)  # raises when they cannot be one intake
    intake = Intake(
        clinic_id=clinic.id,
        client_name=client_name.strip(),
        questionnaire_id=versions[0].id,
        therapist_id=therapist.id if therapist else None,
        token=secrets.token_urlsafe(TOKEN_BYTES),
        email=email or None,
        phone=phone or None,
        source=source,
        expires_at=utcnow() + timedelta(days=clinic.link_expiry_days or 30),
        answers={},
        more_parts=[
            IntakePart(position=n, questionnaire_id=v.id)
            for n, v in enumerate(versions[1:], start=2)
        ],
    )
    if client is not None:
        if client.clinic_id != clinic.id:
            raise ValueError("a client is re-invited by their own clinic only")
        intake.client = client
    db.session.add(intake)
    db.session.flush()
    if source == SELF_REFERRAL:
        audit.record("client.self_referred", clinic_id=clinic.id, subject=intake, commit=False)
    else:
        audit.record(
            "client.reinvited" if client is not None else "client.invited",
            clinic_id=clinic.id,
            subject=intake,
            commit=False,
            emailed=emailed,
        )
    db.session.commit()
    return intake


@event.listens_for(Session, "before_flush")
def _keep_name_words(session: Session, *_: Any) -> None:
    # The dashboard searches these words: an intake's name, however it was set, is stored
    # with them in the same flush (accent- and case-free, see intake.names), as keyed
    # digests of every prefix, so the table holds no readable name.
    for intake in (*session.new, *session.dirty):
        if not isinstance(intake, Intake):
            continue
        if intake in session.new and intake.client_id is None and intake.client is None:
            # Every intake is of a client: a new one unless staff re-invited an existing one
            # (never matched by name).
            intake.client = Client(clinic_id=intake.clinic_id, display_name=intake.client_name)
        if intake not in session.new:
            if not inspect(intake).attrs.client_name.history.has_changes():
                continue
            # `keys rotate` may be rewriting this intake's rows: wait for it (it holds the
            # row's lock), then read them afresh, so the rows replaced are the ones it wrote.
            session.execute(select(Intake.id).where(Intake.id == intake.id).with_for_update())
            session.expire(intake, ["name_words"])
        intake.name_words = [
            IntakeNameWord(clinic_id=intake.clinic_id, word=digest)
            for digest in name_index(intake.clinic_id, intake.client_name or "")
        ]


def name_index(clinic_id: int, name: str) -> list[str]:
    """The blind-index entries of a name: a digest of each prefix of each folded word."""
    ring = crypto.keyring()
    return list(dict.fromkeys(ring.blind(clinic_id, p) for p in names.prefixes(name)))


def link_problem(intake: Intake) -> str | None:
    """Why a client link no longer opens, or None when it does: 'erased'; before sending,
    'revoked' or 'expired'; after sending, 'closed' (the link to their own copy)."""
    if intake.status == IntakeStatus.ERASED:
        return "erased"
    if intake.submitted:
        closes = copy_closes_at(intake)
        return "closed" if closes is not None and closes <= utcnow() else None
    if intake.revoked_at is not None:
        return "revoked"
    if intake.expires_at is not None and intake.expires_at < utcnow():
        return "expired"
    return None


def copy_closes_at(intake: Intake) -> datetime | None:
    """When a sent intake's link (the confirmation and the client's own copy, with every
    answer) closes: the clinic's days after sending, or when staff closed it, if sooner."""
    if intake.submitted_at is None:
        return None
    closes = intake.submitted_at + timedelta(days=intake.clinic.copy_link_days or 7)
    if intake.revoked_at is not None:
        closes = min(closes, intake.revoked_at)
    return closes


def close_copy(intake: Intake) -> None:
    """Close a sent intake's link at once: the client's own copy can no longer be opened."""
    if not intake.submitted:
        raise ValueError("only a sent intake's link closes this way (before: revoke)")
    if link_problem(intake) is None:
        intake.revoked_at = utcnow()
        audit.record("client.copy_closed", subject=intake, commit=False)
        db.session.commit()


def revoke(intake: Intake) -> None:
    """Close the link at once; answers already saved stay with the clinic.

    Raises AlreadySubmitted once the client has sent: their link then leads only to the
    confirmation and their own copy, which a revoke would break.
    """
    _lock(intake)
    intake.revoked_at = utcnow()
    audit.record("client.link_revoked", subject=intake, commit=False)
    db.session.commit()


def resend(intake: Intake) -> None:
    """Open the link again with a new expiry and a new token: only the token's hash is
    stored, so the old link cannot be shown again, and from now on it no longer opens."""
    _lock(intake)
    intake.token = secrets.token_urlsafe(TOKEN_BYTES)
    intake.revoked_at = None
    intake.expires_at = utcnow() + timedelta(days=intake.clinic.link_expiry_days or 30)
    audit.record(
        "client.link_resent",
        subject=intake,
        commit=False,
        emailed=bool(intake.email),
        new_token=True,
    )
    db.session.commit()


def send_link(intake: Intake) -> mail.Delivery:
    """Email the client their link (an invitation); says how it went, never raises."""
    return _email(
        intake, "client_invitation", f"{intake.clinic.name}: a few questions before we meet"
    )


def remind(intake: Intake) -> mail.Delivery:
    """Email a gentle reminder about an unfinished intake, and note it when it went out.

    The reminder carries a new link (only the old token's hash is stored), which replaces
    the old one; the answers saved so far stay.
    """
    _lock(intake)
    intake.token = secrets.token_urlsafe(TOKEN_BYTES)
    audit.record("client.link_reissued", subject=intake, commit=False, reason="reminder")
    db.session.commit()
    delivery = _email(
        intake, "client_reminder", f"{intake.clinic.name}: a reminder about your questions"
    )
    if delivery != "failed":
        intake.reminder_sent_at = utcnow()
        audit.record("client.reminded", subject=intake, commit=False)
        db.session.commit()
    return delivery


def _email(intake: Intake, template: str, subject: str) -> mail.Delivery:
    link = client_link(intake)
    body = render_template(f"email/{template}.txt", intake=intake, link=link, clinic=intake.clinic)
    return mail.deliver(intake.email or "", subject, body)


def client_link(intake: Intake) -> str:
    """The address the client opens, on the public base URL.

    Only where the token is known: just made (invite, re-send) or used by the client.
    """
    if intake.token is None:
        raise LookupError("the link's token is not stored: issue a new link (resend)")
    return mail.external_url("client.start", token=intake.token)


def mark_reviewed(intake: Intake, staff: Staff) -> None:
    """A therapist has read the brief."""
    intake.reviewed_at = utcnow()
    intake.reviewed_by_id = staff.id
    audit.record("intake.reviewed", subject=intake, commit=False)
    db.session.commit()


def reassign(intake: Intake, therapist: Staff | None) -> None:
    """Give the intake to another therapist of the clinic (or to nobody)."""
    before = intake.therapist_id
    intake.therapist_id = therapist.id if therapist else None
    audit.record(
        "intake.reassigned", subject=intake, commit=False, before=before, after=intake.therapist_id
    )
    db.session.commit()


def by_token(
    token: str, *, lock: bool = False, answering: bool = False, optimistic: bool = False
) -> Intake | None:
    """The intake a client link points to, if any, with what every client page reads of it.

    One query: the clinic (without its logo) and the questionnaire version come along,
    without its YAML source, which is read only if this process has not parsed that version
    yet (see catalogue.definition_of). Further parts (an intake set) are read by a second
    query only for an intake that has them; most have none, and joining the parts into the
    first query cost every page and save a seventh of its read.

    lock: read the row under its lock (a client's post): whatever the post then changes
    starts from what is stored now, and no other tab or autosave can commit in between;
    the lifecycle function that saves it does not read it again (see _lock).
    answering: for a page of questions and its saves, the client's most frequent requests,
    which leave out what they never read (_INTAKE_NOT_WHILE_ANSWERING and its kin).
    optimistic (with lock and answering; PostgreSQL): a page's save, which reads the row
    without its lock, with the row's version; its write then succeeds only if the row is
    still that version, and otherwise writes nothing (save_page raises ReadAgainLocked).
    As a request's first read it takes the clinic and version the process shares
    (shared_rows), found by the versions of their rows, instead of loading them again.
    """
    session = db.session()
    # Objects loaded earlier in this session are refreshed by a locked read; a request's
    # first read (every client post in production) has nothing to refresh, and skips the
    # refreshing work (a sixtieth of a page save).
    refresh = lock and bool(session.identity_map)
    optimistic = optimistic and lock and answering and _locks_rows(session)
    if optimistic:
        statement = _OPTIMISTIC_READ_AGAIN
        if not session.in_transaction():
            # The request's first query (every page save in production): the read and the
            # save's write are then each a statement committed on its own, without BEGIN and
            # COMMIT (two round trips fewer, and no row lock for PostgreSQL to write).
            session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            if not refresh:
                # Its clinic and version from the process (the session holds no objects of
                # its own to refresh).
                statement = _OPTIMISTIC_FIRST_READ
    else:
        statement = _BY_TOKEN_READS[answering, lock, refresh]
    row = session.execute(statement, {"token_hash": crypto.token_hash(token)}).one_or_none()
    if row is None:
        return None
    # versions: the row's (optimistic); a first read's then its server's start, and its
    # clinic's and version's.
    found, has_parts, *versions = row
    if statement is _OPTIMISTIC_FIRST_READ and not _take_shared(session, found, *versions[1:]):
        return None  # its clinic or version deleted since
    # Parts are made with the intake and never change, so "none" is known for good here.
    parts = db.session.scalars(_PARTS, {"id": found.id}).all() if has_parts else []
    set_committed_value(found, "more_parts", parts)
    found.remember_token(token)
    if optimistic:
        session.info[_READ_AT] = (found.id, session.get_transaction(), versions[0])
    elif lock:
        _note_lock(found)
    return found


def _take_shared(
    session: Session, intake: Intake, server: str, clinic_version: str, questionnaire_version: str
) -> bool:
    # As if loaded with the intake: the process's objects at these row versions.
    clinic = shared_rows.clinic(session, server, intake.clinic_id, clinic_version)
    version = shared_rows.version(session, server, intake.questionnaire_id, questionnaire_version)
    if clinic is None or version is None:
        return False
    set_committed_value(intake, "clinic", clinic)
    set_committed_value(intake, "questionnaire", version)
    return True


# The clinic's settings no client page reads (only staff pages and jobs): left out of the
# read every client page and save starts with (each column read is work for every save).
# The logo is read alone by what needs it: its own address, and the brief's fingerprint when
# the client sends (as before); pages ask only whether there is one. Were a client page to
# read another of these after all, it would cost that page one more query
# (test_client_pages_read_no_clinic_setting_on_its_own walks the client's path to check).
_NOT_ON_CLIENT_PAGES = (
    Clinic.logo,
    Clinic.link_expiry_days,
    Clinic.default_questionnaire,
    Clinic.referral_set_id,
    Clinic.self_referral_hash,
    Clinic.referral_daily_cap,
    Clinic.require_two_factor,
    Clinic.retention_months,
    Clinic.unopened_days,
    Clinic.unfinished_days,
    Clinic.settings_updated_at,
    Clinic.created_at,
)
# Built once: SQLAlchemy then reuses the statement's cache key instead of working it out again
# on every request (a client's every page and save starts here).
_BY_TOKEN = (
    select(
        Intake,
        select(IntakePart.id).where(IntakePart.intake_id == Intake.id).exists().label("parts"),
    )
    .where(Intake.token_hash == bindparam("token_hash"))
    .options(
        joinedload(Intake.questionnaire, innerjoin=True).defer(QuestionnaireVersion.source),
        joinedload(Intake.clinic, innerjoin=True).options(
            *(defer(column) for column in _NOT_ON_CLIENT_PAGES)
        ),
    )
)
# What a page of questions and its saves (the page's post and autosave), the client's most
# frequent requests, never read: of the intake, the client's own details (the welcome, the
# contact step, sending and staff read them) and its bookkeeping; of the clinic, what the
# crisis page, the contact step and the brief read; of the version, all but its digest
# (catalogue.definition_of). Each column read is work for every save (the five encrypted
# ones are decrypted): leaving these out is about 3.5% of a save's work.
# test_answering_reads_no_column_on_its_own checks that no page, save or autosave reads
# one of them after all (each would cost one more query), nor the page of a closed link.
_INTAKE_NOT_WHILE_ANSWERING = (
    Intake.client_name,
    Intake.email,
    Intake.phone,
    Intake.consent_name,
    Intake.consent_version,
    Intake.client_id,
    Intake.token_hash,
    Intake.reminder_sent_at,
    Intake.reviewed_at,
    Intake.reviewed_by_id,
    Intake.crisis_shown,
    Intake.urgent_at,
    Intake.result,
    Intake.created_at,
    Intake.started_at,
    Intake.updated_at,
    Intake.erased_at,
)
_CLINIC_NOT_WHILE_ANSWERING = (
    Clinic.slug,
    Clinic.crisis_texts,
    Clinic.safety_procedure,
    Clinic.phone_region,
    Clinic.paper_size,
    Clinic.time_zone,
)
_VERSION_NOT_WHILE_ANSWERING = (
    QuestionnaireVersion.clinic_id,
    QuestionnaireVersion.key,
    QuestionnaireVersion.version,
    QuestionnaireVersion.title,
    QuestionnaireVersion.created_at,
)


def _by_token_reads() -> dict[tuple[bool, bool, bool], Any]:
    """by_token's statements, by (answering, lock, refresh)."""
    reads = {}
    for answering in (False, True):
        read = _BY_TOKEN
        if answering:
            read = read.options(
                *(defer(column) for column in _INTAKE_NOT_WHILE_ANSWERING),
                defaultload(Intake.clinic).options(
                    *(defer(column) for column in _CLINIC_NOT_WHILE_ANSWERING)
                ),
                defaultload(Intake.questionnaire).options(
                    *(defer(column) for column in _VERSION_NOT_WHILE_ANSWERING)
                ),
            )
        reads[answering, False, False] = read
        # Only the intake's row is locked (the clinic and versions are read, never written).
        locked = read.with_for_update(of=Intake)
        reads[answering, True, False] = locked
        reads[answering, True, True] = locked.execution_options(populate_existing=True)
    return reads


_BY_TOKEN_READS = _by_token_reads()
# A row's version: PostgreSQL marks every version of a row with the transaction that wrote it
# (xmin), so a write to the row since a read, by any other request or job, changes it.
_ROW_VERSION: ColumnElement[str] = literal_column("intake.xmin::text")
# A page save's read without the lock (by_token's optimistic), refreshing what the session
# holds, the clinic and version included.
_OPTIMISTIC_READ_AGAIN = (
    _BY_TOKEN_READS[True, False, False]
    .add_columns(_ROW_VERSION.label("row_version"))
    .execution_options(populate_existing=True)
)
# The same as a request's first statement (every page save in production): its clinic and
# version are the process's shared objects (shared_rows), found by their rows' versions.
_OPTIMISTIC_FIRST_READ = (
    select(
        Intake,
        _BY_TOKEN.selected_columns.parts,
        _ROW_VERSION.label("row_version"),
        literal_column(shared_rows.SERVER_STARTED).label("server_started"),
        literal_column("clinic.xmin::text").label("clinic_version"),
        literal_column("questionnaire_version.xmin::text").label("questionnaire_version"),
    )
    .join(Clinic, Clinic.id == Intake.clinic_id)
    .join(QuestionnaireVersion, QuestionnaireVersion.id == Intake.questionnaire_id)
    .where(Intake.token_hash == bindparam("token_hash"))
    .options(*(defer(column) for column in _INTAKE_NOT_WHILE_ANSWERING))
)
_PARTS = (
    select(IntakePart)
    .where(IntakePart.intake_id == bindparam("id"))
    .order_by(IntakePart.position)
    .options(
        joinedload(IntakePart.questionnaire, innerjoin=True).defer(QuestionnaireVersion.source)
    )
)


def save_page(
    intake: Intake,
    definition: Definition,
    values: Mapping[str, Any],
    page_id: str | None,
    *,
    safety_asked: bool = False,
    safety_skipped: bool = False,
) -> bool:
    """Merge one page's answers and commit; returns whether this save made it urgent.

    page_id is where the client resumes; None keeps the stored one (autosave), decided
    on the stored row so a late autosave can never move the client back a page.
    The urgent flag is committed here, before any response is sent, so it holds even if
    the client closes the browser on the very next page.

    Read optimistically (by_token), the save writes only if the row is still as read, and
    an urgent answer (whose notice is written in the same transaction) is not saved so:
    both raise ReadAgainLocked, having written nothing.
    """
    version = _read_version(intake)
    if version is None:
        _lock(intake)
    elif intake.submitted:
        raise AlreadySubmitted(intake.id)
    answers = merge_answers(intake.answers, values)
    now = utcnow()
    row: dict[str, Any] = {"answers": answers, "updated_at": now}
    if intake.status == IntakeStatus.INVITED:
        row.update(status=IntakeStatus.IN_PROGRESS, started_at=now)
    if page_id is not None or intake.current_page is None:
        row["current_page"] = page_id
    if safety_asked and not intake.safety_asked:
        row["safety_asked"] = True
    # Left blank when asked twice: the dashboard asks staff to check in, until it is answered.
    if safety_skipped and intake.safety_skipped_at is None:
        row["safety_skipped_at"] = now
    elif intake.safety_skipped_at is not None and not safety_status(definition, answers)[1]:
        row["safety_skipped_at"] = None
    newly_urgent = not intake.urgent and is_urgent(definition, answers)
    if newly_urgent:
        if version is not None:
            _read_again_locked()
        row.update(urgent=True, urgent_at=now)
    _write(intake, row, version)
    if newly_urgent:
        # In the same commit as the flag: the notice cannot be lost, and it is sent after the
        # commit, outside this request (the crisis page never waits for the mail server).
        notify.urgent(intake)
    # The row was locked, or unchanged since it was read: what is loaded is what was just
    # committed, so no reload after.
    _commit_keeping_loaded()
    metrics.page_saved(autosave=page_id is None)
    return newly_urgent


def save_contact(
    intake: Intake, values: Mapping[str, Any], page_id: str, *, confirmed: bool
) -> None:
    """Store how the client may be reached (the wizard's contact step) and where they resume.

    confirmed: they moved on with a complete answer (a number or an email, or declined).
    The invitation's own email and phone stay as they were.
    """
    _lock(intake)
    now = utcnow()
    contact = intake.contact
    if contact is None:
        contact = ClientContact(intake_id=intake.id)
        db.session.add(contact)
    for name, value in values.items():
        setattr(contact, name, value)
    if confirmed:
        contact.confirmed_at = now
    contact.updated_at = intake.updated_at = now
    intake.current_page = page_id
    db.session.commit()
    metrics.page_saved(autosave=False)  # a step of the wizard, saved like a page


def save_goals(
    intake: Intake,
    rated: Mapping[int, int | None],
    named: Sequence[tuple[str | None, int | None]],
    page_id: str,
) -> None:
    """Store the goals step: ratings of earlier goals (by goal id), and the goals named on
    this intake (by position, 1 up: text and rating; a blank text removes that goal)."""
    _lock(intake)
    now = utcnow()
    ratings = {
        r.goal_id: r
        for r in db.session.scalars(select(GoalRating).where(GoalRating.intake_id == intake.id))
    }
    own = {
        g.position: g
        for g in db.session.scalars(select(ClientGoal).where(ClientGoal.intake_id == intake.id))
    }

    def rate(goal: ClientGoal, value: int | None) -> None:
        row = ratings.get(goal.id) if goal.id is not None else None
        if value is None:
            if row is not None:
                db.session.delete(row)
            return
        if row is None:
            goal.ratings.append(GoalRating(intake_id=intake.id, rating=value, updated_at=now))
        else:
            row.rating, row.updated_at = value, now

    allowed = {g.id for g in clients.earlier_goals(intake)}
    for goal_id, value in rated.items():
        goal = db.session.get(ClientGoal, goal_id)
        if goal is not None and goal_id in allowed:
            rate(goal, value)
    for position, (text, value) in enumerate(named, start=1):
        goal = own.get(position)
        if not text:
            if goal is not None:
                db.session.delete(goal)
            continue
        if goal is None:
            assert intake.client_id is not None, "every intake is of a client"
            goal = ClientGoal(client_id=intake.client_id, intake_id=intake.id, position=position)
            db.session.add(goal)
        goal.text = text
        rate(goal, value)
    intake.current_page = page_id
    intake.updated_at = now
    db.session.commit()
    metrics.page_saved(autosave=False)  # a step of the wizard, saved like a page


def sign_consent(intake: Intake, name: str, version: str, first_page: str) -> None:
    """Record the client's consent (typed name, time, wording) and start the intake."""
    _lock(intake)
    now = utcnow()
    intake.consent_name = name.strip()
    intake.consent_at = now
    intake.consent_version = version
    if intake.status == IntakeStatus.INVITED:
        intake.status = IntakeStatus.IN_PROGRESS
        intake.started_at = now
        intake.current_page = first_page
    intake.updated_at = now
    db.session.commit()


def set_language(intake: Intake, language: str) -> None:
    """The language the client chose; it holds for this intake on every device."""
    if intake.language != language and not intake.submitted:
        if _read_version(intake) is not None:
            # Read without the lock (a page's save): the intake may have been sent since.
            _read_again_locked()
        intake.language = language
        db.session.commit()


def submit(intake: Intake, definition: Definition) -> None:
    """Score the answers, store the result with the intake, and close it for changes.

    An intake asking several questionnaires scores each with its own definition on its own
    answers (a stood-for safety item reads the one answer); definition is then the walk.
    """
    _lock(intake)
    if intake.more_parts:
        bundle = intake_sets.bundle_for(intake)
        results = [
            score(part, bundle.part_answers(n, intake.answers or {}))
            for n, part in enumerate(bundle.parts)
        ]
        for row, part_result in zip(intake.more_parts, results[1:], strict=True):
            row.result = part_result.to_json()
    else:
        results = [score(definition, intake.answers or {})]
    intake.result = results[0].to_json()
    intake.status = IntakeStatus.SUBMITTED
    intake.submitted_at = intake.updated_at = utcnow()
    if any(r.urgent for r in results) and not intake.urgent:
        intake.urgent, intake.urgent_at = True, intake.submitted_at
        notify.urgent(intake)
    if any(r.safety_unanswered for r in results) and intake.safety_skipped_at is None:
        intake.safety_skipped_at = intake.submitted_at
    try:
        # The render is asked for in this same commit, and runs outside this request.
        jobs.request_pdf(intake)
    except Exception:
        # The submission stands whatever the PDF does; opening the brief asks again.
        log.exception("could not queue the brief render of intake %s", intake.id)
    webhooks.submitted(intake)  # the clinic's practice system hears of it, after this commit
    db.session.commit()
    metrics.submitted()


def said_under_age(definition: Definition, answers: Mapping[str, Any]) -> bool:
    """Whether the client answered "no" to the questionnaire's "Are you 18 or over?"."""
    return definition.adult_item is not None and answers.get(definition.adult_item) == "no"


def stop_under_age(intake: Intake) -> bool:
    """Stop an intake whose client said they are under 18: no more questions; the clinic is
    told (the dashboard, an email without answers) and it is audited. Returns whether this
    call stopped it (False: it had stopped already)."""
    _lock(intake)
    if intake.under_age_at is not None or intake.status == IntakeStatus.SUBMITTED:
        db.session.commit()
        return False
    now = utcnow()
    intake.under_age_at = intake.updated_at = now
    notify.under_age(intake)
    audit.record("intake.under_age", clinic_id=intake.clinic_id, subject=intake, commit=False)
    _commit_keeping_loaded()
    return True


def note_crisis_shown(intake: Intake, crisis: clinics.Crisis, page: str) -> None:
    """Record exactly what an urgent intake's client was first shown, for the brief (once)."""
    if not intake.urgent or intake.crisis_shown is not None:
        return
    intake.crisis_shown = {
        "emergency": crisis.emergency,
        "text": crisis.text,
        "language": crisis.language,
        "page": page,
        "at": utcnow().isoformat(timespec="seconds"),
    }
    db.session.commit()


def _lock(intake: Intake) -> None:
    """Hold the row's lock, so a double submit or a late save cannot race: read it again
    under the lock unless this transaction read it so already (by_token(lock=True))."""
    if not _holds_lock(intake):
        db.session.scalar(_LOCK, {"id": intake.id})
        _note_lock(intake)
    if intake.submitted:
        db.session.rollback()
        raise AlreadySubmitted(intake.id)


_LOCK = (
    select(Intake)
    .where(Intake.id == bindparam("id"))
    .with_for_update()
    .execution_options(populate_existing=True)
)
# session.info key: (intake id, the transaction that holds its row lock).
_LOCKED = "intake.row_lock"
# session.info key: (intake id, the transaction that read it without the lock, the row's
# version then): a page save's optimistic read (by_token).
_READ_AT = "intake.read_at"


def _locks_rows(session: Session) -> bool:
    # PostgreSQL locks rows and gives each version of a row its own xmin. SQLite has neither
    # (it ignores FOR UPDATE): there each save reads the row again right before it writes,
    # the closest it gets.
    return session.get_bind().dialect.name == "postgresql"


def _read_version(intake: Intake) -> str | None:
    # The version this transaction read the row at without its lock; None once the
    # transaction has ended (a commit since, such as a language settled) or if it locked.
    session = db.session()
    read = session.info.get(_READ_AT)
    current = session.get_transaction()
    if read is None or current is None or read[:2] != (intake.id, current):
        return None
    return str(read[2])


def _read_again_locked() -> None:
    db.session.info.pop(_READ_AT, None)
    db.session.rollback()
    raise ReadAgainLocked


def _note_lock(intake: Intake) -> None:
    # Only where the database locks rows (_locks_rows).
    session = db.session()
    if _locks_rows(session):
        session.info[_LOCKED] = (intake.id, session.get_transaction())


def _holds_lock(intake: Intake) -> bool:
    # A commit or rollback since ends the lock: the transaction is then another one.
    session = db.session()
    held = session.info.get(_LOCKED)
    current = session.get_transaction()
    return held is not None and current is not None and held == (intake.id, current)


def release_lock() -> None:
    """End a transaction that still holds an intake's row lock (a post that saved nothing),
    so the row is free as soon as the request is answered; forget an optimistic read."""
    if not db.session.registry.has():
        return  # this request used no database session
    session = db.session()
    session.info.pop(_READ_AT, None)
    held = session.info.pop(_LOCKED, None)
    if held is not None and held[1] is session.get_transaction():
        session.rollback()


def _write(intake: Intake, row: Mapping[str, Any], version: str | None = None) -> None:
    """Write these columns of the intake's row in one UPDATE, and show the loaded intake the
    same values; with version (an optimistic read), only if the row is still that version.

    A page save is the one write a client makes again and again: a plain UPDATE skips the
    unit of work's bookkeeping (a seventh of a save's work), and nothing else of the
    row changes, so the loaded object is set to what was written without marking it dirty.
    """
    # On the session's connection, in its transaction: the ORM's execute adds only its own
    # bookkeeping to a table's UPDATE.
    connection = db.session.connection()
    if version is None:
        connection.execute(_SAVE, {"row_id": intake.id, **row})
    else:
        written = connection.execute(
            _SAVE_UNCHANGED, {"row_id": intake.id, "row_version": version, **row}
        )
        if written.rowcount != 1:
            _read_again_locked()
    for key, value in row.items():
        set_committed_value(intake, key, value)


# Built once; the columns it sets are the keys of the parameters it is executed with.
_SAVE = update(Intake.__table__).where(Intake.__table__.c.id == bindparam("row_id"))
# Only if no other request or job has written the row since it was read: otherwise it
# changes nothing (and, waiting for a transaction that holds the row, checks once that one
# has ended).
_SAVE_UNCHANGED = _SAVE.where(_ROW_VERSION == bindparam("row_version"))


def _commit_keeping_loaded() -> None:
    """Commit without expiring loaded attributes (they are what this transaction wrote)."""
    session = db.session()
    keep = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = keep
