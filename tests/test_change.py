"""Change over time, pure: reliable change (Jacobson & Truax), cut-off crossing, chart points.

Every expected value is worked by hand in the comment beside it.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from pydantic import ValidationError

from intake.change import Criterion, chart, crossing, reliable_change
from intake.questionnaire import load_file
from intake.questionnaire.model import ReliableChange

# Reads and writes no database: run once, in the SQLite pass (tests/conftest.py).
pytestmark = pytest.mark.no_database

FORMS = Path(__file__).resolve().parents[1] / "forms"

# PHQ-9 as declared in forms/phq9.yaml: SD 3.5, reliability 0.89.
# S_diff = sqrt(2) * 3.5 * sqrt(0.11) = 1.41421 * 3.5 * 0.33166 = 1.64165.
PHQ9 = Criterion(sd=3.5, reliability=0.89)
GAD7 = Criterion(points=6)


def test_s_diff_by_hand() -> None:
    assert PHQ9.s_diff == pytest.approx(1.64165, abs=1e-5)
    # 1.96 * 1.64165 = 3.21763: a change must exceed this many points.
    assert PHQ9.threshold == pytest.approx(3.21763, abs=1e-5)
    assert GAD7.s_diff is None and GAD7.threshold == 6


@pytest.mark.parametrize(
    ("first", "last", "rci", "reliable"),
    [
        (14, 6, -4.87, True),  # -8 / 1.64165 = -4.873
        (6, 14, 4.87, True),
        (14, 10, -2.44, True),  # -4 / 1.64165 = -2.437
        (14, 11, -1.83, False),  # -3 / 1.64165 = -1.827: within measurement error
        (10, 10, 0.0, False),
        (0, 27, 16.45, True),  # 27 / 1.64165 = 16.447
    ],
)
def test_rci_from_sd_and_reliability(first: int, last: int, rci: float, reliable: bool) -> None:
    change = reliable_change(first, last, PHQ9)
    assert change.difference == last - first
    assert change.rci == rci
    assert change.reliable is reliable


@pytest.mark.parametrize(
    ("first", "last", "reliable"),
    [(15, 9, True), (15, 10, False), (4, 10, True), (4, 9, False), (0, 0, False)],
)
def test_points_criterion(first: int, last: int, reliable: bool) -> None:
    change = reliable_change(first, last, GAD7)
    assert change.rci is None
    assert change.reliable is reliable


def test_rci_exactly_at_the_criterion_is_not_reliable() -> None:
    # S_diff = sqrt(2) * 1 * sqrt(1 - 0.5) = 1: a change of 1.96 gives RCI 1.96, not above it.
    criterion = Criterion(sd=1, reliability=0.5)
    assert criterion.s_diff == pytest.approx(1.0)
    assert not reliable_change(0, 1.96, criterion).reliable
    assert reliable_change(0, 1.97, criterion).reliable


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (14, 6, "above_to_below"),
        (9, 10, "below_to_above"),  # 10 is at the cut-off: "10 or more"
        (10, 9, "above_to_below"),
        (10, 27, None),
        (0, 9, None),
        (10, 10, None),
    ],
)
def test_crossing_the_cutoff(first: int, last: int, expected: str | None) -> None:
    assert crossing(first, last, 10) == expected


def test_chart_points_by_hand() -> None:
    # Box 320 x 130; plot x from 30 to 306, y from 12 (top) to 102 (bottom).
    # Three points: x = 30, 168, 306. Scale 0-27: y = 102 - v / 27 * 90.
    c = chart([("1 Oct", 14), ("1 Nov", None), ("1 Dec", 6)], 0, 27, cutoff=10)
    assert [p.x for p in c.points] == [30, 168, 306]
    # 14: 102 - 46.667 = 55.3; 6: 102 - 20 = 82.0; the cut-off 10: 102 - 33.333 = 68.7.
    assert [p.y for p in c.points] == [55.3, None, 82.0]
    assert c.cutoff_y == 68.7
    assert c.polyline == "30,55.3 306,82"  # the unscored point is left out of the line
    assert (c.left, c.right, c.top, c.bottom) == (30, 306, 12, 102)


def test_chart_one_point_sits_in_the_middle_and_values_are_clamped() -> None:
    c = chart([("today", 100)], 0, 100)
    assert c.points[0].x == 168 and c.points[0].y == 12
    assert chart([("a", 0), ("b", 50)], 0, 100).points[1].y == 57  # 102 - 45
    # Out of range (a hand-made record) stays inside the box.
    assert chart([("a", -5), ("b", 140)], 0, 100).polyline == "30,102 306,12"
    # A cut-off outside the scale is not drawn.
    assert chart([("a", 1)], 0, 10, cutoff=11).cutoff_y is None


def test_reliable_change_is_declared_one_way() -> None:
    with pytest.raises(ValidationError):
        ReliableChange(sd=3.5)
    with pytest.raises(ValidationError):
        ReliableChange(sd=3.5, reliability=0.89, points=6)
    with pytest.raises(ValidationError):
        ReliableChange()
    assert ReliableChange(points=6).points == 6


def test_the_built_in_instruments_declare_cutoff_and_reliable_change() -> None:
    found = {n: load_file(FORMS / f"{n}.yaml") for n in ("phq9", "gad7", "readiness")}
    phq9 = found["phq9"].dimensions[0]
    gad7 = found["gad7"].dimensions[0]
    assert phq9.cutoff == 10 and gad7.cutoff == 10
    assert phq9.reliable_change is not None and phq9.reliable_change.sd == 3.5
    assert math.isclose(phq9.reliable_change.reliability or 0, 0.89)
    assert gad7.reliable_change is not None and gad7.reliable_change.points == 6
    # Readiness dimensions make no reliable-change claim.
    assert all(d.reliable_change is None for d in found["readiness"].dimensions)
