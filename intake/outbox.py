"""Durable background work: a job is recorded in the database in the same transaction as the
change that needs it (a transactional outbox), handed to a runner after the commit, and found
again by a sweep when its runner died or its time came.

Runners, by JOB_RUNNER: "rq" (Redis; `flask --app intake jobs worker` runs them), "thread" (one
background thread of the web process: the embedded default), "eager" (at once, in the caller:
tests). "auto" picks rq when REDIS_URL is set, else thread. A job is claimed by one atomic
UPDATE, so however often it is handed out, it runs once at a time; a handler must be
idempotent, so a run after a crash never does the work twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import and_, event, or_, select, update
from sqlalchemy.orm import Session

from . import logs
from .db import db
from .models import Job, JobState, utcnow

log = logging.getLogger(__name__)

# Handed to a runner and still waiting after this long (a lost Redis message): hand it again.
REDISPATCH_AFTER = timedelta(minutes=5)
_NEW = "outbox.new"


@dataclass(frozen=True)
class Kind:
    """How one kind of job runs: its handler, how often it may fail, how long it may take."""

    name: str
    run: Callable[[dict[str, Any]], None]
    # None: never give up (an urgent notice is retried until it goes out).
    max_attempts: int | None
    # Seconds to wait after the 1st, 2nd, ... failure; the last one repeats.
    backoff: Callable[[], Sequence[float]]
    # Seconds a run may hold the job before it is taken as dead.
    lease: Callable[[], float]


_kinds: dict[str, Kind] = {}


def handler(
    name: str,
    *,
    max_attempts: int | None = 3,
    backoff: Callable[[], Sequence[float]] = lambda: (10, 60),
    lease: Callable[[], float] = lambda: 300,
) -> Callable[[Callable[[dict[str, Any]], None]], Callable[[dict[str, Any]], None]]:
    """Register the function that does one kind of job (it gets the job's params)."""

    def register(run: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
        _kinds[name] = Kind(name, run, max_attempts, backoff, lease)
        return run

    return register


def schedule(
    kind: str,
    params: dict[str, Any],
    *,
    key: str | None = None,
    run_at: datetime | None = None,
) -> Job:
    """Record a job in the current transaction; it is handed to a runner once that commits.

    With a key, a job of that key still waiting is returned instead of a second (one already
    running may be working from older facts, so a new one follows it).
    """
    if kind not in _kinds:
        raise KeyError(f"no handler for job kind {kind!r}")
    now = utcnow()
    due = run_at is None or run_at <= now
    if key is not None:
        waiting = db.session.scalar(
            select(Job).where(Job.key == key, Job.state == JobState.PENDING).limit(1)
        )
        if waiting is not None:
            if due:
                # Asked for now: hand it out again after the commit (a second hand-out of a
                # job is harmless; its claim runs it once).
                waiting.run_at, waiting.dispatched_at = min(waiting.run_at, now), now
                db.session.info.setdefault(_NEW, []).append((waiting.id, waiting.kind))
            return waiting
    job = Job(
        kind=kind,
        key=key,
        params=params,
        run_at=run_at or now,
        # Due now: handed out right after the commit; later: the sweep hands it out when due.
        dispatched_at=now if due else None,
        request_id=logs.current_request_id(),
    )
    db.session.add(job)
    return job


@event.listens_for(Session, "after_flush")
def _note_new_jobs(session: Session, _: Any) -> None:
    # Ids exist from the flush on; the commit that follows hands these jobs out.
    jobs = [(o.id, o.kind) for o in session.new if isinstance(o, Job) and o.dispatched_at]
    if jobs:
        session.info.setdefault(_NEW, []).extend(jobs)


@event.listens_for(Session, "after_rollback")
def _forget_new_jobs(session: Session) -> None:
    session.info.pop(_NEW, None)


@event.listens_for(Session, "after_commit")
def _hand_out_new_jobs(session: Session) -> None:
    jobs = session.info.pop(_NEW, None)
    if jobs and has_app_context():
        dispatch(current_app._get_current_object(), jobs)  # type: ignore[attr-defined]


def runner(app: Flask) -> str:
    """rq, thread or eager, as configured."""
    chosen = str(app.config.get("JOB_RUNNER") or "auto")
    if chosen == "auto":
        return "rq" if app.config.get("REDIS_URL") else "thread"
    return chosen


def dispatch(app: Flask, jobs: Iterable[tuple[int, str]]) -> None:
    """Hand jobs (id, kind) to the runner; never raises (one not handed out is swept later)."""
    for job_id, kind in jobs:
        try:
            _dispatch_one(app, job_id, kind)
        except Exception:
            log.exception("could not hand out job %s; the sweep will find it", job_id)


def _dispatch_one(app: Flask, job_id: int, kind: str) -> None:
    chosen = runner(app)
    if chosen == "eager":
        # A fresh app context: a session of its own, outside the caller's (just committed) one.
        with app.app_context():
            run_until_settled(job_id)
        return
    if chosen == "rq":
        try:
            queue(app).enqueue(
                run_from_queue,
                job_id,
                job_id=f"intake-job-{job_id}-{time.time_ns()}",
                meta=logs.job_meta(),  # the worker logs it under the request that asked
                # The queue's own limit, past the lease: the lease decides, RQ only cleans up.
                job_timeout=int(_kinds[kind].lease()) + 30,
                description=f"{kind} #{job_id}",
            )
            return
        except Exception:
            # Redis down: this process's thread runs it now; say so in the log. Marked as not
            # handed out, so a worker's sweep runs it as soon as Redis is back should this
            # process die first.
            log.exception("could not queue job %s on Redis; running it in a thread", job_id)
            with app.app_context():
                db.session.execute(update(Job).where(Job.id == job_id).values(dispatched_at=None))
                db.session.commit()
    future = _executor().submit(logs.carry(_in_thread), app, job_id)
    with _lock:
        _futures[:] = [f for f in _futures if not f.done()] + [future]


def queue(app: Flask) -> Any:
    """The RQ queue jobs are handed to."""
    from redis import Redis
    from rq import Queue

    connection = Redis.from_url(app.config["REDIS_URL"])
    return Queue(app.config.get("JOB_QUEUE", "intake-jobs"), connection=connection)


def run_from_queue(job_id: int) -> None:
    """The RQ task: run one job (inside the worker command's app context)."""
    run_until_settled(job_id)


_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_futures: list[Future[None]] = []


def _executor() -> ThreadPoolExecutor:
    """One background thread per process: jobs are few, and renders are CPU-bound."""
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="intake-jobs")
        return _pool


def _in_thread(app: Flask, job_id: int) -> None:
    try:
        with app.app_context():
            run_until_settled(job_id)
    except Exception:
        log.exception("job %s failed in the background thread", job_id)


def wait(timeout: float = 60) -> None:
    """Wait until the background thread has finished what it was given (tests, shutdown)."""
    with _lock:
        pending = list(_futures)
        _futures.clear()
    for future in pending:
        if not future.cancelled():
            future.result(timeout=timeout)


def run_until_settled(job_id: int) -> None:
    """Run a job, and again while it failed and its next try is already due; a later try is
    left to the sweep, so no runner ever sleeps on one job while others wait."""
    while run(job_id):
        job = db.session.get(Job, job_id)
        if job is None or job.state != JobState.PENDING or job.run_at > utcnow():
            return


def run(job_id: int) -> bool:
    """Claim a job and run it; False when it was not ours to run (done, running, not due)."""
    now = utcnow()
    job = db.session.get(Job, job_id)
    kind = _kinds.get(job.kind) if job else None
    if job is None or kind is None:
        log.error("job %s cannot run: %s", job_id, "unknown" if job is None else job.kind)
        return False
    claimed = db.session.execute(
        update(Job)
        .where(Job.id == job_id, _claimable(now))
        .values(
            state=JobState.RUNNING,
            attempts=Job.attempts + 1,
            lease_until=now + timedelta(seconds=kind.lease()),
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    db.session.refresh(job)
    try:
        kind.run(dict(job.params))
    except Exception as exc:
        db.session.rollback()
        _failed(job, kind, exc)
        return True
    job.state, job.lease_until, job.done_at = JobState.DONE, None, utcnow()
    job.updated_at = job.done_at
    job.last_error = None
    db.session.commit()
    return True


def _claimable(now: datetime) -> Any:
    """Waiting and due, or running past its lease (its runner died)."""
    return or_(
        and_(Job.state == JobState.PENDING, Job.run_at <= now),
        and_(Job.state == JobState.RUNNING, Job.lease_until < now),
    )


def _failed(job: Job, kind: Kind, exc: Exception) -> None:
    """Record a failed run: try again after the backoff, or give up after max_attempts."""
    db.session.refresh(job)
    now = utcnow()
    job.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    job.lease_until, job.updated_at = None, now
    if kind.max_attempts is not None and job.attempts >= kind.max_attempts:
        job.state = JobState.FAILED
        log.error(
            "job %s (%s) gave up after %s attempts",
            job.id,
            job.kind,
            job.attempts,
            exc_info=exc,
        )
    else:
        delays = list(kind.backoff()) or [60.0]
        delay = delays[min(job.attempts, len(delays)) - 1]
        job.state, job.run_at, job.dispatched_at = (
            JobState.PENDING,
            now + timedelta(seconds=delay),
            None,
        )
        log.warning(
            "job %s (%s) failed; trying again in %.0f s",
            job.id,
            job.kind,
            delay,
            exc_info=exc,
        )
    db.session.commit()


def sweep(limit: int = 200) -> int:
    """Hand out every job that is due and not with a runner (or whose runner died); returns
    how many. Run by the worker command every few seconds, and by the web process's thread."""
    now = utcnow()
    stale = now - REDISPATCH_AFTER
    due = list(
        db.session.execute(
            select(Job.id, Job.kind)
            .where(
                or_(
                    and_(
                        Job.state == JobState.PENDING,
                        Job.run_at <= now,
                        or_(Job.dispatched_at.is_(None), Job.dispatched_at < stale),
                    ),
                    and_(Job.state == JobState.RUNNING, Job.lease_until < now),
                )
            )
            .order_by(Job.run_at, Job.id)
            .limit(limit)
        )
    )
    if due:
        db.session.execute(
            update(Job)
            .where(Job.id.in_([job_id for job_id, _ in due]))
            .values(dispatched_at=now)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        dispatch(current_app._get_current_object(), [(i, k) for i, k in due])  # type: ignore[attr-defined]
    return len(due)


def waiting(kind: str, params_key: str, values: Iterable[int]) -> dict[int, Job]:
    """The waiting (not yet done) jobs of one kind, by one of their params (e.g. intake_id)."""
    wanted = set(values)
    rows = db.session.scalars(
        select(Job).where(Job.kind == kind, Job.state.in_((JobState.PENDING, JobState.RUNNING)))
    )
    return {job.params[params_key]: job for job in rows if job.params.get(params_key) in wanted}


# Every sweeper started in this process and not yet stopped, so that whoever ends the process
# (or a test, its app) can stop them all: a sweeper left running outlives its app's database.
_sweepers: set[Sweeper] = set()
_sweepers_lock = threading.Lock()


class Sweeper:
    """A daemon thread that sweeps every few seconds: the worker's, or the web process's own."""

    def __init__(self, app: Flask, every: float) -> None:
        self.app, self.every = app, every
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="intake-sweeper", daemon=True)

    def start(self) -> Sweeper:
        """Start sweeping in the background."""
        with _sweepers_lock:
            _sweepers.add(self)
        self.thread.start()
        return self

    def stop(self, timeout: float = 60) -> None:
        """Stop sweeping, and wait for a sweep under way to finish (at most timeout seconds)."""
        self.stopped.set()
        with _sweepers_lock:
            _sweepers.discard(self)
        if self.thread.is_alive() and self.thread is not threading.current_thread():
            self.thread.join(timeout)

    def _loop(self) -> None:
        while not self.stopped.wait(self.every):
            try:
                with self.app.app_context():
                    sweep()
            except Exception as exc:
                if not self.stopped.is_set():
                    log.exception("the job sweep failed; trying again in %.0f s", self.every)
                else:
                    # Told to stop mid-sweep: its app is being torn down (its database may be
                    # gone already). Said in one line; the next process's sweep finds its jobs.
                    reason = (str(exc).splitlines() or [""])[0]  # not the SQL that follows
                    log.info("the sweep ended while stopping: %s %s", type(exc).__name__, reason)


def stop_sweepers() -> None:
    """Stop every sweeper this process started and has not stopped (each test ends so)."""
    with _sweepers_lock:
        running = list(_sweepers)
    for sweeper in running:
        sweeper.stop()


def start_web_sweeper(app: Flask) -> None:
    """In the embedded default (thread runner), sweep from the web process itself, once."""
    if "intake.sweeper" in app.extensions:
        return
    with _lock:
        if "intake.sweeper" in app.extensions:
            return
        wanted = runner(app) == "thread" and app.config.get("WEB_SWEEPER") and not app.testing
        every = float(app.config.get("JOB_SWEEP_SECONDS", 10))
        app.extensions["intake.sweeper"] = Sweeper(app, every).start() if wanted else None
