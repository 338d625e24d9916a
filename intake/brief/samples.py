"""The worked examples as briefs and PDFs, for people to look at and for tests: version 3 of
the default questionnaire (A3 to E3: engaged, the lead pattern, urgent with "right now: yes",
urgent with "right now: no", mostly blank), version 2's A, B and C, and one each of the
built-in PHQ-9 and GAD-7.

Run `python -m intake.brief.samples OUTDIR` (or `make example-briefs`) to write them.
"""

from __future__ import annotations

import functools
import sys
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ..questionnaire import Definition, load_file
from ..scoring import score
from .content import Brief, ConsentRecord, CrisisShown, Meta, Reach, build_brief
from .render import Branding, render_pdf

FORMS = Path(__file__).resolve().parents[2] / "forms"
# Version 2 of the default questionnaire: its worked examples A, B and C.
FORM = FORMS / "readiness-v2.yaml"

# A standard instrument's example shown as a brief: a prorated, urgent PHQ-9 and a GAD-7.
INSTRUMENTS = {"phq9": "one answer missing, 20", "gad7": "total 15"}

# Free text a client might write; the scored answers come from the questionnaire's examples.
FREE_TEXT: dict[str, Any] = {
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

# Version 3 asks more in words; its examples get these on top of FREE_TEXT (only the
# questions a version has are kept). The earlier help is the kind the supervisor quoted.
FREE_TEXT_V3: dict[str, Any] = {
    "main_change": "Sleeping properly and not dreading work",
    "previous_details": "A counsellor two years ago. She mostly listened and nodded. I wanted"
    " advice and never got any.",
    "expect_therapist": "Tell me honestly what you think and what to try.",
    "preferred_name": "Robbie",
    "pronouns": "he/him",
    "availability": ["weekday_evening"],
    "session_format": "either",
    "anything_else": "I work shifts, so some weeks are harder than others.",
}

# The version-3 examples written by `make example-briefs`: name start, file name, and
# whether the intake was flagged urgent while it was filled in.
V3_EXAMPLES = {
    "A3": "brief-v3-A",
    "B3": "brief-v3-B",
    "C3": "brief-v3-C-urgent-right-now",
    "D3": "brief-v3-D-urgent",
    "E3": "brief-v3-E-mostly-blank",
}

# A plain sample logo (drawn here, so the examples need no files from anywhere).
SAMPLE_LOGO = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" viewBox="0 0 120 40">'
    b'<circle cx="20" cy="20" r="16" fill="#7a3b69"/><path d="M12 22 q8 -14 16 0" '
    b'stroke="#fff" stroke-width="3" fill="none"/><text x="42" y="26" font-size="14" '
    b'font-family="sans-serif" fill="#1a1a1a">Harbour</text></svg>'
)

# Each example also shows one clinic setting: plain, a logo and accent, US Letter paper.
BRANDINGS = {
    "A": Branding(slug="example-a"),
    "B": Branding(slug="example-b", logo=SAMPLE_LOGO, logo_mime="image/svg+xml", accent="#7a3b69"),
    "C": Branding(slug="example-c", accent="#2b5d34", paper="Letter"),
}


# Who and when, for every sample brief.
META = Meta(
    clinic_name="Harbour Street Therapy",
    client_name="Robin Ashdown",
    invited_on=date(2025, 3, 1),
    submitted_on=datetime(2025, 3, 3, 18, 42, tzinfo=UTC),
    generated_on=datetime(2025, 3, 4, 9, 5, tzinfo=UTC),
)

# What a clinic and a client typically leave on the record beside the answers: the contact
# step, the consent, the clinic's procedure, and (for C) what the client was shown.
REACH = Reach(
    given=True,
    phone="+1 201-555-0123",
    tel="tel:+1-201-555-0123",
    email="robin.ashdown@example.org",
    voicemail_ok=False,
    texts_ok=True,
    safe_times="After 6 pm on weekdays; not at work.",
)
CONSENT = ConsentRecord(
    name="Robin Ashdown",
    at=datetime(2025, 3, 3, 18, 2, tzinfo=UTC),
    version="2026-11",
    language="English",
    invited_name="Robin Ashdown",
)
PROCEDURE = (
    "The assigned therapist calls the client the same day, within two hours during opening"
    " hours. No answer: try again within the hour and tell the clinical lead (ext. 204). Record"
    " every attempt on the intake."
)
SHOWN = CrisisShown(
    emergency="911",
    text="Call or text 988 (Suicide and Crisis Lifeline) at any time, day or night. Harbour"
    " Street Therapy is open Monday to Friday, 9 am to 6 pm: call 201-555-0100.",
    language="English",
    page="support",
    at=datetime(2025, 3, 3, 18, 31, tzinfo=UTC),
)


