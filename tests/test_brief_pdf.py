"""The brief PDF as a reader and a screen reader meet it: pages, text, structure, branding."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader

from intake.brief.render import TEMPLATES_DIR, Branding, render_html, render_pdf
from intake.brief.samples import BRANDINGS, example_brief, instrument_brief, write_examples
from tests.helpers import DIMENSION_LABELS

# Reads and writes no database: run once, in the SQLite pass (tests/conftest.py).
pytestmark = pytest.mark.no_database

URGENT_PINK = (0xFB, 0xE9, 0xE7)  # the urgent box's background in brief.css


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The worked examples written as PDFs, as `make example-briefs` writes them: A, B, C, and
    one each of the PHQ-9 and GAD-7 (by questionnaire id)."""
    folder = tmp_path_factory.mktemp("briefs")
    return {path.stem.removeprefix("brief-"): path for path in write_examples(folder)}


def page_images(pdf: Path) -> list[Image.Image]:
    """Each page as an image, by poppler's pdftoppm (what a person would look at)."""
    out = pdf.with_suffix("")
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(out)], check=True)
    files = sorted(pdf.parent.glob(f"{out.name}-*.png"), key=lambda p: int(p.stem.split("-")[-1]))
    return [Image.open(f).convert("RGB") for f in files]


def ink(image: Image.Image) -> int:
    """How many pixels are not (nearly) white."""
    return sum(image.convert("L").histogram()[:200])


def pink(image: Image.Image) -> int:
    """How many pixels have the urgent box's background colour."""
    colours = image.getcolors(image.width * image.height) or []
    return sum(
        count
        for count, px in colours
        if all(abs(a - b) <= 6 for a, b in zip(px, URGENT_PINK, strict=True))
    )


def text_of(pdf: bytes) -> list[str]:
    """Each page's text, whitespace collapsed."""
    return [" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages]


@pytest.mark.parametrize("letter", ["A", "B", "C"])
def test_pages_look_like_a_brief(examples: dict[str, Path], letter: str) -> None:
    images = page_images(examples[letter])
    assert len(images) == len(PdfReader(examples[letter]).pages)
    assert 2 <= len(images) <= 6
    assert ink(images[0]) > 2000, "page 1 is blank"
    assert all(ink(page) > 200 for page in images)


def test_urgent_box_is_drawn_on_page_one_only_when_flagged(examples: dict[str, Path]) -> None:
    flagged = page_images(examples["C"])
    assert pink(flagged[0]) > 500
    assert "URGENT" in text_of(examples["C"].read_bytes())[0]
    for letter in "AB":
        assert all(pink(page) == 0 for page in page_images(examples[letter]))


@pytest.mark.parametrize("letter", ["A", "B", "C"])
def test_text_has_the_clients_words_each_dimension_and_page_numbers(
    examples: dict[str, Path], letter: str
) -> None:
    pages = text_of(examples[letter].read_bytes())
    text = " ".join(pages)
    # Page 1 quotes each answer, in part when crowded (C is urgent, on US Letter).
    assert "I would like to sleep properly" in pages[0]
    assert "stop dreading Mondays" in text
    assert "My partner said I should come." in pages[0]
    assert "Work has been hard since the restructuring" in text
    assert "My evening walks" in pages[0]
    for dimension in DIMENSION_LABELS:
        assert dimension in text
    assert "page 1 of" in pages[0].lower()
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1]
    assert "How this was scored:" in text


@pytest.mark.parametrize("letter", ["A", "B", "C"])
def test_page_one_holds_everything_to_start_with(examples: dict[str, Path], letter: str) -> None:
    """Who is coming and where to start fits on page 1 (A and B on A4, C on US Letter)."""
    brief = example_brief(letter)
    first = text_of(examples[letter].read_bytes())[0]
    expected = [
        "In the client’s own words",
        "Suggested openers",
        brief.openers[0][:40],
        "Safety question",  # the top strip, on every brief
        "Name they use",
        "Where the client is starting from",
        *DIMENSION_LABELS,  # each dimension's answers
        "This questionnaire has not been validated",
        "Patterns worth attention",
        "Importance and confidence",
        "Importance",
        "Confidence",
        f"Gap: {brief.rulers.gap} point" if brief.rulers else "",
    ]
    for flag in brief.flags:
        expected += [flag.label, flag.description[:40]]
    if brief.rulers and brief.rulers.note and brief.rulers.note.stance:
        expected.append(brief.rulers.note.stance[:40])
    stances = sum(1 for f in brief.flags if f.stance) + bool(
        brief.rulers and brief.rulers.note and brief.rulers.note.stance
    )
    missing = [text for text in expected if text not in first]
    assert not missing, f"not on page 1 of example {letter}: {missing}"
    assert first.count("Suggested stance:") == stances
    assert ("URGENT" in first) == (letter == "C")
    assert "What the client answered" not in first  # the details table starts page 2
    for band in brief.bands:
        assert band.label not in first  # bands only in the details table


