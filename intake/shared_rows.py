"""Clinics and questionnaire versions kept by each process for page saves, by row version.

A page save (lifecycle.by_token's optimistic read, PostgreSQL) reads its intake with the
versions of its clinic's row and its questionnaire version's row (their xmin, which any
write to the row changes), and takes both objects from here: loading them with the intake
was a twentieth of a save's work, for rows that change seldom or (versions) never. A row
changed since is another key, loaded once more, so every process sees a change on its
next save, on any machine.

The objects kept are detached and shared by every request of the process: they are read,
never changed, and never attached to a session (SharedRowAttached says so loudly should a
path ever try). Each is loaded whole (the clinic without its logo, which client pages read
alone), so reading one never needs a session.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, String, bindparam, event, literal_column, select
from sqlalchemy.orm import Session, defer

from .models import Clinic, QuestionnaireVersion

T = TypeVar("T", Clinic, QuestionnaireVersion)

# Rows kept per process, by kind; past that the oldest kept goes (a miss costs one query).
# A clinic is a few KB; a version holds its YAML source (tens of KB), and a process keeps
# 64 parsed definitions (catalogue).
MOST_CLINICS = 1024
MOST_VERSIONS = 128


class SharedRowAttached(RuntimeError):
    """A shared clinic or version was about to join a session, whose commit would expire
    it (or whose flush would write it) for every request of the process."""


# Every shared object, for the guard below (weak: one dropped from its cache may go).
_shared: weakref.WeakSet[Any] = weakref.WeakSet()


@event.listens_for(Session, "before_attach")
def _never_attached(_session: Session, instance: Any) -> None:
    if instance in _shared:
        raise SharedRowAttached(f"{type(instance).__name__} {instance.id} is shared")


class _Kept(Generic[T]):
    """One kind of row kept by (id, row version)."""

    def __init__(self, model: type[T], most: int, *options: Any) -> None:
        self._most = most
        self._rows: dict[tuple[int, str], T] = {}
        self._filling = threading.Lock()
        table = model.__table__
        self._statement: Select[T, str] = (
            select(model, literal_column(f"{table.name}.xmin::text", String))
            .where(table.c.id == bindparam("id"))
            .options(*options)
        )

    def get(self, session: Session, row_id: int, row_version: str) -> T:
        """The row at this version: kept, else read (on the session's connection) and kept."""
        found = self._rows.get((row_id, row_version))
        return found if found is not None else self._load(session, row_id)

    def _load(self, session: Session, row_id: int) -> T:
        # A session of its own on the request's connection (the same snapshot or, in
        # autocommit, the latest row): the request's session may already hold this row,
        # and its objects stay its own. Closing it detaches what it loaded.
        with Session(bind=session.connection()) as own:
            found, row_version = own.execute(self._statement, {"id": row_id}).one()
        _shared.add(found)
        with self._filling:
            while len(self._rows) >= self._most:
                del self._rows[next(iter(self._rows))]
            self._rows[row_id, row_version] = found
        return found


_clinics = _Kept(Clinic, MOST_CLINICS, defer(Clinic.logo))
_versions = _Kept(QuestionnaireVersion, MOST_VERSIONS)


def clinic(session: Session, clinic_id: int, row_version: str) -> Clinic:
    """The clinic at this row version (all but its logo), shared by the process."""
    return _clinics.get(session, clinic_id, row_version)


def version(session: Session, version_id: int, row_version: str) -> QuestionnaireVersion:
    """The questionnaire version at this row version, shared by the process."""
    return _versions.get(session, version_id, row_version)
