"""One client page save measured in-process on PostgreSQL: SQL statements, milliseconds, profile.

Usage: python bench/save_profile.py [--sql [--full]] [--profile [N]]
Database: INTAKE_BENCH_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/
intake_bench_save, dropped and created afresh). Settings: BENCH_SAVES (300), BENCH_ROUNDS (10).

Builds the app as bench/load.py's server does (PostgreSQL, keys from the environment, CSRF
on), makes a clinic and a consented intake on the default questionnaire, then posts the page
load.py posts (`now`, action next) BENCH_SAVES times through app.test_client(): no network and
no gunicorn, so what is left is what the app itself spends on a save. bench/bare.py's POST is
measured the same way, on the same database, in the same run.

Prints statements_per_save, calls_per_save (Python and C function calls made by one save,
counted with sys.setprofile: the same whatever else the machine is doing, so a change's
effect shows on a busy machine), ms_per_save (median), ms_per_save_p90 and ms_per_save_p99;
bare_calls_per_post; cpu_ms_per_save and bare_cpu_ms_per_post (this process's CPU, the
database's not counted: the median of BENCH_ROUNDS rounds that alternate between the two)
and app_cpu_ratio_rounds (the lowest and highest round's ratio, to show how much the machine
moved); and, when the database runs on this machine, the CPU its server process spent on
each (pg_cpu_ms_per_save, bare_pg_cpu_ms_per_post, read from /proc), and cpu_ratio=: the
bare POST's CPU over a save's, both sides' database CPU included, which is what
bench/load.py's page_save_vs_bare_ratio comes close to when the machine's cores are the
limit. --sql also prints one save's statements (their first 300 characters; with --full,
whole); --profile runs the saves again under cProfile and prints the N (30) functions with
the most time of their own, then the N with the most in total.
"""

from __future__ import annotations

import base64
import cProfile
import gc
import os
import pstats
import statistics
import sys
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.load import CSRF_RE, PAGE, bench_clinic, percentile  # noqa: E402

DB_URL = os.environ.get(
    "INTAKE_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/intake_bench_save"
)
SAVES = int(os.environ.get("BENCH_SAVES", 300))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 10))
KEYS = tuple(base64.urlsafe_b64encode(os.urandom(32)).decode() for _ in range(2))


def fresh_database() -> None:
    """Drop and create the benchmark database."""
    import psycopg

    parts = urllib.parse.urlsplit(DB_URL.replace("postgresql+psycopg://", "postgresql://", 1))
    name = parts.path.lstrip("/")
    admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def build() -> tuple[Any, str]:
    """The app on the fresh database, and the token of one consented intake."""
    from flask_migrate import upgrade

    from intake import catalogue, create_app, lifecycle
    from intake.db import db
    from intake.models import IntakeStatus, utcnow
    from intake.serving import warm_up

    os.environ.setdefault("INTAKE_INSTANCE_PATH", "/tmp/intake-bench-save")
    app = create_app(
        {
            "SECRET_KEY": "bench-secret-" + "x" * 40,
            "SQLALCHEMY_DATABASE_URI": DB_URL,
            "PUBLIC_BASE_URL": "http://127.0.0.1",
            "ENCRYPTION_KEYS": KEYS[0],
            "SEARCH_KEY": KEYS[1],
            # No job is due on a page save; the sweeper would only add noise here.
            "JOB_RUNNER": "eager",
            "WEB_SWEEPER": False,
        }
    )
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory, revision="heads")
        catalogue.sync_builtin(app.config["FORMS_DIR"])
        clinic = bench_clinic()
        db.session.commit()
        version = catalogue.latest_builtin("readiness")
        assert version is not None
        intake = lifecycle.invite(clinic, "Saver", version)
        intake.consent_name, intake.consent_at = intake.client_name, utcnow()
        intake.status, intake.current_page = IntakeStatus.IN_PROGRESS, PAGE
        intake.started_at, intake.answers = utcnow(), {}
        db.session.commit()
        token = intake.token
        assert token is not None
        db.session.remove()
    warm_up(app, pdf=False)  # as gunicorn's master does before it forks
    return app, token


def saver(app: Any, token: str) -> Any:
    """A signed-in browser's page save, as bench/load.py posts it; returns post(seq).

    Like load.py's clients it sends the cookie of its first visit every time (a save sets
    none: the next step says the answers are saved by a flag in its address).
    """
    client = app.test_client(use_cookies=False)
    page = client.get(f"/i/{token}/p/{PAGE}")
    assert page.status_code == 200, page.status_code
    match = CSRF_RE.search(page.get_data(as_text=True))
    assert match, "no CSRF token"
    csrf = match.group(1)
    cookie = next(
        c.split(";", 1)[0] for c in page.headers.getlist("Set-Cookie") if c.startswith("session=")
    )

    def post(seq: int) -> None:
        response = client.post(
            f"/i/{token}/p/{PAGE}",
            data={
                "csrf_token": csrf,
                "action": "next",
                "adult": "yes",
                "why_now": f"Save number {seq}.",
                "hopes": "To sleep properly again.",
                "keep": "My evening walks.",
            },
            headers={"Cookie": cookie},
        )
        assert response.status_code == 302, response.status_code

    return post


def settle() -> None:
    """Freeze what is loaded so far out of the garbage collector's sight, as gunicorn.conf.py
    does before it forks: a worker's full collections never walk the app's own objects, so
    neither do the figures here (one such collection falling among the saves measured
    added tens of ms to them, differently from run to run)."""
    gc.collect()
    gc.freeze()


def calls_per_save(post: Any, saves: int = 100) -> float:
    """Function calls (Python and C) made by one save, averaged over `saves` saves."""
    calls = 0

    def counter(_frame: Any, event: str, _arg: Any) -> None:
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    sys.setprofile(counter)
    try:
        for seq in range(saves):
            post(20_000 + seq)
    finally:
        sys.setprofile(None)
    return calls / saves