def test_example_b_shows_its_patterns_and_wide_gap_with_stances() -> None:
    brief = example_brief("B")
    assert len(brief.flags) >= 2 and all(f.stance for f in brief.flags)
    assert brief.rulers is not None and brief.rulers.wide


def test_page_two_onward_holds_details_then_every_answer() -> None:
    pages = text_of(render_pdf(example_brief("A")))
    first = pages[0]
    assert "In the client’s own words" in first and "Suggested openers" in first
    later = " ".join(pages[1:])
    order = [later.index(h) for h in ("The profile in detail", "Expectations", "every answer")]
    assert order == sorted(order)
    assert "Expectations of therapy" not in first


def test_how_each_dimension_was_scored_names_reversed_and_missing_items() -> None:
    brief = example_brief("B")
    own = next(p for p in brief.profile if p.id == "own_motivation")
    assert own.how.startswith("mean of 2 of 3 answers (1–5)")
    assert "missing: “I am curious to understand more about myself.”" in own.how
    assert "prorated" in own.how
    change = next(p for p in brief.profile if p.id == "change")
    assert "reverse-scored: “I am not sure there is anything I want to change" in change.how


def structure(pdf: bytes) -> tuple[list[str], list[str]]:
    """The structure element types and the alternative texts of a tagged PDF."""
    root: Any = PdfReader(io.BytesIO(pdf)).trailer["/Root"]
    kinds: list[str] = []
    alts: list[str] = []

    def walk(node: Any) -> None:
        node = node.get_object()
        if isinstance(node, list):
            for child in node:
                walk(child)
            return
        if not hasattr(node, "get"):
            return
        if "/S" in node:
            kinds.append(str(node["/S"]))
        if "/Alt" in node:
            alts.append(str(node["/Alt"]))
        if "/K" in node:
            walk(node["/K"])

    walk(root["/StructTreeRoot"])
    return kinds, alts


def test_pdf_is_tagged_pdf_ua_with_language_title_and_author() -> None:
    pdf = render_pdf(example_brief("C"))
    reader = PdfReader(io.BytesIO(pdf))
    root: Any = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert root["/Lang"] == "en"
    assert b'pdfuaid:part="1"' in root["/Metadata"].get_object().get_data()
    assert reader.metadata is not None
    assert reader.metadata.title == "Intake brief: Robin Ashdown (Harbour Street Therapy)"
    assert reader.metadata.author == "Harbour Street Therapy"
    kinds, alts = structure(pdf)
    for kind in ("/H1", "/H2", "/Table", "/TH", "/TD", "/Figure", "/L", "/LI"):
        assert kind in kinds
    dots = next(a for a in alts if a.startswith("Agency and responsibility"))
    assert "Not scored (1 of 3 answered)" in dots


def test_fonts_are_shipped_and_embedded() -> None:
    pdf = render_pdf(example_brief("A"))
    fonts = subprocess.run(
        ["pdffonts", "-"], input=pdf, capture_output=True, check=False
    ).stdout.decode()
    if not fonts:  # older pdffonts cannot read stdin
        fonts = pdf.decode("latin-1")
    assert "Atkinson" in fonts and "DejaVu" not in fonts
    templates = Path(__file__).resolve().parents[1] / "report_templates" / "fonts"
    assert (templates / "OFL-AtkinsonHyperlegible.txt").read_text().count("Open Font License")


@pytest.mark.parametrize(("paper", "size"), [("A4", (595, 842)), ("Letter", (612, 792))])
def test_paper_size_follows_the_clinic(paper: str, size: tuple[int, int]) -> None:
    pdf = render_pdf(example_brief("A"), branding=Branding(paper=paper))
    box = PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == size


def test_branding_logo_accent_and_no_css_injection() -> None:
    brief = example_brief("A")
    html = render_html(brief, branding=BRANDINGS["B"])
    assert "--accent: #7a3b69;" in html
    assert 'src="intake-asset:clinic-logo"' in html
    screen = render_html(brief, screen=True, branding=BRANDINGS["B"])
    assert 'src="data:image/svg+xml;base64,' in screen
    hostile = Branding(
        accent="red;} body{display:none", paper="A0; x", logo=b"x", logo_mime="text/html"
    )
    html = render_html(brief, branding=hostile)
    assert "display:none" not in html and "A0" not in html
    assert "--accent: #1f5f7a;" in html and "@page { size: A4; }" in html
    assert "<img" not in html
    _, alts = structure(render_pdf(brief, branding=BRANDINGS["B"]))
    assert "Harbour Street Therapy logo" in alts
    _, plain = structure(render_pdf(brief))
    assert "Harbour Street Therapy logo" not in plain


