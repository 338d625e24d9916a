"""Background jobs: recorded with the change that needs them, run once, found again when a
runner dies, retried with backoff, and bounded in time (tests with real processes at the end)."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from intake import create_app, lifecycle, outbox
from intake.brief import jobs, render, timed
from intake.brief.samples import example_brief
from intake.db import db
from intake.models import BriefPdf, Intake, Job, JobState, PdfState, utcnow
from intake.notify import SUBJECT, URGENT
from tests.helpers import (
    BEFORE_SAFETY,
    EXAMPLE_A,
    FULL,
    WORDS,
    SmtpInbox,
    audit_actions,
    fill_page,
    reload,
    sleep_for,
)

ROOT = Path(__file__).resolve().parents[1]


def jobs_of(kind: str) -> list[Job]:
    db.session.expire_all()
    return list(db.session.scalars(select(Job).where(Job.kind == kind).order_by(Job.id)))


def make_due(job: Job) -> None:
    """Bring a job's next try forward to now (instead of waiting out its backoff)."""
    db.session.execute(update(Job).where(Job.id == job.id).values(run_at=utcnow()))
    db.session.commit()


def send(intake: Intake) -> None:
    """Submit with worked example A's answers, as the client's review page does."""
    from intake.catalogue import definition_of

    intake.answers = {**EXAMPLE_A, **WORDS}
    db.session.commit()
    lifecycle.submit(intake, definition_of(intake.questionnaire))


@pytest.fixture
def intake(make_clinic: Any, make_intake: Any) -> Intake:
    clinic_id, _ = make_clinic()
    made: Intake = make_intake(clinic_id)
    return made


def test_a_job_is_part_of_the_change_that_needs_it(intake: Intake) -> None:
    jobs.request_pdf(intake)
    db.session.rollback()  # the change is abandoned: so is its job, never run
    assert jobs_of(jobs.RENDER) == []
    send(intake)
    (job,) = jobs_of(jobs.RENDER)
    assert job.state == JobState.DONE and job.params == {"intake_id": intake.id}


def test_a_job_asked_for_twice_while_it_waits_is_one_job(
    app: Flask, intake: Intake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox, "dispatch", lambda app, jobs: None)  # no runner picks it up
    send(intake)
    jobs.enqueue(reload(intake))
    (job,) = jobs_of(jobs.RENDER)
    assert job.state == JobState.PENDING
    monkeypatch.undo()
    assert outbox.sweep() == 0  # handed out a moment ago: its runner may still be busy
    lost = utcnow() - outbox.REDISPATCH_AFTER - timedelta(seconds=1)
    db.session.execute(update(Job).values(dispatched_at=lost))  # its message never arrived
    db.session.commit()
    assert outbox.sweep() == 1
    assert jobs_of(jobs.RENDER)[0].state == JobState.DONE


def test_a_job_whose_runner_died_runs_again_once(
    intake: Intake, monkeypatch: pytest.MonkeyPatch
) -> None:
    renders: list[int] = []
    real = jobs.render_pdf
    monkeypatch.setattr(outbox, "dispatch", lambda app, jobs: None)
    send(intake)
    (job,) = jobs_of(jobs.RENDER)
    # A runner claimed it and died mid-render: running, its lease not yet over.
    started = utcnow()
    db.session.execute(
        update(Job)
        .where(Job.id == job.id)
        .values(state=JobState.RUNNING, attempts=1, lease_until=started + timedelta(minutes=5))
    )
    db.session.execute(
        update(BriefPdf).where(BriefPdf.intake_id == intake.id).values(state=PdfState.RENDERING)
    )
    db.session.commit()
    monkeypatch.undo()
    monkeypatch.setattr(jobs, "render_pdf", lambda *a, **k: renders.append(1) or real(*a, **k))
    assert outbox.sweep() == 0  # still within its lease: another runner may be on it
    db.session.execute(update(Job).values(lease_until=started - timedelta(seconds=1)))
    db.session.commit()
    assert outbox.sweep() == 1  # its lease is over: the runner is taken as dead
    assert not outbox.run(job.id)  # handed out twice: the second hand-out finds it done
    assert renders == [1]
    row = db.session.scalar(select(BriefPdf).where(BriefPdf.intake_id == intake.id))
    assert row is not None and row.state == PdfState.READY
    assert jobs_of(jobs.RENDER)[0].attempts == 2


# The sweeper thread: stopped with its app, so none sweeps a database that is gone.


def sweeper_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "intake-sweeper"]


