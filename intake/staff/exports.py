"""Exports for admins: a date range of submitted intakes as CSV with its data dictionary, or as
a FHIR Bundle; each download is audited and streamed as it is read."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from flask import Response, render_template, request, stream_with_context
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from .. import audit
from ..access import admin_only
from ..exports import fhir, tables
from . import bp
from .forms import ExportForm


def _form() -> ExportForm:
    return ExportForm(request.args, meta={"csrf": False})


@bp.get("/exports")
@admin_only
def exports() -> str:
    """The export page: a date range, free text or not, and the three downloads."""
    return render_template("staff/exports.html", form=_form())


def _download(
    action: str,
    make: Callable[[int, date | None, date | None, ExportForm], Iterator[str]],
    name: str,
    mimetype: str,
) -> BaseResponse | str:
    form = _form()
    if not form.validate():
        return render_template("staff/exports.html", form=form)
    start, end = form.start.data, form.end.data
    detail: dict[str, Any] = {
        "start": start.isoformat() if start else None,
        "end": end.isoformat() if end else None,
    }
    if action != "export.fhir":
        detail["free_text"] = bool(form.text.data)
    audit.record(action, **detail)
    chunks = make(current_user.clinic_id, start, end, form)
    filename = f"{current_user.clinic.slug}-{name}"
    return Response(
        stream_with_context(chunks),
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _csv(action: str, table: Callable[..., Iterator[str]], name: str) -> BaseResponse | str:
    """A CSV download of the selection, with the client's free text only when asked."""
    return _download(
        action,
        lambda c, s, e, f: table(c, s, e, include_text=bool(f.text.data)),
        name,
        "text/csv",
    )


@bp.get("/exports/intakes.csv")
@admin_only
def export_csv() -> BaseResponse | str:
    """The intakes, one row each."""
    return _csv("export.csv", tables.intakes_csv, "intakes.csv")


@bp.get("/exports/dictionary.csv")
@admin_only
def export_dictionary() -> BaseResponse | str:
    """The data dictionary of the same selection."""
    return _csv("export.dictionary", tables.dictionary_csv, "intakes.dictionary.csv")


@bp.get("/exports/bundle.json")
@admin_only
def export_fhir() -> BaseResponse | str:
    """The intakes as one FHIR Bundle."""
    return _download(
        "export.fhir",
        lambda c, s, e, f: fhir.clinic_bundle_json(c, s, e),
        "intakes.fhir.json",
        "application/fhir+json",
    )
