"""Every table (clinics, staff, questionnaires, intakes, brief PDFs, audit) and their states."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    BigInteger,
    Enum,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from .crypto import EncryptedBytes, EncryptedJSON, EncryptedText, token_hash
from .db import db


def utcnow() -> datetime:
    """Now, in UTC (naive, as stored)."""
    return datetime.now(UTC).replace(tzinfo=None)


class Role(StrEnum):
    """What a staff member may do at their clinic."""

    ADMIN = "admin"
    THERAPIST = "therapist"

    @property
    def label(self) -> str:
        """The role as staff pages name it."""
        return _ROLE_LABELS[self]


_ROLE_LABELS = {Role.ADMIN: "Clinic admin", Role.THERAPIST: "Therapist"}


class IntakeStatus(StrEnum):
    """Where an intake stands for the client: invited, answering, or sent (then immutable)."""

    INVITED = "invited"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    # Erased (by an admin, or by the clinic's retention rule): a tombstone of dates, clinic and
    # questionnaire version; every personal detail is deleted (intake.erasure).
    ERASED = "erased"


class Progress(StrEnum):
    """Where an intake stands for staff: the client's status, whether the link still opens,
    then whether it was reviewed."""

    INVITED = "invited"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    REVIEWED = "reviewed"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"

    @property
    def label(self) -> str:
        """The words every staff page uses for this status."""
        return _PROGRESS_LABELS[self]

    @property
    def link_open(self) -> bool:
        """Whether the client's link still opens for answering."""
        return self in (Progress.INVITED, Progress.IN_PROGRESS)

    @classmethod
    def of(cls, intake: Intake) -> Progress:
        """The progress of one intake (a closed link before sending says so)."""
        if intake.status == IntakeStatus.ERASED:
            # Never shown: staff lists, pages and the API leave erased intakes out.
            return cls.WITHDRAWN
        if intake.status == IntakeStatus.SUBMITTED:
            return cls.REVIEWED if intake.reviewed_at is not None else cls.SUBMITTED
        if intake.revoked_at is not None:
            return cls.WITHDRAWN
        if intake.expires_at is not None and intake.expires_at < utcnow():
            return cls.EXPIRED
        return cls(intake.status)


_PROGRESS_LABELS = {
    Progress.INVITED: "Invited, not started yet",
    Progress.IN_PROGRESS: "In progress",
    Progress.SUBMITTED: "Submitted, not yet reviewed",
    Progress.REVIEWED: "Reviewed",
    Progress.WITHDRAWN: "Link withdrawn, answers not sent",
    Progress.EXPIRED: "Link expired, answers not sent",
}


class FollowUp(StrEnum):
    """What a staff member recorded after an urgent flag: they spoke with the client, or tried."""

    CONTACTED = "contacted"
    TRIED = "tried"

    @property
    def label(self) -> str:
        """The words every staff page and brief uses for this outcome."""
        return _FOLLOW_UP_LABELS[self]


_FOLLOW_UP_LABELS = {
    FollowUp.CONTACTED: "Spoke with the client",
    FollowUp.TRIED: "Tried to reach the client",
}


class PdfState(StrEnum):
    """Where the render job of an intake's brief PDF stands (stored)."""

    QUEUED = "queued"
    RENDERING = "rendering"
    READY = "ready"
    FAILED = "failed"


class PdfStatus(StrEnum):
    """What staff are told about an intake's brief PDF (worked out from the stored state)."""

    NOT_SUBMITTED = "not_submitted"
    READY = "ready"
    PREPARING = "preparing"
    FAILED = "failed"

    @property
    def label(self) -> str:
        """The words every staff page uses for this state of the PDF."""
        return _PDF_LABELS[self]


_PDF_LABELS = {
    PdfStatus.NOT_SUBMITTED: "No brief yet",
    PdfStatus.READY: "PDF",
    PdfStatus.PREPARING: "PDF being prepared",
    PdfStatus.FAILED: "PDF failed: retry",
}