def test_a_stopped_sweeper_finishes_its_sweep_and_its_thread_is_gone(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    sweeps: list[str] = []
    sweeping = threading.Event()
    sweeper = outbox.Sweeper(app, every=0)

    def sweep_until_stopped() -> int:
        sweeps.append("started")
        sweeping.set()
        sweeper.stopped.wait()  # still sweeping when it is told to stop
        sweeps.append("finished")
        return 0

    monkeypatch.setattr(outbox, "sweep", sweep_until_stopped)
    sweeper.start()
    assert sweeping.wait(60)
    sweeper.stop()
    assert sweeps == ["started", "finished"]  # stop() waited for the sweep under way
    assert not sweeper.thread.is_alive()
    assert sweeper.thread not in sweeper_threads()


def test_a_failed_sweep_is_logged_unless_its_sweeper_is_stopping(
    app: Flask, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=outbox.__name__)
    sweeping = threading.Event()
    sweeper = outbox.Sweeper(app, every=0)
    calls: list[int] = []

    def failing_sweep() -> int:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database unreachable")  # while running: a real failure
        sweeping.set()
        sweeper.stopped.wait()
        raise RuntimeError("no such table: job")  # its app torn down while it swept

    monkeypatch.setattr(outbox, "sweep", failing_sweep)
    sweeper.start()
    assert sweeping.wait(60)
    sweeper.stop()
    said = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == outbox.__name__]
    assert said[0][0] == logging.ERROR and "the job sweep failed" in said[0][1]
    assert [level for level, _ in said] == [logging.ERROR, logging.INFO]
    assert "no such table: job" in said[1][1]


def test_a_web_sweeper_of_an_app_a_test_builds_stops_with_the_test(tmp_path: Path) -> None:
    other = create_app(
        {
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'other.sqlite'}",
            "JOB_RUNNER": "thread",
            "WEB_SWEEPER": True,
            "JOB_SWEEP_SECONDS": 3600,
        }
    )
    outbox.start_web_sweeper(other)  # what its first request does
    sweeper = other.extensions["intake.sweeper"]
    assert sweeper is not None and sweeper.thread in sweeper_threads()
    outbox.stop_sweepers()  # what every test's teardown does (tests/conftest.py)
    assert not sweeper.thread.is_alive()
    assert sweeper_threads() == []


@pytest.mark.no_database
def test_render_limited_in_time_in_a_child_process() -> None:
    brief = example_brief("A")
    pdf = render.render_pdf(brief, time_limit=60)  # laid out in the warm child process
    assert pdf.startswith(b"%PDF")
    with pytest.raises(timed.TimeLimitExceeded):
        timed.call(sleep_for, 0.5, seconds=30)
    assert timed.call(sleep_for, 30, seconds=0) == "slept"  # a fresh child after the kill


def test_a_render_over_its_limit_fails_and_says_why(
    app: Flask, intake: Intake, monkeypatch: pytest.MonkeyPatch
) -> None:
    def overrunning(*args: Any, **kwargs: Any) -> bytes:
        raise timed.TimeLimitExceeded("stopped after 120 s (the time limit)")

    monkeypatch.setattr(jobs, "render_pdf", overrunning)
    send(intake)
    row = db.session.scalar(select(BriefPdf).where(BriefPdf.intake_id == intake.id))
    assert row is not None and row.state == PdfState.FAILED
    assert "time limit" in (row.error or "")


# SMTP down when an urgent notice is due: retried with backoff, shown, never dropped.


def test_an_urgent_notice_is_retried_until_it_goes_out(
    app: Flask,
    client: FlaskClient,
    login: Any,
    smtp: SmtpInbox,
    clinic_with_admin: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    intake: Intake = clinic_with_admin["intake"]
    login(clinic_with_admin["therapist"])
    with monkeypatch.context() as down:
        down.setitem(app.config, "SMTP_PORT", _free_port())  # nothing listens there
        for page in BEFORE_SAFETY:
            fill_page(client, intake, page, FULL)
        response = fill_page(client, intake, "wellbeing", {"self_harm": "2"})
        assert "/support" in response.headers["Location"]  # the client is never held up
        waits = []
        for _ in range(7):  # past the last configured delay: it keeps trying
            (job,) = jobs_of(URGENT)
            assert job.state == JobState.PENDING
            waits.append(round((job.run_at - job.updated_at).total_seconds()))
            make_due(job)
            outbox.sweep()
        assert waits == [30, 60, 120, 300, 600, 600, 600]
        assert len(audit_actions("intake.urgent_notify_failed")) == 8
        dashboard = client.get("/staff/").get_data(as_text=True)
        assert "Staff email not sent yet (8 tries): retrying." in dashboard
    # The mail server is back.
    make_due(jobs_of(URGENT)[0])
    outbox.sweep()
    (message,) = smtp.messages
    assert message["Subject"] == SUBJECT
    (job,) = jobs_of(URGENT)
    assert job.state == JobState.DONE and job.attempts == 9
    assert "not sent yet" not in client.get("/staff/").get_data(as_text=True)


# Real processes on loopback: a private Redis, job workers killed and restarted.


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Redis:
    """A Redis server of the test's own on a free loopback port, stopped by its PID."""

    def __init__(self, folder: Path) -> None:
        self.port, self.folder = _free_port(), folder
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        _wait_for(lambda: _answers(self.port), "the test's Redis to start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _wait_for(condition: Any, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[Redis]:
    if not shutil.which("redis-server"):
        pytest.fail("redis-server is missing (Debian's redis-server package)")
    server = Redis(tmp_path)
    server.start()
    yield server
    server.stop()


class Workers:
    """`flask --app intake jobs worker` processes against the test's database and Redis."""

    def __init__(self, database_url: str, redis: Redis, folder: Path) -> None:
        folder.mkdir(exist_ok=True)
        (folder / "config.py").write_text(
            "SECRET_KEY = 'test-secret'\n"
            "JOB_SWEEP_SECONDS = 0.5\n"
            "BRIEF_TIME_LIMIT = 4\n"  # a lease of 10 s: a dead worker's job is found quickly
            "BRIEF_RETRY_DELAYS = (0, 0)\n"
        )
        self.env = {
            **os.environ,
            "INTAKE_DATABASE_URL": database_url,
            "INTAKE_REDIS_URL": redis.url,
            "INTAKE_INSTANCE_PATH": str(folder),
            "INTAKE_PUBLIC_BASE_URL": "http://localhost",
        }
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "intake", "jobs", "worker"],
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own group: kill -9 reaches its render child too
        )
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                self.kill(process)


