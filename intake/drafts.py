"""Questionnaires a clinic writes: drafts in the browser, checks, and publishing versions."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from .db import db
from .models import QuestionnaireVersion, utcnow
from .questionnaire import Definition, DefinitionError, Problem, load_text
from .questionnaire.examples import TOLERANCE
from .questionnaires import sha256
from .scoring import score


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


class DuplicateKey(ValueError):
    """The clinic already has (or the product ships) a questionnaire with that id."""


class VersionTaken(ValueError):
    """That version of the questionnaire was published meanwhile (a double Publish)."""


@dataclass(frozen=True)
class ExampleRow:
    """One expected figure of a worked example next to what scoring gives."""

    example: str
    what: str
    expected: str
    actual: str
    ok: bool


def available(clinic_id: int) -> list[QuestionnaireVersion]:
    """The newest published version of each built-in and each of the clinic's questionnaires."""
    newest = (
        select(
            QuestionnaireVersion.key,
            QuestionnaireVersion.clinic_id,
            func.max(QuestionnaireVersion.version).label("version"),
        )
        .where(
            or_(
                QuestionnaireVersion.clinic_id.is_(None),
                QuestionnaireVersion.clinic_id == clinic_id,
            )
        )
        .group_by(QuestionnaireVersion.key, QuestionnaireVersion.clinic_id)
        .subquery()
    )
    rows = db.session.scalars(
        select(QuestionnaireVersion)
        .join(
            newest,
            (QuestionnaireVersion.key == newest.c.key)
            & (QuestionnaireVersion.version == newest.c.version)
            & (
                func.coalesce(QuestionnaireVersion.clinic_id, 0)
                == func.coalesce(newest.c.clinic_id, 0)
            ),
        )
        .order_by(QuestionnaireVersion.clinic_id.is_(None), QuestionnaireVersion.title)
    )
    return list(rows)


def usable_version(clinic_id: int, version_id: int | None) -> QuestionnaireVersion | None:
    """A published version this clinic may invite with (its own or a built-in), else None."""
    if version_id is None:
        return None
    version = db.session.get(QuestionnaireVersion, version_id)
    if version is None or version.clinic_id not in (None, clinic_id):
        return None
    return version


def latest_for(clinic_id: int, key: str | None) -> QuestionnaireVersion | None:
    """The newest version of a questionnaire by id: the clinic's own first, then built-in."""
    if not key:
        return None
    for owner in (
        QuestionnaireVersion.clinic_id == clinic_id,
        QuestionnaireVersion.clinic_id.is_(None),
    ):
        row = db.session.scalar(
            select(QuestionnaireVersion)
            .where(owner, QuestionnaireVersion.key == key)
            .order_by(QuestionnaireVersion.version.desc())
            .limit(1)
        )
        if row is not None:
            return row
    return None


def versions(clinic_id: int, key: str) -> list[QuestionnaireVersion]:
    """Every published version of one of the clinic's questionnaires, newest first."""
    return list(
        db.session.scalars(
            select(QuestionnaireVersion)
            .where(QuestionnaireVersion.clinic_id == clinic_id, QuestionnaireVersion.key == key)
            .order_by(QuestionnaireVersion.version.desc())
        )
    )


def drafts(clinic_id: int) -> list[QuestionnaireDraft]:
    """The clinic's drafts, by id."""
    return list(
        db.session.scalars(
            select(QuestionnaireDraft)
            .where(QuestionnaireDraft.clinic_id == clinic_id)
            .order_by(QuestionnaireDraft.key)
        )
    )


def draft(clinic_id: int, key: str) -> QuestionnaireDraft | None:
    """One of the clinic's drafts by questionnaire id."""
    return db.session.scalar(
        select(QuestionnaireDraft).where(
            QuestionnaireDraft.clinic_id == clinic_id, QuestionnaireDraft.key == key
        )
    )


def key_taken(clinic_id: int, key: str) -> bool:
    """Whether the id is already used by a draft, a clinic version or a built-in."""
    if draft(clinic_id, key) is not None:
        return True
    return (
        db.session.scalar(
            select(QuestionnaireVersion.id)
            .where(
                QuestionnaireVersion.key == key,
                or_(
                    QuestionnaireVersion.clinic_id.is_(None),
                    QuestionnaireVersion.clinic_id == clinic_id,
                ),
            )
            .limit(1)
        )
        is not None
    )


def create_copy(
    clinic_id: int, original: QuestionnaireVersion, key: str, title: str, actor_id: int
) -> QuestionnaireDraft:
    """A new draft: a copy of a version with its id, title and version number replaced."""
    if key_taken(clinic_id, key):
        raise DuplicateKey(key)
    yaml = YAML(typ="rt")
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)  # the style of our built-in files
    tree = yaml.load(original.source)
    tree["id"], tree["version"] = key, 1
    if isinstance(tree.get("title"), dict):
        # A translated title: the new title in every language, for the admin to translate.
        for language in tree["title"]:
            tree["title"][language] = title
    else:
        tree["title"] = title
    out = io.StringIO()
    yaml.dump(tree, out)
    row = QuestionnaireDraft(
        clinic_id=clinic_id,
        key=key,
        source=out.getvalue(),
        based_on_id=original.id,
        updated_by_id=actor_id,
    )
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError as exc:
        # The same id created meanwhile (a double click, another tab).
        db.session.rollback()
        raise DuplicateKey(key) from exc
    return row


