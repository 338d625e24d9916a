"""Load: client page saves against a bare Flask + SQLAlchemy app, render workers 2 vs 1, and the
dashboard while clients save; both sides under gunicorn.conf.py on the same PostgreSQL.

Usage: python bench/load.py   (or `make bench-load`)
Database: INTAKE_BENCH_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/
intake_bench_load, dropped and created afresh); Redis: a redis-server of its own on a free
loopback port. Settings: BENCH_CLIENTS (8), BENCH_SECONDS per round (8), BENCH_ROUNDS (3),
BENCH_BRIEFS per render round (24), BENCH_RENDER_ROUNDS (2 with one worker, 2 with two,
alternating), WEB_CONCURRENCY (gunicorn.conf.py's default).

Prints one `name=value` per line:
  page_saves_per_s, bare_per_s, page_save_vs_bare_ratio, bare_keep_per_s (the bare app's
  locked read and update of one row per client, bench/bare.py's /keep),
  bare_keep_vs_bare_ratio, page_save_vs_bare_keep_ratio, p99_ms, bare_p99_ms, p99_ratio,
  errors, lost, render_per_s_1, render_per_s_2, render_workers_2_vs_1, render_s_1w,
  render_s_2w, cpu_busy_2w, submit_to_pdf_p95_s, dashboard_p95_ms_under_load.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

# This run's keys of client data at rest (the data is thrown away after).
BENCH_KEYS = tuple(base64.urlsafe_b64encode(os.urandom(32)).decode() for _ in range(2))

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DB_URL = os.environ.get(
    "INTAKE_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/intake_bench_load"
)
CLIENTS = int(os.environ.get("BENCH_CLIENTS", 8))
SECONDS = float(os.environ.get("BENCH_SECONDS", 8))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 3))
BRIEFS = int(os.environ.get("BENCH_BRIEFS", 24))
RENDER_ROUNDS = int(os.environ.get("BENCH_RENDER_ROUNDS", 2))
DASHBOARD_INTAKES = 2000
PASSWORD = "bench password, not a secret"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PAGE, NEXT = "now", "change"


# Processes and plumbing.


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Processes:
    """What the benchmark starts; stopped by PID (process group) at the end."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.running: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, args: list[str], env: Mapping[str, str]) -> subprocess.Popen[bytes]:
        """Start one process, output to FOLDER/NAME.log."""
        with (self.folder / f"{name}.log").open("ab") as out:
            process = subprocess.Popen(
                args,
                cwd=ROOT,
                env=dict(env),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.running.append(process)
        return process

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        """SIGTERM its group, SIGKILL after 20 s."""
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)

    def stop_all(self) -> None:
        """Everything, newest first."""
        for process in reversed(self.running):
            self.stop(process)


