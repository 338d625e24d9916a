"""The dashboard's query: one page of a clinic's intakes, fast at any size.

Pages are keyset pages over (urgent, created_at, id), all descending, which the
ix_intake_dash_* indexes serve directly; the total is counted only up to COUNT_CAP rows,
so neither the page nor its count ever reads the whole table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    exists,
    false,
    func,
    null,
    or_,
    select,
    tuple_,
    type_coerce,
)
from sqlalchemy.orm import defer, joinedload

from . import catalogue, crypto, follow_up, intake_sets, names
from .db import db
from .follow_up import Latest
from .models import (
    Intake,
    IntakeNameWord,
    IntakePart,
    IntakeStatus,
    Progress,
    QuestionnaireVersion,
    Staff,
    UrgentFollowUp,
    utcnow,
)
from .questionnaire.follow_ups import FollowUpAnswers, follow_up_answers

PAGE_SIZE = 25
COUNT_CAP = 1000
MAX_SEARCH_WORDS = 5


@dataclass(frozen=True)
class Filters:
    """What the dashboard is narrowed to."""

    status: Progress | None = None
    therapist_id: int | None = None
    search: str = ""

    @classmethod
    def from_args(cls, args: Any) -> Filters:
        """Filters from query-string arguments; anything unknown is ignored, never an error."""
        status = args.get("status") or None
        therapist = args.get("therapist", "")
        search = (args.get("q") or "").strip()[:200]
        return cls(
            status=Progress(status) if status in set(Progress) else None,
            therapist_id=row_id(therapist),
            search=search,
        )

    def args(self) -> dict[str, Any]:
        """The filters as query-string arguments, for links that keep them."""
        out: dict[str, Any] = {}
        if self.status:
            out["status"] = self.status
        if self.therapist_id:
            out["therapist"] = self.therapist_id
        if self.search:
            out["q"] = self.search
        return out


@dataclass(frozen=True)
class Page:
    """One page of intakes and how to reach its neighbours."""

    rows: list[Intake]
    count: int
    count_capped: bool
    urgent_open: int
    next_cursor: str | None
    prev_cursor: str | None
    # Urgent intakes nobody has spoken with yet, and when the longest-waiting was flagged.
    waiting: int = 0
    waiting_since: datetime | None = None
    # The latest contact recorded, by intake (rows of this page only).
    follow_ups: dict[int, Latest] | None = None
    # What urgent clients answered to the safety follow-ups, by intake (this page only).
    said: dict[int, FollowUpAnswers] | None = None


def progress_is(status: Progress) -> ColumnElement[bool]:
    """The SQL condition for intakes whose progress (Progress.of) is this status."""
    now = utcnow()
    not_sent = Intake.status != IntakeStatus.SUBMITTED
    if status == Progress.WITHDRAWN:
        return and_(not_sent, Intake.revoked_at.is_not(None))
    if status == Progress.EXPIRED:
        return and_(not_sent, Intake.revoked_at.is_(None), Intake.expires_at < now)
    if status == Progress.REVIEWED:
        return and_(Intake.status == IntakeStatus.SUBMITTED, Intake.reviewed_at.is_not(None))
    if status == Progress.SUBMITTED:
        return and_(Intake.status == IntakeStatus.SUBMITTED, Intake.reviewed_at.is_(None))
    # Invited or in progress: only links that still open (a withdrawn or expired one is
    # listed as such).
    return and_(
        Intake.status == IntakeStatus(status),
        Intake.revoked_at.is_(None),
        or_(Intake.expires_at.is_(None), Intake.expires_at >= now),
    )


def filtered(clinic_id: int, filters: Filters) -> Select[tuple[Intake]]:
    """The clinic's intakes narrowed by the filters, unordered."""
    query = select(Intake).where(
        Intake.clinic_id == clinic_id, Intake.status != IntakeStatus.ERASED
    )
    if filters.status:
        query = query.where(progress_is(filters.status))
    if filters.therapist_id:
        query = query.where(Intake.therapist_id == filters.therapist_id)
    # Each word searched must begin a word of the name, accents and case aside ("maria"
    # finds "María López"); the words' index answers it, whatever the table's size.
    searched = names.words(filters.search)[:MAX_SEARCH_WORDS]
    if filters.search and not searched:
        return query.where(false())  # only signs, no letters or digits: no name has them
    # The index holds a keyed digest of every prefix of every word (crypto.Keyring.blind),
    # so a search word is one lookup per search key (several only while the key is being
    # rotated: rows not yet rebuilt are under the previous one) and the table holds no
    # readable name.
    ring = crypto.keyring()
    for word in searched:
        query = query.where(
            Intake.id.in_(
                select(IntakeNameWord.intake_id).where(
                    IntakeNameWord.clinic_id == clinic_id,
                    IntakeNameWord.word.in_(ring.blinds(clinic_id, word)),
                )
            )
        )
    return query


