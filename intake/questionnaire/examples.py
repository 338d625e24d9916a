"""Run a definition's worked examples: each expected figure beside what scoring gives.

The one checker: `forms check`, the editor's "Run examples" and Publish all call it, so
they can never disagree about whether an example holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..scoring import score
from .model import Definition, Example

# Expected scores are written to two decimals.
TOLERANCE = 0.005


@dataclass(frozen=True)
class ExampleRow:
    """One expected figure of a worked example next to what scoring gives."""

    example: str
    kind: str  # score, band, prorated, index, flags, urgent or safety_unanswered
    subject: str  # the dimension or index it is about, when it is about one
    want: Any
    got: Any
    ok: bool

    @property
    def what(self) -> str:
        """The figure's name in the editor's table: 'agency', 'agency band', 'index gap'."""
        if self.kind == "score":
            return self.subject
        if self.kind == "band":
            return f"{self.subject} band"
        if self.kind == "index":
            return f"index {self.subject}"
        return self.kind

    @property
    def expected(self) -> str:
        """The expected figure as the editor's table shows it."""
        return _shown(self.want)

    @property
    def actual(self) -> str:
        """The actual figure as the editor's table shows it."""
        return _shown(self.got)

    def message(self) -> str:
        """The row as one line of `forms check`: example, figure, expected and actual."""
        if self.kind == "band":  # "agency expected band strong, got building"
            said = f"{self.subject} expected band {self.want}"
        else:
            said = f"{self.what} expected {_plain(self.want)}"
        return f"{self.example}: {said}, got {_plain(self.got)}"


def example_rows(definition: Definition) -> list[ExampleRow]:
    """Every expectation of every example, in the order written, met or not."""
    return [row for example in definition.examples for row in _rows(definition, example)]


def check_examples(definition: Definition) -> Iterator[str]:
    """One message per expectation an example does not meet."""
    return (row.message() for row in example_rows(definition) if not row.ok)


def _rows(definition: Definition, example: Example) -> Iterator[ExampleRow]:
    result = score(definition, example.answers)
    exp, name = example.expect, example.name
    dims = {d.id: d for d in result.dimensions}
    totals = {d.id for d in definition.dimensions if d.is_sum}
    for dim_id, want in exp.scores.items():
        got = dims[dim_id].score if dim_id in dims else None
        wanted = None if want == "not_scored" else float(want)
        ok = got is None if wanted is None else _close(got, wanted)
        places = 0 if dim_id in totals else 2  # a total is a whole number on its own scale
        yield ExampleRow(
            name, "score", dim_id, _Number(wanted, places=places), _Number(got, places=places), ok
        )
    for dim_id, band in exp.bands.items():
        got_band = dims[dim_id].band if dim_id in dims else None
        yield ExampleRow(name, "band", dim_id, band, str(got_band), got_band == band)
    if exp.prorated is not None:
        want_p = sorted(exp.prorated)
        got_p = sorted(d.id for d in result.dimensions if d.status == "prorated")
        yield ExampleRow(name, "prorated", "", want_p, got_p, want_p == got_p)
    for index_id, want_i in exp.indices.items():
        value = result.indices.get(index_id)
        yield ExampleRow(
            name,
            "index",
            index_id,
            _Number(want_i),
            _Number(value, "none"),
            _close(value, want_i),
        )
    if exp.flags is not None:
        want_f, got_f = sorted(exp.flags), sorted(result.flags)
        yield ExampleRow(name, "flags", "", want_f, got_f, want_f == got_f)
    if exp.urgent is not None:
        ok = exp.urgent == result.urgent
        yield ExampleRow(name, "urgent", "", exp.urgent, result.urgent, ok)
    if exp.safety_unanswered is not None:
        got_blank = result.safety_unanswered
        ok = exp.safety_unanswered == got_blank
        yield ExampleRow(name, "safety_unanswered", "", exp.safety_unanswered, got_blank, ok)


@dataclass(frozen=True)
class _Number:
    """A score or index to two decimals (a total: a whole number), or the word for none."""

    value: float | None
    blank: str = "not scored"
    places: int = 2

    def __str__(self) -> str:
        if self.value is None:
            return self.blank
        if self.places == 0 and self.value == int(self.value):
            return str(int(self.value))
        return f"{self.value:.{max(self.places, 2)}f}"


def _close(value: float | None, want: float) -> bool:
    return value is not None and abs(value - want) <= TOLERANCE


def _shown(value: Any) -> str:
    """For people: a list as 'a, b' or 'none'."""
    if isinstance(value, list):
        return ", ".join(value) or "none"
    return str(value)


def _plain(value: Any) -> str:
    """For the command line, as it always printed: lists as written in Python."""
    return repr(value) if isinstance(value, list) else str(value)