class JobState(StrEnum):
    """Where a background job stands: waiting (perhaps until later), running, done, given up."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


def _state(kind: type[StrEnum]) -> Enum:
    """A column holding one of an enum's values as plain text (VARCHAR, no native type)."""
    return Enum(
        kind,
        native_enum=False,
        length=20,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Clinic(db.Model):  # type: ignore[name-defined]
    """A practice; everything else belongs to one."""

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # What a client who reports thoughts of self-harm is shown: the clinic's emergency number
    # and its crisis text in each language it offers ({"en": ..., "es": ...}). Until an admin
    # has set them, no client can be invited (never a built-in default).
    crisis_texts: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    emergency_number: Mapped[str | None] = mapped_column(String(40))
    # The languages clients may answer in (None: every language of the interface).
    client_languages: Mapped[list[str] | None] = mapped_column(JSON)
    # For staff: what the clinic does when an intake is flagged urgent.
    safety_procedure: Mapped[str | None] = mapped_column(Text)
    # An urgent intake nobody has spoken with after this long notifies the admins again.
    urgent_escalation_minutes: Mapped[int] = mapped_column(default=60)
    # Phone numbers typed without +country are read in this region (ISO 3166, e.g. "US").
    phone_region: Mapped[str | None] = mapped_column(String(2))
    # Branding and settings, edited by the clinic's admins.
    logo: Mapped[bytes | None] = mapped_column(LargeBinary)
    logo_mime: Mapped[str | None] = mapped_column(String(40))
    accent_color: Mapped[str] = mapped_column(String(7), default="#1f5f7a")
    paper_size: Mapped[str] = mapped_column(String(10), default="A4")
    link_expiry_days: Mapped[int] = mapped_column(default=30)
    default_questionnaire: Mapped[str | None] = mapped_column(String(64))
    # The intake set (several questionnaires, one link) the self-referral link asks; None:
    # the default questionnaire alone. No foreign key (the two tables would refer to each
    # other): it is read only among the clinic's own sets, and deleting a set clears it.
    referral_set_id: Mapped[int | None]
    # sha256 of the self-referral link's token (shown once to the admin, never stored).
    self_referral_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # At most this many self-referrals in 24 hours (a flood cannot bury the real ones).
    referral_daily_cap: Mapped[int] = mapped_column(default=20, server_default="20")
    # Every staff member signs in with a second factor (enrolled at their next sign-in).
    require_two_factor: Mapped[bool] = mapped_column(default=False, server_default=false())
    # When the wizard asks the client for their own goals (GoalStep): where the questionnaire
    # asks for them (default), on every intake, or never.
    goal_step: Mapped[str] = mapped_column(
        String(20), default="questionnaire", server_default="questionnaire"
    )
    # The client's link to their own copy closes this many days after they sent it.
    copy_link_days: Mapped[int] = mapped_column(default=7, server_default="7")
    # Retention (intake.retention, applied daily): submitted intakes are erased this many
    # months after they were sent (None: kept until erased by hand; clinics must keep
    # records for periods their own law sets), and links never opened this many days after
    # the invitation, once closed (None: never).
    retention_months: Mapped[int | None]
    unopened_days: Mapped[int | None] = mapped_column(default=90, server_default="90")
    # Intakes never sent (invited, started, or stopped as under 18) this many days after
    # anyone last did anything with them, once their link closed (None: never; the default).
    unfinished_days: Mapped[int | None]
    settings_updated_at: Mapped[datetime | None]
    # IANA name; every time shown to staff (pages, brief, emails) is in this zone.
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def self_referral_token(self) -> str | None:
        """The self-referral link's token, known only to the request that made or used it."""
        return self.__dict__.get("_referral_token")

    @self_referral_token.setter
    def self_referral_token(self, token: str | None) -> None:
        self.__dict__["_referral_token"] = token
        self.self_referral_hash = None if token is None else token_hash(token)

    def remember_referral_token(self, token: str) -> None:
        """Keep the token a visitor came with (it matched the stored hash) for page links."""
        self.__dict__["_referral_token"] = token


class Staff(UserMixin, db.Model):  # type: ignore[name-defined]
    """A person who works at a clinic and reads briefs."""

    # An email is unique within a clinic only: one clinic must not learn, by being refused,
    # that an address has an account at another (and a therapist may work at two).
    __table_args__ = (UniqueConstraint("clinic_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(_state(Role), default=Role.THERAPIST)
    active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Two-factor sign-in (TOTP): the shared secret, when it was confirmed, and the last time
    # step used, so one code never works twice.
    totp_secret: Mapped[str | None] = mapped_column(EncryptedText("staff.totp_secret"))
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)

    clinic: Mapped[Clinic] = relationship()

    @property
    def two_factor(self) -> bool:
        """Whether this person signs in with a code from an authenticator app."""
        return self.totp_enabled_at is not None and self.totp_secret is not None

    @property
    def is_admin(self) -> bool:
        """Whether this person administers their clinic."""
        return self.role == Role.ADMIN

    def get_id(self) -> str:
        """The id kept in the session, tied to the password so a new password ends old sessions."""
        fingerprint = hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]
        return f"{self.id}:{fingerprint}"


class StaffToken(db.Model):  # type: ignore[name-defined]
    """One emailed link (invitation, password reset): whose, until when, whether it was used."""

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    # sha256 of the token: a copy of the database cannot be turned into working links.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    staff: Mapped[Staff] = relationship()


class StaffSession(db.Model):  # type: ignore[name-defined]
    """One signed-in browser: ended on the server by sign-out, a new password, deactivation,
    "sign out everywhere", 15 idle minutes or its absolute lifetime."""

    __tablename__ = "staff_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    # sha256 of the random token in the (signed) session cookie.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    ended_reason: Mapped[str | None] = mapped_column(String(20))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(200))
    # What this browser is shown once (a client link just made, a note naming a client):
    # kept here, encrypted, rather than in the cookie, which is signed but readable.
    shown_once: Mapped[dict[str, Any] | None] = mapped_column(
        EncryptedJSON("staff_session.shown_once")
    )


class RecoveryCode(db.Model):  # type: ignore[name-defined]
    """A one-time code that signs a person in when their authenticator app is lost."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    # argon2id, like passwords: a copy of the database gives no working code.
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]


class QuestionnaireVersion(db.Model):  # type: ignore[name-defined]
    """One immutable version of a questionnaire definition, stored as its YAML source."""

    __table_args__ = (UniqueConstraint("key", "version", "clinic_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int | None] = mapped_column(ForeignKey("clinic.id"))
    key: Mapped[str] = mapped_column(String(64))
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QuestionnaireDraft(db.Model):  # type: ignore[name-defined]
    """The working copy of one clinic questionnaire; never shown to clients."""

    __table_args__ = (UniqueConstraint("clinic_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"))
    key: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    based_on_id: Mapped[int | None] = mapped_column(ForeignKey("questionnaire_version.id"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class GoalStep(StrEnum):
    """Whether a clinic's intakes ask the client for their own goals (the wizard's goals step)."""

    QUESTIONNAIRE = "questionnaire"
    ALWAYS = "always"
    NEVER = "never"


class Client(db.Model):  # type: ignore[name-defined]
    """One person across their intakes at a clinic: staff link a new intake to a client by
    re-inviting them (never matched by name); every other invitation makes a new client."""

    __tablename__ = "client"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), index=True)
    # The name staff know the person by (the first invitation's); each intake keeps its own.
    # None for clients made by the migration: their name is their latest intake's.
    display_name: Mapped[str | None] = mapped_column(EncryptedText("client.display_name"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    intakes: Mapped[list[Intake]] = relationship(
        back_populates="client", order_by="Intake.created_at, Intake.id"
    )

    @property
    def name(self) -> str:
        """The name staff know the client by (the latest intake's when none is kept)."""
        if self.display_name:
            return self.display_name
        kept = [i for i in self.intakes if i.status != IntakeStatus.ERASED]
        return kept[-1].client_name if kept else ""

    goals: Mapped[list[ClientGoal]] = relationship(
        back_populates="client",
        order_by="ClientGoal.position, ClientGoal.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class IntakeSet(db.Model):  # type: ignore[name-defined]
    """Questionnaires a clinic asks through one link, in order (e.g. readiness, PHQ-9, GAD-7).

    Named by their ids: an invitation asks the newest published version of each, and fixes
    those versions on the intake (intake_part), so a later edit never changes what was asked.
    """

    __tablename__ = "intake_set"
    __table_args__ = (UniqueConstraint("clinic_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # Questionnaire ids (QuestionnaireVersion.key), in the order the client answers them.
    questionnaires: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Intake(db.Model):  # type: ignore[name-defined]
    """One client's intake: the invitation, the answers as they come, and the result."""

    __table_args__ = (
        # The dashboard's keyset pages, unfiltered and by status or therapist (the first also
        # serves what an index of its first three columns would; there was one until f3b7d9e1).
        Index("ix_intake_dash_page", "clinic_id", "urgent", "created_at", "id"),
        Index("ix_intake_dash_status", "clinic_id", "status", "urgent", "created_at", "id"),
        Index(
            "ix_intake_dash_therapist", "clinic_id", "therapist_id", "urgent", "created_at", "id"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"))
    therapist_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    # The person this intake is of (set for every intake: a new client unless re-invited).
    client_id: Mapped[int | None] = mapped_column(ForeignKey("client.id"), index=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_version.id"))
    # sha256 of the client link's token: a copy of the database opens no link.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Encrypted (intake/crypto.py); the dashboard searches the name by its blind index.
    client_name: Mapped[str] = mapped_column(EncryptedText("intake.client_name"))
    email: Mapped[str | None] = mapped_column(EncryptedText("intake.email"))
    phone: Mapped[str | None] = mapped_column(EncryptedText("intake.phone"))
    language: Mapped[str] = mapped_column(String(10), default="en")
    source: Mapped[str] = mapped_column(String(20), default="invitation")
    status: Mapped[IntakeStatus] = mapped_column(
        _state(IntakeStatus), default=IntakeStatus.INVITED
    )
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    reminder_sent_at: Mapped[datetime | None]
    reviewed_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    consent_name: Mapped[str | None] = mapped_column(EncryptedText("intake.consent_name"))
    consent_at: Mapped[datetime | None]
    consent_version: Mapped[str | None] = mapped_column(String(64))
    current_page: Mapped[str | None] = mapped_column(String(64))
    # Client data: every answer, by item id; for an intake asking several questionnaires,
    # the answers of all of them (their item ids never clash within a set).
    answers: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON("intake.answers"), default=dict)
    safety_asked: Mapped[bool] = mapped_column(default=False)
    # When the client moved on leaving the safety question blank a second time.
    safety_skipped_at: Mapped[datetime | None]
    urgent: Mapped[bool] = mapped_column(default=False)
    urgent_at: Mapped[datetime | None]
    # Exactly what the client was first shown after a safety answer: emergency number,
    # crisis text, its language, when, on which page.
    crisis_shown: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # When the client answered that they are under 18: the intake stopped there.
    under_age_at: Mapped[datetime | None]
    # Client data: the scored result of part 1 (the questionnaire above).
    result: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON("intake.result"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    erased_at: Mapped[datetime | None]

    clinic: Mapped[Clinic] = relationship()
    therapist: Mapped[Staff | None] = relationship(foreign_keys=[therapist_id])
    questionnaire: Mapped[QuestionnaireVersion] = relationship()
    client: Mapped[Client | None] = relationship(back_populates="intakes")
    contact: Mapped[ClientContact | None] = relationship(
        back_populates="intake", cascade="all, delete-orphan", passive_deletes=True
    )
    follow_ups: Mapped[list[UrgentFollowUp]] = relationship(
        order_by="UrgentFollowUp.id",
        back_populates="intake",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    name_words: Mapped[list[IntakeNameWord]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )
    # Questionnaires after the first, for an intake that asks several (none otherwise).
    more_parts: Mapped[list[IntakePart]] = relationship(
        order_by="IntakePart.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def token(self) -> str | None:
        """The client link's token: known only where it was made or where the client used it
        (only its hash is stored)."""
        return self.__dict__.get("_link_token")

    @token.setter
    def token(self, token: str) -> None:
        self.__dict__["_link_token"] = token
        self.token_hash = token_hash(token)

    def remember_token(self, token: str) -> None:
        """Keep the token the client came with (it matched the stored hash) for this request's
        links."""
        self.__dict__["_link_token"] = token

    @property
    def submitted(self) -> bool:
        """Whether the client has submitted (and the intake can no longer change)."""
        return self.status == IntakeStatus.SUBMITTED

    @property
    def progress(self) -> Progress:
        """Where the intake stands for staff (reviewed once a therapist has read the brief)."""
        return Progress.of(self)


class IntakePart(db.Model):  # type: ignore[name-defined]
    """A further questionnaire of an intake that asks several: its version and, once sent,
    its result.

    Part 1 is the intake itself (questionnaire_id, result), so an intake asking one
    questionnaire has no rows here and reads exactly as before. The answers of every part
    stay in intake.answers (item ids are unique across the parts of a set); read parts
    through intake.exports.parts_of.
    """

    __tablename__ = "intake_part"
    __table_args__ = (UniqueConstraint("intake_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    intake_id: Mapped[int] = mapped_column(ForeignKey("intake.id", ondelete="CASCADE"))
    # 2, 3, ...: the order the client answers in (part 1 is the intake's own questionnaire).
    position: Mapped[int]
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_version.id"))
    # Client data (scores, flags, the safety answer's urgency): set when the intake is sent.
    result: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON("intake_part.result"))

    questionnaire: Mapped[QuestionnaireVersion] = relationship()


class ClientContact(db.Model):  # type: ignore[name-defined]
    """How the client said the clinic may reach them (the wizard's contact step), or that they
    would rather not say. The invitation's own email and phone stay on the intake."""

    __tablename__ = "client_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    intake_id: Mapped[int] = mapped_column(
        ForeignKey("intake.id", ondelete="CASCADE"), unique=True
    )
    declined: Mapped[bool] = mapped_column(default=False)
    # E.164, e.g. +15555550123.
    phone: Mapped[str | None] = mapped_column(EncryptedText("client_contact.phone"))
    email: Mapped[str | None] = mapped_column(EncryptedText("client_contact.email"))
    # None: not said.
    voicemail_ok: Mapped[bool | None]
    texts_ok: Mapped[bool | None]
    safe_times: Mapped[str | None] = mapped_column(EncryptedText("client_contact.safe_times"))
    # Set when the client moved on from the step with a complete answer (Back and Save keep
    # what is valid without confirming it).
    confirmed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    intake: Mapped[Intake] = relationship(back_populates="contact")


class ClientGoal(db.Model):  # type: ignore[name-defined]
    """A goal the client named in their own words (Goal-Based Outcomes style), kept across
    their intakes so a later intake asks them to rate the same words again."""

    __tablename__ = "client_goal"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
    # The intake it was named on.
    intake_id: Mapped[int | None] = mapped_column(
        ForeignKey("intake.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=1)
    # The client's own words (at most 300 characters, checked by the form): encrypted.
    text: Mapped[str] = mapped_column(EncryptedText("client_goal.text"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    client: Mapped[Client] = relationship(back_populates="goals")
    ratings: Mapped[list[GoalRating]] = relationship(
        back_populates="goal", cascade="all, delete-orphan", passive_deletes=True
    )


class GoalRating(db.Model):  # type: ignore[name-defined]
    """How far along a goal is, 0-10, as the client rated it on one intake."""

    __tablename__ = "goal_rating"
    __table_args__ = (UniqueConstraint("goal_id", "intake_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("client_goal.id", ondelete="CASCADE"))
    intake_id: Mapped[int] = mapped_column(ForeignKey("intake.id", ondelete="CASCADE"), index=True)
    # 0-10, encrypted like every score: a number beside the client's words is health data too.
    rating: Mapped[int] = mapped_column(EncryptedJSON("goal_rating.rating"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    goal: Mapped[ClientGoal] = relationship(back_populates="ratings")


class UrgentFollowUp(db.Model):  # type: ignore[name-defined]
    """A staff member's record on an urgent intake: contacted or tried, by whom, when, a note."""

    __tablename__ = "urgent_follow_up"

    id: Mapped[int] = mapped_column(primary_key=True)
    intake_id: Mapped[int] = mapped_column(ForeignKey("intake.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    outcome: Mapped[FollowUp] = mapped_column(_state(FollowUp))
    note: Mapped[str | None] = mapped_column(EncryptedText("urgent_follow_up.note"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    intake: Mapped[Intake] = relationship(back_populates="follow_ups")
    staff: Mapped[Staff] = relationship()


# Compared in code-point order on every database, so a word-prefix range uses the index.
_WORD_TYPE = String(64).with_variant(String(64, collation="C"), "postgresql")


class IntakeNameWord(db.Model):  # type: ignore[name-defined]
    """The blind index of a client's name: a keyed digest (crypto.Keyring.blind) of each
    prefix of each folded word (intake.names), so the dashboard's search finds 'María' by
    'mar' through an index while the table holds no readable name; kept by the lifecycle
    service."""

    __tablename__ = "intake_name_word"
    __table_args__ = (Index("ix_intake_name_word_lookup", "clinic_id", "word", "intake_id"),)

    intake_id: Mapped[int] = mapped_column(
        ForeignKey("intake.id", ondelete="CASCADE"), primary_key=True
    )
    word: Mapped[str] = mapped_column(_WORD_TYPE, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"))


class BriefPdf(db.Model):  # type: ignore[name-defined]
    """An intake's stored brief PDF, the version that made it, and where its render stands."""

    __tablename__ = "brief_pdf"

    id: Mapped[int] = mapped_column(primary_key=True)
    intake_id: Mapped[int] = mapped_column(
        ForeignKey("intake.id", ondelete="CASCADE"), unique=True
    )
    state: Mapped[PdfState] = mapped_column(_state(PdfState), default=PdfState.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    # The version the latest job was asked for, and the version of the stored PDF: a hash of
    # the template files, the renderer and the clinic's branding (see brief.store.version_of).
    wanted_version: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[str | None] = mapped_column(String(64))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None]
    # Deferred: status checks never load the document itself.
    pdf: Mapped[bytes | None] = deferred(mapped_column(EncryptedBytes("brief_pdf.pdf")))
    error: Mapped[str | None] = mapped_column(Text)
    queued_at: Mapped[datetime | None]
    rendered_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Job(db.Model):  # type: ignore[name-defined]
    """One piece of background work, recorded in the same transaction as the change needing it.

    Params hold ids only, never answers. A job whose worker died is found by its lease and run
    again; every job is idempotent, so running one twice never does its work twice.
    """

    __table_args__ = (Index("ix_job_due", "state", "run_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    # Jobs with the same key are one piece of work: scheduling it again while it waits is a no-op.
    key: Mapped[str | None] = mapped_column(String(160), index=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[JobState] = mapped_column(_state(JobState), default=JobState.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    run_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set while running: past it, the worker is taken as dead and the job runs again.
    lease_until: Mapped[datetime | None]
    # When it was last handed to a runner; the sweeper hands it again only after a while.
    dispatched_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]


class AuditEvent(db.Model):  # type: ignore[name-defined]
    """Who did what, when: append-only (the application never updates or deletes rows)."""

    __table_args__ = (Index("ix_audit_event_clinic_time", "clinic_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int | None] = mapped_column(ForeignKey("clinic.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str | None] = mapped_column(String(40))
    subject_id: Mapped[int | None]
    # Encrypted: it may name a client's email or a staff member's.
    detail: Mapped[dict[str, Any]] = mapped_column(
        EncryptedJSON("audit_event.detail"), default=dict
    )
    ip: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[Staff | None] = relationship()


class ApiScope(StrEnum):
    """What an API token may do: read a clinic's intakes, or also invite clients."""

    READ = "read"
    READ_INVITE = "read_invite"

    @property
    def label(self) -> str:
        """The scope as staff pages name it."""
        return _SCOPE_LABELS[self]


_SCOPE_LABELS = {ApiScope.READ: "Read", ApiScope.READ_INVITE: "Read and invite clients"}


class ApiToken(db.Model):  # type: ignore[name-defined]
    """A clinic's key to the JSON API: shown once, stored hashed, revocable, each use audited."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    scope: Mapped[ApiScope] = mapped_column(_state(ApiScope), default=ApiScope.READ)
    # sha256 of the token: a copy of the database gives no working key.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The token's first characters, so a person can tell their keys apart.
    hint: Mapped[str] = mapped_column(String(16))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))

    created_by: Mapped[Staff | None] = relationship(foreign_keys=[created_by_id])


class Webhook(db.Model):  # type: ignore[name-defined]
    """Where a clinic's practice system hears of each submission (signed with the secret)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), unique=True)
    url: Mapped[str] = mapped_column(String(500))
    # The HMAC key the receiver checks signatures with (it must be readable to sign).
    secret: Mapped[str] = mapped_column(EncryptedText("webhook.secret"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