def save(row: QuestionnaireDraft, source: str, actor_id: int) -> None:
    """Keep whatever was typed, valid or not: a draft is a working copy."""
    row.source = source
    row.updated_by_id = actor_id
    row.updated_at = utcnow()
    db.session.commit()


def check(row: QuestionnaireDraft, source: str) -> tuple[Definition | None, list[Problem]]:
    """The definition a draft text gives, or every problem found, each with its line."""
    where = f"{row.key}.yaml"
    try:
        definition = load_text(source, source=where)
    except DefinitionError as exc:
        return None, list(exc.problems)
    except YAMLError as exc:  # the loader reports YAML errors; this is a last resort
        return None, [Problem(where, "", None, f"cannot read the YAML: {exc}")]
    if definition.id != row.key:
        line = _line_of(source, "id")
        message = f"the id must stay '{row.key}' (create a new questionnaire for a new id)"
        return None, [Problem(where, "id", line, message)]
    return definition, []


def publish_problems(row: QuestionnaireDraft, definition: Definition) -> list[Problem]:
    """Why a valid draft cannot be published yet: a reused version number, failing examples."""
    where = f"{row.key}.yaml"
    problems = []
    last = versions(row.clinic_id, row.key)
    if last and definition.version <= last[0].version:
        message = (
            f"version {last[0].version} is already published; raise 'version' to"
            f" {last[0].version + 1} so earlier intakes keep the text they answered"
        )
        problems.append(Problem(where, "version", _line_of(row.source, "version"), message))
    failing = [r for r in example_rows(definition) if not r.ok]
    for bad in failing:
        message = f"example '{bad.example}': {bad.what} expected {bad.expected}, got {bad.actual}"
        problems.append(Problem(where, "examples", _line_of(row.source, "examples"), message))
    return problems


def publish(row: QuestionnaireDraft, definition: Definition) -> QuestionnaireVersion:
    """Store the draft as a new immutable version that invitations can use.

    Raises VersionTaken when that version number was published meanwhile.
    """
    version = QuestionnaireVersion(
        clinic_id=row.clinic_id,
        key=row.key,
        version=definition.version,
        title=definition.title,
        source=row.source,
        sha256=sha256(row.source),
    )
    db.session.add(version)
    try:
        db.session.commit()
    except IntegrityError as exc:
        # The same version published meanwhile (a double click, another tab).
        db.session.rollback()
        raise VersionTaken(definition.version) from exc
    return version


def example_rows(definition: Definition) -> list[ExampleRow]:
    """Each example's expected figures beside the actual ones."""
    rows = []
    for example in definition.examples:
        result = score(definition, example.answers)
        dims = {d.id: d for d in result.dimensions}
        for dim_id, want in example.expect.scores.items():
            got = dims[dim_id].score if dim_id in dims else None
            if want == "not_scored":
                ok = got is None
                shown_want = "not scored"
            else:
                ok = got is not None and abs(got - float(want)) <= TOLERANCE
                shown_want = f"{float(want):.2f}"
            shown_got = "not scored" if got is None else f"{got:.2f}"
            rows.append(ExampleRow(example.name, dim_id, shown_want, shown_got, ok))
        for dim_id, band in example.expect.bands.items():
            got_band = dims[dim_id].band if dim_id in dims else None
            rows.append(
                ExampleRow(example.name, f"{dim_id} band", band, str(got_band), got_band == band)
            )
        for index_id, want_i in example.expect.indices.items():
            value = result.indices.get(index_id)
            ok = value is not None and abs(value - want_i) <= TOLERANCE
            shown = "none" if value is None else f"{value:.2f}"
            rows.append(ExampleRow(example.name, f"index {index_id}", f"{want_i:.2f}", shown, ok))
        if example.expect.flags is not None:
            want_f, got_f = sorted(example.expect.flags), sorted(result.flags)
            rows.append(
                ExampleRow(
                    example.name,
                    "flags",
                    ", ".join(want_f) or "none",
                    ", ".join(got_f) or "none",
                    want_f == got_f,
                )
            )
        if example.expect.urgent is not None:
            rows.append(
                ExampleRow(
                    example.name,
                    "urgent",
                    str(example.expect.urgent),
                    str(result.urgent),
                    example.expect.urgent == result.urgent,
                )
            )
    return rows


def _line_of(source: str, key: str) -> int | None:
    """The line of a top-level key, so a problem can point at it."""
    pattern = re.compile(rf"^{re.escape(key)}\s*:")
    for number, line in enumerate(source.splitlines(), start=1):
        if pattern.match(line):
            return number
    return None
