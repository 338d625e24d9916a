"""Brief benchmarks: our render vs bare WeasyPrint, cached downloads, growth, memory, CSS costs.

Prints one `name=value` per line. Times are wall-clock medians and 95th percentiles over warm
runs, each started after a garbage collection; the machine is shared, so compare figures from
one run with each other.
"""

from __future__ import annotations

import dataclasses
import gc
import io
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import weasyprint
from pypdf import PdfReader
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import path2url

from intake.brief.content import AppendixPage, Brief, Quote
from intake.brief.render import (
    LOGO_URL,
    PDF_VARIANT,
    PRINT_CSS,
    TEMPLATES_DIR,
    AssetFetcher,
    html_to_pdf,
    render_html,
    render_pdf,
)
from intake.brief.samples import BRANDINGS, example_brief

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.load import bench_clinic  # noqa: E402

RUNS = 20
WARM_UPS = 2
GROWTH_SIZES = (40, 200, 1000)
GROWTH_RUNS = 3
MEMORY_RENDERS = 200


def timed(fn: Callable[[], Any], runs: int = RUNS, warm: int = WARM_UPS) -> list[float]:
    """Seconds per call over warm runs."""
    for _ in range(warm):
        fn()
    times = []
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def timed_pair(
    first: Callable[[], Any], second: Callable[[], Any], runs: int = RUNS
) -> tuple[list[float], list[float]]:
    """Seconds per call of two functions, run alternately so load on a shared machine
    falls on both alike.

    Each call starts after a full garbage collection: a render leaves cyclic garbage
    (WeasyPrint's box trees) whose collection otherwise lands on whichever call next
    crosses the collector's threshold; it is measured on its own (gc_after_render_s).
    """
    for _ in range(WARM_UPS):
        first()
        second()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for fn, out in ((first, times[0]), (second, times[1])):
            gc.collect()
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    return times


def p95(times: list[float]) -> float:
    """The 95th percentile."""
    return statistics.quantiles(times, n=20, method="inclusive")[-1]


def report(name: str, times: list[float]) -> float:
    """Print median and p95; return the median."""
    median = statistics.median(times)
    print(f"{name}_median_s={median:.4f}")
    print(f"{name}_p95_s={p95(times):.4f}")
    return median


def ours() -> bytes:
    """(a) What a render job does: build brief B from answers, template it, lay it out."""
    return render_pdf(example_brief("B"), branding=BRANDINGS["B"])


def bare(html: str) -> Callable[[], bytes]:
    """(b) WeasyPrint alone on the HTML our template produced: same stylesheet, fonts, variant."""
    font_config = FontConfiguration()
    logo = BRANDINGS["B"]
    fetcher = AssetFetcher(inline={LOGO_URL: (logo.logo or b"", logo.logo_mime or "")})
    css = weasyprint.CSS(
        filename=str(TEMPLATES_DIR / PRINT_CSS), url_fetcher=fetcher, font_config=font_config
    )

    def run() -> bytes:
        document = weasyprint.HTML(
            string=html, base_url=path2url(TEMPLATES_DIR), url_fetcher=fetcher
        )
        pdf: bytes = document.write_pdf(
            stylesheets=[css], font_config=font_config, pdf_variant=PDF_VARIANT
        )
        return pdf

    return run


def fresh_stylesheet(html: str, root: Path = TEMPLATES_DIR) -> Callable[[], bytes]:
    """The render as it was before: stylesheet parsed and fonts loaded on every call."""

    def run() -> bytes:
        font_config = FontConfiguration()
        fetcher = AssetFetcher(root)
        css = weasyprint.CSS(
            filename=str(root / PRINT_CSS), url_fetcher=fetcher, font_config=font_config
        )
        document = weasyprint.HTML(string=html, base_url=path2url(root), url_fetcher=fetcher)
        pdf: bytes = document.write_pdf(
            stylesheets=[css], font_config=font_config, pdf_variant=PDF_VARIANT
        )
        return pdf

    return run


