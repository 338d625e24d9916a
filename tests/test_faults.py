"""Faults with real processes on loopback, every wait bounded: a gunicorn worker killed with
SIGKILL during a burst of page saves, and PostgreSQL dropping the app's connections.

(The faults that need durable jobs, a render worker killed, Redis stopped, SMTP down, are
tested with the job outbox.)
"""

from __future__ import annotations

import http.client
import os
import queue
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import current_app
from flask_migrate import upgrade
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from intake import catalogue, create_app, crypto, lifecycle
from intake.accounts.auth import hash_password
from intake.db import db
from intake.models import Clinic, Intake, IntakeStatus, Role, Staff, utcnow
from tests.helpers import (
    CRISIS_CONTACTS,
    DEFINITION,
    FULL,
    PASSWORD,
    Http,
    Live,
    children,
    free_port,
    live_env,
    page_data,
    pg_drop,
    pg_recreate,
    pg_rows,
    pg_scratch_url,
    readiness_v2,
    start_redis,
    wait_until,
)

CLIENTS = 8
PAGE = "now"
NEXT_PAGE = "change"
# The intakes here ask version 2 of the default questionnaire (DEFINITION).
SAVED = {k: v for k, v in page_data(PAGE, FULL, definition=DEFINITION).items() if k != "action"}


