"""Change over time for one client: reliable change, clinical cut-offs, and small trend charts.

Pure: numbers in, numbers out. The Reliable Change Index is Jacobson & Truax's (1991):
RCI = (x2 - x1) / S_diff with S_diff = sqrt(2) * SD * sqrt(1 - r), from the measure's
published standard deviation and reliability; a change is reliable when |RCI| > 1.96 (it
would arise from measurement error alone less than 5% of the time). A measure may declare a
published reliable-change criterion in points instead; a change is then reliable at that
many points or more. The chart geometry is worked out here so the same numbers draw the
staff page and the PDF (inline SVG, no script).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

# |RCI| above this: the change is unlikely (p < .05) to be measurement error alone.
RCI_CRITERION = 1.96

Crossing = Literal["below_to_above", "above_to_below"]


@dataclass(frozen=True)
class Criterion:
    """What makes a change reliable for one measure: published SD and reliability, or points."""

    sd: float | None = None
    reliability: float | None = None
    points: float | None = None

    @property
    def s_diff(self) -> float | None:
        """The standard error of the difference between two scores (None for points)."""
        if self.sd is None or self.reliability is None:
            return None
        return math.sqrt(2) * self.sd * math.sqrt(1 - self.reliability)

    @property
    def threshold(self) -> float:
        """The smallest change, in points, that counts as reliable (strictly above for RCI)."""
        if self.points is not None:
            return self.points
        s_diff = self.s_diff
        assert s_diff is not None, "a criterion has SD and reliability, or points"
        return RCI_CRITERION * s_diff


@dataclass(frozen=True)
class Change:
    """The change from one score to a later one, and whether it is reliable."""

    first: float
    last: float
    difference: float
    rci: float | None  # None when the criterion is given in points
    reliable: bool


def reliable_change(first: float, last: float, criterion: Criterion) -> Change:
    """Compare two scores of one measure against its published criterion."""
    difference = last - first
    s_diff = criterion.s_diff
    if criterion.points is not None or s_diff is None:
        return Change(first, last, difference, None, abs(difference) >= criterion.threshold)
    rci = difference / s_diff
    return Change(first, last, difference, round(rci, 2), abs(rci) > RCI_CRITERION)


def crossing(first: float, last: float, cutoff: float) -> Crossing | None:
    """Whether two scores lie on different sides of a clinical cut-off (at the cut-off counts
    as at or above it, as instruments print 'a score of 10 or more')."""
    before, after = first >= cutoff, last >= cutoff
    if before == after:
        return None
    return "below_to_above" if after else "above_to_below"


# The chart's drawing box (SVG user units): room at the left for the scale's figures, at
# the bottom for the dates.
WIDTH = 320
HEIGHT = 130
LEFT = 30
RIGHT = 14
TOP = 12
BOTTOM = 28


@dataclass(frozen=True)
class Point:
    """One score placed on the chart (value None: not scored then, nothing drawn)."""

    x: float
    y: float | None
    value: float | None
    label: str


@dataclass(frozen=True)
class Chart:
    """Everything a template needs to draw one trend as inline SVG."""

    width: int
    height: int
    left: float
    right: float  # x of the plot's right edge
    top: float
    bottom: float  # y of the plot's bottom edge
    low: float
    high: float
    points: tuple[Point, ...]
    cutoff_y: float | None

    @property
    def polyline(self) -> str:
        """The line through the scored points, as an SVG points attribute."""
        return " ".join(f"{p.x:g},{p.y:g}" for p in self.points if p.y is not None)


def chart(
    values: Sequence[tuple[str, float | None]],
    low: float,
    high: float,
    cutoff: float | None = None,
) -> Chart:
    """Place scores (label, value) left to right, evenly spaced, on a scale from low to high.

    One point sits in the middle; higher scores are higher up. Coordinates are rounded to
    one decimal, so the SVG is small and tests compare exact numbers.
    """
    right, bottom = WIDTH - RIGHT, HEIGHT - BOTTOM
    span = high - low or 1

    def y_of(value: float) -> float:
        clamped = min(max(value, low), high)
        return round(bottom - (clamped - low) / span * (bottom - TOP), 1)

    n = len(values)
    step = (right - LEFT) / (n - 1) if n > 1 else 0
    points = tuple(
        Point(
            x=round(LEFT + i * step if n > 1 else (LEFT + right) / 2, 1),
            y=None if value is None else y_of(value),
            value=value,
            label=label,
        )
        for i, (label, value) in enumerate(values)
    )
    cutoff_y = y_of(cutoff) if cutoff is not None and low <= cutoff <= high else None
    return Chart(WIDTH, HEIGHT, LEFT, right, TOP, bottom, low, high, points, cutoff_y)