def test_clinic_css_override_is_applied_without_python(tmp_path: Path) -> None:
    templates = tmp_path / "report_templates"
    shutil.copytree(TEMPLATES_DIR, templates)
    (templates / "clinics").mkdir(exist_ok=True)
    own = templates / "clinics" / "harbour.css"
    own.write_text(
        "@page { @top-right { content: 'Overridden by the clinic'; text-transform: none; } }\n"
    )
    branding = Branding(slug="harbour")
    assert branding.css_name(templates_dir=templates) == "clinics/harbour.css"
    assert branding.css_name() is None
    pdf = render_pdf(example_brief("A"), branding=branding, templates_dir=templates)
    assert "Overridden by the clinic" in " ".join(text_of(pdf))
    assert Branding(slug="../brief").css_name(templates_dir=templates) is None


# Page 1 of the urgent brief: everything a therapist needs in three minutes.


def pdftotext_first_page(pdf: Path) -> str:
    """Page 1's text as poppler's pdftotext reads it (what copy and search get)."""
    out = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, check=True
    )
    return out.stdout.decode()


def test_the_text_layer_reads_urgent_not_spaced_letters(examples: dict[str, Path]) -> None:
    text = pdftotext_first_page(examples["C"])
    assert "URGENT" in text and "U RGENT" not in text


def test_urgent_page_one_says_how_to_reach_the_client_and_what_to_do(
    examples: dict[str, Path],
) -> None:
    first = text_of(examples["C"].read_bytes())[0]
    for expected in (
        "How to reach Robin Ashdown",
        "+1 201-555-0123",
        "leave no message",
        "robin.ashdown@example.org",
        "After 6 pm on weekdays",
        "Language English",
        "the emergency number 911",
        "crisis text in English",
        "Clinic’s safety procedure: The assigned therapist calls the client the same day",
    ):
        assert expected in first, expected
    # The phone number is a link a phone (or a softphone) can call.
    links = [
        annot.get_object()["/A"]["/URI"]
        for annot in PdfReader(examples["C"]).pages[0].get("/Annots", [])
        if "/A" in annot.get_object()
    ]
    assert "tel:+1-201-555-0123" in links


@pytest.mark.parametrize("letter", ["A", "B", "C"])
def test_page_one_quotes_what_they_want_from_the_therapist(
    examples: dict[str, Path], letter: str
) -> None:
    first = text_of(examples[letter].read_bytes())[0]
    assert "What would you like from your therapist?" in first
    assert "Tell me what to do so that it stops." in first
    assert "What are you ready to do yourself?" in first and "Come every week." in first


SENTENCE = (
    "Work has been hard since the restructuring in the autumn, and I keep feeling stuck. "
    "My partner said I should come, and I think she is right about that. "
    "Some nights I lie awake going over every conversation of the day. "
)
LONG = {
    key: (SENTENCE * 30)[:4000]
    for key in ("why_now", "hopes", "keep", "expect_therapist", "expect_self")
}


def crowded(letter: str, extra: dict[str, Any], paper: str) -> tuple[Any, bytes]:
    """A brief with the longest answers, its PDF on the given paper."""
    brief = example_brief(letter, {**LONG, **extra})
    return brief, render_pdf(brief, branding=Branding(paper=paper))


def lowest_ink(pdf: bytes, tmp_path: Path) -> float:
    """How far down page 1 the content reaches (0-1), running footer left out."""
    path = tmp_path / "page.pdf"
    path.write_bytes(pdf)
    image = page_images(path)[0].convert("L")
    width, height = image.size
    rows = [
        y
        for y in range(int(height * 0.9))
        if min(image.crop((0, y, width, y + 1)).get_flattened_data()) < 180
    ]
    return rows[-1] / height


