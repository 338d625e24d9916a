"""Intake sets: several questionnaires asked through one link, and the bundle an intake asks.

A set names questionnaires by id, in order; an invitation asks the newest published version
of each (the clinic's own first, then built-in) and fixes them on the intake.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from . import audit
from .catalogue import definition_of, latest_for
from .db import db
from .models import Clinic, Intake, IntakeSet, QuestionnaireVersion, utcnow
from .questionnaire import Definition
from .questionnaire.bundle import Bundle, BundleError, combine
from .scoring import Result, score

__all__ = ["Bundle", "BundleError", "bundle_for", "bundle_of", "sets_of", "versions_of"]


def versions_of(intake: Intake) -> list[QuestionnaireVersion]:
    """The questionnaire versions an intake asks, in order (one for most intakes)."""
    return [intake.questionnaire, *(part.questionnaire for part in intake.more_parts)]


def bundle_of(versions: Sequence[QuestionnaireVersion]) -> Bundle:
    """The bundle these stored versions make, in this order (BundleError when they cannot)."""
    key = tuple(v.sha256 for v in versions)
    found = _bundles.get(key)
    if found is None:
        found = combine([definition_of(v) for v in versions])
        if len(_bundles) >= 64:
            _bundles.pop(next(iter(_bundles)))
        _bundles[key] = found
    return found


# Bundles by their versions' digests: stored versions never change, so neither do these.
_bundles: dict[tuple[str, ...], Bundle] = {}


def bundle_for(intake: Intake) -> Bundle:
    """What an intake asks: its parts and the one definition the client walks through."""
    return bundle_of(versions_of(intake))


def walk_of(intake: Intake) -> Definition:
    """The definition the client walks through: the questionnaire, or every questionnaire
    of the intake's set as one (one welcome, one progress bar, one safety question)."""
    if not intake.more_parts:
        return definition_of(intake.questionnaire)
    return bundle_for(intake).combined


def part_results(intake: Intake) -> list[Result] | None:
    """Each questionnaire's scores on the answers so far, for an intake asking several (the
    review page says which would not be scored); None for an intake asking one."""
    if not intake.more_parts:
        return None
    bundle = bundle_for(intake)
    answers = intake.answers or {}
    return [score(part, bundle.part_answers(n, answers)) for n, part in enumerate(bundle.parts)]


def titles_of(intake: Intake, language: str) -> list[str]:
    """The titles of the questionnaires an intake asks several of, in a language (the
    welcome page lists them); empty for an intake asking one."""
    if not intake.more_parts:
        return []
    return [part.in_language(language).title for part in bundle_for(intake).parts]


def sets_of(clinic_id: int) -> list[IntakeSet]:
    """A clinic's intake sets, by name."""
    return list(
        db.session.scalars(
            select(IntakeSet).where(IntakeSet.clinic_id == clinic_id).order_by(IntakeSet.name)
        )
    )


def set_of(clinic_id: int, set_id: int | None) -> IntakeSet | None:
    """One of the clinic's sets, or None (another clinic's set is never found)."""
    if set_id is None:
        return None
    found = db.session.get(IntakeSet, set_id)
    return found if found is not None and found.clinic_id == clinic_id else None


def by_name(clinic_id: int, name: str) -> IntakeSet | None:
    """The clinic's set with this name (the command line names sets)."""
    return db.session.scalar(
        select(IntakeSet).where(IntakeSet.clinic_id == clinic_id, IntakeSet.name == name.strip())
    )


def resolve(clinic_id: int, keys: Sequence[str]) -> list[QuestionnaireVersion]:
    """The newest published version of each questionnaire id, in order.

    Raises BundleError naming any id the clinic has no published version of, or why the
    questionnaires cannot be asked together.
    """
    versions, unknown = [], []
    for n, key in enumerate(keys):
        version = latest_for(clinic_id, key)
        if version is None:
            unknown.append((n, key))
        else:
            versions.append(version)
    if unknown:
        raise BundleError(
            [f"no published questionnaire '{key}'" for _, key in unknown],
            [n for n, _ in unknown],
        )
    bundle_of(versions)  # raises when they cannot be one intake
    return versions


def save(
    clinic: Clinic, name: str, keys: Sequence[str], existing: IntakeSet | None = None
) -> IntakeSet:
    """Create or change a set, after checking its questionnaires can be asked together."""
    resolve(clinic.id, keys)
    row = existing or IntakeSet(clinic_id=clinic.id)
    row.name = name.strip()
    row.questionnaires = list(keys)
    row.updated_at = utcnow()
    db.session.add(row)
    db.session.flush()
    audit.record(
        "intake_set.saved",
        clinic_id=clinic.id,
        subject=row,
        commit=False,
        questionnaires=list(keys),
    )
    db.session.commit()
    return row


def delete(clinic: Clinic, row: IntakeSet) -> None:
    """Remove a set; intakes already sent with it keep what they asked."""
    if clinic.referral_set_id == row.id:
        clinic.referral_set_id = None
    audit.record("intake_set.deleted", clinic_id=clinic.id, subject=row, commit=False)
    db.session.delete(row)
    db.session.commit()


def referral_versions(clinic: Clinic) -> list[QuestionnaireVersion] | None:
    """What the self-referral link asks when the clinic chose a set for it (else None)."""
    chosen = set_of(clinic.id, clinic.referral_set_id)
    if chosen is None:
        return None
    try:
        return resolve(clinic.id, chosen.questionnaires)
    except BundleError:
        return None  # a questionnaire since changed so they no longer fit: the default asks
