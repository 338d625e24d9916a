"""Brief PDFs are rendered outside requests, stored, served from the store and kept current."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from intake import lifecycle, outbox
from intake.brief import jobs, render, store
from intake.catalogue import definition_of
from intake.db import db
from intake.models import BriefPdf, Clinic, Intake, PdfStatus
from tests.helpers import csrf_token

QUEUE = "intake-test-h3"
# Concurrent test runs (several checkouts) each take their own Redis database number.
REDIS_URL = os.environ.get("INTAKE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
WORDS = {"why_now": "The boat-building course I gave up on.", "hopes": "Sleep.", "keep": "Walks."}


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count real renders (each one still happens)."""
    calls: list[int] = []
    real = jobs.render_pdf

    def counting(*args: Any, **kwargs: Any) -> bytes:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(jobs, "render_pdf", counting)
    return calls


@pytest.fixture
def staff(client: FlaskClient, make_clinic: Any, make_intake: Any, login: Any) -> dict[str, Any]:
    """A signed-in therapist and an invited intake of their clinic."""
    clinic_id, email = make_clinic("harbour")
    login(email)
    return {"clinic_id": clinic_id, "intake": make_intake(clinic_id, "Robin Ashdown")}


def submit(intake: Intake) -> None:
    """Send the intake with worked example A's answers, as the client's last page does."""
    definition = definition_of(intake.questionnaire)
    example = next(e for e in definition.examples if e.name.startswith("A,"))
    intake.answers = {**example.answers, **WORDS}
    db.session.commit()
    lifecycle.submit(intake, definition)


def row_of(intake: Intake) -> BriefPdf:
    db.session.expire_all()
    row = db.session.scalar(db.select(BriefPdf).where(BriefPdf.intake_id == intake.id))
    assert row is not None
    return row


def download(client: FlaskClient, intake: Intake) -> Any:
    return client.get(f"/staff/intakes/{intake.id}/brief.pdf")


def test_submit_renders_once_and_downloads_come_from_the_store(
    client: FlaskClient, staff: dict[str, Any], renders: list[int]
) -> None:
    intake = staff["intake"]
    submit(intake)
    assert renders == [1]
    row = row_of(intake)
    assert row.state == "ready" and row.version == store.version_of(intake)
    assert store.status(intake) == PdfStatus.READY
    first = download(client, intake)
    second = download(client, intake)
    assert first.status_code == second.status_code == 200
    assert first.data == second.data == row.pdf and first.data.startswith(b"%PDF")
    assert first.headers["ETag"] == f'"{row.sha256}"'
    assert renders == [1]  # neither download rendered
    again = client.get(
        f"/staff/intakes/{intake.id}/brief.pdf", headers={"If-None-Match": row.sha256}
    )
    assert again.status_code == 304


def test_html_brief_page_has_print_button_and_download_link(
    client: FlaskClient, staff: dict[str, Any]
) -> None:
    intake = staff["intake"]
    submit(intake)
    page = client.get(f"/staff/intakes/{intake.id}").get_data(as_text=True)
    assert "data-print" in page and "Print this brief" in page
    assert f'href="/staff/intakes/{intake.id}/brief.pdf">Download PDF' in page
    assert "/staff/brief-assets/screen.css" in page
    with client.get("/staff/brief-assets/print.js") as script:
        assert script.status_code == 200 and b"window.print()" in script.data
    with client.get(
        "/staff/brief-assets/fonts/atkinson-hyperlegible-latin-400-normal.woff2"
    ) as font:
        assert font.status_code == 200