def wait_until(check: Callable[[], Any], timeout: float, what: str, every: float = 0.1) -> Any:
    """Poll check every `every` seconds until true; raise after timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if result := check():
                return result
        time.sleep(every)
    raise SystemExit(f"timed out waiting for {what}")


class Connection:
    """One keep-alive HTTP/1.1 connection with a fixed cookie header."""

    def __init__(self, base: str):
        parts = urllib.parse.urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.conn: http.client.HTTPConnection | None = None
        self.cookie = ""

    def request(
        self, method: str, path: str, form: Mapping[str, Any] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """One request (reconnecting if the server closed the connection)."""
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                found = {k.lower(): v for k, v in response.getheaders()}
                if response.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return response.status, found, data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def keep_cookies(self, headers: Mapping[str, str]) -> None:
        """Take the session cookie a response set (one cookie is all these apps set)."""
        if "set-cookie" in headers:
            self.cookie = headers["set-cookie"].split(";", 1)[0]


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered)) - 1))]


# The database.


def bench_clinic(name: str = "Bench Practice") -> Any:
    """The benchmarks' clinic, added and flushed (a clinic may invite once its crisis
    contacts are set)."""
    from intake.db import db
    from intake.models import Clinic

    clinic = Clinic(
        slug="bench",
        name=name,
        emergency_number="911",
        crisis_texts={"en": "Call or text 988 at any time.", "es": "Llame al 988."},
    )
    db.session.add(clinic)
    db.session.flush()
    return clinic


def prepare_database() -> dict[str, Any]:
    """Fresh database: migrations, a clinic, its therapist, savers', submitters' and
    dashboard intakes. Returns their tokens and ids."""
    import psycopg
    from sqlalchemy import insert

    plain = DB_URL.replace("postgresql+psycopg://", "postgresql://", 1)
    parts = urllib.parse.urlsplit(plain)
    name = parts.path.lstrip("/")
    with psycopg.connect(
        urllib.parse.urlunsplit(parts._replace(path="/postgres")), autocommit=True
    ) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')

    from flask_migrate import upgrade

    from intake import catalogue, create_app, crypto, lifecycle
    from intake.accounts.auth import hash_password
    from intake.brief.samples import FREE_TEXT
    from intake.db import db
    from intake.models import ClientContact, Intake, IntakeStatus, Role, Staff, utcnow
    from intake.questionnaire.flow import first_missing

    app = create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": DB_URL,
            "PUBLIC_BASE_URL": "http://127.0.0.1",
            "ENCRYPTION_KEYS": BENCH_KEYS[0],
            "SEARCH_KEY": BENCH_KEYS[1],
        }
    )
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory, revision="heads")
        catalogue.sync_builtin(app.config["FORMS_DIR"])
        clinic = bench_clinic()
        therapist = Staff(
            clinic_id=clinic.id,
            email="therapist@bench.example",
            name="T",
            role=Role.ADMIN,
            password_hash=hash_password(PASSWORD),
        )
        db.session.add(therapist)
        db.session.commit()
        version = catalogue.latest_builtin("readiness")
        assert version is not None
        definition = catalogue.definition_of(version)
        complete = {**definition.examples[0].answers, **FREE_TEXT}
        assert first_missing(definition, complete) is None
        now = utcnow()
        db.session.execute(
            insert(Intake),
            [
                dict(
                    clinic_id=clinic.id,
                    questionnaire_id=version.id,
                    token_hash=crypto.token_hash(f"dash-{n:05d}"),
                    client_name=f"Dashboard Client {n}",
                    status=IntakeStatus.INVITED,
                    answers={},
                    created_at=now,
                    source="invitation",
                    language="en",
                )
                for n in range(DASHBOARD_INTAKES)
            ],
        )
        db.session.commit()

        def consented(label: str, count: int, answers: dict[str, Any], page: str) -> list[str]:
            tokens = []
            for n in range(count):
                intake = lifecycle.invite(clinic, f"{label} {n}", version, therapist)
                intake.consent_name, intake.consent_at = intake.client_name, utcnow()
                intake.status, intake.current_page = IntakeStatus.IN_PROGRESS, page
                intake.started_at, intake.answers = utcnow(), answers
                if page == "review":
                    # Through the contact step too (sending waits for it): rather not say.
                    intake.contact = ClientContact(declined=True, confirmed_at=utcnow())
                db.session.commit()
                tokens.append(intake.token)
            return tokens

        savers = consented("Saver", CLIENTS * 2, {}, PAGE)
        batches = [
            consented(f"Brief {n}", BRIEFS, complete, "review") for n in range(2 * RENDER_ROUNDS)
        ]
        db.session.remove()
        db.engine.dispose()
    return {"savers": savers, "submit": batches}


def query(sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows from the benchmark database."""
    import psycopg

    with psycopg.connect(DB_URL.replace("postgresql+psycopg://", "postgresql://", 1)) as conn:
        cursor = conn.execute(sql, params)  # type: ignore[arg-type]
        return list(cursor.fetchall()) if cursor.description else []


def stored_answer(token: str, item: str) -> Any:
    """One stored answer of the intake behind a link (answers are encrypted at rest: opened
    with this run's key)."""
    from intake.crypto import Keyring, token_hash

    sealed = query("SELECT answers FROM intake WHERE token_hash = %s", (token_hash(token),))[0][0]
    ring = Keyring.from_texts([BENCH_KEYS[0]], BENCH_KEYS[1])
    return json.loads(ring.decrypt_text(sealed, "intake.answers")).get(item)


# Load.


class Side:
    """One server under load: what its clients did."""

    def __init__(self, name: str):
        self.name = name
        self.ok = 0
        self.errors = 0
        self.latencies: list[float] = []
        self.seconds = 0.0
        self.last_ok: dict[int, int] = {}

    @property
    def per_second(self) -> float:
        """302s answered per second."""
        return self.ok / self.seconds if self.seconds else 0.0


