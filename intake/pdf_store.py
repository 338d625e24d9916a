"""The brief PDF store: one row per intake with its latest PDF and the render job's state."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from .db import db
from .models import utcnow


class BriefPdf(db.Model):  # type: ignore[name-defined]
    """An intake's stored brief PDF, the version that made it, and where its render stands."""

    __tablename__ = "brief_pdf"

    id: Mapped[int] = mapped_column(primary_key=True)
    intake_id: Mapped[int] = mapped_column(
        ForeignKey("intake.id", ondelete="CASCADE"), unique=True
    )
    # queued | rendering | ready | failed
    state: Mapped[str] = mapped_column(String(20), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    # The version the latest job was asked for, and the version of the stored PDF: a hash of
    # the template files, the renderer and the clinic's branding (see rendering.version_of).
    wanted_version: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[str | None] = mapped_column(String(64))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None]
    # Deferred: status checks never load the document itself.
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    error: Mapped[str | None] = mapped_column(Text)
    queued_at: Mapped[datetime | None]
    rendered_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
