"""gunicorn settings for intake: `gunicorn -c gunicorn.conf.py 'intake:create_app()'`.

Every setting can be changed from the environment without editing this file:

- PORT / INTAKE_BIND: where to listen (default 127.0.0.1:$PORT, else 127.0.0.1:8000);
- WEB_CONCURRENCY: worker processes (default 2 x CPU cores + 1);
- INTAKE_WEB_WORKER_CLASS: gunicorn worker class (default gthread: keep-alive, threads);
- INTAKE_WEB_THREADS: threads per worker (default 4; each holds a database connection
  while it serves a request, so the pool per process is sized above it);
- PROMETHEUS_MULTIPROC_DIR: where the processes' metrics meet (default: a folder in the
  instance folder, emptied of dead processes' files at start);
- INTAKE_LOG_FORMAT / INTAKE_PRODUCTION: JSON log lines in production, text otherwise.

The app is loaded once, in the master, before it forks (preload_app): templates, the
built-in questionnaires, stylesheets and fonts are loaded there (intake.serving.warm_up) and
shared by every worker.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import re
from pathlib import Path
from typing import Any

os.environ.setdefault("INTAKE_PROCESS_ROLE", "web")


def _multiproc_dir() -> str:
    """The metrics folder every process writes to; stale files of dead processes removed."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        instance = os.environ.get("INTAKE_INSTANCE_PATH") or str(
            Path(__file__).parent / "instance"
        )
        folder = str(Path(instance) / "metrics")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    Path(folder).mkdir(parents=True, exist_ok=True)
    for stale in Path(folder).glob("*.db"):
        pid = re.search(r"_(\d+)\.db$", stale.name)
        if pid and not Path(f"/proc/{pid.group(1)}").exists():
            stale.unlink(missing_ok=True)
    return folder


# Before the app (and prometheus_client) is imported: preload_app imports it in the master.
_multiproc_dir()

from intake import config as _config  # noqa: E402
from intake import logs as _logs  # noqa: E402

bind = [os.environ.get("INTAKE_BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"]
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
worker_class = os.environ.get("INTAKE_WEB_WORKER_CLASS") or "gthread"
threads = int(os.environ.get("INTAKE_WEB_THREADS") or 4)
preload_app = True

# A worker silent for 30 s is replaced; on a restart, requests in flight get 30 s to finish.
timeout = 30
graceful_timeout = 30
keepalive = 5
# Bounded memory over weeks: each worker is replaced (forked again from the warm master)
# after about 5,000 requests, never all at once.
max_requests = 5000
max_requests_jitter = 500
if Path("/dev/shm").is_dir():
    worker_tmp_dir = "/dev/shm"

_log_format = _logs.chosen_format(_config.from_environment())
accesslog = "-"
access_log_format = _logs.ACCESS_FORMAT
logconfig_dict = _logs.gunicorn_logconfig(_log_format)


def when_ready(server: Any) -> None:
    """In the master, after the preload and before the first fork: warm the caches, then
    freeze what is loaded so far out of the garbage collector's sight."""
    app = server.app.wsgi()
    if getattr(app, "name", None) == "intake":
        from intake.serving import warm_up

        warm_up(app)
    # Everything loaded so far (the app, templates, definitions, fonts: some 240,000 objects)
    # lives as long as the process: frozen, a worker's full collection walks only what the
    # worker made (a pause of tens of ms less, whichever request it falls on) and leaves
    # the master's memory pages shared.
    gc.collect()
    gc.freeze()


def post_fork(server: Any, worker: Any) -> None:
    """In each new worker: never share a database connection with the master."""
    app = server.app.wsgi()
    extension = getattr(app, "extensions", {}).get("sqlalchemy")
    if extension is not None:
        with app.app_context():
            for engine in extension.engines.values():
                engine.dispose(close=False)


def child_exit(server: Any, worker: Any) -> None:
    """A worker ended: its live gauges no longer count."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
