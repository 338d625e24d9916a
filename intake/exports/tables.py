"""A clinic's submitted intakes as CSV (one row per intake) and its data dictionary.

Columns: the intake's id, status in the words staff pages use, language, the questionnaires
and versions answered, then per questionnaire each question and each score, named
`<questionnaire>__<item>`. The dictionary (like REDCap's) gives each column's label, type,
choices with their codes and weights, and the versions it comes from. Free text is left out
unless asked for. A cell that a spreadsheet would run as a formula is neutralised.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..catalogue import definition_of
from ..db import db
from ..models import Intake, QuestionnaireVersion
from ..questionnaire.model import DECLINED, TEXT_TYPES, Definition, Dimension, Item, ItemType
from . import Part, parts_of, submitted_between, versions_in

# What a cell holds for a question the client chose not to answer (FHIR's data-absent code).
DECLINED_CELL = "asked-declined"
# A spreadsheet runs a cell starting with these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Excel reads UTF-8 (accents, Spanish answers) only when the file says so.
BOM = "\ufeff"
ROWS_PER_CHUNK = 200
DICTIONARY_COLUMNS = (
    "variable",
    "form",
    "versions",
    "field_type",
    "label",
    "choices",
    "codes",
    "weights",
    "item_codes",
    "note",
)

Cell = Callable[[Intake, dict[str, Part]], Any]


@dataclass
class Column:
    """One CSV column and its data dictionary entry."""

    variable: str
    form: str
    field_type: str
    label: str
    cell: Cell
    versions: list[int] = field(default_factory=list)
    choices: str = ""
    codes: str = ""
    weights: str = ""
    item_codes: str = ""
    note: str = ""

    def row(self) -> list[str]:
        """The dictionary's row for this column."""
        versions = ", ".join(str(v) for v in self.versions)
        return [self.variable, self.form, versions, self.field_type, self.label, self.choices,
                self.codes, self.weights, self.item_codes, self.note]  # fmt: skip


