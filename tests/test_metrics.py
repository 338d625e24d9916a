"""/metrics: Prometheus text with requests by endpoint, saves, submissions, renders, PDFs;
only for the allowed networks or the token."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client import REGISTRY

from intake import metrics
from tests.helpers import FULL, autosave, complete, fill_page


def value(name: str, **labels: str) -> float:
    """A sample's current value in this process (0 when never counted)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_count_saves_submissions_and_time_requests(
    client: FlaskClient, make_clinic: Any, make_intake: Any
) -> None:
    clinic_id, _ = make_clinic()
    intake = make_intake(clinic_id)
    pages, autosaves = (
        value("intake_page_saves_total", kind="page"),
        value("intake_page_saves_total", kind="autosave"),
    )
    sent = value("intake_submissions_total")
    fill_page(client, intake, "now", FULL, action="save")
    autosave(client, intake, "now", {"why_now": "Because."})
    complete(client, make_intake(clinic_id, "Second"), FULL)
    assert value("intake_page_saves_total", kind="page") > pages + 1
    assert value("intake_page_saves_total", kind="autosave") == autosaves + 1
    assert value("intake_submissions_total") == sent + 1

    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert 'intake_http_request_duration_seconds_bucket{endpoint="client.page"' in text
    assert 'method="POST",status="302"' in text
    assert 'intake_brief_pdfs{state="ready"} 1.0' in text  # read from the database


def test_render_and_notice_counters_for_the_job_system() -> None:
    ok, failed = (
        value("intake_brief_renders_total", outcome="ok"),
        value("intake_brief_renders_total", outcome="failed"),
    )
    timed = value("intake_brief_render_seconds_count")
    metrics.observe_render(0.8)
    metrics.observe_render(2.0, failed=True)
    metrics.urgent_notice(sent=True)
    assert value("intake_brief_renders_total", outcome="ok") == ok + 1
    assert value("intake_brief_renders_total", outcome="failed") == failed + 1
    assert value("intake_brief_render_seconds_count") == timed + 1
    assert value("intake_urgent_notices_total", outcome="sent") >= 1


@pytest.mark.parametrize(
    ("address", "headers", "allowed"),
    [
        ("127.0.0.1", {}, True),
        ("10.1.2.3", {}, False),
        ("10.1.2.3", {"Authorization": "Bearer scrape-secret"}, True),
        ("10.1.2.3", {"Authorization": "Bearer wrong"}, False),
        # Through a proxy nobody declared: the loopback address is the proxy's, not the caller's.
        ("127.0.0.1", {"X-Forwarded-For": "198.51.100.7"}, False),
        ("192.168.5.9", {}, True),
    ],
)
def test_metrics_only_for_allowed_networks_or_the_token(
    app: Flask,
    client: FlaskClient,
    monkeypatch: pytest.MonkeyPatch,
    address: str,
    headers: dict[str, str],
    allowed: bool,
) -> None:
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "scrape-secret")
    monkeypatch.setitem(app.config, "METRICS_NETWORKS", ("127.0.0.0/8", "192.168.5.0/24"))
    response = client.get("/metrics", headers=headers, environ_base={"REMOTE_ADDR": address})
    assert response.status_code == (200 if allowed else 404)
