"""Languages of the client's side: Flask-Babel set-up, which language a request speaks, and
the time zone a client's dates are read in."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytz
from babel import Locale, UnknownLocaleError, negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, current_app, g, has_request_context, request, url_for
from flask_babel import Babel, get_locale
from werkzeug.datastructures import LanguageAccept

from .config import PROJECT_ROOT

# The query flag on the address a save leads to: that page says the answers are saved
# (client.links); a language link leaves it out, since switching saves nothing.
SAVED = "saved"

TRANSLATIONS_DIR = PROJECT_ROOT / "translations"
DEFAULT_LANGUAGE = "en"

babel = Babel()


def init_app(app: Flask) -> None:
    """Attach Flask-Babel, with the catalogs in translations/ and our locale choice."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    try:
        compile_catalogs(Path(app.config["BABEL_TRANSLATION_DIRECTORIES"]))
    except OSError:
        pass  # a read-only install: `make` compiled the catalogs when it was built
    babel.init_app(app, locale_selector=_request_locale, timezone_selector=_request_zone)

    @app.context_processor
    def language_context() -> dict[str, Any]:
        return {"lang": str(get_locale() or DEFAULT_LANGUAGE)}

    app.add_template_global(switch_language_url)


def switch_language_url(language: str) -> str:
    """This page again in another language: same address and query, with ?lang= set, less
    the flag that says the answers were just saved (a language switch saves nothing)."""
    values: dict[str, Any] = {**(request.view_args or {}), **request.args.to_dict()}
    values.pop(SAVED, None)
    values["lang"] = language
    return url_for(request.endpoint or "home", **values)


def interface_languages() -> tuple[str, ...]:
    """The languages the interface is translated into (English is the source)."""
    # Read once per app: the catalogs are deployed with the code, and listing their
    # folders on every client request cost more than the rest of choosing a language.
    known: tuple[str, ...] | None = current_app.extensions.get(_LANGUAGES)
    if known is None:
        found = {str(locale) for locale in babel.list_translations()}
        known = (DEFAULT_LANGUAGE, *sorted(found - {DEFAULT_LANGUAGE}))
        current_app.extensions[_LANGUAGES] = known
    return known


_LANGUAGES = "intake.interface_languages"


def _request_locale() -> Locale:
    """Flask-Babel's locale selector: select_locale's choice, as a Locale made once per
    language (Flask-Babel would parse the code again on every request)."""
    return _locale(select_locale())


# g key: the clinic whose client is on this page (client.links.load sets it).
CLIENT_CLINIC = "client_clinic"


def _request_zone() -> str | None:
    """Flask-Babel's time zone selector: on a client's pages, the clinic's, so what a client
    reads (the day they signed, can download their copy until) is the day where the clinic
    is; elsewhere Flask-Babel's default, UTC (staff pages show the clinic's zone by
    intake.dates, and the own copy passes its zone itself)."""
    # Read only when a page formats a time: most client pages show none.
    clinic = g.get(CLIENT_CLINIC)
    zone = getattr(clinic, "time_zone", None)
    # Flask-Babel opens the name with pytz, whose list differs a little from zoneinfo's
    # (which the settings page checks): a name pytz lacks falls back to UTC, never a 500.
    return zone if isinstance(zone, str) and zone in pytz.all_timezones_set else None


@lru_cache(maxsize=16)
def _locale(code: str) -> Locale:
    # Our codes are written as in HTML ("pt-BR"); Babel's as "pt_BR".
    return Locale.parse(code.replace("-", "_"))


def select_locale() -> str:
    """The request's language: the intake's (set by the client views), else link or browser.

    The staff area and background jobs are not translated; they use the default language.
    """
    chosen = g.get("language")
    if chosen:
        return str(chosen)
    if not has_request_context() or request.blueprint == "staff":
        # Background jobs (staff emails) and the staff area speak the default language.
        return DEFAULT_LANGUAGE
    offered = interface_languages()
    asked = request.args.get("lang", "")
    if asked in offered:
        return asked
    return browser_choice(request.accept_languages, offered) or DEFAULT_LANGUAGE


def browser_choice(accept: LanguageAccept, offered: Sequence[str]) -> str | None:
    """The browser's most wanted language we offer; 'es-MX' matches 'es'."""
    wanted = [value for value, quality in accept if quality > 0 and value != "*"]
    chosen = negotiate_locale(wanted, list(offered), sep="-")
    return str(chosen) if chosen else None


def choose(
    offered: Sequence[str],
    *,
    asked: str | None,
    stored: str,
    settled: bool,
    accept: LanguageAccept,
) -> str:
    """The language for an intake's page.

    A language named in the link (?lang=, also what the switcher sends) wins; once the
    client has started, the intake's stored language holds on every device; before that,
    the browser's preference; else the intake's stored (clinic's) language.
    """
    if asked in offered:
        return str(asked)
    if settled and stored in offered:
        return stored
    best = browser_choice(accept, offered)
    if best:
        return best
    return stored if stored in offered else offered[0]


@lru_cache(maxsize=64)
def language_name(code: str) -> str:
    """A language's name in that language ('español'), for the switcher."""
    try:
        locale = _locale(code)
        name = locale.get_display_name(locale)
    except (ValueError, UnknownLocaleError):
        return code
    return (name or code)[:1].upper() + (name or code)[1:]


def compile_catalogs(directory: Path = TRANSLATIONS_DIR) -> list[Path]:
    """Compile every messages.po under directory to its .mo when the .mo is missing or older.

    The .po files are the source kept in git; the .mo files are built from them (by make,
    and at start-up so that a changed .po is never served stale), written atomically.
    """
    written = []
    for po in sorted(directory.glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source)
        partial = mo.with_name(mo.name + ".partial")
        with partial.open("wb") as target:
            write_mo(target, catalog)
        partial.replace(mo)
        written.append(mo)
    return written
