"""Key rotation: every encrypted column re-encrypted with the first key, in batches.

Resumable: a value already under the first key is left alone and each batch is committed on
its own, so an interrupted run is simply run again. Reads use the raw stored form (the
column types are bypassed), so nothing is decrypted twice or encrypted twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy import Column, LargeBinary, Table, Text, select, type_coerce, update

from . import crypto
from .db import db

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
