"""Prometheus metrics at /metrics: requests by endpoint, saves, submissions, renders, queues.

Counters and histograms live in each process. Under gunicorn (and for workers on the same
machine) PROMETHEUS_MULTIPROC_DIR names a folder they share, which gunicorn.conf.py sets up;
/metrics then adds up every process. Gauges of what is waiting (brief PDFs by state, RQ queue
depth) are read from PostgreSQL and Redis when scraped, so every web process answers alike.

/metrics answers only a request from METRICS_NETWORKS (loopback by default; never one that
came through a proxy unless TRUSTED_PROXIES trusts it) or one with `Authorization: Bearer
METRICS_TOKEN`; anyone else gets a 404.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from collections.abc import Iterator
from typing import Any

from flask import Flask, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from .db import db
from .models import BriefPdf, Job, JobState, PdfState

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
if _shared := os.environ.get(MULTIPROC_ENV):
    # Any process of the deployment (a worker, a command) may be the first to write there.
    os.makedirs(_shared, exist_ok=True)

REQUEST_SECONDS = Histogram(
    "intake_http_request_duration_seconds",
    "Time to answer a request, by endpoint, method and status.",
    ["endpoint", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
PAGE_SAVES = Counter(
    "intake_page_saves_total",
    "Client saves committed: a page (or the contact step) posted, or an autosave.",
    ["kind"],
)
SUBMISSIONS = Counter("intake_submissions_total", "Intakes sent by clients.")
RENDERS = Counter(
    "intake_brief_renders_total", "Brief PDF renders finished, by outcome.", ["outcome"]
)
RENDER_SECONDS = Histogram(
    "intake_brief_render_seconds",
    "Time to render one brief PDF.",
    buckets=(0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0),
)
URGENT_NOTICES = Counter(
    "intake_urgent_notices_total", "Urgent-intake emails, by outcome.", ["outcome"]
)


def page_saved(*, autosave: bool) -> None:
    """Count one committed save of a client's answers (or of their contact step)."""
    PAGE_SAVES.labels("autosave" if autosave else "page").inc()


def submitted() -> None:
    """Count one intake sent by its client."""
    SUBMISSIONS.inc()


def observe_render(seconds: float, *, failed: bool = False) -> None:
    """Count one finished brief render and its duration: for the job system to call."""
    RENDERS.labels("failed" if failed else "ok").inc()
    if not failed:
        RENDER_SECONDS.observe(seconds)


def urgent_notice(*, sent: bool) -> None:
    """Count one urgent notice sent, or one attempt that failed: for the job system to call."""
    URGENT_NOTICES.labels("sent" if sent else "failed").inc()


def init_app(app: Flask) -> None:
    """Time every request and serve /metrics."""

    @app.before_request
    def _start_clock() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.pop("metrics_started", None)
        if started is not None:
            endpoint = request.url_rule.endpoint if request.url_rule else "unmatched"
            REQUEST_SECONDS.labels(endpoint, request.method, str(response.status_code)).observe(
                time.perf_counter() - started
            )
        return response

    app.add_url_rule("/metrics", "metrics", serve, methods=["GET"])


def serve() -> Response:
    """Every process's counters and the waiting work, in Prometheus' text format."""
    if not allowed():
        abort(404)
    if os.environ.get(MULTIPROC_ENV):
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)
        body = generate_latest(processes)
    else:
        body = generate_latest(REGISTRY)
    waiting = CollectorRegistry()
    waiting.register(WaitingWork(current_app._get_current_object()))  # type: ignore[attr-defined]
    body += generate_latest(waiting)
    return Response(body, mimetype=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


def allowed() -> bool:
    """Whether this request may read the metrics: the token, or an allowed network."""
    cfg = current_app.config
    token = cfg.get("METRICS_TOKEN")
    sent = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return True
    proxied = "X-Forwarded-For" in request.headers or "Forwarded" in request.headers
    if proxied and not cfg.get("TRUSTED_PROXIES"):
        # Through a proxy we do not trust to name the client: the address is the proxy's.
        return False
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    networks = cfg.get("METRICS_NETWORKS") or ()
    return any(address in ipaddress.ip_network(n, strict=False) for n in networks)


class WaitingWork(Collector):
    """Gauges read when scraped: brief PDFs by state, background jobs (the outbox table) by
    kind and state, so urgent notices not yet sent show, and the RQ queue's jobs by state."""

    def __init__(self, app: Flask):
        self.app = app

    def collect(self) -> Iterator[Any]:
        """One gauge family per source; a source that cannot be read is left out."""
        pdfs = GaugeMetricFamily(
            "intake_brief_pdfs", "Stored brief PDFs by render state.", labels=["state"]
        )
        try:
            counts = dict(
                db.session.execute(
                    select(BriefPdf.state, func.count()).group_by(BriefPdf.state)
                ).all()
            )
            for state in PdfState:
                pdfs.add_metric([state.value], counts.get(state, 0))
            yield pdfs
            waiting = GaugeMetricFamily(
                "intake_jobs",
                "Background jobs not done, by kind and state (urgent.notify: notices unsent).",
                labels=["kind", "state"],
            )
            rows = db.session.execute(
                select(Job.kind, Job.state, func.count())
                .where(Job.state != JobState.DONE)
                .group_by(Job.kind, Job.state)
            ).all()
            for kind, job_state, count in rows:
                waiting.add_metric([kind, str(job_state)], count)
            yield waiting
        except Exception:
            db.session.rollback()
        finally:
            db.session.rollback()
        if self.app.config.get("REDIS_URL"):
            yield from self._queue()

    def _queue(self) -> Iterator[Any]:
        from rq import Queue

        from .health import redis_client

        name = self.app.config.get("JOB_QUEUE", "intake-jobs")
        jobs = GaugeMetricFamily(
            "intake_queue_jobs", "RQ jobs by queue and state.", labels=["queue", "state"]
        )
        try:
            queue = Queue(name, connection=redis_client())
            jobs.add_metric([name, "queued"], queue.count)
            jobs.add_metric([name, "started"], queue.started_job_registry.count)
            jobs.add_metric([name, "scheduled"], queue.scheduled_job_registry.count)
            jobs.add_metric([name, "failed"], queue.failed_job_registry.count)
        except Exception:
            return
        yield jobs
