"""Render a brief to HTML (staff page or print) and to PDF with WeasyPrint."""

from __future__ import annotations

import base64
import functools
import hashlib
import mimetypes
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import weasyprint
from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    pass_context,
    select_autoescape,
)
from jinja2.runtime import Context
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse, path2url

from .. import dates
from . import timed
from .content import Brief, page_one_candidates

TEMPLATES_DIR: Path = Path(__file__).resolve().parents[2] / "report_templates"
TEMPLATE_NAME = "brief.html"
PRINT_CSS = "brief.css"
CLINICS_DIR = "clinics"
# PDF/UA-1: tagged structure (headings, tables, figures), document language, XMP claim.
PDF_VARIANT = "pdf/ua-1"
DEFAULT_ACCENT = "#1f5f7a"
PAPER_SIZES = {"A4": "A4", "Letter": "letter"}
LOGO_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml"})
# The logo never exists as a file: the fetcher serves it from memory under this URL.
LOGO_URL = "intake-asset:clinic-logo"
# The id of the (empty) element that ends what page 1 must hold (report_templates/brief.html).
PAGE_ONE_END = "page-one-end"
_HEX = re.compile(r"#[0-9a-fA-F]{6}")
_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


@dataclass(frozen=True)
class Branding:
    """How one clinic's briefs look: logo, accent colour, paper size, optional own CSS."""

    slug: str = ""
    logo: bytes | None = None
    logo_mime: str | None = None
    accent: str = DEFAULT_ACCENT
    paper: str = "A4"
    time_zone: str = dates.DEFAULT_ZONE

    @property
    def accent_color(self) -> str:
        """The accent as '#rrggbb'; anything else falls back, so it can never inject CSS."""
        return self.accent if _HEX.fullmatch(self.accent or "") else DEFAULT_ACCENT

    @property
    def page_size(self) -> str:
        """The CSS page size for the clinic's paper."""
        return PAPER_SIZES.get(self.paper, "A4")

    @property
    def has_logo(self) -> bool:
        """Whether there is a logo of an image type we render."""
        return bool(self.logo) and self.logo_mime in LOGO_TYPES

    def logo_data_uri(self) -> str:
        """The logo as a data: URI for the browser (the screen page only)."""
        if not self.has_logo or self.logo is None:
            return ""
        return f"data:{self.logo_mime};base64,{base64.b64encode(self.logo).decode()}"

    def fingerprint(self) -> str:
        """A hash of everything here that changes the printed brief."""
        digest = hashlib.sha256()
        for part in (self.slug, self.accent_color, self.page_size, self.logo_mime or ""):
            digest.update(part.encode() + b"\0")
        digest.update(self.logo or b"")
        if self.time_zone != dates.DEFAULT_ZONE:
            # Only then: briefs of clinics in UTC keep the fingerprint they were stored with.
            digest.update(b"\0zone:" + self.time_zone.encode())
        return digest.hexdigest()

    def css_name(self, suffix: str = ".css", templates_dir: Path | None = None) -> str | None:
        """The clinic's own stylesheet under report_templates/clinics/, if it exists."""
        if not _SLUG.fullmatch(self.slug):
            return None
        name = f"{CLINICS_DIR}/{self.slug}{suffix}"
        return name if (_dir(templates_dir) / name).is_file() else None


class AssetFetcher(URLFetcher):  # type: ignore[misc,unused-ignore]  # no stubs: Any
    """Serve only regular files inside the templates directory; refuse every other URL."""

    # Why: the brief contains free text typed by the client. It is escaped by the template,
    # but if any of it ever reached WeasyPrint as markup (a template bug, a future field
    # marked safe), an <img>, <link>, @import or url() could make WeasyPrint read a local
    # file (file:///etc/passwd, the app's config or database) into the PDF, or make a request
    # from the server (http://127.0.0.1/..., cloud metadata endpoints). WeasyPrint's default
    # fetcher would do both. This fetcher is given to every HTML() and CSS() call so that
    # nothing outside report_templates/ can ever be read, whatever the document says.
    # Raising ValueError makes WeasyPrint log the failure and skip the resource.

    def __init__(
        self, root: Path | None = None, inline: Mapping[str, tuple[bytes, str]] | None = None
    ) -> None:
        """Allow files under root (default: the templates directory), plus inline assets.

        inline maps exact URLs to (body, content type): assets held in memory, such as a
        clinic's logo from the database.
        """
        super().__init__(allowed_protocols=("file",), allow_redirects=False)
        self.root = (root or TEMPLATES_DIR).resolve()
        self.inline = dict(inline or {})

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        """Return the file a file: URL names, if it resolves inside root; else ValueError."""
        if url in self.inline:
            body, content_type = self.inline[url]
            return URLFetcherResponse(url, body=body, headers={"Content-Type": content_type})
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            raise ValueError(f"refused to fetch {url!r}: only local template assets are allowed")
        try:
            path = Path(url2pathname(parts.path)).resolve(strict=True)
        except (OSError, RuntimeError) as exc:
            raise ValueError(f"refused to fetch {url!r}: {exc}") from None
        if not path.is_relative_to(self.root) or not path.is_file():
            raise ValueError(f"refused to fetch {url!r}: outside {self.root}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            path2url(path), body=path.read_bytes(), headers={"Content-Type": content_type}
        )