@pytest.fixture
def workers(postgres_url: str, redis: Redis, tmp_path: Path) -> Iterator[Workers]:
    """Worker processes: live processes, so their tests run in the PostgreSQL pass only."""
    running = Workers(postgres_url, redis, tmp_path / "worker")
    yield running
    running.stop_all()


def _states(ids: list[int]) -> dict[int, PdfState | None]:
    db.session.expire_all()
    rows = {r.intake_id: r for r in db.session.scalars(select(BriefPdf))}
    return {i: rows[i].state if i in rows else None for i in ids}


@pytest.fixture
def on_redis(app: Flask, redis: Redis, monkeypatch: pytest.MonkeyPatch) -> Redis:
    """This test's web side queues jobs on the private Redis, as production does."""
    monkeypatch.setitem(app.config, "REDIS_URL", redis.url)
    monkeypatch.setitem(app.config, "JOB_RUNNER", "rq")
    return redis


def test_kill_9_of_a_worker_mid_render_still_makes_each_pdf_once(
    make_clinic: Any, make_intake: Any, workers: Workers, on_redis: Redis
) -> None:
    clinic_id, _ = make_clinic()
    intakes = [make_intake(clinic_id, f"Client {n}") for n in range(8)]
    for item in intakes:
        send(item)  # queued on Redis; no worker yet
    ids = [i.id for i in intakes]
    first = workers.start()
    _wait_for(lambda: PdfState.RENDERING in _states(ids).values(), "a render to start")
    workers.kill(first)
    killed = [i for i, state in _states(ids).items() if state == PdfState.RENDERING]
    assert killed, "the worker was killed between renders"
    workers.start()
    _wait_for(lambda: set(_states(ids).values()) == {PdfState.READY}, "every PDF", 240)
    rows = list(db.session.scalars(select(BriefPdf).where(BriefPdf.intake_id.in_(ids))))
    assert len(rows) == len(ids) and all(r.pdf and r.pdf.startswith(b"%PDF") for r in rows)
    done = {j.params["intake_id"]: j for j in jobs_of(jobs.RENDER)}
    assert len(done) == len(ids) and {j.state for j in done.values()} == {JobState.DONE}
    for intake_id in killed:  # run twice in all: the killed run, then once more
        assert done[intake_id].attempts == 2


def test_redis_stopped_during_submissions_loses_nothing(
    make_clinic: Any,
    make_intake: Any,
    workers: Workers,
    on_redis: Redis,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clinic_id, _ = make_clinic()
    intakes = [make_intake(clinic_id, f"Client {n}") for n in range(3)]
    on_redis.stop()

    class Gone:
        """The web process's fallback thread dies with it before it could run anything."""

        def submit(self, *args: Any) -> Future[None]:
            never: Future[None] = Future()
            never.cancel()
            return never

    monkeypatch.setattr(outbox, "_executor", lambda: Gone())
    for item in intakes:
        send(item)  # Redis is down: the submission still succeeds
        assert reload(item).submitted
    waiting = jobs_of(jobs.RENDER)
    assert len(waiting) == 3 and {j.state for j in waiting} == {JobState.PENDING}
    on_redis.start()  # Redis is back, and a worker with it
    workers.start()
    ids = [i.id for i in intakes]
    _wait_for(lambda: set(_states(ids).values()) == {PdfState.READY}, "every PDF", 240)
    assert [j.attempts for j in jobs_of(jobs.RENDER)] == [1, 1, 1]


def test_a_pdf_asked_for_while_one_renders_is_rendered_after_it(
    app: Flask, intake: Intake, make_clinic: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    send(intake)
    (first,) = jobs_of(jobs.RENDER)
    # A render is running (from older facts) when the clinic's branding changes.
    db.session.execute(update(Job).values(state=JobState.RUNNING, lease_until=utcnow()))
    db.session.commit()
    clinic = reload(intake).clinic
    clinic.accent_color = "#7a3b69"
    db.session.commit()
    jobs.enqueue(reload(intake))
    assert len(jobs_of(jobs.RENDER)) == 2  # a second job, not the running one
    row = db.session.scalar(select(BriefPdf).where(BriefPdf.intake_id == intake.id))
    assert row is not None and row.state == PdfState.READY
    assert row.version == jobs.store.version_of(reload(intake))
