"""Questionnaires a clinic writes: drafts in the browser, their checks, and publishing them."""

from __future__ import annotations

import io
import re

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from . import audit
from .catalogue import sha256, versions
from .db import db
from .fhir.importer import Imported, import_questionnaire
from .models import QuestionnaireDraft, QuestionnaireVersion, utcnow
from .questionnaire import Definition, DefinitionError, Problem, load_text
from .questionnaire.examples import example_rows


class DuplicateKey(ValueError):
    """The clinic already has (or the product ships) a questionnaire with that id."""


class VersionTaken(ValueError):
    """That version of the questionnaire was published meanwhile (a double Publish)."""


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
    # A built-in file's notes for us (paths in our repository) mean nothing in a clinic's copy.
    source = without_our_notes(original.source) if original.clinic_id is None else original.source
    tree = yaml.load(source)
    tree["id"], tree["version"] = key, 1
    if isinstance(tree.get("title"), dict):
        # A translated title: the new one in the definition's own language; the others keep
        # their text (never the new title passed off as a translation) for the admin to adapt.
        main = str(tree.get("language") or "en")
        tree["title"][main if main in tree["title"] else next(iter(tree["title"]))] = title
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
    audit.record("questionnaire.created", commit=False, key=key, copied_from=original.id)
    try:
        db.session.commit()
    except IntegrityError as exc:
        # The same id created meanwhile (a double click, another tab).
        db.session.rollback()
        raise DuplicateKey(key) from exc
    return row


# A note that points at a file (a relative path, or an editor's schema modeline) only makes
# sense beside our repository's files.
_OUR_NOTE = re.compile(r"(?:^|\s)\.{1,2}/\S|\$schema=|yaml-language-server")
_COMMENT = re.compile(r"^\s*#")


def without_our_notes(source: str) -> str:
    """The text without the comment blocks that point at files of ours; every other comment,
    and the data itself, stay exactly as they were.

    A '#' line inside a block of text is data, not a comment: a block whose removal would
    change the data is kept.
    """
    lines = source.splitlines(keepends=True)
    blocks: list[tuple[int, int]] = []
    start = None
    for number, line in enumerate([*lines, ""]):
        if line and _COMMENT.match(line):
            start = number if start is None else start
            continue
        if start is not None and any(_OUR_NOTE.search(n) for n in lines[start:number]):
            blocks.append((start, number))
        start = None
    safe = YAML(typ="safe")
    data = safe.load(source)
    for first, end in reversed(blocks):
        trial = lines[:first] + lines[end:]
        try:
            if safe.load("".join(trial)) == data:
                lines = trial
        except YAMLError:
            continue
    return "".join(lines)


def save(row: QuestionnaireDraft, source: str, actor_id: int, *, valid: bool) -> None:
    """Keep whatever was typed, valid or not: a draft is a working copy."""
    row.source = source
    row.updated_by_id = actor_id
    row.updated_at = utcnow()
    audit.record("questionnaire.edited", commit=False, key=row.key, valid=valid)
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
    for bad in (r for r in example_rows(definition) if not r.ok):
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
        db.session.flush()
        audit.record("questionnaire.published", subject=version, commit=False, key=row.key)
        db.session.commit()
    except IntegrityError as exc:
        # The same version published meanwhile (a double click, another tab).
        db.session.rollback()
        raise VersionTaken(definition.version) from exc
    return version


def from_fhir(row: QuestionnaireDraft, resource: object) -> Imported:
    """A FHIR Questionnaire as this draft's text: its id kept, the next version to publish.

    Raises fhir.importer.NotAQuestionnaire when the file is no Questionnaire at all.
    """
    imported = import_questionnaire(resource, key=row.key)
    published = versions(row.clinic_id, row.key)
    imported.data["version"] = published[0].version + 1 if published else 1
    return imported


def _line_of(source: str, key: str) -> int | None:
    """The line of a top-level key, so a problem can point at it."""
    pattern = re.compile(rf"^{re.escape(key)}\s*:")
    for number, line in enumerate(source.splitlines(), start=1):
        if pattern.match(line):
            return number
    return None