def bare_poster() -> Any:
    """bench/bare.py on the same database, and its POST as load.py sends it: post(seq)."""
    from bench.bare import create_app

    os.environ["INTAKE_DATABASE_URL"] = DB_URL
    client = create_app().test_client(use_cookies=False)

    def post(seq: int) -> None:
        text = f"Save number {seq}. To sleep properly again."
        response = client.post("/save", data={"client": "c1", "seq": seq, "text": text})
        assert response.status_code == 302, response.status_code

    return post


def server_cpu_ms() -> Callable[[], float | None]:
    """The CPU the database's server processes for DB_URL's database have used (ms), as a
    reader to call before and after; None when they are not on this machine."""
    import psycopg

    name = urllib.parse.urlsplit(DB_URL).path.lstrip("/")
    admin_url = DB_URL.replace("postgresql+psycopg://", "postgresql://", 1).rsplit("/", 1)[0]
    with psycopg.connect(admin_url + "/postgres", autocommit=True) as admin:
        rows = admin.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (name,))
        pids = [row[0] for row in rows]
    tick_ms = 1000 / os.sysconf("SC_CLK_TCK")

    def read() -> float | None:
        try:
            total = 0
            for pid in pids:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime + stime, in ticks
        except (OSError, IndexError, ValueError):
            return None
        return total * tick_ms

    return read


def server_cpu_per_call(post: Any, calls: int) -> float | None:
    """The database server's CPU (ms) for each of `calls` posts; None when not measurable."""
    read = server_cpu_ms()
    before = read()
    for seq in range(calls):
        post(30_000 + seq)
    after = read()
    return None if before is None or after is None else (after - before) / calls


def cpu_rounds(post: Any, bare: Any) -> tuple[list[float], list[float]]:
    """This process's CPU (ms) per save and per bare POST, in ROUNDS alternating rounds.

    Alternating, so that both sides see the same machine: on a shared machine the CPU a
    call takes drifts by a third within a minute, and one block after the other measured
    the drift as much as the two apps.
    """
    ours: list[float] = []
    theirs: list[float] = []
    per_round = max(1, SAVES // ROUNDS)
    seq = 40_000
    for number in range(ROUNDS):
        sides = ((post, ours), (bare, theirs))
        # Each goes first in every other round: what one leaves behind (caches, garbage)
        # falls on both alike.
        for calls, side in sides if number % 2 == 0 else sides[::-1]:
            started = time.process_time()
            for _ in range(per_round):
                calls(seq)
                seq += 1
            side.append((time.process_time() - started) * 1000 / per_round)
    return ours, theirs


def compare(post: Any, bare: Any) -> None:
    """Both sides' calls, their CPU in alternating rounds, and their database's CPU."""
    print(f"bare_calls_per_post={calls_per_save(bare):.0f}")
    ours, theirs = cpu_rounds(post, bare)
    cpu_ms, bare_cpu_ms = statistics.median(ours), statistics.median(theirs)
    ratios = sorted(b / o for o, b in zip(ours, theirs, strict=True))
    print(f"cpu_ms_per_save={cpu_ms:.2f}")
    print(f"bare_cpu_ms_per_post={bare_cpu_ms:.2f}")
    print(f"app_cpu_ratio_rounds={ratios[0]:.2f}..{ratios[-1]:.2f}")
    ours_db = server_cpu_per_call(post, SAVES)
    bare_db = server_cpu_per_call(bare, SAVES)
    if ours_db is None or bare_db is None:
        print("# the database server is not on this machine: its CPU is not counted")
        return
    print(f"pg_cpu_ms_per_save={ours_db:.2f}")
    print(f"bare_pg_cpu_ms_per_post={bare_db:.2f}")
    print(f"cpu_ratio={(bare_cpu_ms + bare_db) / (cpu_ms + ours_db):.2f}")


def main() -> None:
    """Measure, then (if asked) show one save's SQL and profile the saves."""
    from sqlalchemy import event

    from intake.db import db

    fresh_database()
    app, token = build()
    post = saver(app, token)
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    bare = bare_poster()
    for seq in range(20):  # warm: the pool, the statement caches
        post(seq)
        bare(seq)
    settle()
    statements.clear()
    times = []
    for seq in range(SAVES):
        started = time.perf_counter()
        post(1000 + seq)
        times.append((time.perf_counter() - started) * 1000)
    print(f"statements_per_save={len(statements) / SAVES:.1f}")
    print(f"calls_per_save={calls_per_save(post):.0f}")
    print(f"ms_per_save={statistics.median(times):.2f}")
    print(f"ms_per_save_p90={percentile(times, 90):.2f}")
    print(f"ms_per_save_p99={percentile(times, 99):.2f}")
    compare(post, bare)
    if "--sql" in sys.argv:
        statements.clear()
        post(5000)
        for statement in statements:
            print("--", " ".join(statement.split())[: None if "--full" in sys.argv else 300])
    if "--profile" in sys.argv:
        at = sys.argv.index("--profile") + 1
        top = int(sys.argv[at]) if at < len(sys.argv) and sys.argv[at].isdigit() else 30
        profile = cProfile.Profile()
        profile.enable()
        for seq in range(SAVES):
            post(9000 + seq)
        profile.disable()
        stats = pstats.Stats(profile).strip_dirs()
        stats.sort_stats("tottime").print_stats(top)
        stats.sort_stats("cumulative").print_stats(top)
    event.remove(engine, "before_cursor_execute", count)
    with app.app_context():
        db.engine.dispose()


if __name__ == "__main__":
    main()