def page(
    clinic_id: int, filters: Filters, after: str | None = None, before: str | None = None
) -> Page:
    """One page, urgent first then newest; `after`/`before` are cursors from a previous page."""
    base = filtered(clinic_id, filters)
    key = tuple_(Intake.urgent, Intake.created_at, Intake.id)
    query = base.options(
        joinedload(Intake.therapist),
        joinedload(Intake.contact),
        defer(Intake.answers),
        defer(Intake.result),
    ).add_columns(*_latest_follow_up(), *_urgent_answers())
    start, end = decode(after), decode(before)
    backwards = end is not None and start is None
    if start is not None:
        query = query.where(key < tuple_(*start))
    elif end is not None:
        query = query.where(key > tuple_(*end))
    if backwards:
        order = (Intake.urgent.asc(), Intake.created_at.asc(), Intake.id.asc())
    else:
        order = (Intake.urgent.desc(), Intake.created_at.desc(), Intake.id.desc())
    found = list(db.session.execute(query.order_by(*order).limit(PAGE_SIZE + 1)))
    more = len(found) > PAGE_SIZE
    found = found[:PAGE_SIZE]
    rows: list[Intake] = [row[0] for row in found]
    follow_ups = {
        row[0].id: Latest(row.followed_at, row.followed_how, row.followed_by or "", row.reached)
        for row in found
        if row.followed_at is not None
    }
    said = _said(found)
    if backwards:
        rows.reverse()
    count = (
        db.session.scalar(
            select(func.count()).select_from(
                base.with_only_columns(Intake.id).limit(COUNT_CAP + 1).subquery()
            )
        )
        or 0
    )
    urgent_open, waiting, waiting_since = _urgent_summary(clinic_id)
    has_next = more if not backwards else True
    has_prev = (start is not None) or (backwards and more)
    return Page(
        rows=rows,
        count=min(count, COUNT_CAP),
        count_capped=count > COUNT_CAP,
        urgent_open=urgent_open,
        next_cursor=encode(rows[-1]) if rows and has_next else None,
        prev_cursor=encode(rows[0]) if rows and has_prev else None,
        waiting=waiting,
        waiting_since=waiting_since,
        follow_ups=follow_ups,
        said=said,
    )


def _urgent_answers() -> tuple[Any, Any, Any]:
    """The answers of urgent rows only (others stay unloaded), their version's digest, and
    whether the intake asks several questionnaires, as columns of each row: the follow-ups
    are read without a query per row (an urgent intake set's reads its set, a rare case)."""
    answers = type_coerce(
        case((Intake.urgent.is_(True), Intake.answers), else_=null()),
        Intake.__table__.c.answers.type,
    )
    digest = (
        select(QuestionnaireVersion.sha256)
        .where(QuestionnaireVersion.id == Intake.questionnaire_id)
        .correlate(Intake)
        .scalar_subquery()
    )
    in_set = exists(select(IntakePart.id).where(IntakePart.intake_id == Intake.id)).correlate(
        Intake
    )
    return answers.label("urgent_answers"), digest.label("digest"), in_set.label("in_set")


