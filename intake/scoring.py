"""Score answers against a definition: measures, bands, indices, flags and safety.

A measure is a 0-100 profile dimension ('mean') or a total on the instrument's own scale
('sum'). Pure: no Flask, no database. The result records how each score was reached, so it
can be stored as JSON and the brief rebuilt and explained from stored rows alone.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any, Literal

from .questionnaire.conditions import Context, holds, numeric, seen_answers
from .questionnaire.model import Band, Condition, Definition, Dimension, Index, Rounding

Status = Literal["scored", "prorated", "not_scored"]
# Why a measure was not scored: too many answers missing, or one that is never filled in.
TOO_FEW = "too_few_answers"
NEVER_IMPUTED = "never_imputed_item_missing"


@dataclass(frozen=True)
class DimensionScore:
    """One measure's score and how it was reached.

    Results stored before totals existed lack method, exact and reason: they load with the
    defaults, which describe what those results were (0-100 means, no rounding).
    """

    id: str
    score: float | None
    band: str | None
    status: Status
    items: tuple[str, ...]
    reversed: tuple[str, ...]
    missing: tuple[str, ...]
    keyed: dict[str, float]
    method: str = "mean"
    exact: float | None = None  # a sum's prorated total before rounding
    reason: str | None = None  # why it was not scored: TOO_FEW or NEVER_IMPUTED

    @property
    def used(self) -> tuple[str, ...]:
        """The items whose answers the score uses."""
        return tuple(i for i in self.items if i not in self.missing)


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
    flags = tuple(
        f.id
        for f in definition.flags
        if holds(f.when, ctx) and inputs_scored(definition, f.when, scores, indices)
    )
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


def inputs_scored(
    definition: Definition,
    cond: Condition,
    scores: Mapping[str, float | None],
    indices: Mapping[str, float | None],
) -> bool:
    """Whether everything a condition reads was scored: each score and index it names was
    computed, and no item it reads belongs to a 0-100 dimension left unscored.

    A pattern never rests on a dimension that is not scored, even through another branch of
    an 'any' (the readiness model: no flag from too few answers).
    """
    if cond.all is not None or cond.any is not None:
        return all(
            inputs_scored(definition, c, scores, indices)
            for c in (*(cond.all or ()), *(cond.any or ()))
        )
    kind, ref = cond.subject
    if kind == "score":
        return scores.get(ref) is not None
    if kind == "index":
        return indices.get(ref) is not None
    refs = (ref,) if isinstance(ref, str) else tuple(ref)
    return not any(
        item in dim.items and scores.get(dim.id) is None
        for dim in definition.dimensions
        if not dim.is_sum
        for item in refs
    )


def score_dimension(
    definition: Definition, dim: Dimension, answers: Mapping[str, Any]
) -> DimensionScore:
    """One measure: a 0-100 mean or a total on its own scale, as its method says."""
    if dim.is_sum:
        return score_sum(definition, dim, answers)
    keyed: dict[str, float] = {}
    fractions: list[float] = []
    missing: list[str] = []
    for item_id in dim.items:
        item = definition.item(item_id)
        value = definition.item_value(item, answers.get(item_id))
        if value is None:
            missing.append(item_id)
            continue
        low, high = definition.scale_for(item)
        k = (low + high) - value if item_id in dim.reverse else value
        keyed[item_id] = int(k)
        fractions.append((k - low) / (high - low))
    enough = len(missing) <= dim.allowed_missing and len(fractions) >= dim.min_answered
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
        reason=None if enough else TOO_FEW,
    )


def score_sum(
    definition: Definition, dim: Dimension, answers: Mapping[str, Any]
) -> DimensionScore:
    """The sum of the items' weights on the instrument's own scale, in exact arithmetic.

    With items missing (at most max_missing, never one listed in never_impute) the total is
    prorated: the mean of the answered items times the number of items, rounded to a whole
    number by the measure's rule. Otherwise it is not scored, and the reason is recorded.
    """
    keyed: dict[str, float] = {}
    missing: list[str] = []
    for item_id in dim.items:
        item = definition.item(item_id)
        value = definition.item_value(item, answers.get(item_id))
        if value is None:
            missing.append(item_id)
            continue
        if item_id in dim.reverse:
            low, high = definition.scale_for(item)
            value = (low + high) - value
        keyed[item_id] = value
    answered = len(dim.items) - len(missing)
    reason: str | None = None
    if any(item_id in missing for item_id in dim.never_impute):
        reason = NEVER_IMPUTED
    elif len(missing) > dim.allowed_missing or answered < dim.min_answered:
        reason = TOO_FEW
    exact: Fraction | int | None = None
    result: int | None = None
    if reason is None:
        total = _exact_sum(keyed.values())
        exact = total if not missing else Fraction(total) * len(dim.items) / answered
        result = exact if isinstance(exact, int) else round_total(exact, dim.rounding_rule)
    status: Status = "not_scored" if reason else ("prorated" if missing else "scored")
    return DimensionScore(
        id=dim.id,
        score=result,
        band=band_of(definition.bands_for(dim), result, whole=True),
        status=status,
        items=dim.items,
        reversed=dim.reverse,
        missing=tuple(missing),
        keyed={k: v if isinstance(v, int) else _plain_number(v) for k, v in keyed.items()},
        method=dim.method.value,
        exact=None if exact is None else _plain_number(exact),
        reason=reason,
    )


def _exact_sum(values: Iterable[float]) -> int | Fraction:
    """A sum without float error: whole numbers add as ints; a weight 0.1 is one tenth."""
    numbers = list(values)
    if all(isinstance(v, int) for v in numbers):
        return sum(int(v) for v in numbers)
    return sum((Fraction(str(v)) for v in numbers), Fraction(0))


def round_total(value: Fraction, rule: Rounding) -> int:
    """A prorated total as a whole number: exact, so 22.5 is a half and never 22.4999."""
    if rule is Rounding.HALF_EVEN:
        return round(value)
    if rule is Rounding.FLOOR:
        return math.floor(value)
    if rule is Rounding.CEILING:
        return math.ceil(value)
    # Half up: halves go away from zero, as people round by hand.
    magnitude = math.floor(abs(value) + Fraction(1, 2))
    return magnitude if value >= 0 else -magnitude


def _plain_number(value: Fraction | float) -> float:
    """A whole number as an int (JSON 14, not 14.0), otherwise a float to six places."""
    if value == int(value):
        return int(value)
    return round(float(value), 6)


def band_of(bands: tuple[Band, ...], value: float | None, *, whole: bool = False) -> str | None:
    """The id of the band a score falls in.

    A 0-100 band runs from its min up to its max, and the top band includes 100; a total's
    bands (whole) include both ends, as instruments print them.
    """
    if value is None:
        return None
    for band in bands:
        if whole and band.min <= value <= band.max:
            return band.id
        if not whole and (band.min <= value < band.max or (band.max == 100 and value == 100)):
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
    item = definition.item(definition.safety.item)
    value = answers.get(item.id)
    # An answer's weight; a stray number that is not one of the answers (a hand-made
    # record) still counts as itself, so it can never hide a reply above the threshold.
    number = definition.item_value(item, value)
    if number is None:
        number = numeric(value)
    if number is None:
        # Blank, declined, or a value we cannot read as a number: never assume "not at
        # all"; the clinic is asked to contact the client instead.
        return False, True
    return number >= definition.safety.threshold, False


def is_urgent(definition: Definition, answers: Mapping[str, Any]) -> bool:
    """Whether these answers reach the safety threshold (checked as each page is left)."""
    return safety_status(definition, seen_answers(definition, answers))[0]


def summary(definition: Definition, result: Result) -> dict[str, Any]:
    """The result as `forms score` prints it: each measure on its own scale, flags, safety."""
    by_id = {d.id: d for d in definition.dimensions}
    measures = []
    for d in result.dimensions:
        dim = by_id.get(d.id)
        low, high = definition.range_of(dim) if dim else (0, 100)
        bands = definition.bands_for(dim) if dim else ()
        band = next((b for b in bands if b.id == d.band), None)
        measures.append(
            {
                "id": d.id,
                "label": dim.label if dim else d.id,
                "method": d.method,
                "score": d.score,
                "range": [_plain_number(low), _plain_number(high)],
                "status": d.status,
                "reason": d.reason,
                "band": d.band,
                "band_label": band.label if band else None,
                "items_used": list(d.used),
                "items_missing": list(d.missing),
                "prorated_from": d.exact if d.status == "prorated" else None,
                "codes": [c.model_dump(exclude_none=True) for c in dim.codes] if dim else [],
            }
        )
    return {
        "questionnaire": result.questionnaire,
        "version": result.version,
        "measures": measures,
        "indices": dict(result.indices),
        "flags": list(result.flags),
        "urgent": result.urgent,
        "safety_unanswered": result.safety_unanswered,
    }
