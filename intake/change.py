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
from datetime import date
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


@dataclass(frozen=True)
class Sample:
    """One score of a measure at one intake (None: answered, but not scored)."""

    on: date
    score: float | None


@dataclass(frozen=True)
class MeasureInfo:
    """What a trend needs to know about its measure."""

    id: str
    label: str
    low: float
    high: float
    total: bool  # a total on its own scale (else a 0-100 profile dimension)
    criterion: Criterion | None = None
    cutoff: float | None = None


@dataclass(frozen=True)
class Trend:
    """One measure over a client's intakes: the chart and what can be said about the change."""

    id: str
    label: str
    total: bool
    samples: tuple[Sample, ...]
    chart: Chart
    change: Change | None
    crossed: Crossing | None
    cutoff: float | None
    statement: str


@dataclass(frozen=True)
class GoalTrend:
    """One of the client's own goals, in their words, and its 0-10 ratings over time."""

    text: str
    samples: tuple[Sample, ...]
    chart: Chart
    statement: str


@dataclass(frozen=True)
class EarlierFlag:
    """A pattern raised at an earlier intake: shown as of that intake, never as standing."""

    on: date
    label: str


@dataclass(frozen=True)
class History:
    """A client's measures, goals and earlier patterns across their intakes up to one."""

    intakes: tuple[date, ...]
    trends: tuple[Trend, ...]
    goals: tuple[GoalTrend, ...]
    earlier_flags: tuple[EarlierFlag, ...]

    @property
    def shown(self) -> bool:
        """Whether there is anything to show (a trend, a goal, an earlier pattern)."""
        return bool(self.trends or self.goals or self.earlier_flags)


def day_label(on: date) -> str:
    """A chart's date label, e.g. '3 Oct 2026'."""
    return f"{on.day} {on:%b} {on.year}"


def _figure(value: float, total: bool) -> str:
    return f"{value:g}" if total else f"{value:.1f}"


def trend(info: MeasureInfo, samples: Sequence[Sample]) -> Trend | None:
    """A measure's trend over two or more intakes (None with fewer): the chart, and for a
    total the change from the first score to the latest, whether it is reliable, and whether
    it crossed the cut-off. A profile dimension makes no reliable-change claim."""
    if len(samples) < 2:
        return None
    drawn = chart([(day_label(s.on), s.score) for s in samples], info.low, info.high, info.cutoff)
    scored = [(s.on, s.score) for s in samples if s.score is not None]
    if len(scored) < 2:
        statement = "Fewer than two of these intakes were scored: no change to report."
        return Trend(
            info.id, info.label, info.total, tuple(samples), drawn, None, None, info.cutoff,
            statement,
        )  # fmt: skip
    (first_on, first), (last_on, last) = scored[0], scored[-1]
    statement = _span(info, first_on, first, last_on, last)
    change: Change | None = None
    crossed: Crossing | None = None
    if not info.total:
        statement += (
            " A profile dimension on 0-100 with no published norms: the chart shows the answers"
            " over time, with no claim that the change is reliable."
        )
    elif info.criterion is None:
        statement += " No published reliable-change figures are declared for this measure."
    else:
        change = reliable_change(first, last, info.criterion)
        how = (
            f"RCI {change.rci:+.2f}; beyond ±{RCI_CRITERION} is reliable"
            if change.rci is not None
            else f"the published criterion is {info.criterion.threshold:g} points"
        )
        verdict = "a reliable change" if change.reliable else "within measurement error"
        statement += f" This is {verdict} ({how})."
    if info.total and info.cutoff is not None:
        crossed = crossing(first, last, info.cutoff)
        statement += " " + _cutoff_words(crossed, first, info.cutoff)
    return Trend(
        info.id, info.label, info.total, tuple(samples), drawn, change, crossed, info.cutoff,
        statement,
    )  # fmt: skip


def _span(info: MeasureInfo, first_on: date, first: float, last_on: date, last: float) -> str:
    """'From 14 (3 Oct 2026) to 6 (27 Nov 2026): down 8 points.'"""
    difference = last - first
    size = _figure(abs(difference), info.total) + (" points" if info.total else "")
    moved = "no change" if difference == 0 else f"{'up' if difference > 0 else 'down'} {size}"
    return (
        f"From {_figure(first, info.total)} ({day_label(first_on)}) to"
        f" {_figure(last, info.total)} ({day_label(last_on)}): {moved}."
    )


def _cutoff_words(crossed: Crossing | None, first: float, cutoff: float) -> str:
    """Whether the scores crossed the clinical cut-off, in words."""
    if crossed == "above_to_below":
        return f"It crossed the clinical cut-off of {cutoff:g}: from at or above it to below it."
    if crossed == "below_to_above":
        return f"It crossed the clinical cut-off of {cutoff:g}: from below it to at or above it."
    side = "at or above" if first >= cutoff else "below"
    return f"Both scores are {side} the clinical cut-off of {cutoff:g}."


def goal_trend(text: str, samples: Sequence[Sample]) -> GoalTrend:
    """A goal's ratings (0-10) over time, as a chart and a sentence in plain words."""
    drawn = chart([(day_label(s.on), s.score) for s in samples], 0, 10)
    rated = [f"{s.score:g}" for s in samples if s.score is not None]
    if len(rated) == 1:
        statement = f"Rated {rated[0]} of 10 ({day_label(samples[-1].on)})."
    else:
        statement = f"Rated {', then '.join(rated)} (of 10, 10 = goal reached)."
    return GoalTrend(text, tuple(samples), drawn, statement)