def _said(found: list[Any]) -> dict[int, FollowUpAnswers]:
    """The safety follow-up answers of the urgent rows that have any."""
    said: dict[int, FollowUpAnswers] = {}
    for row in found:
        intake, answers, digest, in_set = row[0], row.urgent_answers, row.digest, row.in_set
        if not intake.urgent or not answers or digest is None:
            continue
        definition = (
            intake_sets.walk_of(intake)
            if in_set
            else catalogue.definition_by_digest(digest, intake.questionnaire_id)
        )
        given = follow_up_answers(definition, answers) if definition is not None else None
        if given is not None and given.any:
            said[intake.id] = given
    return said


def _latest_follow_up() -> tuple[Any, Any, Any, Any]:
    """When, what and by whom the latest contact was recorded, and whether anyone has spoken
    with the client, as columns of each row.

    Correlated subqueries on the (indexed, small) follow-up table: no query per row, and no
    extra query per page.
    """
    latest = (
        select(UrgentFollowUp.id)
        .where(UrgentFollowUp.intake_id == Intake.id)
        .order_by(UrgentFollowUp.id.desc())
        .limit(1)
        .correlate(Intake)
        .scalar_subquery()
    )
    at = select(UrgentFollowUp.created_at).where(UrgentFollowUp.id == latest)
    outcome = select(UrgentFollowUp.outcome).where(UrgentFollowUp.id == latest)
    by = (
        select(Staff.name)
        .join(UrgentFollowUp, UrgentFollowUp.staff_id == Staff.id)
        .where(UrgentFollowUp.id == latest)
    )
    return (
        at.correlate(Intake).scalar_subquery().label("followed_at"),
        outcome.correlate(Intake).scalar_subquery().label("followed_how"),
        by.correlate(Intake).scalar_subquery().label("followed_by"),
        follow_up.reached_clause().correlate(Intake).label("reached"),
    )


def _urgent_summary(clinic_id: int) -> tuple[int, int, datetime | None]:
    """Urgent intakes not yet reviewed; those where nobody has spoken with the client yet, and
    the oldest flag among them (one query, counted up to COUNT_CAP)."""
    followed = follow_up.reached_clause()
    urgent = (
        select(
            case((Intake.reviewed_at.is_(None), 1), else_=0).label("open"),
            case((followed, 0), else_=1).label("waiting"),
            case((followed, None), else_=Intake.urgent_at).label("since"),
        )
        .where(Intake.clinic_id == clinic_id, Intake.urgent.is_(True))
        .limit(COUNT_CAP + 1)
        .subquery()
    )
    row = db.session.execute(
        select(
            func.coalesce(func.sum(urgent.c.open), 0),
            func.coalesce(func.sum(urgent.c.waiting), 0),
            func.min(urgent.c.since),
        )
    ).one()
    return int(row[0]), int(row[1]), row[2]


def encode(intake: Intake) -> str:
    """A cursor that names a row's place in the order."""
    return f"{int(intake.urgent)}_{intake.created_at.isoformat()}_{intake.id}"


def decode(cursor: str | None) -> tuple[bool, datetime, int] | None:
    """The place a cursor names; a mangled cursor is treated as none."""
    if not cursor:
        return None
    try:
        urgent, created, ident = cursor.split("_")
        number = row_id(ident)
        if number is None:
            return None
        return urgent == "1", datetime.fromisoformat(created), number
    except ValueError:
        return None


def row_id(text: str | None) -> int | None:
    """A database id from user input, or None: digits only, and small enough for any column."""
    if text and text.isascii() and text.isdigit() and len(text) <= 9:
        return int(text)
    return None