def our_clients(base: str, tokens: list[str]) -> list[Callable[[int], tuple[str, dict[str, Any]]]]:
    """Per client: a signed-in-browser connection and the save it posts (seq varies)."""
    made = []
    for n in range(CLIENTS):
        token = tokens[n]
        probe = Connection(base)
        status, headers, body = probe.request("GET", f"/i/{token}/p/{PAGE}")
        assert status == 200, status
        probe.keep_cookies(headers)
        csrf = CSRF_RE.search(body.decode()).group(1)  # type: ignore[union-attr]
        cookie = probe.cookie

        def post(seq: int, token: str = token, csrf: str = csrf) -> tuple[str, dict[str, Any]]:
            return f"/i/{token}/p/{PAGE}", {
                "csrf_token": csrf,
                "action": "next",
                "adult": "yes",
                "why_now": f"Save number {seq}.",
                "hopes": "To sleep properly again.",
                "keep": "My evening walks.",
            }

        made.append((cookie, post))
    return made  # type: ignore[return-value]


def bare_clients(path: str = "/save") -> list[Any]:
    """Per client: the form the bare app inserts (/save) or keeps in the client's row (/keep)."""
    return [
        (
            "",
            lambda seq, n=n: (
                path,
                {
                    "client": f"c{n}",
                    "seq": seq,
                    "text": f"Save number {seq}. To sleep properly again.",
                },
            ),
        )
        for n in range(CLIENTS)
    ]


def run_load(
    base: str, clients: list[Any], side: Side, seconds: float, seq_start: int = 0
) -> None:
    """CLIENTS threads post saves for `seconds`; each sends its own cookie every time."""
    stop = time.monotonic() + seconds
    lock = threading.Lock()

    def client(n: int) -> None:
        cookie, make = clients[n]
        conn = Connection(base)
        conn.cookie = cookie
        seq = seq_start
        latencies, ok, errors, last = [], 0, 0, None
        while time.monotonic() < stop:
            seq += 1
            path, form = make(seq)
            started = time.perf_counter()
            try:
                status = conn.request("POST", path, form)[0]
            except (OSError, http.client.HTTPException):
                status = 0
            latencies.append(time.perf_counter() - started)
            if status == 302:
                ok, last = ok + 1, seq
            else:
                errors += 1
        with lock:
            side.ok += ok
            side.errors += errors
            side.latencies.extend(latencies)
            if last is not None:
                side.last_ok[n] = last

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    side.seconds += time.monotonic() - started


def cpu_busy() -> Callable[[], float]:
    """Start measuring the machine's CPU; the returned function gives busy % since."""

    def sample() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return sum(fields), fields[3] + fields[4]

    total0, idle0 = sample()

    def busy() -> float:
        total, idle = sample()
        return 100.0 * (1 - (idle - idle0) / max(1, total - total0))

    return busy


def main() -> None:
    """Set up, measure, print."""
    folder = Path(tempfile.mkdtemp(prefix="intake-load-"))
    procs = Processes(folder)
    try:
        measure(procs, folder)
    finally:
        procs.stop_all()
        print(f"# logs: {folder}", file=sys.stderr)


