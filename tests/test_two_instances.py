"""Several machines, one service: two gunicorn instances and two RQ workers on one PostgreSQL
and one Redis, a client's pages and a therapist's requests alternating between the instances.

Nothing a request needs lives in a web process: sessions and CSRF are signed cookies, every
record is in PostgreSQL, jobs are in Redis. So nothing may be lost or done twice.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from intake import create_app
from intake.db import db
from intake.models import Intake, IntakeStatus
from tests.helpers import (
    FULL,
    NEWEST,
    WORDS,
    Http,
    Live,
    complete_alternating,
    free_port,
    live_env,
    pg_drop,
    pg_recreate,
    pg_rows,
    pg_scratch_url,
    seed_demo,
    share_cookies,
    start_redis,
    wait_until,
)

CLIENTS = 4


@pytest.fixture
def scratch(postgres_url: str) -> Iterator[str]:
    """An empty database of this test's own."""
    url = pg_scratch_url(postgres_url, "instances")
    pg_recreate(url)
    yield url
    pg_drop(url)


def test_two_instances_and_two_workers_lose_nothing_and_do_nothing_twice(
    live: Live, scratch: str, tmp_path: Path
) -> None:
    redis_url, _ = start_redis(live)
    port_a, port_b = free_port(), free_port()
    common = live_env(
        INTAKE_PRODUCTION="1",
        INTAKE_DATABASE_URL=scratch,
        INTAKE_REDIS_URL=redis_url,
        # The address of the load balancer in front of both; links name it, not an instance.
        INTAKE_PUBLIC_BASE_URL=f"http://127.0.0.1:{port_a}",
        INTAKE_INSTANCE_PATH=str(tmp_path / "cli"),
    )
    demo = seed_demo(common)

    def machine(name: str) -> dict[str, str]:
        # Each "machine" has its own instance folder and metrics folder: nothing shared on disk.
        folder = tmp_path / name
        return {
            **common,
            "INTAKE_INSTANCE_PATH": str(folder),
            "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics"),
        }

    a = live.gunicorn("web-a", port_a, machine("a"), workers=1)
    b = live.gunicorn("web-b", port_b, machine("b"), workers=1)
    live.worker("worker-1", machine("w1"))
    live.worker("worker-2", machine("w2"))

    # The therapist signs in on A and carries on on B with the same browser.
    staff_a, staff_b = Http(a), Http(b)
    share_cookies(staff_a, staff_b)
    status, _, _ = staff_a.form(
        "/staff/login", {"email": demo["email"], "password": demo["password"]}
    )
    assert status == 302
    assert "Demo Client" in staff_b.get("/staff/")[2].decode()

    links: list[str] = []
    for n in range(CLIENTS):
        here, there = (staff_a, staff_b) if n % 2 == 0 else (staff_b, staff_a)
        page = here.get("/staff/invite")[2].decode()
        # The clinic's default questionnaire, which the form selects (the readiness one).
        select = re.search(r'name="questionnaire_id".*?</select>', page, re.S)
        assert select, page[:2000]
        choice = re.search(r'<option selected value="(\d+)"', select.group(0))
        assert choice, page[:2000]
        form = {"client_name": f"Client {n}", "questionnaire_id": choice.group(1)}
        status, headers, _ = here.post("/staff/invite", {**form, "therapist_id": ""})
        assert status == 302, status
        shown = there.get(headers["location"])[2].decode()
        link = re.search(r"http://127\.0\.0\.1:\d+/i/[\w-]+", shown)
        assert link, shown[:2000]
        links.append(link.group(0))

    # Each client's requests alternate between the instances, step by step.
    posted = 0
    for link in links:
        on_a, on_b = Http(a), Http(b)
        share_cookies(on_a, on_b)
        posted += complete_alternating([on_a, on_b] if posted % 2 else [on_b, on_a], link, FULL)

    # The therapist reads every brief, alternately on A and B, until each PDF is there.
    ids = [int(i) for (i,) in pg_rows(scratch, "SELECT id FROM intake WHERE status = 'submitted'")]
    assert len(ids) == CLIENTS
    views = 0
    for n, intake_id in enumerate(sorted(ids)):
        server = (staff_a, staff_b)[n % 2]
        assert server.get(f"/staff/intakes/{intake_id}")[0] == 200
        views += 1

        def pdf(server: Http = server, intake_id: int = intake_id) -> bool:
            status, headers, body = server.get(f"/staff/intakes/{intake_id}/brief.pdf")
            return status == 200 and body.startswith(b"%PDF")

        wait_until(pdf, 60, f"the brief PDF of intake {intake_id}", every=0.5)

    # Nothing lost: every client's every answer, as sent, in one row each.
    # (Read through the app: names and answers are encrypted in the table.)
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": scratch})
    with app.app_context():
        rows = db.session.execute(
            sa.select(Intake.client_name, Intake.answers, Intake.result).where(
                Intake.status == IntakeStatus.SUBMITTED
            )
        ).all()
        db.session.remove()
        db.engine.dispose()
    stored = sorted(
        (name, json.dumps(answers, sort_keys=True), result) for name, answers, result in rows
    )
    assert [name for name, _, _ in stored] == sorted(f"Client {n}" for n in range(CLIENTS))
    assert len({answers for _, answers, _ in stored}) == 1  # the same answers, all of them
    # Every typed answer of the questionnaire the links ask (the newest default).
    typed = [words for item_id, words in WORDS.items() if NEWEST.has_item(item_id)]
    assert typed
    for words in typed:
        assert all(words in json.loads(answers).values() for _, answers, _ in stored)
    assert all(result is not None for _, _, result in stored)
    # Nothing done twice: one invitation each, one PDF each rendered once, one view each.
    counts = dict(pg_rows(scratch, "SELECT action, count(*) FROM audit_event GROUP BY action"))
    assert counts.get("client.invited") == CLIENTS + 1  # the demo client's too
    assert counts.get("brief.viewed") == views
    assert counts.get("staff.login") == 1
    pdfs = pg_rows(scratch, "SELECT state, attempts, size > 0 FROM brief_pdf")
    assert sorted(pdfs) == [("ready", 1, True)] * CLIENTS
    done = live.log("worker-1") + live.log("worker-2")
    # Each brief rendered once (other jobs, such as the refresh a worker asks for at start, too).
    assert done.count("Successfully completed brief.render") == CLIENTS, done[-3000:]