def render_html(
    brief: Brief,
    *,
    screen: bool = False,
    css_url: str = "",
    nav_html: str = "",
    templates_dir: Path | None = None,
    branding: Branding | None = None,
    extra_css_urls: Sequence[str] = (),
    style_nonce: str = "",
) -> str:
    """The brief as a complete HTML document; nav_html is escaped unless it is Markup.

    style_nonce: the page's Content-Security-Policy nonce for its one inline <style>.
    """
    branding = branding or Branding()
    if branding.has_logo:
        logo_src = branding.logo_data_uri() if screen else LOGO_URL
    else:
        logo_src = ""
    template = _environment(_dir(templates_dir)).get_template(TEMPLATE_NAME)
    return template.render(
        brief=brief,
        screen=screen,
        css_url=css_url,
        extra_css_urls=tuple(extra_css_urls),
        nav_html=nav_html,
        accent=branding.accent_color,
        page_size=branding.page_size,
        logo_src=logo_src,
        style_nonce=style_nonce,
        time_zone=branding.time_zone,
    )


def render_pdf(
    brief: Brief,
    *,
    templates_dir: Path | None = None,
    branding: Branding | None = None,
    time_limit: float | None = None,
) -> bytes:
    """The brief as a tagged PDF/UA document on the clinic's paper, with its branding.

    With time_limit (seconds), the layout runs in a child process that is stopped when it
    overruns (timed.TimeLimitExceeded); without, here.
    """
    root = _dir(templates_dir)
    branding = branding or Branding()
    sheets = [PRINT_CSS]
    if own := branding.css_name(templates_dir=root):
        sheets.append(own)
    inline = {LOGO_URL: (branding.logo or b"", branding.logo_mime or "")}
    # Page 1 quotes the client's words in part; when the first try does not leave room for
    # everything page 1 must hold, the next (shorter quotes) is laid out instead.
    htmls = tuple(
        render_html(candidate, templates_dir=root, branding=branding)
        for candidate in page_one_candidates(brief)
    )
    logo = inline if branding.has_logo else None
    if time_limit:
        pdf: bytes = timed.call(
            html_to_pdf,
            time_limit,
            html=htmls,
            templates_dir=root,
            stylesheets=tuple(sheets),
            inline=logo,
        )
        return pdf
    return html_to_pdf(htmls, templates_dir=root, stylesheets=sheets, inline=logo)


def html_to_pdf(
    html: str | Sequence[str],
    *,
    templates_dir: Path | None = None,
    stylesheets: Sequence[str] = (PRINT_CSS,),
    inline: Mapping[str, tuple[bytes, str]] | None = None,
    variant: str | None = PDF_VARIANT,
) -> bytes:
    """Lay out an HTML string with stylesheets from the templates directory, fetching only
    template assets (and the inline ones given); tagged PDF/UA-1 unless variant is None.

    Given several, the first whose page 1 reaches its PAGE_ONE_END element is written (else
    the last): the layouts differ only in how much of the client's words page 1 quotes.
    """
    root = _dir(templates_dir)
    fetcher = AssetFetcher(root, inline)
    tries = [html] if isinstance(html, str) else list(html)
    with _LOCK:
        font_config, sheets = _stylesheets(root, tuple(stylesheets), _signature(root, stylesheets))
        for n, text in enumerate(tries):
            document = weasyprint.HTML(
                string=text, base_url=path2url(root), url_fetcher=fetcher
            ).render(stylesheets=list(sheets), font_config=font_config, pdf_variant=variant)
            last = n == len(tries) - 1
            if last or (document.pages and PAGE_ONE_END in document.pages[0].anchors):
                pdf: bytes = document.write_pdf(pdf_variant=variant)
                return pdf
    raise AssertionError("unreachable: the last layout is always written")


# One render at a time per process: parsed stylesheets and loaded fonts are shared.
_LOCK = threading.Lock()


def _signature(root: Path, names: Sequence[str]) -> tuple[tuple[str, int, int], ...]:
    """What identifies the stylesheets' files on disk: name, size and change time."""
    out = []
    for name in names:
        stat = (root / name).stat()
        out.append((name, stat.st_size, stat.st_mtime_ns))
    return tuple(out)


@functools.lru_cache(maxsize=8)
def _stylesheets(
    root: Path, names: tuple[str, ...], signature: tuple[tuple[str, int, int], ...]
) -> tuple[FontConfiguration, tuple[weasyprint.CSS, ...]]:
    """Parsed stylesheets and their fonts, kept while the files are unchanged.

    Why: parsing the CSS and loading the @font-face fonts into fontconfig took a large share
    of each render; both depend only on the files, so they are done once per file version.
    """
    del signature  # part of the cache key only
    font_config = FontConfiguration()
    fetcher = AssetFetcher(root)
    sheets = tuple(
        weasyprint.CSS(filename=str(root / name), url_fetcher=fetcher, font_config=font_config)
        for name in names
    )
    return font_config, sheets


def _dir(templates_dir: Path | None) -> Path:
    """The templates directory to use, resolved."""
    return (templates_dir or TEMPLATES_DIR).resolve()


def template_environment(templates_dir: Path, extensions: Sequence[str] = ()) -> Environment:
    """A new Jinja environment for report templates: autoescaping, strict undefined."""
    return Environment(
        loader=FileSystemLoader(templates_dir),
        autoescape=select_autoescape(default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=list(extensions),
    )


@pass_context
def _zoned_moment(context: Context, value: datetime | None) -> str:
    """The brief's |moment filter: a time in the clinic's zone (render_html passes it)."""
    return dates.moment(value, style="long", blank="—", zone=context.get("time_zone"))


@pass_context
def _zoned_day(context: Context, value: date | datetime | None) -> str:
    """The brief's |day filter: a time's date in the clinic's zone (a date stays as it is)."""
    return dates.day(value, style="long", blank="—", zone=context.get("time_zone"))


@functools.lru_cache(maxsize=8)
def _environment(templates_dir: Path) -> Environment:
    """One brief environment per templates directory."""
    env = template_environment(templates_dir)
    env.filters["day"] = _zoned_day
    env.filters["moment"] = _zoned_moment
    return env
