"""Render a brief to HTML (staff page or print) and to PDF with WeasyPrint."""

from __future__ import annotations

import functools
import mimetypes
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import weasyprint
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from weasyprint.urls import URLFetcher, URLFetcherResponse, path2url

from .content import Brief

TEMPLATES_DIR: Path = Path(__file__).resolve().parents[2] / "report_templates"
TEMPLATE_NAME = "brief.html"
PRINT_CSS = "brief.css"
SCREEN_CSS = "screen.css"


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

    def __init__(self, root: Path | None = None) -> None:
        """Allow files under root (default: the templates directory) and nothing else."""
        super().__init__(allowed_protocols=("file",), allow_redirects=False)
        self.root = (root or TEMPLATES_DIR).resolve()

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        """Return the file a file: URL names, if it resolves inside root; else ValueError."""
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
) -> str:
    """The brief as a complete HTML document; nav_html is escaped unless it is Markup."""
    template = _environment(_dir(templates_dir)).get_template(TEMPLATE_NAME)
    return template.render(brief=brief, screen=screen, css_url=css_url, nav_html=nav_html)


def render_pdf(brief: Brief, *, templates_dir: Path | None = None) -> bytes:
    """The brief as a PDF document (A4, print stylesheet)."""
    root = _dir(templates_dir)
    return html_to_pdf(render_html(brief, templates_dir=root), templates_dir=root)


def html_to_pdf(html: str, *, templates_dir: Path | None = None) -> bytes:
    """Lay out an HTML string with the print stylesheet, fetching only template assets."""
    root = _dir(templates_dir)
    fetcher = AssetFetcher(root)
    document = weasyprint.HTML(string=html, base_url=path2url(root), url_fetcher=fetcher)
    css = weasyprint.CSS(filename=str(root / PRINT_CSS), url_fetcher=fetcher)
    pdf: bytes = document.write_pdf(stylesheets=[css])
    return pdf


def _dir(templates_dir: Path | None) -> Path:
    """The templates directory to use, resolved."""
    return (templates_dir or TEMPLATES_DIR).resolve()


@functools.lru_cache(maxsize=8)
def _environment(templates_dir: Path) -> Environment:
    """One Jinja environment per templates directory (autoescaping, strict undefined)."""
    env = Environment(
        loader=FileSystemLoader(templates_dir),
        autoescape=select_autoescape(default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["day"] = _day
    env.filters["moment"] = _moment
    return env


def _day(value: date | None) -> str:
    """A date as '4 March 2025', or an em dash when unknown."""
    if value is None:
        return "—"
    return f"{value.day} {value:%B %Y}"


def _moment(value: datetime | None) -> str:
    """A date and time as '4 March 2025, 14:05 UTC', or an em dash when unknown."""
    if value is None:
        return "—"
    zone = f" {value:%Z}" if value.tzinfo is not None else ""
    return f"{_day(value)}, {value:%H:%M}{zone}"