@contextmanager
def on_database(url: str) -> Iterator[None]:
    """An app context of this process on another database; its connections closed after."""
    app = create_app(
        {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url, "PUBLIC_BASE_URL": "http://x"}
    )
    with app.app_context():
        try:
            yield
        finally:
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def scratch(postgres_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of this test's own, migrated, with one clinic and its therapist."""
    url = pg_scratch_url(postgres_url, "faults")
    pg_recreate(url)
    with on_database(url):
        upgrade(directory=current_app.extensions["migrate"].directory, revision="heads")
        catalogue.sync_builtin(current_app.config["FORMS_DIR"])
        clinic = Clinic(slug="north", name="North Practice", **CRISIS_CONTACTS)
        db.session.add(clinic)
        db.session.flush()
        db.session.add(
            Staff(
                clinic_id=clinic.id,
                email="therapist@north.example",
                name="T",
                role=Role.ADMIN,
                password_hash=hash_password(PASSWORD),
            )
        )
        db.session.commit()
    yield url
    pg_drop(url)


def consented_intakes(url: str, count: int) -> list[tuple[int, str]]:
    """count intakes whose clients have signed the consent: (id, link token) each."""
    made = []
    with on_database(url):
        clinic = db.session.query(Clinic).one()
        version = readiness_v2()
        assert version is not None
        for n in range(count):
            intake = lifecycle.invite(clinic, f"Client {n}", version)
            intake.consent_name, intake.consent_at = f"Client {n}", utcnow()
            intake.status, intake.current_page = IntakeStatus.IN_PROGRESS, PAGE
            db.session.commit()
            made.append((intake.id, intake.token))
    return made


def web_env(live: Live, url: str, tmp_path: Path) -> dict[str, str]:
    """Production settings for a gunicorn on the scratch database, with a Redis of its own."""
    redis_url, _ = start_redis(live)
    return live_env(
        INTAKE_PRODUCTION="1",
        INTAKE_DATABASE_URL=url,
        INTAKE_REDIS_URL=redis_url,
        INTAKE_PUBLIC_BASE_URL="http://127.0.0.1",
        INTAKE_INSTANCE_PATH=str(tmp_path / "instance"),
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
    )


def save(browser: Http, token: str) -> int | str:
    """Post the first page of an intake (Next): the status, or how the connection failed."""
    try:
        return browser.post(f"/i/{token}/p/{PAGE}", page_data(PAGE, FULL, definition=DEFINITION))[
            0
        ]
    except (OSError, http.client.HTTPException) as exc:
        return type(exc).__name__


def burst(base: str, tokens: list[str], during: Any = None, after: int = 0) -> dict[str, Any]:
    """CLIENTS threads post one save per token; during() runs once `after` saves are answered."""
    work: queue.Queue[str] = queue.Queue()
    for token in tokens:
        work.put(token)
    outcome: dict[str, Any] = {}
    answered = threading.Event()
    lock = threading.Lock()

    def client() -> None:
        http = Http(base, timeout=30)
        http.get(f"/i/{tokens[0]}/p/{PAGE}")  # a session and its CSRF token
        while True:
            try:
                token = work.get_nowait()
            except queue.Empty:
                return
            result = save(http, token)
            with lock:
                outcome[token] = result
                if len(outcome) >= after:
                    answered.set()

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    if during is not None:
        assert answered.wait(60), "the burst did not get going"
        during()
    for thread in threads:
        thread.join(120)
        assert not thread.is_alive(), "a client hung"
    return outcome


def stored(url: str, tokens: list[str]) -> dict[str, tuple[dict[str, Any], str | None]]:
    """Each intake's stored answers (decrypted) and resume page, by link token (the database
    holds only the tokens' hashes)."""
    by_hash = {crypto.token_hash(token): token for token in tokens}
    with on_database(url):
        found = db.session.execute(select(Intake.token_hash, Intake.answers, Intake.current_page))
        return {by_hash[h]: (answers or {}, page) for h, answers, page in found if h in by_hash}


def test_kill_9_of_a_gunicorn_worker_loses_no_answered_save_and_half_writes_none(
    live: Live, scratch: str, tmp_path: Path
) -> None:
    intakes = consented_intakes(scratch, 240)
    tokens = [token for _, token in intakes]
    env = web_env(live, scratch, tmp_path)
    port = free_port()
    base = live.gunicorn("web", port, env, workers=2)
    master = live.started[-1][0].pid

    # Both workers up (the second may still be booting when the first answers).
    def both_workers() -> list[int] | None:
        found = children(master)
        return found if len(found) == 2 else None

    before = wait_until(both_workers, 30, "gunicorn's two workers")
    assert len(before) == 2
    killed: list[int] = []

    def kill_a_worker() -> None:
        killed.append(before[0])
        os.kill(before[0], signal.SIGKILL)

    outcome = burst(base, tokens, during=kill_a_worker, after=60)
    # The master replaces the killed worker.
    wait_until(
        lambda: len(children(master)) == 2 and killed[0] not in children(master),
        30,
        "a new worker",
    )

    rows = stored(scratch, tokens)
    answered = [t for t, result in outcome.items() if result == 302]
    unanswered = [t for t, result in outcome.items() if result != 302]
    assert all(isinstance(outcome[t], str) for t in unanswered), outcome  # never a 500
    assert len(answered) >= len(tokens) // 2
    for token in answered:
        # Every save answered 302 is in the database, whole.
        assert rows[token] == (SAVED, NEXT_PAGE), token
    for token in tokens:
        # None half-written: the whole page and the move to the next one, or nothing at all.
        assert rows[token] in ((SAVED, NEXT_PAGE), ({}, PAGE)), rows[token]
    # After the kill, the service answers every save.
    late = consented_intakes(scratch, CLIENTS * 3)
    again = burst(base, [token for _, token in late])
    assert set(again.values()) == {302}


def terminate_app_connections(url: str) -> int:
    """pg_terminate_backend on every connection of the web processes: how many."""
    name = url.rsplit("/", 1)[1]
    ended = pg_rows(
        url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = %s AND application_name = 'intake-web'",
        (name,),
    )
    return sum(1 for (done,) in ended if done)


def test_dropped_database_connections_cost_no_500_storm(
    live: Live, scratch: str, tmp_path: Path
) -> None:
    intakes = consented_intakes(scratch, 200)
    tokens = [token for _, token in intakes]
    env = web_env(live, scratch, tmp_path)
    base = live.gunicorn("web", free_port(), env, workers=2)
    staff = Http(base)
    assert (
        staff.form("/staff/login", {"email": "therapist@north.example", "password": PASSWORD})[0]
        == 302
    )

    # Warm pools in both workers, then PostgreSQL ends every connection they hold.
    assert set(burst(base, tokens[:40]).values()) == {302}
    assert terminate_app_connections(scratch) >= 2

    # The next requests all succeed: each pool finds its dead connections before use.
    statuses = [Http(base).get("/readyz")[0] for _ in range(4)]
    statuses += [staff.get("/staff/")[0] for _ in range(8)]
    statuses += list(burst(base, tokens[40:100]).values())
    assert statuses.count(200) == 12 and set(statuses[12:]) == {302}, statuses

    # Dropped in the middle of a burst: only requests caught mid-transaction may fail (one per
    # connection in use, at most one per thread), with a 503 that says to try again; the rest
    # of the burst succeeds.
    outcome = burst(
        base, tokens[100:], during=lambda: terminate_app_connections(scratch), after=20
    )
    failures = [r for r in outcome.values() if r != 302]
    assert len(failures) <= CLIENTS, failures
    assert set(failures) <= {503}, failures  # "try again", never a 500
    assert set(burst(base, [t for _, t in consented_intakes(scratch, 16)]).values()) == {302}
    assert all(staff.get("/staff/")[0] == 200 for _ in range(4))


def test_a_connection_lost_mid_request_answers_503_and_other_errors_stay_errors() -> None:
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})

    def fail(invalidated: bool) -> None:
        raise OperationalError(
            "SELECT 1",
            {},
            Exception("server closed the connection"),
            connection_invalidated=invalidated,
        )

    app.add_url_rule("/lost", "lost", lambda: fail(True))
    app.add_url_rule("/broken", "broken", lambda: fail(False))
    web = app.test_client()
    lost = web.get("/lost")
    assert lost.status_code == 503 and lost.headers["Retry-After"] == "1"
    assert "Please try again" in lost.get_data(as_text=True)
    assert web.get("/broken").status_code == 500
