"""Time the brief PDF render for example B: 2 warm-ups, then 20 timed runs."""

from __future__ import annotations

import io
import statistics
import time
from datetime import UTC, date, datetime
from pathlib import Path

from pypdf import PdfReader

from intake.brief.content import Brief, Meta, build_brief
from intake.brief.render import render_pdf
from intake.questionnaire import load_file
from intake.scoring import score

FORM = Path(__file__).resolve().parents[1] / "forms" / "readiness.yaml"
WARM_UPS = 2
RUNS = 20


def example_brief(letter: str = "B") -> Brief:
    """The brief of one YAML example, with typical free-text answers filled in."""
    definition = load_file(FORM)
    example = next(e for e in definition.examples if e.name.startswith(f"{letter},"))
    answers = {
        **example.answers,
        "why_now": "My partner said I should come. I keep feeling stuck and tired.\n"
        "Work has been hard since the restructuring in the autumn.",
        "hopes": "I would like to sleep properly again and stop dreading Mondays.",
        "keep": "My evening walks and my Sunday phone calls with my sister.",
        "expect_therapist": "Tell me what to do so that it stops.",
        "expect_self": "Come every week.",
        "previous_therapy": "yes",
        "previous_details": "Six sessions at university. Talking helped; homework did not.",
        "availability": ["weekday_evening"],
        "contact": "email",
        "consent": True,
    }
    meta = Meta(
        clinic_name="Harbour Street Therapy",
        client_name="Robin Ashdown",
        invited_on=date(2025, 3, 1),
        submitted_on=datetime(2025, 3, 3, 18, 42, tzinfo=UTC),
        generated_on=datetime(2025, 3, 4, 9, 5, tzinfo=UTC),
    )
    return build_brief(definition, answers, score(definition, answers), meta)


def main() -> None:
    """Render repeatedly and print median, 95th percentile and page count."""
    brief = example_brief("B")
    pdf = b""
    for _ in range(WARM_UPS):
        pdf = render_pdf(brief)
    times: list[float] = []
    for _ in range(RUNS):
        start = time.perf_counter()
        pdf = render_pdf(brief)
        times.append(time.perf_counter() - start)
    p95 = statistics.quantiles(times, n=20, method="inclusive")[-1]
    print(f"brief_render_median_s={statistics.median(times):.4f}")
    print(f"brief_render_p95_s={p95:.4f}")
    print(f"brief_pages={len(PdfReader(io.BytesIO(pdf)).pages)}")
    print(f"brief_pdf_bytes={len(pdf)}")


if __name__ == "__main__":
    main()