@pytest.mark.parametrize(
    ("letter", "extra", "paper"),
    [
        ("C", {}, "Letter"),  # urgent, the longest answers
        ("B", {"self_harm": 2}, "Letter"),  # urgent and every pattern, on the shorter paper
        ("B", {"self_harm": 2}, "A4"),
        ("B", {"self_harm": None}, "Letter"),  # safety question left blank
        ("A", {}, "A4"),
    ],
    ids=["urgent-letter", "urgent-patterns-letter", "urgent-patterns-a4", "blank", "plain"],
)
def test_page_one_holds_everything_with_the_longest_answers(
    letter: str, extra: dict[str, Any], paper: str, tmp_path: Path
) -> None:
    """Long answers are quoted in part (whole in the appendix), so page 1 never loses the
    profile, the patterns or the rulers to page 2 and never ends half empty."""
    brief, pdf = crowded(letter, extra, paper)
    pages = text_of(pdf)
    first = pages[0]
    expected = [
        "In the client’s own words",
        "What would you like from your therapist?",
        "Suggested openers",
        brief.openers[0][:40],
        "Where the client is starting from",
        *DIMENSION_LABELS,
        "This questionnaire has not been validated",
        "Own motivation, beside outside pressure",
        "Patterns worth attention",
        "Importance and confidence",
        "Cut short here to fit this page",
    ]
    expected += [f.label for f in brief.flags] + [f.stance[:40] for f in brief.flags if f.stance]
    if brief.rulers and brief.rulers.note:
        expected += [brief.rulers.note.label, (brief.rulers.note.stance or "")[:40]]
    if brief.safety.urgent:
        expected += ["URGENT", "How to reach Robin Ashdown", "Clinic’s safety procedure"]
    missing = [text for text in expected if text not in first]
    assert not missing, f"not on page 1: {missing}"
    assert "What the client answered" not in first
    assert lowest_ink(pdf, tmp_path) > 0.72, "page 1 ends half empty"
    # Every answer is whole in the appendix.
    assert LONG["why_now"][-60:].strip() in " ".join(pages[1:])


def test_an_unbroken_answer_wraps_inside_the_page(tmp_path: Path) -> None:
    # A pasted address or a long run of one character has no place to break: it is broken
    # anywhere rather than run past the page's edge, where it would be cut off.
    unbroken = "https://example.org/" + "a" * 600
    brief = example_brief("A", {"why_now": unbroken, "keep": "x" * 400})
    path = tmp_path / "brief.pdf"
    path.write_bytes(render_pdf(brief))
    for number, image in enumerate(page_images(path), start=1):
        grey = image.convert("L")
        width, height = grey.size
        # The right margin (16 mm of the page's width), above the running footer.
        margin = grey.crop((int(width * 0.95), 0, width, int(height * 0.93)))
        assert min(margin.get_flattened_data()) > 200, f"ink in the right margin of page {number}"


def test_relative_autonomy_is_shown_beside_own_motivation_in_plain_words(
    examples: dict[str, Path],
) -> None:
    first = text_of(examples["B"].read_bytes())[0]
    assert (
        "Own motivation, beside outside pressure: own reasons 3.0, outside pressure 4.5"
        " (answers 1–5): outside pressure weighs more." in first
    )
    details = " ".join(text_of(examples["B"].read_bytes())[1:])
    assert "outside pressure, on average “Mostly true” (4.5 of 5, 2 of 2 answered)" in details


def test_relative_autonomy_not_computed_says_so_and_raises_nothing() -> None:
    brief = example_brief("B", {"out_guilt": None})
    assert "outside_reasons" not in {f.id for f in brief.flags}
    first = text_of(render_pdf(brief))[0]
    assert "Own motivation, beside outside pressure: not computed" in first
    assert "outside pressure: 1 of 2 answered" in first
    assert "Reasons mostly from outside" not in first
    assert not any("outside" in opener.lower() for opener in brief.openers)


def test_the_appendix_holds_the_consent_and_what_the_client_was_shown(
    examples: dict[str, Path],
) -> None:
    pages = text_of(examples["C"].read_bytes())
    appendix = " ".join(pages[1:])
    assert "Signed by typing “Robin Ashdown” on 3 March 2025, 18:02 UTC" in appendix
    assert "wording version 2026-11 (English)" in appendix
    assert "differs from the invited name" not in appendix
    assert "Crisis information shown" in appendix
    assert "emergency number 911" in appendix
    assert "Call or text 988 (Suicide and Crisis Lifeline) at any time" in appendix
    assert "Crisis information shown" not in " ".join(text_of(examples["A"].read_bytes()))


# A standard instrument's brief: its total in its own section, never the profile's wording.

READINESS_WORDING = (
    "Readiness profile",
    "A profile, not a verdict",
    "no pass mark",
    "Suggested openers",
    "In the client’s own words",
    "Patterns worth attention",
    "Bands are provisional",
)
BANNED = ("resistant", "unmotivated", "non-compliant", "in denial")