def example_meta(letter: str) -> Meta:
    """The sample meta of example A, B or C (C, the urgent one, with what the client saw)."""
    meta = replace(META, reach=REACH, consent=CONSENT, safety_procedure=PROCEDURE)
    if letter == "C":
        meta = replace(meta, flagged_urgent=True, crisis_shown=SHOWN)
    return meta


def example_brief(letter: str, extra: dict[str, Any] | None = None) -> Brief:
    """The brief of worked example A, B or C, with typical free-text answers filled in."""
    definition = _definition()
    example = next(e for e in definition.examples if e.name.startswith(f"{letter},"))
    answers = {**FREE_TEXT, **example.answers, **(extra or {})}
    return build_brief(definition, answers, score(definition, answers), example_meta(letter))


def example_brief_v3(name: str, extra: dict[str, Any] | None = None) -> Brief:
    """The brief of a version-3 worked example (A3 ... E3), with typical words filled in;
    the mostly blank one (E3) keeps only what its example gives."""
    definition = _definition("readiness")
    example = next(e for e in definition.examples if e.name.startswith(f"{name},"))
    words = {} if name == "E3" else {**FREE_TEXT, **FREE_TEXT_V3}
    answers = {k: v for k, v in words.items() if definition.has_item(k)}
    answers = {**answers, **example.answers, **(extra or {})}
    result = score(definition, answers)
    meta = replace(META, reach=REACH, consent=CONSENT, safety_procedure=PROCEDURE)
    if result.urgent:
        meta = replace(meta, flagged_urgent=True, crisis_shown=SHOWN)
    return build_brief(definition, answers, result, meta)


def instrument_brief(form_id: str, example: str | None = None) -> Brief:
    """The brief of a built-in instrument's worked example (the one whose name starts so)."""
    definition = _definition(form_id)
    start = example or INSTRUMENTS[form_id]
    answers = next(e for e in definition.examples if e.name.startswith(start)).answers
    result = score(definition, answers)
    meta = replace(META, reach=REACH, consent=CONSENT, safety_procedure=PROCEDURE)
    if result.urgent:
        meta = replace(meta, flagged_urgent=True, crisis_shown=SHOWN)
    return build_brief(definition, answers, result, meta)


@functools.lru_cache(maxsize=4)
def _definition(form_id: str = "readiness-v2") -> Definition:
    """A built-in questionnaire, parsed once (as the app caches stored versions)."""
    return load_file(FORMS / f"{form_id}.yaml")


def write_examples(folder: Path) -> list[Path]:
    """Render version 3's examples (brief-v3-A.pdf ...), version 2's A, B and C as
    brief-A.pdf ..., and each instrument's as brief-phq9.pdf ..."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, stem in V3_EXAMPLES.items():
        path = folder / f"{stem}.pdf"
        path.write_bytes(render_pdf(example_brief_v3(name)))
        written.append(path)
    for letter, branding in BRANDINGS.items():
        path = folder / f"brief-{letter}.pdf"
        path.write_bytes(render_pdf(example_brief(letter), branding=branding))
        written.append(path)
    for form_id in INSTRUMENTS:
        path = folder / f"brief-{form_id}.pdf"
        path.write_bytes(render_pdf(instrument_brief(form_id)))
        written.append(path)
    return written


def main(argv: list[str]) -> int:
    """Command line: write the example PDFs into the folder given (default: artifacts/briefs)."""
    folder = Path(argv[1]) if len(argv) > 1 else Path("artifacts/briefs")
    for path in write_examples(folder):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
