"""The engine's PHQ-9 and GAD-7 against a plain implementation of the published rules.

Every answer pattern (4^9 for the PHQ-9, 4^7 for the GAD-7), then blanks and declined
answers: one to three items missing in every combination, each with every total the answered
items can reach and a seeded sample of patterns, and everything missing. The reference
below is written from the sources in the README, not from the engine: a total is the sum of
the 0-3 answers; with one or two answers missing it is the mean of the answered items times
the item count, rounded half up; with more missing, or the PHQ-9's item 9 missing, there is
no total; bands are the instrument's.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from intake.questionnaire import DECLINED, Definition, load_file
from intake.scoring import score

# Reads and writes no database: run once, in the SQLite pass (tests/conftest.py).
pytestmark = pytest.mark.no_database

FORMS = Path(__file__).resolve().parents[1] / "forms"

Reference = tuple[int | None, str, str | None]

PHQ9_BANDS = ((0, 4, "none_minimal"), (5, 9, "mild"), (10, 14, "moderate"))
PHQ9_BANDS += ((15, 19, "moderately_severe"), (20, 27, "severe"))
GAD7_BANDS = ((0, 4, "minimal"), (5, 9, "mild"), (10, 14, "moderate"), (15, 21, "severe"))


def reference(
    answers: Sequence[int | None], bands: Sequence[tuple[int, int, str]], keep: int | None
) -> Reference:
    """(total, status, band) by the published rules; keep is the item never filled in."""
    given = [a for a in answers if a is not None]
    blank = len(answers) - len(given)
    if blank > 2 or (keep is not None and answers[keep] is None):
        return None, "not_scored", None
    if blank:
        # Half up in whole numbers: floor(sum * n / k + 1/2) = (2 * sum * n + k) // (2 * k).
        total = (2 * sum(given) * len(answers) + len(given)) // (2 * len(given))
    else:
        total = sum(given)
    band = next(name for low, high, name in bands if low <= total <= high)
    return total, "prorated" if blank else "scored", band


def patterns(items: int) -> Iterator[tuple[int | None, ...]]:
    """Every full pattern, then blanks: each set of 1-3 missing items with every reachable
    sum of the rest and 60 random patterns, and all missing."""
    yield from itertools.product(range(4), repeat=items)
    rng = random.Random(13)
    for size in (1, 2, 3):
        for missing in itertools.combinations(range(items), size):
            answered = items - size
            fills: list[list[int]] = []
            for total in range(3 * answered + 1):
                # The lowest-first pattern that reaches this sum.
                fill, left = [], total
                for _ in range(answered):
                    fill.append(min(3, left))
                    left -= fill[-1]
                fills.append(fill)
            fills += [[rng.randrange(4) for _ in range(answered)] for _ in range(60)]
            for fill in fills:
                values = iter(fill)
                yield tuple(None if n in missing else next(values) for n in range(items))
    yield (None,) * items


def compare(
    definition: Definition, prefix: str, items: int, bands: Any, keep: int | None
) -> tuple[int, list[str]]:
    """Score every pattern both ways; the patterns checked and the first disagreements."""
    ids = [f"{prefix}_{n}" for n in range(1, items + 1)]
    measure_id = definition.dimensions[0].id
    wrong: list[str] = []
    count = 0
    for pattern in patterns(items):
        count += 1
        # Every fifth blank is a "prefer not to answer": it counts as missing all the same.
        answers = {
            i: (DECLINED if count % 5 == 0 else None) if v is None else v
            for i, v in zip(ids, pattern, strict=True)
        }
        answers = {k: v for k, v in answers.items() if v is not None}
        result = score(definition, answers)
        got = result.dimension(measure_id)
        want = reference(pattern, bands, keep)
        urgent = keep is not None and (pattern[keep] or 0) >= 1
        blank_safety = keep is not None and pattern[keep] is None
        if (got.score, got.status, got.band) != want or (
            result.urgent,
            result.safety_unanswered,
        ) != (urgent, blank_safety):
            wrong.append(f"{pattern}: engine {got.score, got.status, got.band}, reference {want}")
            if len(wrong) >= 5:
                break
    return count, wrong


@pytest.mark.parametrize(
    ("form", "items", "bands", "keep"),
    [("phq9", 9, PHQ9_BANDS, 8), ("gad7", 7, GAD7_BANDS, None)],
    ids=["phq9", "gad7"],
)
def test_engine_agrees_with_the_published_rules_on_every_pattern(
    form: str, items: int, bands: Any, keep: int | None
) -> None:
    definition = load_file(FORMS / f"{form}.yaml")
    count, wrong = compare(definition, form, items, bands, keep)
    assert wrong == []
    assert count > 4**items


def test_reference_itself_on_the_rules_quoted_in_the_issue() -> None:
    # 8 answers summing to 20: 22.5, rounded half up to 23 (a 0-100 mean would give 22).
    assert reference([3, 3, 3, 3, None, 2, 2, 2, 2], PHQ9_BANDS, 8) == (23, "prorated", "severe")
    assert reference([3] * 8 + [None], PHQ9_BANDS, 8) == (None, "not_scored", None)
    assert reference([1, None, None, None, 1, 1, 1], GAD7_BANDS, None)[1] == "not_scored"
    assert reference([0, 0, 0, 0, 1, 1, 3], GAD7_BANDS, None) == (5, "scored", "mild")
