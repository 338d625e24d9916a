"""The catalogue of published questionnaire versions: built-in files, clinic versions, lookups."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from sqlalchemy import func, or_, select

from .db import db
from .models import Clinic, QuestionnaireVersion
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
    """The parsed definition of a stored version (parsed once per process).

    Found by the version's digest alone, so a request need not load the YAML source
    (by_token defers it) unless this process has not parsed that version yet.
    """
    found = _parsed.get(version.sha256)
    return found if found is not None else _parse(version.sha256, version.source)


# The definitions _parse made, by digest (bounded like its cache).
_parsed: dict[str, Definition] = {}


def definition_by_digest(digest: str, version_id: int) -> Definition | None:
    """The definition with this digest: parsed already, else loaded (one query) and parsed.

    For pages that read many intakes' versions by digest without loading each version row.
    """
    found = _parsed.get(digest)
    if found is not None:
        return found
    version = db.session.get(QuestionnaireVersion, version_id)
    return definition_of(version) if version is not None else None


def preload_builtin(forms_dir: str | Path) -> None:
    """Parse the built-in files into this process's cache, in every language they offer.

    They are the very texts sync_builtin stores, so definition_of finds them parsed.
    """
    for path in definition_files(forms_dir):
        text = path.read_text(encoding="utf-8")
        definition = _parse(sha256(text), text)
        for language in definition.offered_languages:
            definition.in_language(language)


@lru_cache(maxsize=64)
def _parse(digest: str, source: str) -> Definition:
    # Keyed by digest: a stored version never changes, so its parse never goes stale.
    definition = load_text(source, source=f"stored questionnaire {digest[:12]}")
    if len(_parsed) >= 64:
        _parsed.pop(next(iter(_parsed)))
    _parsed[digest] = definition
    return definition


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


def default_for(clinic: Clinic, fallback: str) -> QuestionnaireVersion | None:
    """The version new invitations use: the clinic's chosen default, else the deployment's."""
    return latest_for(clinic.id, clinic.default_questionnaire) or latest_for(clinic.id, fallback)


def versions(clinic_id: int, key: str) -> list[QuestionnaireVersion]:
    """Every published version of one of the clinic's questionnaires, newest first."""
    return list(
        db.session.scalars(
            select(QuestionnaireVersion)
            .where(QuestionnaireVersion.clinic_id == clinic_id, QuestionnaireVersion.key == key)
            .order_by(QuestionnaireVersion.version.desc())
        )
    )