def neutralise(value: Any) -> Any:
    """A cell as written: text that starts like a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _fixed() -> list[Column]:
    def parts_text(intake: Intake, parts: dict[str, Part]) -> str:
        return " ".join(f"{p.version.key}:{p.version.version}" for p in parts.values())

    def when(value: Any) -> str:
        return value.replace(microsecond=0).isoformat() + "Z" if value else ""

    return [
        Column("intake_id", "", "integer", "Intake id", lambda i, p: i.id),
        Column("status", "", "text", "Status, as staff pages say it",
               lambda i, p: i.progress.label),
        Column("language", "", "text", "Language the client answered in",
               lambda i, p: i.language),
        Column("questionnaires", "", "text", "Questionnaires answered, as id:version",
               parts_text),
        Column("invited_at", "", "datetime", "Invited (UTC)", lambda i, p: when(i.created_at)),
        Column("submitted_at", "", "datetime", "Sent by the client (UTC)",
               lambda i, p: when(i.submitted_at)),
        Column("urgent", "", "yesno", "Flagged urgent (safety answer)",
               lambda i, p: "yes" if i.urgent else "no", choices="yes, Yes | no, No"),
    ]  # fmt: skip


def columns(versions: Iterable[QuestionnaireVersion], include_text: bool) -> list[Column]:
    """Every column for intakes that answered these versions, in a stable order."""
    out = _fixed()
    by_key: dict[str, list[QuestionnaireVersion]] = {}
    for version in versions:
        by_key.setdefault(version.key, []).append(version)
    for key, found in by_key.items():
        found.sort(key=lambda v: v.version)
        out.append(
            Column(f"{key}__version", key, "integer", f"{key}: version answered",
                   _version_cell(key), versions=[v.version for v in found])
        )  # fmt: skip
        planned: dict[str, Column] = {}
        for version in found:
            for column in _columns_of(key, definition_of(version), include_text):
                kept = planned.setdefault(column.variable, column)
                kept.versions.append(version.version)
                if kept is not column:  # the newest version words the label
                    kept.label, kept.choices = column.label, column.choices
                    kept.codes, kept.weights = column.codes, column.weights
        out.extend(planned.values())
    return out


def _version_cell(key: str) -> Cell:
    return lambda i, parts: parts[key].version.version if key in parts else ""


def _columns_of(key: str, d: Definition, include_text: bool) -> Iterator[Column]:
    for item in d.items():
        if item.type in TEXT_TYPES and not include_text:
            continue
        yield from _item_columns(key, d, item)
    for measure in d.dimensions:
        yield from _measure_columns(key, d, measure)


def _name(*parts: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "_", "__".join(parts).lower())


def _item_columns(key: str, d: Definition, item: Item) -> Iterator[Column]:
    label = str(item.prompt)
    item_codes = " | ".join(f"{c.system}|{c.code}" for c in item.codes)
    if item.type is ItemType.MULTIPLE_CHOICE:
        for option in item.options or ():
            yield Column(
                _name(key, item.id) + "___" + _name(str(option.value)),
                key,
                "checkbox",
                f"{label}: {option.label}",
                _ticked(key, item.id, option.value),
                choices="1, Ticked | 0, Not ticked",
                codes=_code_of(option.value, option.code),
                item_codes=item_codes,
                note=f"One column per option of {item.id}; {DECLINED_CELL} when declined.",
            )
        return
    kinds = {ItemType.SINGLE_CHOICE: "radio", ItemType.AGREEMENT: "radio",
             ItemType.RULER: "slider", ItemType.YES_NO: "yesno", ItemType.DATE: "date_ymd",
             ItemType.CONSENT: "yesno", ItemType.SHORT_TEXT: "text",
             ItemType.LONG_TEXT: "notes"}  # fmt: skip
    choices = codes = weights = note = ""
    if item.options:
        choices = " | ".join(f"{o.value}, {o.label}" for o in item.options)
        codes = " | ".join(_code_of(o.value, o.code) for o in item.options if o.code)
        weights = " | ".join(f"{o.value} = {o.score:g}" for o in item.options
                             if o.score is not None)  # fmt: skip
    elif item.type is ItemType.AGREEMENT:
        low, _ = d.scale_for(item)
        labels = d.scale_labels(item)
        choices = " | ".join(f"{int(low) + n}, {text}" for n, text in enumerate(labels))
        weights = " | ".join(f"{int(low) + n} = {int(low) + n}" for n in range(len(labels)))
    elif item.type is ItemType.RULER:
        note = f"0 ({item.low_label or 'lowest'}) to 10 ({item.high_label or 'highest'})."
    elif item.type is ItemType.YES_NO:
        choices = "yes, Yes | no, No"
    elif item.type is ItemType.CONSENT:
        choices = "1, Agreed"
    if item.decline:
        note = (note + f" {DECLINED_CELL}: preferred not to answer.").strip()
    yield Column(_name(key, item.id), key, kinds[item.type], label, _answer(key, item.id),
                 choices=choices, codes=codes, weights=weights, item_codes=item_codes,
                 note=note)  # fmt: skip


def _code_of(value: Any, code: Any) -> str:
    return f"{value} = {code.system}|{code.code}" if code else ""


def _answer(key: str, item_id: str) -> Cell:
    def cell(intake: Intake, parts: dict[str, Part]) -> Any:
        part = parts.get(key)
        value = part.answers.get(item_id) if part else None
        if value == DECLINED:
            return DECLINED_CELL
        if value is True:
            return 1
        return "" if value is None else value

    return cell


def _ticked(key: str, item_id: str, option: Any) -> Cell:
    def cell(intake: Intake, parts: dict[str, Part]) -> Any:
        part = parts.get(key)
        value = part.answers.get(item_id) if part else None
        if value == DECLINED:
            return DECLINED_CELL
        if not isinstance(value, list):
            return ""
        return 1 if option in value else 0

    return cell


def _measure_columns(key: str, d: Definition, measure: Dimension) -> Iterator[Column]:
    low, high = d.range_of(measure)
    method = (
        f"sum of the answers' weights, {low:g}-{high:g}"
        if measure.is_sum
        else "0-100 profile dimension (mean of the answers, rescaled); not a validated instrument"
    )
    codes = " | ".join(f"{c.system}|{c.code}" for c in measure.codes)
    bands = d.bands_for(measure)
    yield Column(_name(key, measure.id), key, "calc", measure.label, _score(key, measure.id),
                 item_codes=codes, note=f"{method}. Blank when not scored.")  # fmt: skip
    yield Column(
        _name(key, measure.id) + "__band", key, "text", f"{measure.label}: band",
        _scored(key, measure.id, "band"),
        choices=" | ".join(f"{b.id}, {b.label} ({b.min:g}-{b.max:g})" for b in bands),
    )  # fmt: skip
    yield Column(
        _name(key, measure.id) + "__status", key, "text", f"{measure.label}: how it was scored",
        _scored(key, measure.id, "status"),
        choices="scored, Scored | prorated, Prorated (answers missing) | not_scored, Not scored",
    )  # fmt: skip


def _score(key: str, measure_id: str) -> Cell:
    return _scored(key, measure_id, "score")


def _scored(key: str, measure_id: str, attribute: str) -> Cell:
    def cell(intake: Intake, parts: dict[str, Part]) -> Any:
        part = parts.get(key)
        found = (
            next((s for s in part.result.dimensions if s.id == measure_id), None) if part else None
        )
        value = getattr(found, attribute) if found else None
        return "" if value is None else value

    return cell


def _lines(rows: Iterable[list[Any]]) -> Iterator[str]:
    """CSV text, a chunk at a time, every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    count = 0
    for row in rows:
        writer.writerow([neutralise(c) for c in row])
        count += 1
        if count % ROWS_PER_CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def intakes_csv(
    clinic_id: int, start: date | None, end: date | None, *, include_text: bool
) -> Iterator[str]:
    """The CSV of a clinic's submitted intakes in a date range, written as it is read."""
    query = submitted_between(clinic_id, start, end)
    plan = columns(versions_in(query), include_text)

    def rows() -> Iterator[list[Any]]:
        yield [c.variable for c in plan]
        for intake in db.session.scalars(query.execution_options(yield_per=ROWS_PER_CHUNK)):
            parts = {p.version.key: p for p in parts_of(intake)}
            yield [c.cell(intake, parts) for c in plan]

    yield BOM
    yield from _lines(rows())


def dictionary_csv(
    clinic_id: int, start: date | None, end: date | None, *, include_text: bool
) -> Iterator[str]:
    """The data dictionary of the same export: one row per column."""
    plan = columns(versions_in(submitted_between(clinic_id, start, end)), include_text)
    yield BOM
    yield from _lines([list(DICTIONARY_COLUMNS), *(c.row() for c in plan)])
