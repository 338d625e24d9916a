"""The dashboard's name search: accents and case aside, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from intake import crypto, names
from intake.db import db
from intake.models import IntakeNameWord


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("María López", ["maria", "lopez"]),
        ("  JOSÉ  o'Neill-Núñez ", ["jose", "o", "neill", "nunez"]),
        ("Straße", ["strasse"]),
        ("Zoë Zoë", ["zoe"]),
        ("Read_100%", ["read", "100"]),
        ("", []),
    ],
)
def test_names_fold_into_words(text: str, expected: list[str]) -> None:
    assert names.words(text) == expected


def test_prefixes_hold_every_beginning_of_every_word() -> None:
    assert names.prefixes("Mar Ma") == ["m", "ma", "mar"]
    assert names.prefixes("Zoë Li") == ["z", "zo", "zoe", "l", "li"]


def shown(client: FlaskClient, query: str) -> list[str]:
    page = client.get(f"/staff/?q={query}").get_data(as_text=True)
    body = page.split("<tbody", 1)[1] if "<tbody" in page else ""
    return sorted(
        n for n in ("María López", "Mario Rossi", "Ana Marías", "Bob Smith") if n in body
    )


def test_maria_finds_maria_lopez_whatever_the_accents_and_case(
    client: FlaskClient, admin: int, make_intake: Any, make_clinic: Any
) -> None:
    for name in ("María López", "Mario Rossi", "Ana Marías", "Bob Smith"):
        make_intake(admin, name=name)
    elsewhere, _ = make_clinic("south")
    make_intake(elsewhere, name="María Other")
    assert shown(client, "Maria") == ["Ana Marías", "María López"]
    assert shown(client, "MARÍA") == ["Ana Marías", "María López"]
    assert shown(client, "maria%20lop") == ["María López"]
    assert shown(client, "lopez") == ["María López"]
    assert shown(client, "mar") == sorted(["Ana Marías", "María López", "Mario Rossi"])
    assert shown(client, "smith%20maria") == []
    assert shown(client, "%25%25") == []  # no letters or digits: no name matches
    assert "María Other" not in client.get("/staff/?q=maria").get_data(as_text=True)
    assert "2 intakes match" in client.get("/staff/?q=maria").get_data(as_text=True)


def test_the_words_follow_the_name_and_go_with_the_intake(admin: int, make_intake: Any) -> None:
    intake = make_intake(admin, name="María López")
    intake.client_name = "Marie Curie"
    db.session.commit()
    stored = db.session.scalars(
        select(IntakeNameWord.word).where(IntakeNameWord.intake_id == intake.id)
    ).all()
    # Keyed digests of each prefix, bound to the clinic: no readable word is stored.
    ring = crypto.keyring()
    expected = {ring.blind(admin, p) for p in ["c", "cu", "cur", "curi", "curie"]}
    expected |= {ring.blind(admin, p) for p in ["m", "ma", "mar", "mari", "marie"]}
    assert set(stored) == expected and len(stored) == 10
    assert not {"curie", "marie", "maria", "lopez"} & set(stored)
    assert ring.blind(admin, "marie") != ring.blind(admin + 1, "marie")
    db.session.delete(intake)
    db.session.commit()
    assert db.session.scalars(select(IntakeNameWord)).all() == []
