"""The stored brief PDF of each intake: the version it must have, and where it stands.

A PDF is stored with its content hash and the version that made it (template files, the
brief code, the renderer, the clinic's branding, and the facts shown that live outside the
answers). A download is served from the store only while that version is current.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

import weasyprint
from sqlalchemy import select

from ..db import db
from ..models import BriefPdf, Intake, PdfState, PdfStatus, utcnow
from .build import branding_of
from .render import TEMPLATES_DIR

# A job queued or running for longer than this is taken as lost (a worker died): staff may retry.
STUCK_AFTER = timedelta(minutes=10)
# Code whose change can change the PDF: the brief, how it is assembled from stored rows, and
# the questionnaire/scoring code that names and explains what the brief shows.
_PACKAGE = Path(__file__).resolve().parents[1]
BRIEF_CODE = tuple(
    sorted(
        [
            *(_PACKAGE / "questionnaire").glob("*.py"),
            _PACKAGE / "brief" / "build.py",
            _PACKAGE / "brief" / "content.py",
            _PACKAGE / "brief" / "render.py",
            _PACKAGE / "scoring.py",
            # The client's history in the brief: trends, reliable change, goals.
            _PACKAGE / "change.py",
            _PACKAGE / "history.py",
        ]
    )
)
# Files in report_templates/ that never reach the brief PDF (the web page, the client's copy).
NOT_IN_PDF = ("screen.css", "print.js", "answers.")


def version_of(intake: Intake, templates: str | None = None) -> str:
    """The version an intake's PDF must have to be current: templates, code, branding, data."""
    digest = hashlib.sha256()
    digest.update((templates or template_version()).encode())
    digest.update(branding_of(intake.clinic).fingerprint().encode())
    # Facts shown in the brief that live outside the immutable answers.
    for part in (intake.client_name, intake.clinic.name, str(intake.urgent), intake.language):
        digest.update(part.encode() + b"\0")
    # The safety procedure and what the client was shown (recorded perhaps after the submit,
    # on the confirmation page) are printed on page 1 of an urgent brief.
    for fact in (intake.clinic.safety_procedure, intake.crisis_shown):
        digest.update(json.dumps(fact, sort_keys=True, default=str).encode() + b"\0")
    return digest.hexdigest()


def template_version() -> str:
    """A hash of every file that makes the PDF, recomputed only when one of them changed."""
    files = [
        p
        for p in sorted(TEMPLATES_DIR.rglob("*"))
        if p.is_file() and not p.name.startswith(NOT_IN_PDF)
    ]
    signature = tuple(
        (str(p), stat.st_size, stat.st_mtime_ns)
        for p in (*files, *BRIEF_CODE)
        for stat in (p.stat(),)
    )
    return _hash_files(signature)


_version_cache: dict[tuple[tuple[str, int, int], ...], str] = {}


def _hash_files(signature: tuple[tuple[str, int, int], ...]) -> str:
    """The content hash of the files named in signature (cached per signature)."""
    if signature not in _version_cache:
        digest = hashlib.sha256(weasyprint.__version__.encode())
        for name, _, _ in signature:
            digest.update(name.encode() + b"\0" + Path(name).read_bytes())
        _version_cache.clear()
        _version_cache[signature] = digest.hexdigest()
    return _version_cache[signature]


def record_of(intake: Intake) -> BriefPdf | None:
    """The store row of an intake, if any job was ever asked for."""
    return db.session.scalar(select(BriefPdf).where(BriefPdf.intake_id == intake.id))


def status(intake: Intake) -> PdfStatus:
    """Where an intake's PDF stands: not submitted, ready, preparing or failed."""
    if not intake.submitted:
        return PdfStatus.NOT_SUBMITTED
    return _status(record_of(intake), version_of(intake))


def statuses(intakes: Iterable[Intake]) -> dict[int, PdfStatus]:
    """status() for many intakes with one query (for lists)."""
    items = list(intakes)
    ids = [i.id for i in items if i.submitted]
    rows = {
        r.intake_id: r
        for r in db.session.scalars(select(BriefPdf).where(BriefPdf.intake_id.in_(ids)))
    }
    templates = template_version()
    return {
        i.id: _status(rows.get(i.id), version_of(i, templates))
        if i.submitted
        else PdfStatus.NOT_SUBMITTED
        for i in items
    }


def _status(row: BriefPdf | None, current: str) -> PdfStatus:
    if row is None:
        return PdfStatus.PREPARING
    if row.state == PdfState.READY and row.version == current:
        return PdfStatus.READY
    if row.state == PdfState.FAILED and row.wanted_version == current:
        return PdfStatus.FAILED
    stuck = utcnow() - row.updated_at > STUCK_AFTER
    if row.state in (PdfState.QUEUED, PdfState.RENDERING) and stuck:
        return PdfStatus.FAILED
    return PdfStatus.PREPARING


def is_current(row: BriefPdf | None, intake: Intake) -> bool:
    """Whether a store row holds the PDF this intake's brief should have now."""
    return row is not None and row.state == PdfState.READY and row.version == version_of(intake)
