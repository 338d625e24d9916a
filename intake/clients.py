"""One client across intakes: their goals as a step of the wizard sees them, who is whose.

Goals are named on one intake and re-rated on later intakes of the same client; a goal
counts as earlier once the intake it was named on has been sent.
"""

from __future__ import annotations

from sqlalchemy import select

from .db import db
from .models import Client, ClientGoal, GoalRating, GoalStep, Intake, IntakeStatus
from .questionnaire import Definition

# A first intake names one to three goals; a later one may add one more, up to this many.
FIRST_GOALS = 3
MORE_GOALS = 1
MAX_GOALS = 6


def asks_goals(intake: Intake, definition: Definition) -> bool:
    """Whether this intake's wizard has the goals step (the clinic's setting decides)."""
    setting = intake.clinic.goal_step
    if setting == GoalStep.ALWAYS:
        return True
    if setting == GoalStep.NEVER:
        return False
    return definition.goals is not None


def earlier_goals(intake: Intake) -> list[ClientGoal]:
    """The client's goals named on their other, sent intakes (to re-rate), oldest first."""
    if intake.client_id is None:
        return []
    sent = select(Intake.id).where(
        Intake.client_id == intake.client_id,
        Intake.id != intake.id,
        Intake.status == IntakeStatus.SUBMITTED,
    )
    return list(
        db.session.scalars(
            select(ClientGoal)
            .where(ClientGoal.client_id == intake.client_id, ClientGoal.intake_id.in_(sent))
            .order_by(ClientGoal.intake_id, ClientGoal.position, ClientGoal.id)
        )
    )


def named_on(intake: Intake) -> list[ClientGoal]:
    """The goals the client named on this intake, by position."""
    return list(
        db.session.scalars(
            select(ClientGoal)
            .where(ClientGoal.intake_id == intake.id)
            .order_by(ClientGoal.position, ClientGoal.id)
        )
    )


def ratings_on(intake: Intake) -> dict[int, int]:
    """Each goal's rating given on this intake, by goal id."""
    rows = db.session.execute(
        select(GoalRating.goal_id, GoalRating.rating).where(GoalRating.intake_id == intake.id)
    )
    return {goal_id: rating for goal_id, rating in rows}


def new_slots(earlier: list[ClientGoal]) -> int:
    """How many new goals this intake may name: three at first, then one more at a time."""
    if not earlier:
        return FIRST_GOALS
    return max(0, min(MORE_GOALS, MAX_GOALS - len(earlier)))


def erased(client: Client) -> bool:
    """Whether every intake of the client was erased: the record has nothing left to show."""
    kept = db.session.scalar(
        select(Intake.id)
        .where(Intake.client_id == client.id, Intake.status != IntakeStatus.ERASED)
        .limit(1)
    )
    return kept is None


def client_or_404(client_id: int, clinic_id: int) -> Client | None:
    """One client of a clinic; another clinic's is none (the caller answers 404)."""
    found: Client | None = db.session.scalar(
        select(Client).where(Client.id == client_id, Client.clinic_id == clinic_id)
    )
    return found
