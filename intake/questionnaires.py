"""Stored questionnaire versions: sync the built-in files and load a version's definition."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select

from .db import db
from .models import QuestionnaireVersion
from .questionnaire import Definition, load_text


class VersionConflict(RuntimeError):
    """A built-in file changed without its version number changing."""


def sha256(text: str) -> str:
    """The hex digest that identifies a definition's exact source."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def definition_files(forms_dir: str | Path) -> list[Path]:
    """The questionnaire definitions in a folder (every .yaml file)."""
    return sorted(Path(forms_dir).glob("*.yaml"))


def sync_builtin(forms_dir: str | Path) -> list[QuestionnaireVersion]:
    """Store each built-in definition's current version once; refuse silent edits."""
    stored = []
    for path in definition_files(forms_dir):
        text = path.read_text(encoding="utf-8")
        definition = load_text(text, source=str(path))
        row = db.session.scalar(
            select(QuestionnaireVersion).where(
                QuestionnaireVersion.key == definition.id,
                QuestionnaireVersion.version == definition.version,
                QuestionnaireVersion.clinic_id.is_(None),
            )
        )
        if row is None:
            row = QuestionnaireVersion(
                key=definition.id,
                version=definition.version,
                title=definition.title,
                source=text,
                sha256=sha256(text),
            )
            db.session.add(row)
        elif row.sha256 != sha256(text):
            # Stored intakes answered the stored text; changing it in place would change
            # what their briefs say. A new version keeps both.
            raise VersionConflict(
                f"{path}: the content changed but version is still {definition.version};"
                " raise 'version' so earlier intakes keep the text they answered"
            )
        stored.append(row)
    db.session.commit()
    return stored


def latest_builtin(key: str) -> QuestionnaireVersion | None:
    """The newest stored version of a built-in questionnaire."""
    return db.session.scalar(
        select(QuestionnaireVersion)
        .where(QuestionnaireVersion.key == key, QuestionnaireVersion.clinic_id.is_(None))
        .order_by(QuestionnaireVersion.version.desc())
        .limit(1)
    )


def definition_of(version: QuestionnaireVersion) -> Definition:
    """The parsed definition of a stored version (parsed once per process)."""
    return _parse(version.sha256, version.source)


@lru_cache(maxsize=64)
def _parse(digest: str, source: str) -> Definition:
    # Keyed by digest: a stored version never changes, so its parse never goes stale.
    return load_text(source, source=f"stored questionnaire {digest[:12]}")
