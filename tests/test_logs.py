"""Logs: a request id on every line and every response, carried into threads and jobs; JSON
lines in production; link tokens redacted from access lines; never a client's answer."""

from __future__ import annotations

import io
import json
import logging
import os
import threading
from typing import Any

import pytest
from flask.testing import FlaskClient

from intake import create_app, logs
from tests.helpers import FULL, WORDS, complete

SEEN: list[str | None] = []


def remember_request_id() -> None:
    """An RQ job that notes the request id it runs under."""
    SEEN.append(logs.current_request_id())


def test_every_response_names_its_request_id(client: FlaskClient) -> None:
    fresh = client.get("/healthz").headers["X-Request-ID"]
    assert len(fresh) == 32 and fresh != client.get("/healthz").headers["X-Request-ID"]
    # A well-formed id from a proxy is kept, so its lines and ours can be joined up...
    assert (
        client.get("/healthz", headers={"X-Request-ID": "lb-42.a"}).headers["X-Request-ID"]
        == "lb-42.a"
    )
    # ...anything else is replaced, so a header can never forge a log line.
    forged = client.get("/healthz", headers={"X-Request-ID": 'x" level=ERROR'})
    assert len(forged.headers["X-Request-ID"]) == 32


def test_lines_logged_during_a_request_carry_its_id_also_in_a_thread() -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(logs.RequestIdFilter())
    handler.setFormatter(logs.json_formatter())
    log = logging.getLogger("intake.test")
    log.addHandler(handler)
    log.setLevel(logging.INFO)

    @app.get("/work")
    def work() -> str:
        log.info("in the request")
        carried = threading.Thread(target=logs.carry(lambda: log.info("in a carried thread")))
        plain = threading.Thread(target=lambda: log.info("in a plain thread"))
        for thread in (carried, plain):
            thread.start()
            thread.join()
        return "done"

    try:
        rid = (
            app.test_client()
            .get("/work", headers={"X-Request-ID": "req-7"})
            .headers["X-Request-ID"]
        )
    finally:
        log.removeHandler(handler)
    lines = {entry["message"]: entry for entry in map(json.loads, stream.getvalue().splitlines())}
    assert rid == "req-7"
    assert lines["in the request"]["request_id"] == "req-7"
    assert lines["in a carried thread"]["request_id"] == "req-7"
    assert lines["in a plain thread"]["request_id"] == "-"
    entry = lines["in the request"]
    assert entry["level"] == "INFO" and entry["logger"] == "intake.test"
    assert entry["time"].endswith("+00:00")  # ISO 8601, UTC


def test_a_queued_job_runs_under_the_request_id_it_was_queued_with() -> None:
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisDown
    from rq import Queue

    url = os.environ.get("INTAKE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    connection = Redis.from_url(url)
    try:
        connection.ping()
    except RedisDown:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"Redis is not running at {url}")
    queue = Queue("intake-test-logs", connection=connection)
    queue.empty()
    SEEN.clear()
    try:
        with logs.bound("req-queued"):
            queue.enqueue(remember_request_id, meta=logs.job_meta())
        queue.enqueue(remember_request_id)  # queued outside any request
        logs.worker_class()([queue], connection=connection).work(burst=True)
    finally:
        queue.empty()
        for registry in (queue.failed_job_registry, queue.finished_job_registry):
            for job_id in registry.get_job_ids():
                registry.remove(job_id, delete_job=True)
        connection.close()
    assert SEEN[0] == "req-queued"
    assert SEEN[1] is not None and SEEN[1].startswith("job-")


class Atoms(dict[str, Any]):
    """What gunicorn hands its access logger: unknown keys answer '-'."""

    def __getitem__(self, key: str) -> Any:
        return super().get(key, "-")


@pytest.mark.parametrize("json_lines", [False, True])
def test_access_lines_never_show_a_link_token(json_lines: bool) -> None:
    atoms = Atoms(
        h="203.0.113.9",
        r="POST /i/Zx9SecretToken_abc/p/now HTTP/1.1",
        m="POST",
        U="/i/Zx9SecretToken_abc/p/now",
        s="302",
        B="201",
        M="12",
        a="phone",
    )
    atoms["{x-request-id}o"] = "abc123"
    record = logging.LogRecord(
        "gunicorn.access", logging.INFO, __file__, 1, logs.ACCESS_FORMAT, (atoms,), None
    )
    record.args = atoms
    if json_lines:
        line = json.loads(logs.access_json_formatter().format(record))
        assert line["path"] == "/i/…/p/now" and line["status"] == 302
        assert line["request_id"] == "abc123" and line["duration_ms"] == 12
    else:
        line = logs.AccessFormatter("%(message)s").format(record)
        assert '"POST /i/…/p/now HTTP/1.1" 302' in line and "rid=abc123" in line
    assert "Zx9SecretToken" not in str(line)
    assert logs.redact("/staff/password/reset/tok3n?x=1") == "/staff/password/reset/…?x=1"
    assert logs.redact("/staff/join/tok3n") == "/staff/join/…"
    assert logs.redact("/r/clinic-token") == "/r/…"


def test_no_answer_reaches_a_log_line(
    client: FlaskClient, make_clinic: Any, make_intake: Any, caplog: pytest.LogCaptureFixture
) -> None:
    clinic_id, _ = make_clinic()
    with caplog.at_level(logging.DEBUG):
        complete(client, make_intake(clinic_id), FULL)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert caplog.records  # something was logged at DEBUG
    for words in WORDS.values():
        if len(words) > 12:
            assert words not in logged
