"""Run a definition's worked examples and report where scoring disagrees with them."""

from __future__ import annotations

from collections.abc import Iterator

from ..scoring import score
from .model import Definition

# Expected scores are written to two decimals.
TOLERANCE = 0.005


def check_examples(definition: Definition) -> Iterator[str]:
    """One message per expectation an example does not meet."""
    for example in definition.examples:
        result = score(definition, example.answers)
        got = {d.id: d for d in result.dimensions}
        exp = example.expect
        name = example.name
        for dim_id, want in exp.scores.items():
            actual = got[dim_id].score
            if want == "not_scored":
                if actual is not None:
                    yield f"{name}: {dim_id} expected not scored, got {actual:.2f}"
            elif actual is None:
                yield f"{name}: {dim_id} expected {want:.2f}, got not scored"
            elif abs(actual - want) > TOLERANCE:
                yield f"{name}: {dim_id} expected {want:.2f}, got {actual:.2f}"
        for dim_id, band in exp.bands.items():
            if got[dim_id].band != band:
                yield f"{name}: {dim_id} expected band {band}, got {got[dim_id].band}"
        if exp.prorated is not None:
            actual_p = sorted(d.id for d in result.dimensions if d.status == "prorated")
            if actual_p != sorted(exp.prorated):
                yield f"{name}: prorated expected {sorted(exp.prorated)}, got {actual_p}"
        for index_id, want_i in exp.indices.items():
            value = result.indices.get(index_id)
            if value is None or abs(value - want_i) > TOLERANCE:
                shown = "none" if value is None else f"{value:.2f}"
                yield f"{name}: index {index_id} expected {want_i:.2f}, got {shown}"
        if exp.flags is not None and sorted(result.flags) != sorted(exp.flags):
            yield f"{name}: flags expected {sorted(exp.flags)}, got {sorted(result.flags)}"
        if exp.urgent is not None and result.urgent != exp.urgent:
            yield f"{name}: urgent expected {exp.urgent}, got {result.urgent}"
