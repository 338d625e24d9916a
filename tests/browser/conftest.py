"""Browser fixtures: the app in a live server thread, Debian's Chromium driven by Playwright.

Never downloads a browser: Playwright launches /usr/bin/chromium (Debian's `chromium`,
installed by the Makefile). axe-core comes from node_modules (`npm ci`).
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("INTAKE_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# WCAG 2.1 A and AA, the standard this project promises, plus axe's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def after_save(path: str) -> re.Pattern[str]:
    """A client step's address ending in path ('/p/now', '/contact', '/review'), with the
    ?saved=1 that Next or Back adds (the step then says the answers are saved) or without.

    For wait_for_url, and .search(page.url); a step reached by a link, the consent or a
    redirect keeps its exact glob, so the flag showing up there would fail the test.
    """
    return re.compile(re.escape(path) + r"(\?saved=1)?$")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here is a browser test: `pytest -m browser` runs them alone."""
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


def closing(app: Any) -> Any:
    """The app, each response closed however its connection ends.

    Werkzeug's development server skips a response's close() when the browser drops the
    connection as the server reads what is left of the request (a page left while it loads):
    the static file it was sending then stays open until the garbage collector finds it, a
    ResourceWarning in whichever test runs then (an error in this suite). Closed here in any
    case: on the last chunk, or when the server lets go of the response.
    """

    def serve(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        body = app(environ, start_response)
        try:
            yield from body
        finally:
            if hasattr(body, "close"):
                body.close()

    return serve


@pytest.fixture(scope="session")
def live_url(app: Flask) -> Iterator[str]:
    """The session's app served on a free local port from a background thread."""
    # The request log of every page and asset would drown the test output.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, closing(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test` (installs Debian's chromium)")
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make test` (runs npm ci)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def watch_csp(page: Any) -> list[str]:
    """Collect every Content-Security-Policy violation the page reports in its console."""
    violations: list[str] = []

    def note(message: Any) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            violations.append(message.text)

    page.on("console", note)
    return violations


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A fresh phone-sized page (375 x 812, touch, Spanish-speaking browser by default).

    Every test with it also checks that no page broke the Content-Security-Policy.
    """
    context = browser.new_context(viewport=PHONE, has_touch=True, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    violations = watch_csp(page)
    yield page
    context.close()
    assert violations == [], violations


@pytest.fixture
def desktop(browser: Any) -> Iterator[Any]:
    """A fresh desktop-sized page (also checked for Content-Security-Policy violations)."""
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    violations = watch_csp(page)
    yield page
    context.close()
    assert violations == [], violations


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core in the page; its violations for WCAG 2.1 AA and best practice."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated by the browser's debugging protocol, not as a <script> in the page: the
        # page's Content-Security-Policy (no inline script) stays in force for everything else.
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    return list(result["violations"])


def describe(violations: list[dict[str, Any]]) -> str:
    """Violations as readable lines for an assertion message."""
    return json.dumps(
        [
            {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]]}
            for v in violations
        ],
        indent=1,
    )


def screenshot(page: Any, name: str) -> None:
    """A full-page picture for a person to look at (artifacts/ is not committed)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
