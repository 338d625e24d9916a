"""The Procfile, run by honcho in production mode: web and worker on PostgreSQL and Redis.

One intake completed over HTTP, its brief PDF fetched by the therapist, the metrics of every
gunicorn worker added up, JSON log lines with request ids and without a single answer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import (
    FULL,
    VENV_BIN,
    WORDS,
    Http,
    Live,
    complete_over_http,
    free_port,
    live_env,
    pdf_text,
    pg_drop,
    pg_recreate,
    pg_scratch_url,
    seed_demo,
    start_redis,
    wait_until,
)


@pytest.fixture
def scratch(postgres_url: str) -> Iterator[str]:
    """An empty database of this test's own."""
    url = pg_scratch_url(postgres_url, "procfile")
    pg_recreate(url)
    yield url
    pg_drop(url)


def metric(text: str, name: str) -> float:
    """The sum of a metric's samples whose line starts with name (labels included)."""
    return sum(
        float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name)
    )


def test_honcho_starts_web_and_worker_that_serve_an_intake_end_to_end(
    live: Live, scratch: str, tmp_path: Path
) -> None:
    redis_url, _ = start_redis(live)
    port = free_port()
    env = live_env(
        INTAKE_PRODUCTION="1",
        INTAKE_DATABASE_URL=scratch,
        INTAKE_REDIS_URL=redis_url,
        INTAKE_PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        INTAKE_INSTANCE_PATH=str(tmp_path / "instance"),
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        WEB_CONCURRENCY="2",
    )
    demo = seed_demo(env)
    honcho = live.start("honcho", [str(VENV_BIN / "honcho"), "start", "-p", str(port)], env)
    base = live.serving("honcho", honcho, port)
    assert demo["link"].startswith(base)

    client = Http(base)
    pages = complete_over_http(client, demo["link"], FULL)

    staff = Http(base)
    status, headers, _ = staff.form(
        "/staff/login", {"email": demo["email"], "password": demo["password"]}
    )
    assert status == 302 and headers["location"] == "/staff/", status
    dashboard = staff.get("/staff/")[2].decode()
    intake_id = re.search(r"/staff/intakes/(\d+)", dashboard)
    assert intake_id, dashboard[:2000]
    pdf_url = f"/staff/intakes/{intake_id.group(1)}/brief.pdf"

    def rendered() -> bytes | None:
        status, headers, body = staff.get(pdf_url)
        return body if status == 200 and headers["content-type"] == "application/pdf" else None

    pdf = wait_until(rendered, 60, "the worker to render the brief", every=0.5)
    assert pdf.startswith(b"%PDF")
    assert "Demo Client" in pdf_text(pdf)

    # Counters from both gunicorn workers, added up (prometheus-client's multiprocess mode).
    metrics = Http(base).get("/metrics")[2].decode()
    assert metric(metrics, 'intake_page_saves_total{kind="page"}') == pages
    assert metric(metrics, "intake_submissions_total") == 1
    assert 'intake_brief_pdfs{state="ready"} 1.0' in metrics
    assert 'endpoint="client.page"' in metrics

    live.stop(honcho)
    log = live.log("honcho")
    # Structured lines, the request id on every access line, never a word of an answer.
    access = [
        json.loads(line.split("| ", 1)[1]) for line in log.splitlines() if '"status"' in line
    ]
    assert access and all(len(entry["request_id"]) == 32 for entry in access), log[-3000:]
    assert all("/i/…" in e["path"] for e in access if e["path"].startswith("/i/")), access[:3]
    for words in (w for w in WORDS.values() if len(w) > 12):
        assert words not in log
    assert demo["link"].rsplit("/", 1)[1] not in log  # the client's link token