def test_phq9_brief_is_one_page_safety_first_then_the_total(examples: dict[str, Path]) -> None:
    images = page_images(examples["phq9"])
    (first,) = text_of(examples["phq9"].read_bytes())
    assert len(images) == 1 and pink(images[0]) > 500
    assert first.index("URGENT") < first.index("PHQ-9 depression symptoms")
    assert "Client’s answer: More than half the days" in first
    assert "Total 23 on a scale of 0–27: Severe (the instrument’s band for 20–27) (prorated)" in (
        first
    )
    assert "Prorated: 8 of 9 questions answered; left blank: “Poor appetite or overeating”." in (
        first
    )
    assert "The total is the mean of the 8 answers times 9, 22.5, rounded half up to 23." in first
    assert (
        "None–minimal 0–4 · Mild 5–9 · Moderate 10–14 · Moderately severe 15–19 ·"
        " Severe 20–27 (this total)"
    ) in first
    assert "QUESTION (8 OF 9 ANSWERED)" in first.upper()
    assert "Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke" in first
    for words in READINESS_WORDING:
        assert words not in first, words
    assert not [word for word in BANNED if word in first.lower()]


def test_gad7_brief_names_its_band_as_the_instrument_does(examples: dict[str, Path]) -> None:
    images = page_images(examples["gad7"])
    (first,) = text_of(examples["gad7"].read_bytes())
    assert len(images) == 1 and pink(images[0]) == 0 and ink(images[0]) > 2000
    assert "GAD-7 anxiety symptoms" in first
    assert "Total 15 on a scale of 0–21: Severe (the instrument’s band for 15–21)" in first
    assert "Minimal 0–4 · Mild 5–9 · Moderate 10–14 · Severe 15–21 (this total)" in first
    assert "All 7 questions answered; the total is the sum of the answers." in first
    assert "Also asked, not part of the total" in first and "Very difficult" in first
    assert "URGENT" not in first and "Safety question" not in first
    for words in READINESS_WORDING:
        assert words not in first, words


def test_total_chart_draws_the_instruments_scale_and_says_it_in_words() -> None:
    html = render_html(instrument_brief("phq9", "total 14"))
    assert 'class="profile"' not in html and 'class="openers"' not in html
    assert 'class="flags"' not in html and 'class="own-words"' not in html
    assert 'aria-label="PHQ-9 depression symptoms: total 14 on a scale of 0–27, Moderate' in html
    # Every band's name fits inside its stretch of the scale, so none is left out or overlaps.
    chart = html[html.index('<figure class="scale-chart">') : html.index("</figure>")]
    for label in ("None–minimal", "Mild", "Moderate", "Moderately severe", "Severe"):
        assert f">{label}</text>" in chart
    assert chart.count("<rect") == 5 and chart.count('stroke-width="2"') == 1


def test_total_not_scored_says_why_and_still_lists_the_answers() -> None:
    brief = instrument_brief("phq9", "three answers missing")
    (measure,) = brief.measures
    assert (measure.score, measure.status, measure.answered, measure.count) == (
        None,
        "not_scored",
        6,
        9,
    )
    assert measure.how.startswith("Not scored: 3 of 9 questions were left blank;")
    assert "only when at most 2 are blank" in measure.how
    assert brief.openers == () and brief.profile == () and brief.own_words == ()
    text = " ".join(text_of(render_pdf(brief)))
    assert "Total not scored" in text and "(this total)" not in text


def test_answers_shown_with_a_total_are_not_repeated_in_an_appendix() -> None:
    brief = instrument_brief("gad7")
    assert brief.appendix == ()
    assert 'class="appendix"' not in render_html(brief)


def test_a_brief_of_totals_only_keeps_how_to_reach_and_the_consent_record(
    examples: dict[str, Path],
) -> None:
    # No appendix (its answers are listed with the total), yet the record stays, on page 1.
    (phq9,) = text_of(examples["phq9"].read_bytes())
    for expected in (
        "How to reach Robin Ashdown",
        "+1 201-555-0123",
        "Clinic’s safety procedure: The assigned therapist calls the client the same day",
        "crisis text in English (quoted below)",
        "Signed by typing “Robin Ashdown” on 3 March 2025, 18:02 UTC",
        "Crisis information shown",
        "Call or text 988 (Suicide and Crisis Lifeline) at any time",
    ):
        assert expected in phq9, expected
    (gad7,) = text_of(examples["gad7"].read_bytes())
    assert "How to reach Robin Ashdown" in gad7 and "robin.ashdown@example.org" in gad7
    assert "Signed by typing “Robin Ashdown”" in gad7 and "Crisis information shown" not in gad7