def cached_download() -> Callable[[], bytes]:
    """(c) A stored brief downloaded through the test client, signed in as its therapist."""
    from flask_migrate import upgrade

    from intake import catalogue, create_app, lifecycle
    from intake.accounts.auth import hash_password
    from intake.db import db
    from intake.models import Staff

    folder = tempfile.mkdtemp(prefix="bench-brief-")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench-secret",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite",
            "WTF_CSRF_ENABLED": False,
            "JOB_RUNNER": "eager",
        }
    )
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory, revision="heads")
        catalogue.sync_builtin(app.config["FORMS_DIR"])
        # The name printed in the example briefs.
        clinic = bench_clinic("Harbour Street Therapy")
        password = "bench password 123"
        db.session.add(
            Staff(
                clinic_id=clinic.id,
                email="t@bench.example",
                name="T",
                password_hash=hash_password(password),
            )
        )
        db.session.commit()
        version = catalogue.latest_builtin("readiness")
        assert version is not None
        intake = lifecycle.invite(clinic, "Robin Ashdown", version)
        definition = catalogue.definition_of(version)
        example = next(e for e in definition.examples if e.name.startswith(("B,", "B3,")))
        intake.answers = dict(example.answers) | {"why_now": "My partner said I should come."}
        db.session.commit()
        lifecycle.submit(intake, definition)
        intake_id = intake.id
    client = app.test_client()
    client.post("/staff/login", data={"email": "t@bench.example", "password": password})
    url = f"/staff/intakes/{intake_id}/brief.pdf"
    assert client.get(url).data.startswith(b"%PDF"), "the stored brief was not served"

    def run() -> bytes:
        response = client.get(url)
        assert response.status_code == 200
        return response.data

    return run


def with_answers(n: int) -> Brief:
    """Brief B with an appendix of n answers (ten per page), two lines each."""
    pages = tuple(
        AppendixPage(
            f"Page {p + 1}",
            tuple(
                Quote(
                    f"Question {p * 10 + i + 1}: how has this gone for you in recent weeks?",
                    "Mostly fine, though some days were harder than others.\nI'd rather talk.",
                )
                for i in range(10)
            ),
        )
        for p in range(n // 10)
    )
    return dataclasses.replace(example_brief("B"), appendix=pages)


def rss_mb() -> float:
    """This process's resident memory now, in MiB (Linux)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def css_variant(replace: str, by: str) -> Path:
    """A copy of the templates with one change to brief.css."""
    root = Path(tempfile.mkdtemp(prefix="bench-css-")) / "report_templates"
    shutil.copytree(TEMPLATES_DIR, root)
    css = (root / PRINT_CSS).read_text()
    assert replace in css, replace
    (root / PRINT_CSS).write_text(css.replace(replace, by))
    return root


def main() -> None:
    """Run every benchmark and print its figures."""
    html = render_html(example_brief("B"), branding=BRANDINGS["B"])
    ours_times, bare_times = timed_pair(ours, bare(html))
    a = report("a_ours", ours_times)
    b = report("b_bare_weasyprint", bare_times)
    c = report("c_cached_download", timed(cached_download(), warm=3))
    print(f"brief_vs_bare_ratio={a / b:.3f}")
    print(f"cached_vs_render_ratio={c / a:.4f}")
    collections = []
    for _ in range(5):
        ours()
        start = time.perf_counter()
        gc.collect()
        collections.append(time.perf_counter() - start)
    print(f"gc_after_render_s={statistics.median(collections):.4f}")

    print("# growth: render time against the number of answers")
    print("answers\tpages\tmedian_s\tms_per_answer_over_40")
    base = None
    for n in GROWTH_SIZES:
        brief = with_answers(n)
        pdf = render_pdf(brief)
        median = statistics.median(timed(lambda b=brief: render_pdf(b), GROWTH_RUNS, 1))
        base = base if base is not None else median
        per = (median - base) / (n - GROWTH_SIZES[0]) * 1000 if n > GROWTH_SIZES[0] else 0.0
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        print(f"{n}\t{pages}\t{median:.3f}\t{per:.2f}")

    print("# CSS costs found (before -> after)")
    big = render_html(with_answers(200))
    plain = render_html(example_brief("B"))
    before_t, after_t = timed_pair(fresh_stylesheet(plain), lambda: html_to_pdf(plain), 8)
    before, after = statistics.median(before_t), statistics.median(after_t)
    print(f"css_fonts_parsed_every_render_s={before:.4f}")
    print(f"css_fonts_parsed_once_s={after:.4f}")
    auto = css_variant("table-layout: fixed;", "")
    auto_t, fixed_t = timed_pair(fresh_stylesheet(big, auto), fresh_stylesheet(big), 3)
    auto_s, fixed_s = statistics.median(auto_t), statistics.median(fixed_t)
    print(f"table_layout_auto_200_answers_s={auto_s:.4f}")
    print(f"table_layout_fixed_200_answers_s={fixed_s:.4f}")

    print("# memory")
    gc.collect()
    tracemalloc.start()
    ours()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"render_peak_python_heap_mb={peak / 2**20:.1f}")
    for _ in range(20):
        ours()
    gc.collect()
    start = rss_mb()
    for _ in range(MEMORY_RENDERS):
        ours()
    gc.collect()
    end = rss_mb()
    print(f"rss_after_warm_mb={start:.1f}")
    print(f"rss_after_{MEMORY_RENDERS}_more_renders_mb={end:.1f}")
    print(f"rss_growth_over_{MEMORY_RENDERS}_renders_mb={end - start:.1f}")
    print(f"max_rss_mb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f}")


if __name__ == "__main__":
    main()
