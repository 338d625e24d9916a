"""Fuzz every client and staff form with Hypothesis: 10,000+ generated posts by default.

Prints `fuzz_posts=N server_errors=0 lost=0` ("lost": a saved answer that changed although
nothing valid replaced it). Database: INTAKE_BENCH_DATABASE_URL (an expendable PostgreSQL
database; its tables are dropped and rebuilt), else a fresh SQLite file.

    python bench/fuzz.py [POSTS]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from argon2 import PasswordHasher, profiles  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from sqlalchemy import text  # noqa: E402

from intake import catalogue, create_app  # noqa: E402
from intake.accounts import auth  # noqa: E402
from intake.db import db  # noqa: E402
from tests.helpers import Fuzzer, hostile_values  # noqa: E402


def main(posts: int) -> int:
    """Run the fuzz and print its figures; exit 1 on any server error or lost answer."""
    # Thousands of sign-in attempts: argon2's cheapest parameters, as in the tests.
    auth._hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
    url = os.environ.get("INTAKE_BENCH_DATABASE_URL")
    folder = tempfile.mkdtemp(prefix="intake-fuzz-")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "fuzz",
            "SQLALCHEMY_DATABASE_URI": url or f"sqlite:///{folder}/fuzz.sqlite",
            "PUBLIC_BASE_URL": "http://localhost",
            "JOB_RUNNER": "eager",
        }
    )
    app.instance_path = folder  # emails go to this run's outbox
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade(directory=app.extensions["migrate"].directory, revision="heads")
        catalogue.sync_builtin(app.config["FORMS_DIR"])
        fuzzer = Fuzzer(app)
        forms = fuzzer.forms()

        @settings(
            max_examples=posts,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(st.data())
        def post_one(data: st.DataObject) -> None:
            form = data.draw(st.sampled_from(forms))
            fields = form[2]
            chosen = data.draw(st.lists(st.sampled_from(fields), unique=True)) if fields else []
            values = {name: data.draw(hostile_values()) for name in chosen}
            fuzzer.post(form, values)

        started = time.perf_counter()
        post_one()
        seconds = time.perf_counter() - started
    for problem in fuzzer.problems[:20]:
        print(problem, file=sys.stderr)
    database = "postgresql" if url else "sqlite"
    print(f"database={database} forms={len(forms)} seconds={seconds:.0f}")
    print(f"fuzz_posts={fuzzer.posts} server_errors={fuzzer.server_errors} lost={fuzzer.lost}")
    return 1 if fuzzer.server_errors or fuzzer.lost else 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000))