def measure(procs: Processes, folder: Path) -> None:
    """Every phase of the benchmark."""
    seeded = prepare_database()
    redis_port = free_port()
    procs.start(
        "redis",
        [
            "redis-server",
            "--port",
            str(redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        os.environ,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTAKE_", "PROMETHEUS_"))}
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        INTAKE_PRODUCTION="1",
        SECRET_KEY="bench-secret-" + "x" * 40,
        INTAKE_DATABASE_URL=DB_URL,
        INTAKE_REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
        INTAKE_INSTANCE_PATH=str(folder / "instance"),
        PROMETHEUS_MULTIPROC_DIR=str(folder / "metrics"),
        INTAKE_ENCRYPTION_KEYS=BENCH_KEYS[0],
        INTAKE_SEARCH_KEY=BENCH_KEYS[1],
    )
    ours_port, bare_port = free_port(), free_port()
    env["INTAKE_PUBLIC_BASE_URL"] = f"http://127.0.0.1:{ours_port}"
    gunicorn = [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"]
    procs.start("web", [*gunicorn, "intake:create_app()"], {**env, "PORT": str(ours_port)})
    procs.start(
        "bare",
        [*gunicorn, "bench.bare:create_app()"],
        {**env, "PORT": str(bare_port), "PROMETHEUS_MULTIPROC_DIR": str(folder / "m2")},
    )
    ours, bare = f"http://127.0.0.1:{ours_port}", f"http://127.0.0.1:{bare_port}"
    wait_until(lambda: Connection(ours).request("GET", "/readyz")[0] == 200, 60, "intake")
    wait_until(
        lambda: Connection(bare).request("POST", "/save", {"client": "w", "seq": 0})[0] == 302,
        60,
        "bare",
    )

    # 1. Page saves against the bare app, alternating rounds so both see the same machine.
    savers = our_clients(ours, seeded["savers"])
    plain, keepers = bare_clients(), bare_clients("/keep")
    run_load(ours, savers, Side("warm"), 2)
    run_load(bare, plain, Side("warm"), 2)
    run_load(bare, keepers, Side("warm"), 2)
    saves_before = metric_sum(ours, 'intake_page_saves_total{kind="page"}')
    query("TRUNCATE bench_bare_row")
    mine, theirs, kept = Side("intake"), Side("bare"), Side("bare keep")
    for n in range(ROUNDS):
        run_load(bare, plain, theirs, SECONDS, seq_start=n * 1_000_000)
        run_load(ours, savers, mine, SECONDS, seq_start=n * 1_000_000)
        run_load(bare, keepers, kept, SECONDS, seq_start=n * 1_000_000)
    committed = metric_sum(ours, 'intake_page_saves_total{kind="page"}') - saves_before
    bare_rows = query("SELECT count(*) FROM bench_bare_row")[0][0]
    lost = max(0, theirs.ok - bare_rows) + max(0, mine.ok - int(committed))
    for n, seq in mine.last_ok.items():
        lost += stored_answer(seeded["savers"][n], "why_now") != f"Save number {seq}."
    kept_seq = dict(query("SELECT client, seq FROM bench_bare_kept"))
    lost += sum(kept_seq.get(f"c{n}") != seq for n, seq in kept.last_ok.items())
    p99, bare_p99 = percentile(mine.latencies, 99), percentile(theirs.latencies, 99)
    out("page_saves_per_s", f"{mine.per_second:.0f}")
    out("bare_per_s", f"{theirs.per_second:.0f}")
    out("page_save_vs_bare_ratio", f"{mine.per_second / theirs.per_second:.2f}")
    out("bare_keep_per_s", f"{kept.per_second:.0f}")
    out("bare_keep_vs_bare_ratio", f"{kept.per_second / theirs.per_second:.2f}")
    out("page_save_vs_bare_keep_ratio", f"{mine.per_second / kept.per_second:.2f}")
    out("p50_ms", f"{percentile(mine.latencies, 50) * 1000:.1f}")
    out("bare_p50_ms", f"{percentile(theirs.latencies, 50) * 1000:.1f}")
    out("p99_ms", f"{p99 * 1000:.1f}")
    out("bare_p99_ms", f"{bare_p99 * 1000:.1f}")
    out("p99_ratio", f"{p99 / bare_p99:.2f}")
    out("errors", str(mine.errors + theirs.errors + kept.errors))
    out("lost", str(lost))

    if os.environ.get("BENCH_PHASES") == "saves":
        return

    # 2. The dashboard while clients save.
    dashboard_ms = dashboard_under_load(ours, savers)
    out("dashboard_p95_ms_under_load", f"{percentile(dashboard_ms, 95):.0f}")

    # 3. Render workers: one, then two, then one, then two (so both see the same machine),
    #    each round fed BRIEFS submissions over HTTP at once.
    briefs: dict[int, int] = {1: 0, 2: 0}
    elapsed: dict[int, float] = {1: 0.0, 2: 0.0}
    each: dict[int, list[float]] = {1: [], 2: []}
    waits: dict[int, list[float]] = {1: [], 2: []}
    busy_2: list[float] = []
    for turn, tokens in enumerate(seeded["submit"]):
        count = 1 + turn % 2
        started = [
            procs.start(
                f"worker-{count}-r{turn}-{n}",
                [str(BIN / "flask"), "--app", "intake", "briefs", "worker"],
                env,
            )
            for n in range(count)
        ]
        wait_until(
            lambda count=count: workers_ready(env["INTAKE_REDIS_URL"]) == count,
            90,
            f"{count} render worker(s)",
        )
        busy = cpu_busy()
        seconds, latencies = render_phase(ours, tokens)
        briefs[count] += len(tokens)
        elapsed[count] += seconds
        waits[count] += latencies
        each[count].append(render_seconds(folder))
        if count == 2:
            busy_2.append(busy())
        for process in started:
            procs.stop(process)
        wait_until(lambda: workers_ready(env["INTAKE_REDIS_URL"]) == 0, 30, "workers to stop")
    rate_1, rate_2 = briefs[1] / elapsed[1], briefs[2] / elapsed[2]
    out("render_per_s_1", f"{rate_1:.2f}")
    out("render_per_s_2", f"{rate_2:.2f}")
    out("render_workers_2_vs_1", f"{rate_2 / rate_1:.2f}")
    out("render_s_1w", f"{statistics.mean(each[1]):.2f}")
    out("render_s_2w", f"{statistics.mean(each[2]):.2f}")
    out("cpu_busy_2w", f"{statistics.mean(busy_2):.0f}")
    out("submit_to_pdf_p95_s", f"{percentile(waits[2], 95):.2f}")


def out(name: str, value: str) -> None:
    """One figure, as `name=value`."""
    print(f"{name}={value}", flush=True)


def metric_sum(base: str, prefix: str) -> float:
    """The sum of a metric's samples from /metrics (every gunicorn worker added up)."""
    text = Connection(base).request("GET", "/metrics")[2].decode()
    return sum(
        float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(prefix)
    )


def dashboard_under_load(base: str, savers: list[Any]) -> list[float]:
    """A therapist reloads the dashboard while every client saves: each load's ms."""
    staff = Connection(base)
    status, headers, body = staff.request("GET", "/staff/login")
    staff.keep_cookies(headers)
    csrf = CSRF_RE.search(body.decode()).group(1)  # type: ignore[union-attr]
    status, headers, _ = staff.request(
        "POST",
        "/staff/login",
        {"csrf_token": csrf, "email": "therapist@bench.example", "password": PASSWORD},
    )
    assert status == 302, status
    staff.keep_cookies(headers)
    timings: list[float] = []
    done = threading.Event()

    def therapist() -> None:
        while not done.is_set():
            started = time.perf_counter()
            status, headers, _ = staff.request("GET", "/staff/")
            assert status == 200, status
            staff.keep_cookies(headers)
            timings.append((time.perf_counter() - started) * 1000)

    thread = threading.Thread(target=therapist)
    thread.start()
    run_load(base, savers, Side("with dashboard"), SECONDS, seq_start=9_000_000)
    done.set()
    thread.join()
    return timings


def workers_ready(redis_url: str) -> int:
    """How many RQ workers are registered (each warms up before it registers)."""
    from redis import Redis
    from rq import Worker

    with Redis.from_url(redis_url) as connection:
        return len(Worker.all(connection=connection))


def render_phase(base: str, tokens: list[str]) -> tuple[float, list[float]]:
    """Submit every intake at once over HTTP: (seconds from the first submission to the last
    PDF, each brief's seconds from submission to PDF)."""
    sessions = []
    for token in tokens:
        conn = Connection(base)
        status, headers, body = conn.request("GET", f"/i/{token}/review")
        assert status == 200, status
        conn.keep_cookies(headers)
        sessions.append((conn, token, CSRF_RE.search(body.decode()).group(1)))  # type: ignore[union-attr]

    def submit(chunk: list[Any]) -> None:
        for conn, token, csrf in chunk:
            status = conn.request("POST", f"/i/{token}/review", {"csrf_token": csrf})[0]
            assert status == 302, status

    threads = [
        threading.Thread(target=submit, args=(sessions[n::CLIENTS],)) for n in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    from intake.crypto import token_hash

    marks = ", ".join(f"'{token_hash(t)}'" for t in tokens)
    sql = (
        "SELECT i.submitted_at, b.rendered_at, b.updated_at FROM intake i"
        f" JOIN brief_pdf b ON b.intake_id = i.id WHERE i.token_hash IN ({marks})"
        " AND b.state = 'ready'"
    )
    # One connection, asked four times a second: a new connection at every look (a server
    # process forked each time) took CPU from the very workers being measured.
    import psycopg

    with psycopg.connect(DB_URL.replace("postgresql+psycopg://", "postgresql://", 1)) as poll:
        poll.autocommit = True
        rows = wait_until(
            lambda: (r := poll.execute(sql).fetchall()) and len(r) == len(tokens) and r,
            600,
            "every brief to render",
            every=0.25,
        )
    first = min(r[0] for r in rows)
    last = max(r[1] for r in rows)
    latencies = [(r[1] - r[0]).total_seconds() for r in rows]
    return max(0.001, (last - first).total_seconds()), latencies


_RENDERED = re.compile(r"rendered in ([0-9.]+) s")
_seen_logs: set[str] = set()


def render_seconds(folder: Path) -> float:
    """Mean render time the workers logged since the last call."""
    values = []
    for log in folder.glob("worker-*.log"):
        if str(log) in _seen_logs:
            continue
        _seen_logs.add(str(log))
        for line in log.read_text(errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                if match := _RENDERED.search(entry.get("message", "")):
                    values.append(float(match.group(1)))
    return statistics.mean(values) if values else float("nan")


if __name__ == "__main__":
    main()
