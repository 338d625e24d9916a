"""Score answers against a definition: dimensions, bands, indices, flags and safety.

Pure: no Flask, no database. The result records how each score was reached, so it can be
stored as JSON and the brief rebuilt and explained from stored rows alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

from .questionnaire.conditions import Context, holds, numeric, seen_answers
from .questionnaire.model import Band, Definition, Dimension, Index

Status = Literal["scored", "prorated", "not_scored"]


@dataclass(frozen=True)
class DimensionScore:
    """One dimension's score and how it was reached."""

    id: str
    score: float | None
    band: str | None
    status: Status
    items: tuple[str, ...]
    reversed: tuple[str, ...]
    missing: tuple[str, ...]
    keyed: dict[str, int]


@dataclass(frozen=True)
class Result:
    """Everything scoring found for one set of answers."""

    questionnaire: str
    version: int
    dimensions: tuple[DimensionScore, ...]
    indices: dict[str, float | None]
    flags: tuple[str, ...]
    urgent: bool
    safety_unanswered: bool

    def dimension(self, dim_id: str) -> DimensionScore:
        """The score of one dimension."""
        return next(d for d in self.dimensions if d.id == dim_id)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (the stored form)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Result:
        """Rebuild a result from its stored form."""
        dims = tuple(
            DimensionScore(
                **{
                    **d,
                    "items": tuple(d["items"]),
                    "reversed": tuple(d["reversed"]),
                    "missing": tuple(d["missing"]),
                }
            )
            for d in data["dimensions"]
        )
        return cls(
            questionnaire=data["questionnaire"],
            version=data["version"],
            dimensions=dims,
            indices=dict(data["indices"]),
            flags=tuple(data["flags"]),
            urgent=data["urgent"],
            safety_unanswered=data["safety_unanswered"],
        )


def score(definition: Definition, answers: Mapping[str, Any]) -> Result:
    """Score a set of answers; answers to items the client was not shown are ignored."""
    seen = seen_answers(definition, answers)
    dims = tuple(score_dimension(definition, d, seen) for d in definition.dimensions)
    scores = {d.id: d.score for d in dims}
    indices = {i.id: index_value(i, seen) for i in definition.indices}
    ctx = Context(seen, scores, indices)
    flags = tuple(f.id for f in definition.flags if holds(f.when, ctx))
    urgent, unanswered = safety_status(definition, seen)
    return Result(
        questionnaire=definition.id,
        version=definition.version,
        dimensions=dims,
        indices=indices,
        flags=flags,
        urgent=urgent,
        safety_unanswered=unanswered,
    )


def score_dimension(
    definition: Definition, dim: Dimension, answers: Mapping[str, Any]
) -> DimensionScore:
    """Mean of keyed items rescaled to 0-100; prorated or not scored as the rules say."""
    keyed: dict[str, int] = {}
    fractions: list[float] = []
    missing: list[str] = []
    for item_id in dim.items:
        value = numeric(answers.get(item_id))
        if value is None:
            missing.append(item_id)
            continue
        low, high = definition.scale_for(definition.item(item_id))
        k = (low + high) - value if item_id in dim.reverse else value
        keyed[item_id] = int(k)
        fractions.append((k - low) / (high - low))
    enough = len(missing) <= dim.max_missing and len(fractions) >= dim.min_answered
    value_ = round(sum(fractions) / len(fractions) * 100, 6) if enough else None
    status: Status = "not_scored" if not enough else ("prorated" if missing else "scored")
    return DimensionScore(
        id=dim.id,
        score=value_,
        band=band_of(definition.bands_for(dim), value_),
        status=status,
        items=dim.items,
        reversed=dim.reverse,
        missing=tuple(missing),
        keyed=keyed,
    )


def band_of(bands: tuple[Band, ...], value: float | None) -> str | None:
    """The id of the band a score falls in; the top band includes 100."""
    if value is None:
        return None
    for band in bands:
        if band.min <= value < band.max or (band.max == 100 and value == 100):
            return band.id
    return None


def index_value(index: Index, answers: Mapping[str, Any]) -> float | None:
    """Mean of the answered 'plus' items minus mean of the answered 'minus' items.

    None (not computed) unless each side meets the missing-answer rule on its own.
    """
    sides = [side_mean(index, refs, answers) for refs in (index.plus, index.minus)]
    if sides[0] is None or sides[1] is None:
        return None
    return round(sides[0] - sides[1], 6)


def side_mean(index: Index, refs: tuple[str, ...], answers: Mapping[str, Any]) -> float | None:
    """The mean of one side of an index, or None when too few of its items were answered."""
    nums = [n for n in (numeric(answers.get(r)) for r in refs) if n is not None]
    if not nums or not index.side_counts(refs, len(nums)):
        return None
    return sum(nums) / len(nums)


def safety_status(definition: Definition, answers: Mapping[str, Any]) -> tuple[bool, bool]:
    """(urgent, left blank) for the safety item; a blank is never imputed."""
    if definition.safety is None:
        return False, False
    value = answers.get(definition.safety.item)
    number = numeric(value)
    if number is None:
        # Blank, declined, or a value we cannot read as a number: never assume "not at
        # all"; the clinic is asked to contact the client instead.
        return False, True
    return number >= definition.safety.threshold, False


def is_urgent(definition: Definition, answers: Mapping[str, Any]) -> bool:
    """Whether these answers reach the safety threshold (checked as each page is left)."""
    return safety_status(definition, seen_answers(definition, answers))[0]
