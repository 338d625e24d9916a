"""Clinics and questionnaire versions kept by each process for page saves, by row version.

A page save (lifecycle.by_token's optimistic read, PostgreSQL) reads its intake with the
versions of its clinic's row and its questionnaire version's row, and takes both objects
from here: loading them with the intake was a twentieth of a save's work, for rows that
change seldom or (versions) never. A row changed since is another key, loaded once more, so
every process sees a change on its next save, on any machine.

A row's version is its xmin, the transaction that wrote it, as seen by a read that is a
statement of its own (autocommit: a page save's first read): every committed change to the
row has its own (two changes in one transaction share one, which such a read never sees
half-way). Transaction ids are counted per database server, and a server restored to an
earlier point or a replica promoted in its place counts some again, so the key also holds
when the server that answered was started (read with the versions, so it holds behind
PgBouncer too).

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

# When the server that answers a statement was started (see above).
SERVER_STARTED = "pg_postmaster_start_time()::text"


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
    """One kind of row kept by (server, id, row version)."""

    def __init__(self, model: type[T], most: int, *options: Any) -> None:
        self._most = most
        self._rows: dict[tuple[str, int, str], T] = {}
        self._filling = threading.Lock()
        table = model.__table__
        self._statement: Select[T, str, str] = (
            select(
                model,
                literal_column(SERVER_STARTED, String),
                literal_column(f"{table.name}.xmin::text", String),
            )
            .where(table.c.id == bindparam("id"))
            .options(*options)
        )

    def get(self, session: Session, server: str, row_id: int, row_version: str) -> T | None:
        """The row at this version: kept, else read (on the session's connection) and kept;
        None if it is gone."""
        found = self._rows.get((server, row_id, row_version))
        return found if found is not None else self._load(session, row_id)

    def _load(self, session: Session, row_id: int) -> T | None:
        # A session of its own on the request's connection (the latest row, in autocommit):
        # the request's session may already hold this row, and its objects stay its own.
        # Closing it detaches what it loaded.
        with Session(bind=session.connection()) as own:
            row = own.execute(self._statement, {"id": row_id}).one_or_none()
        if row is None:
            return None
        found, server, row_version = row
        key = (server, row_id, row_version)
        with self._filling:
            # Another thread may have kept it meanwhile: every request shares one object.
            kept = self._rows.get(key)
            if kept is not None:
                return kept
            while len(self._rows) >= self._most:
                del self._rows[next(iter(self._rows))]
            _shared.add(found)
            self._rows[key] = found
        return found


_clinics = _Kept(Clinic, MOST_CLINICS, defer(Clinic.logo))
_versions = _Kept(QuestionnaireVersion, MOST_VERSIONS)


def clinic(session: Session, server: str, clinic_id: int, row_version: str) -> Clinic | None:
    """The clinic at this row version (all but its logo), shared by the process."""
    return _clinics.get(session, server, clinic_id, row_version)


def version(
    session: Session, server: str, version_id: int, row_version: str
) -> QuestionnaireVersion | None:
    """The questionnaire version at this row version, shared by the process."""
    return _versions.get(session, server, version_id, row_version)
