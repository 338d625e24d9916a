"""The client's languages: how one is chosen, and that the Spanish catalog is complete."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from werkzeug.datastructures import LanguageAccept

from intake.i18n import TRANSLATIONS_DIR, choose, compile_catalogs, language_name

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def accept(*pairs: tuple[str, float]) -> LanguageAccept:
    return LanguageAccept(list(pairs))


# (asked in the link, stored on the intake, client has started, browser) -> language
CHOICES = {
    "link-wins": ("es", "en", True, accept(("en", 1)), "es"),
    "link-outside-the-offer-is-ignored": ("fr", "en", False, accept(("es", 1)), "es"),
    "started-keeps-its-language": (None, "es", True, accept(("en", 1)), "es"),
    "new-follows-the-browser": (None, "en", False, accept(("es-MX", 1), ("en", 0.5)), "es"),
    "new-without-a-match-keeps-the-stored": (None, "es", False, accept(("de", 1)), "es"),
    "stored-outside-the-offer-falls-back": (None, "fr", False, accept(), "en"),
}


@pytest.mark.parametrize(
    ("asked", "stored", "settled", "browser", "expected"),
    list(CHOICES.values()),
    ids=list(CHOICES),
)
def test_language_choice(
    asked: str | None, stored: str, settled: bool, browser: LanguageAccept, expected: str
) -> None:
    chosen = choose(("en", "es"), asked=asked, stored=stored, settled=settled, accept=browser)
    assert chosen == expected


def test_language_names_are_written_in_their_own_language() -> None:
    assert language_name("es") == "Español"
    assert language_name("en") == "English"
    assert language_name("xx") == "xx"


def _extracted() -> set[str | tuple[str, str]]:
    found: set[str | tuple[str, str]] = set()
    method_map = [
        ("intake/client/**.py", "python"),
        ("intake/i18n.py", "python"),
        ("intake/templates/base.html", "jinja2"),
        ("intake/templates/home.html", "jinja2"),
        ("intake/templates/error.html", "jinja2"),
        ("intake/templates/client/**.html", "jinja2"),
        ("report_templates/answers.html", "jinja2"),
    ]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None}
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else (message[0], message[1]))
    return found


def test_every_interface_text_has_a_spanish_translation() -> None:
    with (TRANSLATIONS_DIR / "es" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source, locale="es")
    translated = {}
    for message in catalog:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else tuple(message.id)
        translated[key] = message
    extracted = _extracted()
    assert len(extracted) > 50
    missing = [m for m in extracted if m not in translated]
    assert missing == [], "run `make messages` and translate the new texts"
    for key in extracted:
        message = translated[key]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings) and not message.fuzzy, key
        source = key if isinstance(key, str) else key[1]
        # A translation keeps every placeholder, or formatting fails in that language.
        for string in strings:
            assert set(PLACEHOLDER.findall(string)) <= set(PLACEHOLDER.findall(source)), key
            assert set(PLACEHOLDER.findall(source)) - {"num"} <= set(
                PLACEHOLDER.findall(string)
            ) or key == ("Please check this answer", "Please check these answers"), key


def test_catalogs_compile_when_stale(tmp_path: Path) -> None:
    target = tmp_path / "es" / "LC_MESSAGES"
    target.mkdir(parents=True)
    po = TRANSLATIONS_DIR / "es" / "LC_MESSAGES" / "messages.po"
    (target / "messages.po").write_bytes(po.read_bytes())
    assert compile_catalogs(tmp_path) == [target / "messages.mo"]
    assert (target / "messages.mo").stat().st_size > 1000
    assert compile_catalogs(tmp_path) == []  # up to date: nothing written


def test_closed_link_and_self_referral_pages_speak_spanish(
    client: Any, make_clinic: Any, make_intake: Any
) -> None:
    from datetime import timedelta

    from intake.db import db
    from intake.models import Clinic, utcnow

    clinic_id, _ = make_clinic()
    intake = make_intake(clinic_id)
    intake.language, intake.status = "es", "in_progress"
    intake.expires_at = utcnow() - timedelta(days=1)
    clinic = db.session.get(Clinic, clinic_id)
    assert clinic is not None
    clinic.self_referral_token = "puerta-abierta"
    db.session.commit()
    closed = client.get(f"/i/{intake.token}")
    assert closed.status_code == 410
    assert "Este enlace ha caducado" in closed.get_data(as_text=True)
    referral = client.get("/r/puerta-abierta", headers={"Accept-Language": "es"})
    html = referral.get_data(as_text=True)
    assert "Su nombre" in html and "Antes de su primera sesión" in html
