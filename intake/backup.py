"""Backups: the whole database to one file, and back into an empty database.

PostgreSQL goes through its own tools, pg_dump (custom format: compressed, consistent while
the service runs) and pg_restore (one transaction, stops at the first error); SQLite through
its online backup API. Both sides then count what they hold and check every stored PDF against
its SHA-256, so a restore that lost or damaged anything says so.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, inspect, select
from sqlalchemy.engine import URL, make_url

from .db import db
from .models import BriefPdf, Clinic, Intake

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
TIMEOUT_S = 3600


class BackupError(RuntimeError):
    """A backup or restore could not be done; the message says why and what to do."""


@dataclass(frozen=True)
class Inventory:
    """What a database holds, as a backup or restore reports it."""

    clinics: int
    intakes: int
    answered: int
    pdfs: int
    damaged_pdfs: int

    def __str__(self) -> str:
        text = (
            f"{self.clinics} clinic(s), {self.intakes} intake(s) ({self.answered} with answers),"
            f" {self.pdfs} stored PDF(s)"
        )
        return text + (f", {self.damaged_pdfs} DAMAGED" if self.damaged_pdfs else "")


def inventory() -> Inventory:
    """Count what the configured database holds and check every stored PDF's hash."""
    damaged = 0
    pdfs = 0
    query = select(BriefPdf.pdf, BriefPdf.sha256).where(BriefPdf.pdf.is_not(None))
    for pdf, digest in db.session.execute(query.execution_options(yield_per=50)):
        pdfs += 1
        damaged += hashlib.sha256(pdf or b"").hexdigest() != digest
    answered = select(func.count()).select_from(Intake).where(Intake.started_at.is_not(None))
    return Inventory(
        clinics=db.session.scalar(select(func.count()).select_from(Clinic)) or 0,
        intakes=db.session.scalar(select(func.count()).select_from(Intake)) or 0,
        answered=db.session.scalar(answered) or 0,
        pdfs=pdfs,
        damaged_pdfs=damaged,
    )


def backup(url: str | URL, output: Path) -> None:
    """Write the whole database to output (a pg_dump archive, or a SQLite file)."""
    parsed = make_url(url)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    if parsed.get_backend_name() == "sqlite":
        _sqlite_copy(_sqlite_path(parsed), partial)
    elif parsed.get_backend_name() == "postgresql":
        _run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                "--file",
                str(partial),
                "--dbname",
                _libpq(parsed),
            ],
            parsed,
        )
    else:
        raise BackupError(f"no backup for {parsed.get_backend_name()} databases")
    partial.replace(output)
    os.chmod(output, 0o600)  # the whole clinic's records: readable by this user only


def restore(url: str | URL, source: Path) -> None:
    """Load a backup into the database url names, which must be empty."""
    parsed = make_url(url)
    head = source.read_bytes()[:16] if source.is_file() else b""
    if not head:
        raise BackupError(f"{source}: no such backup file")
    if inspect(db.engine).get_table_names():
        raise BackupError(
            "the database to restore into already has tables: restore into a new, empty"
            " database (createdb NAME), then point INTAKE_DATABASE_URL at it"
        )
    backend = parsed.get_backend_name()
    if backend == "sqlite" and head.startswith(SQLITE_MAGIC):
        db.engine.dispose()
        _sqlite_copy(source, _sqlite_path(parsed))
    elif backend == "postgresql" and head.startswith(PG_DUMP_MAGIC):
        db.engine.dispose()
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                "--dbname",
                _libpq(parsed),
                str(source),
            ],
            parsed,
        )
    else:
        kind = (
            "a SQLite file"
            if head.startswith(SQLITE_MAGIC)
            else ("a pg_dump archive" if head.startswith(PG_DUMP_MAGIC) else "not a backup")
        )
        raise BackupError(f"{source} is {kind}; it cannot be restored into a {backend} database")


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return Path(url.database)


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy even while the app writes (WAL)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def _libpq(url: URL) -> str:
    """The URL as libpq reads it, without the password (that goes in PGPASSWORD)."""
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False)


def _run(args: list[str], url: URL) -> None:
    tool = args[0]
    if shutil.which(tool) is None:
        raise BackupError(
            f"{tool} is not installed: install PostgreSQL's client tools (Debian:"
            " postgresql-client, of the server's major version or newer)"
        )
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
    if done.returncode != 0:
        raise BackupError(f"{tool} failed: {done.stderr.strip() or done.stdout.strip()}")
