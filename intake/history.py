"""A client's history up to one intake: each measure's scores, their goals' ratings, and the
patterns raised at earlier intakes, read from stored rows (measures through parts_of, so an
intake with several questionnaires gives each of its measures)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import select

from .change import (
    Criterion,
    EarlierFlag,
    GoalTrend,
    History,
    MeasureInfo,
    Sample,
    Trend,
    goal_trend,
    trend,
)
from .dates import local
from .db import db
from .exports import parts_of
from .models import Client, ClientGoal, GoalRating, Intake, IntakeStatus


def sent_intakes(client_id: int, until: Intake | None = None) -> list[Intake]:
    """A client's sent intakes, oldest first; with until, only those sent up to it."""
    query = select(Intake).where(
        Intake.client_id == client_id, Intake.status == IntakeStatus.SUBMITTED
    )
    rows = list(db.session.scalars(query.order_by(Intake.submitted_at, Intake.id)))
    if until is None:
        return rows
    key = (until.submitted_at, until.id)
    return [i for i in rows if (i.submitted_at, i.id) <= key]


def history_of(intake: Intake) -> History | None:
    """The client's history up to this (sent) intake, or None when there is nothing to show."""
    if intake.client_id is None or not intake.submitted:
        return None
    history = build(intake.client_id, sent_intakes(intake.client_id, until=intake), intake)
    return history if history.shown else None


def client_history(client: Client) -> History:
    """The client's whole history, over every sent intake (their staff page)."""
    return build(client.id, sent_intakes(client.id), None)


def _day(intake: Intake) -> date:
    """The day the intake was sent, in the clinic's time zone (as every date staff read)."""
    assert intake.submitted_at is not None, "only sent intakes have a history"
    return local(intake.submitted_at, intake.clinic.time_zone).date()


def build(client_id: int, intakes: list[Intake], current: Intake | None) -> History:
    """Trends of the measures answered more than once, goals and their ratings, and the
    patterns raised at intakes other than the current one."""
    infos: dict[tuple[str, str], MeasureInfo] = {}
    series: dict[tuple[str, str], list[Sample]] = defaultdict(list)
    flags: list[EarlierFlag] = []
    for item in intakes:
        on = _day(item)
        for part in parts_of(item):
            definition = part.definition
            by_id = {d.id: d for d in definition.dimensions}
            for scored in part.result.dimensions:
                dim = by_id.get(scored.id)
                if dim is None:
                    continue
                key = (definition.id, dim.id)
                low, high = definition.range_of(dim)
                rc = dim.reliable_change
                infos[key] = MeasureInfo(
                    id=f"{definition.id}-{dim.id}",
                    label=dim.label,
                    low=low,
                    high=high,
                    total=dim.is_sum,
                    criterion=(
                        Criterion(sd=rc.sd, reliability=rc.reliability, points=rc.points)
                        if rc is not None and dim.is_sum
                        else None
                    ),
                    cutoff=dim.cutoff if dim.is_sum else None,
                )
                series[key].append(Sample(on, scored.score))
            if item is not current:
                labels = {f.id: f.label for f in definition.flags}
                flags.extend(
                    EarlierFlag(on, labels.get(f, f)) for f in part.result.flags if f in labels
                )
    trends = tuple(
        t for key, samples in series.items() if (t := trend(infos[key], samples)) is not None
    )
    # Totals first (the instruments), then the profile, each in the order first answered.
    ordered: tuple[Trend, ...] = tuple(sorted(trends, key=lambda t: not t.total))
    return History(
        intakes=tuple(_day(i) for i in intakes),
        trends=ordered,
        goals=_goals(client_id, intakes),
        earlier_flags=tuple(flags),
    )


def _goals(client_id: int, intakes: list[Intake]) -> tuple[GoalTrend, ...]:
    """Each goal of the client with its ratings on these intakes (rated at least once)."""
    ids = [i.id for i in intakes]
    if not ids:
        return ()
    on = {i.id: _day(i) for i in intakes}
    rows = db.session.execute(
        select(ClientGoal, GoalRating.intake_id, GoalRating.rating)
        .join(GoalRating, GoalRating.goal_id == ClientGoal.id)
        .where(ClientGoal.client_id == client_id, GoalRating.intake_id.in_(ids))
        .order_by(ClientGoal.id)
    )
    ratings: dict[int, dict[int, int]] = defaultdict(dict)
    goals: dict[int, ClientGoal] = {}
    for goal, intake_id, rating in rows:
        goals[goal.id] = goal
        ratings[goal.id][intake_id] = rating
    ordered = sorted(
        goals.values(),
        key=lambda g: (ids.index(g.intake_id) if g.intake_id in ids else 0, g.position, g.id),
    )
    out = []
    for goal in ordered:
        # From the intake it was named on: a gap is an intake that did not re-rate it.
        start = ids.index(goal.intake_id) if goal.intake_id in ids else 0
        samples = [Sample(on[i], ratings[goal.id].get(i)) for i in ids[start:]]
        while samples and samples[-1].score is None:
            samples.pop()
        out.append(goal_trend(goal.text, samples))
    return tuple(out)
