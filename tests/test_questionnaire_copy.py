"""A clinic's copy of a questionnaire: nothing in it that only makes sense to us, every
language's texts kept, and a preview in each language it offers."""

from __future__ import annotations

import html
from pathlib import Path

from flask.testing import FlaskClient
from ruamel.yaml import YAML

from intake import drafts
from intake.questionnaire import load_file
from tests.helpers import create, draft_text, press

BUILTIN = Path(__file__).resolve().parents[1] / "forms" / "readiness.yaml"


def test_the_copy_carries_no_note_that_points_at_our_files(
    client: FlaskClient, admin: int
) -> None:
    original = BUILTIN.read_text()
    assert "../shared/" in original and "$schema=" in original  # our notes, in our file
    create(client)
    copy = draft_text(admin)
    assert "../" not in copy and "schema" not in copy and "yaml-language-server" not in copy
    # The notes that help a clinic stay, and the data is the same but for id and title.
    assert "# Provisional until the clinic has local norms;" in copy
    assert "PHQ-9 item 9" in copy
    ours, theirs = YAML(typ="safe").load(original), YAML(typ="safe").load(copy)
    for key in ("id", "version", "title"):
        ours.pop(key), theirs.pop(key)
    assert ours == theirs


def test_a_hash_line_inside_a_text_block_is_data_and_stays() -> None:
    text = "id: q\nnote: |\n  # see ../ours.md\n  more\n# See ../ours.md\nversion: 1\n"
    stripped = drafts.without_our_notes(text)
    assert "  # see ../ours.md\n" in stripped and "# See ../ours.md\nversion" not in stripped


def test_the_copy_keeps_each_languages_texts(client: FlaskClient, admin: int) -> None:
    create(client)
    copy = YAML(typ="safe").load(draft_text(admin))
    spanish = load_file(BUILTIN).in_language("es")  # what the editor copies: the newest
    assert copy["title"] == {"en": "Our intake", "es": spanish.title}
    assert copy["description"]["es"].split()[:3] == spanish.description.split()[:3]
    assert copy["pages"][0]["items"][0]["prompt"]["es"] == spanish.pages[0].items[0].prompt


def test_the_preview_shows_every_language_the_definition_offers(
    client: FlaskClient, admin: int
) -> None:
    create(client)
    page = html.unescape(press(client, "preview", draft_text(admin)).get_data(as_text=True))
    assert 'id="lang-en"' in page and 'id="lang-es"' in page
    builtin = load_file(BUILTIN)
    spanish = builtin.in_language("es")
    assert spanish.pages[0].items[0].prompt in page
    assert builtin.pages[0].items[0].prompt in page
    assert "Guardar y continuar más tarde" in page  # the interface in Spanish too
    assert '<html lang="es">' in page
