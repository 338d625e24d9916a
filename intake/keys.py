"""Key rotation: every encrypted column re-encrypted with the first key, and the name-search
index rebuilt under the first search key, in batches.

Resumable: a value already under the first key (an intake whose index rows are already the
first search key's) is left alone and each batch is committed on its own, so an interrupted
run is simply run again. Reads use the raw stored form (the column types are bypassed), so
nothing is decrypted twice or encrypted twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy import (
    Column,
    LargeBinary,
    Table,
    Text,
    delete,
    insert,
    select,
    type_coerce,
    update,
)

from . import crypto, lifecycle
from .db import db
from .models import Intake, IntakeNameWord

BATCH = 200


@dataclass
class Counts:
    """What a rotation did to one column: values read, re-encrypted, already current."""

    column: str
    read: int = 0
    rotated: int = 0
    current: int = 0


def encrypted_columns() -> Iterator[tuple[Table, Column[object]]]:
    """Every column of every table whose type is one of intake.crypto's encrypted types."""
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, crypto.ENCRYPTED_TYPES):
                yield table, column


def rotate(batch: int = BATCH, progress: Callable[[Counts], None] | None = None) -> list[Counts]:
    """Re-encrypt every encrypted value not yet under the first key; returns counts per column."""
    ring = crypto.keyring()
    out = []
    for table, column in encrypted_columns():
        out.append(_rotate_column(ring, table, column, batch, progress))
    return out


def _rotate_column(
    ring: crypto.Keyring,
    table: Table,
    column: Column[object],
    batch: int,
    progress: Callable[[Counts], None] | None,
) -> Counts:
    """One column, in batches by primary key, each batch committed on its own."""
    binary = isinstance(column.type, crypto.EncryptedBytes)
    raw_type = LargeBinary() if binary else Text()
    context = column.type.context  # type: ignore[attr-defined]
    (key,) = table.primary_key.columns
    raw = type_coerce(column, raw_type)
    counts = Counts(f"{table.name}.{column.name}")
    last = None
    while True:
        query = select(key, raw).where(column.is_not(None)).order_by(key).limit(batch)
        if last is not None:
            query = query.where(key > last)
        rows = db.session.execute(query).all()
        if not rows:
            break
        for ident, stored in rows:
            counts.read += 1
            kid = crypto.bytes_kid(bytes(stored)) if binary else crypto.text_kid(stored)
            if kid == ring.current:
                counts.current += 1
                continue
            if binary:
                fresh: object = ring.encrypt_bytes(
                    ring.decrypt_bytes(bytes(stored), context), context
                )
            else:
                fresh = ring.encrypt_text(ring.decrypt_text(stored, context), context)
            db.session.execute(
                update(table)
                .where(key == ident)
                .values({column.name: type_coerce(fresh, raw_type)})
            )
            counts.rotated += 1
        db.session.commit()
        last = rows[-1][0]
        if progress is not None:
            progress(counts)
    return counts


def rotate_search(batch: int = BATCH, progress: Callable[[Counts], None] | None = None) -> Counts:
    """Rebuild every intake's name-search rows under the first search key, from the decrypted
    name; returns intakes read, rebuilt and already current (counts only: never a name)."""
    counts = Counts(IntakeNameWord.__tablename__)
    last = 0
    while True:
        # Locked, so a name changed meanwhile is indexed by its own change, not overwritten
        # here with the name read before it.
        rows = db.session.execute(
            select(Intake.id, Intake.clinic_id, Intake.client_name)
            .where(Intake.id > last)
            .order_by(Intake.id)
            .limit(batch)
            .with_for_update()
        ).all()
        if not rows:
            break
        stored: dict[int, set[str]] = {ident: set() for ident, _, _ in rows}
        for ident, word in db.session.execute(
            select(IntakeNameWord.intake_id, IntakeNameWord.word).where(
                IntakeNameWord.intake_id.in_(stored)
            )
        ):
            stored[ident].add(word)
        stale: list[int] = []
        fresh: list[dict[str, object]] = []
        for ident, clinic_id, name in rows:
            counts.read += 1
            # An erased intake's name is empty: no rows, as erasure left it.
            wanted = lifecycle.name_index(clinic_id, name or "")
            if stored[ident] == set(wanted):
                counts.current += 1
                continue
            stale.append(ident)
            fresh.extend({"intake_id": ident, "clinic_id": clinic_id, "word": w} for w in wanted)
        if stale:
            db.session.execute(
                delete(IntakeNameWord)
                .where(IntakeNameWord.intake_id.in_(stale))
                .execution_options(synchronize_session=False)
            )
        if fresh:
            db.session.execute(insert(IntakeNameWord), fresh)
        counts.rotated += len(stale)
        db.session.commit()
        last = rows[-1][0]
        if progress is not None:
            progress(counts)
    return counts
