"""Time the exports over 5,000 submitted PHQ-9 intakes: the CSV and the clinic's FHIR Bundle.

Usage: python -m bench.exports [INTAKES]
Database: INTAKE_BENCH_DATABASE_URL (emptied first), else a fresh SQLite file.
Prints csv_rows_per_s=<x> fhir_intakes_per_s=<y> csv_bytes=<n> fhir_bytes=<m>; both exports
stream, so memory stays flat however many intakes there are.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from datetime import timedelta

from sqlalchemy import insert

from bench.dashboard import build_app
from intake import catalogue, crypto
from intake.catalogue import definition_of
from intake.db import db
from intake.exports.fhir import clinic_bundle_json
from intake.exports.tables import intakes_csv
from intake.models import Clinic, Intake, utcnow
from intake.scoring import score


def seed(count: int) -> int:
    """A clinic with `count` submitted PHQ-9 intakes, scored as the service scores them."""
    clinic = Clinic(slug="bench", name="Bench Practice")
    db.session.add(clinic)
    db.session.commit()
    version = catalogue.latest_builtin("phq9")
    assert version is not None
    definition = definition_of(version)
    rng = random.Random(14)
    now = utcnow()
    rows = []
    for n in range(count):
        answers = {f"phq9_{k}": rng.randint(0, 3) for k in range(1, 10)}
        rows.append(
            {
                "clinic_id": clinic.id,
                "questionnaire_id": version.id,
                "token_hash": crypto.token_hash(f"bench-{n}"),
                "client_name": f"Client {n}",
                "language": "en",
                "source": "invitation",
                "status": "submitted",
                "answers": answers,
                "result": score(definition, answers).to_json(),
                "created_at": now - timedelta(days=2),
                "submitted_at": now - timedelta(minutes=n),
                "safety_asked": False,
                "urgent": False,
            }
        )
    db.session.execute(insert(Intake), rows)
    db.session.commit()
    return clinic.id


def main() -> None:
    """Seed, then time each export once, start to last byte."""
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    url = os.environ.get("INTAKE_BENCH_DATABASE_URL")
    folder = tempfile.mkdtemp()
    app = build_app(url or f"sqlite:///{folder}/bench.sqlite")
    with app.app_context():
        clinic_id = seed(count)
        started = time.perf_counter()
        csv_bytes = sum(len(chunk) for chunk in intakes_csv(clinic_id, None, None,
                                                            include_text=True))  # fmt: skip
        csv_s = time.perf_counter() - started
        started = time.perf_counter()
        fhir_bytes = sum(len(chunk) for chunk in clinic_bundle_json(clinic_id, None, None))
        fhir_s = time.perf_counter() - started
    print(
        f"intakes={count} csv_rows_per_s={count / csv_s:.0f} fhir_intakes_per_s="
        f"{count / fhir_s:.0f} csv_bytes={csv_bytes} fhir_bytes={fhir_bytes}"
    )


if __name__ == "__main__":
    main()
