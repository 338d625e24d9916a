"""What leaves the service besides the PDF: an intake's answered parts as FHIR and as CSV.

Every export reads an intake through parts_of, one small function: its answered parts, each
with the exact stored questionnaire version, its answers and its result: one part per
questionnaire the intake asked (most ask one), and every export follows. Answers are read
through the model only, never from the table's raw column.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, select, union

from ..catalogue import definition_of
from ..db import db
from ..intake_sets import bundle_for, versions_of
from ..models import Intake, IntakePart, IntakeStatus, QuestionnaireVersion
from ..questionnaire import Definition
from ..scoring import Result


@dataclass(frozen=True)
class Part:
    """One answered questionnaire of an intake: its stored version, answers and result."""

    index: int  # 1, 2, ...: stable within the intake
    version: QuestionnaireVersion
    definition: Definition
    answers: Mapping[str, Any]
    result: Result


def parts_of(intake: Intake) -> Iterator[Part]:
    """The answered parts of a submitted intake (none before it is submitted).

    Part 1 is the intake's own questionnaire and result; an intake that asks several has
    one intake_part row for each further one. Every part's answers are its own items out of
    the intake's answers, with a safety item another part stood for read from that answer.
    """
    if not intake.submitted or intake.result is None:
        return
    if not intake.more_parts:
        version = intake.questionnaire
        yield Part(
            index=1,
            version=version,
            definition=definition_of(version),
            answers=dict(intake.answers or {}),
            result=Result.from_json(intake.result),
        )
        return
    bundle = bundle_for(intake)
    results = [intake.result, *(row.result for row in intake.more_parts)]
    for position, (version, result) in enumerate(zip(versions_of(intake), results, strict=True)):
        if result is None:
            continue  # never for a sent intake: every part is scored in the one commit
        yield Part(
            index=position + 1,
            version=version,
            definition=bundle.parts[position],
            answers=bundle.part_answers(position, intake.answers or {}),
            result=Result.from_json(result),
        )


def submitted_between(clinic_id: int, start: date | None, end: date | None) -> Select[Any]:
    """A clinic's submitted intakes, oldest first, sent on or after start and on or before end."""
    query = select(Intake).where(
        Intake.clinic_id == clinic_id, Intake.status == IntakeStatus.SUBMITTED
    )
    if start is not None:
        query = query.where(Intake.submitted_at >= datetime.combine(start, time.min))
    if end is not None:
        query = query.where(
            Intake.submitted_at < datetime.combine(end + timedelta(days=1), time.min)
        )
    return query.order_by(Intake.submitted_at, Intake.id)


def versions_in(query: Select[Any]) -> list[QuestionnaireVersion]:
    """The questionnaire versions the intakes of a query answered, by id and version."""
    intake_ids = query.with_only_columns(Intake.id).order_by(None)
    ids = union(
        select(Intake.questionnaire_id).where(Intake.id.in_(intake_ids)),
        select(IntakePart.questionnaire_id).where(IntakePart.intake_id.in_(intake_ids)),
    )
    return list(
        db.session.scalars(
            select(QuestionnaireVersion)
            .where(QuestionnaireVersion.id.in_(ids))
            .order_by(QuestionnaireVersion.key, QuestionnaireVersion.version)
        )
    )
