"""The brief's HTML template and PDF renderer: content, safety box, escaping, asset fetching."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.request import url2pathname

import pytest
import weasyprint.urls
from markupsafe import Markup, escape
from pypdf import PdfReader

from intake.brief import render
from intake.brief.content import Brief, build_brief
from intake.brief.render import TEMPLATES_DIR, AssetFetcher, html_to_pdf, render_html, render_pdf
from intake.brief.samples import META
from intake.questionnaire import load_file
from intake.questionnaire.model import Definition
from intake.scoring import score
from tests.helpers import DIMENSION_LABELS

# Reads and writes no database: run once, in the SQLite pass (tests/conftest.py).
pytestmark = pytest.mark.no_database

FORM = Path(__file__).resolve().parents[1] / "forms" / "readiness-v2.yaml"
GOAL = "I hope to finish the boat-building course I abandoned in the spring."
WHY = "Since the move to Leeds I have stopped sleeping properly and my brother noticed."
IMG = '<img src="file:///etc/passwd">'
LINK = '<link rel=stylesheet href="file:///etc/passwd">'
BANNED = ("resistant", "unmotivated", "non-compliant", "in denial")


@pytest.fixture(scope="module")
def definition() -> Definition:
    """The default questionnaire."""
    return load_file(FORM)


@pytest.fixture(scope="module")
def make_brief(definition: Definition) -> Callable[..., Brief]:
    """Build a brief from one of the YAML examples, with free-text answers added or changed."""

    def make(letter: str, **changes: Any) -> Brief:
        example = next(e for e in definition.examples if e.name.startswith(f"{letter},"))
        answers: dict[str, Any] = {
            **example.answers,
            "why_now": WHY,
            "hopes": GOAL,
            "contact": "email",
            "previous_therapy": "no",
            "consent": True,
        }
        answers.update(changes)
        answers = {k: v for k, v in answers.items() if v is not None}
        return build_brief(definition, answers, score(definition, answers), META)

    return make


@pytest.fixture(scope="module")
def pdfs(make_brief: Callable[..., Brief]) -> dict[str, bytes]:
    """The PDF of each example, rendered once for the module."""
    return {letter: render_pdf(make_brief(letter)) for letter in "ABC"}


def pdf_pages(pdf: bytes) -> list[str]:
    """Extracted text of each page, whitespace collapsed."""
    reader = PdfReader(io.BytesIO(pdf))
    return [" ".join((page.extract_text() or "").split()) for page in reader.pages]


def squeeze(text: str) -> str:
    """Text with all whitespace removed, for matching across line breaks."""
    return re.sub(r"\s+", "", text)


def test_pdf_is_a_pdf_with_the_client_goal_and_every_dimension(pdfs: dict[str, bytes]) -> None:
    pdf = pdfs["A"]
    assert pdf.startswith(b"%PDF")
    text = " ".join(pdf_pages(pdf))
    assert GOAL in text
    assert WHY in text
    for label in DIMENSION_LABELS:
        assert label in text
    assert "page 1 of" in text.lower()
    assert "Harbour Street Therapy" in text
    assert "confidential" in text.lower()


def test_pdf_metadata_and_language(
    pdfs: dict[str, bytes], make_brief: Callable[..., Brief]
) -> None:
    reader = PdfReader(io.BytesIO(pdfs["A"]))
    assert reader.metadata is not None
    assert reader.metadata.title == "Intake brief: Robin Ashdown (Harbour Street Therapy)"
    assert '<html lang="en">' in render_html(make_brief("A"))


def test_every_page_is_numbered(pdfs: dict[str, bytes]) -> None:
    pages = pdf_pages(pdfs["B"])
    assert len(pages) > 1
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
        assert "Robin Ashdown" in text
        assert "CONFIDENTIAL" in text


def test_not_scored_dimension_is_shown_as_such(pdfs: dict[str, bytes]) -> None:
    text = " ".join(pdf_pages(pdfs["C"]))
    assert "not scored" in text.lower()
    assert "Not scored (1 of 3 answered)." in text


def test_prorated_dimension_is_marked(make_brief: Callable[..., Brief]) -> None:
    html = render_html(make_brief("B"))
    assert "(prorated)" in html  # the details table
    assert "*prorated: one answer blank" in html  # page 1's key, only when prorated
    assert "Prorated" not in render_html(make_brief("A"))


def test_urgent_safety_box_is_first_on_page_one(pdfs: dict[str, bytes]) -> None:
    first = pdf_pages(pdfs["C"])[0]
    assert "URGENT" in first
    assert "Several days" in first
    assert "crisis information" in first
    assert first.index("URGENT") < first.index("In the client’s own words")


def test_urgent_box_comes_straight_after_the_header(make_brief: Callable[..., Brief]) -> None:
    html = render_html(make_brief("C"))
    body = html[html.index("</header>") :]
    assert body.index('class="safety urgent"') < body.index('class="own-words"')
    assert body.index('class="safety urgent"') < body.index('class="profile"')


@pytest.mark.parametrize("letter", ["A", "B"])
def test_no_urgent_text_without_a_safety_answer(pdfs: dict[str, bytes], letter: str) -> None:
    assert "urgent" not in " ".join(pdf_pages(pdfs[letter])).lower()


def test_blank_safety_item_asks_for_contact(make_brief: Callable[..., Brief]) -> None:
    html = render_html(make_brief("A", self_harm=None))
    assert "Safety question left blank — please contact the client before the session" in html
    assert "URGENT" not in html


def test_take_care_of_me_flag_and_stance(pdfs: dict[str, bytes]) -> None:
    text = " ".join(pdf_pages(pdfs["B"]))
    assert "Hopes to be taken care of" in text
    assert "Suggested stance:" in text
    assert "invite shared work in small steps" in text
    assert "Hopes to be taken care of" not in " ".join(pdf_pages(pdfs["A"]))


def test_rulers_and_wide_gap(make_brief: Callable[..., Brief]) -> None:
    html = render_html(make_brief("B"))
    assert "Gap: 7 points" in html
    # The wide gap's pattern is told beside the rulers, with its stance, not twice.
    rulers = html[
        html.index('class="rulers"') : html.index("</section>", html.index('class="rulers"'))
    ]
    assert "Importance and confidence far apart" in rulers and "Suggested stance:" in rulers
    flags = html[html.index('class="flags"') :]
    assert "Importance and confidence far apart" not in flags[: flags.index("</section>")]
    assert "far apart" not in render_html(make_brief("A"))


def test_openers_are_a_numbered_list(make_brief: Callable[..., Brief]) -> None:
    brief = make_brief("B")
    html = render_html(brief)
    section = html[html.index('class="openers"') :]
    section = section[: section.index("</section>")]
    assert "<ol>" in section
    assert section.count("<li>") == len(brief.openers) >= 2


@pytest.mark.parametrize("letter", ["A", "B", "C"])
def test_no_labelling_language(make_brief: Callable[..., Brief], letter: str) -> None:
    html = render_html(make_brief(letter)).lower()
    for word in BANNED:
        assert word not in html


def test_bands_are_called_provisional(make_brief: Callable[..., Brief]) -> None:
    html = render_html(make_brief("A"))
    assert "Bands are provisional until the clinic has local norms" in html
    for band in ("Emerging", "Building", "Strong"):
        assert band in html


def test_chart_has_a_text_alternative(make_brief: Callable[..., Brief]) -> None:
    html = render_html(make_brief("C"))
    svgs = re.findall(r'<svg class="dots".*?</svg>', html, re.S)
    assert len(svgs) == 6
    for svg in svgs:
        assert 'role="img"' in svg and "<title>" in svg
    labels = [re.search(r'aria-label="([^"]*)"', svg).group(1) for svg in svgs]  # type: ignore[union-attr]
    assert labels[0].startswith("Change readiness: “There is something in my life I would like…”:")
    assert labels[3].startswith("Agency and responsibility: Not scored (1 of 3 answered).")


def test_hidden_items_are_left_out(make_brief: Callable[..., Brief]) -> None:
    details = "A counsellor at university listened well, but we never set goals."
    prompt = "What was helpful then, and what was not?"
    hidden = render_html(make_brief("A", previous_therapy="no", previous_details=details))
    assert prompt not in hidden
    assert details not in hidden
    assert "<caption>Therapy before</caption>" not in hidden
    shown = render_html(make_brief("A", previous_therapy="yes", previous_details=details))
    appendix = shown[shown.index('class="appendix"') :]
    assert "<caption>Therapy before</caption>" in appendix
    assert prompt in appendix
    assert details in appendix


def test_screen_mode_links_the_stylesheet_and_nav(make_brief: Callable[..., Brief]) -> None:
    brief = make_brief("A")
    nav = Markup('<nav class="staff-nav"><a href="/staff">Back</a></nav>')
    html = render_html(brief, screen=True, css_url="/staff/brief/screen.css", nav_html=nav)
    assert '<link rel="stylesheet" href="/staff/brief/screen.css">' in html
    assert html.index('<nav class="staff-nav">') < html.index("<header")
    printed = render_html(brief, nav_html=nav)
    assert "<link" not in printed
    assert "staff-nav" not in printed
    # A plain string is not trusted as markup.
    plain = render_html(brief, screen=True, nav_html="<script>x()</script>")
    assert "<script>" not in plain
    assert "&lt;script&gt;" in plain


# Client text must never make WeasyPrint read a file or a URL.


@pytest.fixture
def fetch_log(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str]]]:
    """Record every URL WeasyPrint asks for, through our fetcher or any default one."""
    log: list[tuple[str, str]] = []
    ours = AssetFetcher.fetch

    def spy(self: AssetFetcher, url: str, headers: Mapping[str, str] | None = None) -> Any:
        try:
            response = ours(self, url, headers)
        except ValueError:
            log.append(("refused", url))
            raise
        log.append(("served", url))
        return response

    def default_spy(self: Any, url: str, headers: Any = None) -> Any:
        log.append(("default", url))
        raise AssertionError(f"default URL fetcher used for {url}")

    monkeypatch.setattr(AssetFetcher, "fetch", spy)
    monkeypatch.setattr(weasyprint.urls.URLFetcher, "fetch", default_spy)
    yield log


def _inside_templates(url: str) -> bool:
    path = Path(url2pathname(url.removeprefix("file://")))
    return url.startswith("file://") and path.resolve().is_relative_to(TEMPLATES_DIR.resolve())


def test_client_markup_is_text_and_fetches_nothing(
    make_brief: Callable[..., Brief], fetch_log: list[tuple[str, str]]
) -> None:
    brief = make_brief("A", why_now=IMG, keep=LINK, expect_therapist="</style><style>@import 'x'")
    html = render_html(brief)
    for payload in (IMG, LINK):
        assert payload not in html
        assert str(escape(payload)) in html
    text = squeeze(" ".join(pdf_pages(render_pdf(brief))))
    assert squeeze(IMG) in text
    assert squeeze(LINK) in text
    assert "root:" not in text
    assert all(kind != "default" for kind, _ in fetch_log)
    assert all(_inside_templates(url) for kind, url in fetch_log if kind == "served")


def test_hostile_html_cannot_reach_files_or_network(
    fetch_log: list[tuple[str, str]], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="weasyprint")
    hostile = """<!DOCTYPE html><html><head>
    <link rel="stylesheet" href="file:///etc/passwd">
    <link rel="stylesheet" href="../pyproject.toml">
    <style>
      @import url("http://127.0.0.1:9/x.css");
      @font-face { font-family: X; src: url("file:///etc/passwd"); }
      body { background: url("https://example.invalid/bg.png"); }
    </style></head><body>
    <p>visible text</p>
    <img src="file:///etc/passwd"><img src="../pyproject.toml">
    <img src="ftp://127.0.0.1/x.png"><img src="data:image/svg+xml,%3Csvg%2F%3E">
    <object data="file:///etc/hostname"></object>
    </body></html>"""
    pdf = html_to_pdf(hostile)
    text = " ".join(pdf_pages(pdf))
    assert "visible text" in text
    assert "root:" not in text
    assert "build-system" not in text
    asked = {url for _, url in fetch_log}
    assert "file:///etc/passwd" in asked
    assert any(url.endswith("/pyproject.toml") for url in asked)
    assert any(url.startswith("http://127.0.0.1") for url in asked)
    assert all(kind == "refused" for kind, _ in fetch_log), fetch_log
    # WeasyPrint reports each refusal and carries on.
    assert any("refused to fetch" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        f"file://{TEMPLATES_DIR}/../pyproject.toml",
        f"file://{TEMPLATES_DIR}/%2e%2e/pyproject.toml",
        f"file://{TEMPLATES_DIR}/",
        f"file://{TEMPLATES_DIR}/no-such-file.css",
        "file://evil.example/etc/passwd",
        "http://127.0.0.1/",
        "https://example.org/brief.css",
        "ftp://127.0.0.1/brief.css",
        "data:text/css,body{color:red}",
        "brief.css",
    ],
)
def test_fetcher_refuses_everything_outside_the_templates(url: str) -> None:
    with pytest.raises(ValueError):
        AssetFetcher().fetch(url)


def test_fetcher_serves_template_assets() -> None:
    url = weasyprint.urls.path2url(TEMPLATES_DIR / "brief.css")
    response = AssetFetcher().fetch(url)
    try:
        assert response.content_type == "text/css"
        assert response.read() == (TEMPLATES_DIR / "brief.css").read_bytes()
    finally:
        response.close()


def test_fetcher_refuses_symlink_escape(tmp_path: Path) -> None:
    root = tmp_path / "templates"
    root.mkdir()
    (tmp_path / "secret.txt").write_text("secret")
    (root / "style.css").symlink_to(tmp_path / "secret.txt")
    (root / "ok.css").write_text("p {}")
    fetcher = AssetFetcher(root)
    with pytest.raises(ValueError):
        fetcher.fetch(weasyprint.urls.path2url(root / "style.css"))
    assert fetcher.fetch(weasyprint.urls.path2url(root / "ok.css")).read() == b"p {}"


def test_normal_render_logs_no_warnings(
    make_brief: Callable[..., Brief], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="weasyprint")
    for letter in "BC":
        render_pdf(make_brief(letter))
    problems = [r for r in caplog.records if r.name.startswith("weasyprint")]
    assert not problems, [r.getMessage() for r in problems]


def test_templates_dir_can_be_overridden(make_brief: Callable[..., Brief], tmp_path: Path) -> None:
    (tmp_path / "brief.html").write_text("<p>{{ brief.meta.client_name }}|{{ screen }}</p>")
    (tmp_path / "brief.css").write_text("p { color: black }")
    brief = make_brief("A", why_now=IMG)
    assert render_html(brief, templates_dir=tmp_path) == "<p>Robin Ashdown|False</p>"
    assert render_pdf(brief, templates_dir=tmp_path).startswith(b"%PDF")
    assert render._environment(tmp_path.resolve()) is render._environment(tmp_path.resolve())


# Page 1 quotes the client's words in part, cut where a reader expects it, never in an opener.


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("Short enough.", 100, "Short enough."),
        ("One thing. Another thing. A third thing here.", 30, "One thing. Another thing."),
        ("Is it me? Or them? I do not know any more.", 22, "Is it me? Or them?"),
        ("no stops at all in this long sentence of mine", 20, "no stops at all in"),
        ("Tiny. Then a very long sentence that goes on and on", 30, "Tiny. Then a very long"),
        ("First line\nsecond line\nthird line", 70, "First line\nsecond line"),
    ],
)
def test_excerpts_end_at_a_sentence_or_a_word(text: str, limit: int, expected: str) -> None:
    from intake.brief.content import excerpt

    assert excerpt(text, limit) == expected


def test_quotes_share_page_ones_room_shortest_first() -> None:
    from intake.brief.content import Quote, fit

    quotes = (
        Quote("A?", "Brief."),
        Quote("B?", "Long answer. " * 40),
        Quote("C?", "Another long answer. " * 40),
    )
    fitted = fit(quotes, 306)
    assert fitted[0].short == "Brief." and not fitted[0].cut
    assert fitted[1].cut and fitted[2].cut
    assert len(fitted[1].short) <= 150 and len(fitted[2].short) <= 150
    assert all(q.text == original.text for q, original in zip(fitted, quotes, strict=True))


@pytest.mark.parametrize("letter", ["A", "B", "C"])
def test_no_opener_cuts_an_answer(make_brief: Callable[..., Brief], letter: str) -> None:
    long_why = "I keep losing sleep over work and I want to understand why it happens. " * 5
    brief = make_brief(letter, why_now=long_why)
    for opener in brief.openers:
        assert not opener.endswith("…")
        for quoted in re.findall(r"“([^”]*)”", opener):
            # A quote is whole sentences of an answer (or an answer's words), never cut.
            assert quoted[-1] in ".!?" or quoted in ("several days",), quoted
    first = brief.openers[1 if letter == "C" else 0]
    assert first.startswith("You wrote: “I keep losing sleep over work and I want to understand")


def test_an_urgent_brief_opens_with_how_they_are(make_brief: Callable[..., Brief]) -> None:
    assert make_brief("C").openers[0].startswith("First, your safety:")
    assert not make_brief("A").openers[0].startswith("First, your safety:")


def test_a_clinics_own_larger_type_still_keeps_everything_on_page_one(tmp_path: Path) -> None:
    """The layout quotes less until page 1 holds everything, whatever a clinic's CSS does."""
    import shutil

    from intake.brief.render import Branding
    from intake.brief.samples import example_brief

    templates = tmp_path / "report_templates"
    shutil.copytree(TEMPLATES_DIR, templates)
    (templates / "clinics").mkdir(exist_ok=True)
    (templates / "clinics" / "big.css").write_text(
        ".quote blockquote { font-size: 12pt; line-height: 1.6; }\n"
    )
    long = "It has been a hard year. I do not sleep, and I worry about everything. " * 20
    brief = example_brief("B", {"why_now": long, "hopes": long, "keep": long})
    pdf = render_pdf(brief, branding=Branding(slug="big", paper="Letter"), templates_dir=templates)
    first = pdf_pages(pdf)[0]
    for text in ("Patterns worth attention", "Hopes to be taken care of", "Importance and"):
        assert text in first
    assert "Cut short here to fit this page" in first


def test_readiness_brief_has_no_total_section(make_brief: Callable[..., Brief]) -> None:
    # The profile's questionnaire has no total: its brief is the profile as before.
    brief = make_brief("A")
    assert brief.measures == () and brief.copyright is None and brief.patterns_checked
    html = render_html(brief)
    assert 'class="measure"' not in html and "scale-chart" not in html
    assert 'class="profile"' in html and 'class="openers"' in html and 'class="flags"' in html
    assert "Questions listed with a total above are not repeated" not in html


@pytest.mark.parametrize("name", sorted(p.name for p in render.TEMPLATES_DIR.glob("*.css")))
def test_every_stylesheet_closes_each_block_it_opens(name: str) -> None:
    # An unclosed block swallows every rule after it without a word from WeasyPrint (a merge
    # once left one open, and the history section and later rules were silently ignored).
    path = render.TEMPLATES_DIR / name
    text = re.sub(r"/\*.*?\*/", "", path.read_text(encoding="utf-8"), flags=re.S)
    depth = 0
    for number, line in enumerate(text.splitlines(), start=1):
        depth += line.count("{") - line.count("}")
        assert depth >= 0, f"{name}:{number}: a block closed that was never opened"
    assert depth == 0, f"{name}: {depth} block(s) left open"