@pytest.fixture
def templates_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The report templates copied to a folder this test may change."""
    copy = tmp_path / "report_templates"
    shutil.copytree(render.TEMPLATES_DIR, copy)
    monkeypatch.setattr(render, "TEMPLATES_DIR", copy)
    monkeypatch.setattr(store, "TEMPLATES_DIR", copy)
    yield copy


def test_a_template_change_renders_again_and_never_serves_the_old_pdf(
    app: Flask,
    client: FlaskClient,
    staff: dict[str, Any],
    renders: list[int],
    templates_copy: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    intake = staff["intake"]
    submit(intake)
    old = row_of(intake)
    old_version, old_sha = old.version, old.sha256
    css = templates_copy / "brief.css"
    css.write_text(css.read_text() + "\n.kicker { letter-spacing: 0.1em; }\n")
    # Nothing renders yet in the background: the stale PDF must not be served meanwhile.
    monkeypatch.setitem(app.config, "JOB_RUNNER", "thread")
    monkeypatch.setattr(outbox, "dispatch", lambda app, jobs: None)
    assert store.status(intake) == PdfStatus.PREPARING
    stale = download(client, intake)
    # Not a PDF yet, and said so by the status: a script waits, a person reads the brief.
    assert stale.status_code == 202 and stale.headers["Retry-After"] == "10"
    assert stale.mimetype == "text/html" and "no-store" in stale.headers["Cache-Control"]
    note = stale.get_data(as_text=True)
    assert "The PDF is being prepared" in note
    assert f'href="/staff/intakes/{intake.id}"' in note
    page = client.get(f"/staff/intakes/{intake.id}").get_data(as_text=True)
    assert "PDF being prepared" in page
    assert "The boat-building course I gave up on." in page  # the HTML brief is all there
    assert renders == [1]
    monkeypatch.undo()
    monkeypatch.setattr(render, "TEMPLATES_DIR", templates_copy)
    monkeypatch.setattr(store, "TEMPLATES_DIR", templates_copy)
    monkeypatch.setattr(jobs, "render_pdf", _counting(renders))
    jobs.enqueue(intake)  # eager in tests: renders now
    fresh = row_of(intake)
    assert len(renders) == 2
    assert fresh.version != old_version and fresh.sha256 != old_sha
    assert download(client, intake).status_code == 200


def _counting(calls: list[int]) -> Any:
    real = render.render_pdf

    def counting(*args: Any, **kwargs: Any) -> bytes:
        calls.append(1)
        return real(*args, **kwargs)

    return counting


def test_a_branding_change_makes_the_pdf_stale(
    client: FlaskClient, staff: dict[str, Any], renders: list[int]
) -> None:
    intake = staff["intake"]
    submit(intake)
    version = store.version_of(intake)
    clinic = db.session.get(Clinic, staff["clinic_id"])
    assert clinic is not None
    clinic.accent_color = "#7a3b69"
    db.session.commit()
    assert store.version_of(intake) != version
    assert download(client, intake).status_code == 202  # asked again (eager: done now)
    assert renders == [1, 1]
    assert download(client, intake).status_code == 200
    assert store.status(intake) == PdfStatus.READY


def test_failed_render_is_retried_then_shown_with_a_retry_button(
    client: FlaskClient,
    staff: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    intake = staff["intake"]
    attempts: list[int] = []

    def broken(*args: Any, **kwargs: Any) -> bytes:
        attempts.append(1)
        raise RuntimeError("fontconfig went away")

    monkeypatch.setattr(jobs, "render_pdf", broken)
    submit(intake)
    assert intake.submitted  # the submission stands whatever the PDF does
    assert len(attempts) == jobs.MAX_ATTEMPTS
    row = row_of(intake)
    assert row.state == "failed" and "fontconfig went away" in (row.error or "")
    assert store.status(intake) == PdfStatus.FAILED
    assert "brief render of intake" in caplog.text
    page = client.get(f"/staff/intakes/{intake.id}").get_data(as_text=True)
    assert "PDF failed: retry." in page and "Retry the PDF" in page
    assert "The boat-building course I gave up on." in page
    assert download(client, intake).status_code == 302
    assert len(attempts) == jobs.MAX_ATTEMPTS  # a failed version is not retried by itself
    url = f"/staff/intakes/{intake.id}/brief/retry"
    assert client.post(url).status_code == 400  # no CSRF token
    monkeypatch.undo()
    token = csrf_token(client, f"/staff/intakes/{intake.id}")
    response = client.post(url, data={"csrf_token": token})
    assert response.status_code == 302
    assert row_of(intake).state == "ready"
    assert download(client, intake).status_code == 200


def test_retry_of_another_clinics_intake_is_404(
    client: FlaskClient, staff: dict[str, Any], make_clinic: Any, make_intake: Any
) -> None:
    other_id, _ = make_clinic("elsewhere")
    other = make_intake(other_id, "Sam South")
    submit(other)
    token = csrf_token(client, f"/staff/intakes/{staff['intake'].id}")
    response = client.post(f"/staff/intakes/{other.id}/brief/retry", data={"csrf_token": token})
    assert response.status_code == 404


def test_enqueue_failure_never_blocks_the_submission(
    staff: dict[str, Any], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def down(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("queue unreachable")

    monkeypatch.setattr(outbox, "schedule", down)
    intake = staff["intake"]
    submit(intake)
    db.session.expire_all()
    assert db.session.get(Intake, intake.id).submitted  # type: ignore[union-attr]
    assert "could not queue the brief render" in caplog.text


def test_statuses_for_a_list(staff: dict[str, Any], make_intake: Any) -> None:
    intake = staff["intake"]
    waiting = make_intake(staff["clinic_id"], "Not Yet")
    submit(intake)
    assert store.statuses([intake, waiting]) == {
        intake.id: PdfStatus.READY,
        waiting.id: PdfStatus.NOT_SUBMITTED,
    }


def test_background_thread_renders_after_the_request(
    app: Flask, client: FlaskClient, staff: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "JOB_RUNNER", "thread")
    monkeypatch.setitem(app.config, "BRIEF_RETRY_DELAYS", (0, 0))
    intake = staff["intake"]
    submit(intake)
    outbox.wait()
    row = row_of(intake)
    assert row.state == "ready" and row.attempts == 1
    assert download(client, intake).status_code == 200


def _redis_or_skip() -> Any:
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisDown

    connection = Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except RedisDown:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"Redis is not running at {REDIS_URL}")
    return connection


def test_rq_job_on_real_redis_renders_and_retries(
    app: Flask, client: FlaskClient, staff: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from rq import Queue, SimpleWorker

    connection = _redis_or_skip()
    queue = Queue(QUEUE, connection=connection)
    queue.empty()
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    monkeypatch.setitem(app.config, "JOB_RUNNER", "auto")
    monkeypatch.setitem(app.config, "JOB_QUEUE", QUEUE)
    monkeypatch.setitem(app.config, "BRIEF_RETRY_DELAYS", (0, 0))
    real = jobs.render_pdf
    calls: list[int] = []

    def flaky(*args: Any, **kwargs: Any) -> bytes:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("first attempt fails")
        return real(*args, **kwargs)

    monkeypatch.setattr(jobs, "render_pdf", flaky)
    intake = staff["intake"]
    try:
        submit(intake)
        assert queue.count == 1  # queued, not rendered in the request
        assert calls == []
        assert store.status(intake) == PdfStatus.PREPARING
        SimpleWorker([queue], connection=connection).work(burst=True)
        assert calls == [1, 1]
        row = row_of(intake)
        assert row.state == "ready" and row.attempts == 2
        assert download(client, intake).status_code == 200
    finally:
        queue.empty()
        for registry in (queue.failed_job_registry, queue.finished_job_registry):
            for job_id in registry.get_job_ids():
                registry.remove(job_id, delete_job=True)


def test_redis_down_falls_back_to_the_thread(
    app: Flask, staff: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setitem(app.config, "JOB_RUNNER", "auto")
    intake = staff["intake"]
    submit(intake)
    outbox.wait()
    assert row_of(intake).state == "ready"


def test_refresh_command_renders_stale_briefs(
    app: Flask, staff: dict[str, Any], renders: list[int]
) -> None:
    intake = staff["intake"]
    submit(intake)
    clinic = db.session.get(Clinic, staff["clinic_id"])
    assert clinic is not None
    clinic.paper_size = "Letter"
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["briefs", "refresh"])
    assert result.exit_code == 0, result.output
    assert "queued 1 brief(s)" in result.output
    assert store.status(intake) == PdfStatus.READY and len(renders) == 2
    assert "queued 0 brief(s)" in runner.invoke(args=["briefs", "refresh"]).output


def test_worker_command_needs_redis(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["briefs", "worker", "--burst"])
    assert result.exit_code != 0 and "REDIS_URL is not set" in result.output


def test_only_files_that_reach_the_pdf_change_its_version(templates_copy: Path) -> None:
    before = store.template_version()
    screen = templates_copy / "screen.css"
    screen.write_text(screen.read_text() + "\n.brief-nav { gap: 2rem; }\n")
    assert store.template_version() == before
    (templates_copy / "clinics").mkdir(exist_ok=True)
    (templates_copy / "clinics" / "harbour.css").write_text("h2 { font-size: 13pt; }\n")
    assert store.template_version() != before


def test_retry_presses_are_bounded(
    app: Flask,
    client: FlaskClient,
    staff: dict[str, Any],
    renders: list[int],
    make_intake: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """30 presses once made another clinic wait 16 s: a retry needs a failed render, and a
    clinic gets 10 an hour (2 here, to keep the test short)."""
    monkeypatch.setitem(app.config, "THROTTLE_RULES", {"brief_retry_clinic": "2/hour"})
    intake = staff["intake"]
    submit(intake)
    url = f"/staff/intakes/{intake.id}/brief/retry"
    token = csrf_token(client, "/staff/")
    for _ in range(5):
        client.post(url, data={"csrf_token": token})
    assert len(renders) == 1  # ready: the presses add no work
    monkeypatch.setattr(jobs, "render_pdf", lambda *a, **kw: (_ for _ in ()).throw(OSError()))
    failed = [make_intake(staff["clinic_id"], f"Client {n}") for n in range(3)]
    for item in failed:
        submit(item)
    monkeypatch.setattr(jobs, "render_pdf", _counting(renders))
    done = [
        client.post(f"/staff/intakes/{i.id}/brief/retry", data={"csrf_token": token})
        for i in failed
    ]
    assert all(r.status_code == 302 for r in done)
    assert len(renders) == 1 + 2
    page = client.get(f"/staff/intakes/{failed[-1].id}").get_data(as_text=True)
    assert "Many PDFs were retried just now" in page
