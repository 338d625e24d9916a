"""What a server process loads once before it forks: templates, definitions, stylesheets, fonts.

gunicorn.conf.py preloads the app and calls warm_up(), so every worker starts with compiled
templates, parsed built-in questionnaires and WeasyPrint's fonts in memory it shares with the
others (copy-on-write), instead of each paying for them on its first requests.
"""

from __future__ import annotations

import logging
import time

from flask import Flask

from . import catalogue

log = logging.getLogger(__name__)


# Seconds the warm-up's sample brief may take in a worker's child process (a cold start).
WARM_UP_LIMIT = 60.0


def warm_up(app: Flask, *, pdf: bool = True, worker: bool = False) -> float:
    """Compile every template, parse the built-in definitions, load the PDF fonts; seconds."""
    started = time.perf_counter()
    with app.app_context():
        env = app.jinja_env
        for name in env.list_templates():
            env.get_template(name)
        catalogue.preload_builtin(app.config["FORMS_DIR"])
        if pdf:
            _fonts(worker)
    spent = time.perf_counter() - started
    log.info("warmed up in %.2f s (templates, definitions%s)", spent, ", fonts" if pdf else "")
    return spent


def _fonts(worker: bool) -> None:
    """One sample brief and one tiny client copy: their stylesheets and fonts stay cached.

    In a job worker the brief is laid out where its jobs lay briefs out: the warm child
    process when a time limit is set (started here, before the first job). A web process
    (the gunicorn master before it forks) never starts that child.
    """
    from .brief.jobs import time_limit
    from .brief.render import html_to_pdf, render_pdf
    from .brief.samples import example_brief
    from .client.own_copy import STYLESHEET

    limit = time_limit() if worker else None
    # A job's limit guards against hostile input; the first layout in a fresh child also loads
    # fonts and stylesheets, which on a busy machine can take longer than that limit.
    render_pdf(example_brief("A"), time_limit=max(limit, WARM_UP_LIMIT) if limit else None)
    html_to_pdf(
        "<!doctype html><html lang=en><title>-</title><p>-</p></html>", stylesheets=(STYLESHEET,)
    )
