"""Rotating the name-search key: several keys looked up while the index is rebuilt, the
rebuild resumable and idempotent, the old key useless afterwards, the command's output
counts only."""

from __future__ import annotations

import base64
import re
import threading
import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text

from intake import crypto, erasure, keys, lifecycle, names
from intake.db import db
from intake.models import Intake, IntakeNameWord

# Fixed test keys (not secrets): parametrized ids must be the same in every pytest-xdist
# worker, and random keys would name the cases differently in each.
OLD = base64.urlsafe_b64encode(b"o" * 32).decode()
NEW = base64.urlsafe_b64encode(b"n" * 32).decode()
OTHER = base64.urlsafe_b64encode(b"x" * 32).decode()
NAMES = ("María López", "Mario Rossi", "Bob Smith")


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"SEARCH_KEY": OLD}, [OLD]),
        ({"SEARCH_KEY": f" {OLD} "}, [OLD]),
        ({"SEARCH_KEYS": f"{NEW},{OLD}"}, [NEW, OLD]),
        ({"SEARCH_KEYS": f"{NEW} {OLD}"}, [NEW, OLD]),
        ({"SEARCH_KEYS": [NEW, OLD]}, [NEW, OLD]),
        # SEARCH_KEYS takes SEARCH_KEY's place: a leaked key left there is not used.
        ({"SEARCH_KEYS": NEW, "SEARCH_KEY": OLD}, [NEW]),
        ({"SEARCH_KEYS": "", "SEARCH_KEY": OLD}, [OLD]),
        ({}, []),
    ],
)
def test_the_search_keys_come_from_search_keys_else_search_key(
    config: dict[str, Any], expected: list[str]
) -> None:
    assert crypto.search_keys(config) == expected


def keyring(*search: str, encryption: tuple[tuple[str, bytes], ...] = ()) -> crypto.Keyring:
    """A keyring with these search keys, newest first (and the given or a fresh encryption
    key)."""
    ring = crypto.Keyring.from_texts([OTHER], list(search))
    return crypto.Keyring(encryption or ring.keys, ring.search_keys)


@pytest.mark.parametrize(
    ("search", "writes", "looks_up"),
    [
        ((OLD,), OLD, (OLD,)),
        ((NEW, OLD), NEW, (NEW, OLD)),
        ((OLD, NEW), OLD, (OLD, NEW)),
        ((NEW, NEW), NEW, (NEW,)),
        ((NEW,), NEW, (NEW,)),
    ],
)
def test_the_first_search_key_writes_and_every_one_is_looked_up(
    search: tuple[str, ...], writes: str, looks_up: tuple[str, ...]
) -> None:
    ring = keyring(*search)
    assert ring.blind(7, "lop") == keyring(writes).blind(7, "lop")
    assert ring.blinds(7, "lop") == [keyring(k).blind(7, "lop") for k in looks_up]
    assert ring.search_current == crypto.key_id(crypto._decode_key(writes))


def test_a_keyring_refuses_one_search_key_where_the_tuple_goes() -> None:
    ring = keyring(OLD)
    with pytest.raises(crypto.CryptoError, match="search keys"):
        crypto.Keyring(ring.keys, ring.search_key)  # type: ignore[arg-type]
    with pytest.raises(crypto.CryptoError, match="no search key"):
        crypto.Keyring.from_texts([OTHER], [])
    with pytest.raises(crypto.CryptoError, match="32 bytes"):
        crypto.Keyring.from_texts([OTHER], [NEW, "not-a-key"])


def shown(client: FlaskClient, query: str) -> list[str]:
    """The names of NAMES (and the new one) the dashboard lists for a search."""
    page = client.get(f"/staff/?q={query}").get_data(as_text=True)
    body = page.split("<tbody", 1)[1] if "<tbody" in page else ""
    return sorted(n for n in (*NAMES, "Lópes Nuevo") if n in body)


def use(app: Flask, monkeypatch: pytest.MonkeyPatch, *search: str) -> crypto.Keyring:
    """Make the app's keyring one with these search keys (its encryption keys kept)."""
    ring = keyring(*search, encryption=crypto.keyring().keys)
    monkeypatch.setitem(app.extensions, "intake_keyring", ring)
    db.session.expire_all()
    return ring


def index_rows() -> list[tuple[int, int, str]]:
    """Every row of the name index: intake, clinic, digest."""
    query = select(IntakeNameWord.intake_id, IntakeNameWord.clinic_id, IntakeNameWord.word)
    return [(i, c, w) for i, c, w in db.session.execute(query)]


def digests(ring: crypto.Keyring) -> set[str]:
    """Every digest the ring's writing key makes of every prefix of every intake's name."""
    return {
        ring.blind(clinic_id, prefix)
        for clinic_id, name in db.session.execute(select(Intake.clinic_id, Intake.client_name))
        for prefix in names.prefixes(name or "")
    }


def test_rotating_the_search_key_keeps_search_working_and_leaves_nothing_under_the_old_one(
    app: Flask,
    client: FlaskClient,
    admin: int,
    make_intake: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Before: every process has the old key only.
    old = use(app, monkeypatch, OLD)
    for name in NAMES:
        make_intake(admin, name=name)
    erased = make_intake(admin, name="Erased Person")
    erasure.erase(erased)
    assert shown(client, "lóp") == ["María López"]

    # Step 1: the new key after the old one everywhere (writes still the old key's); step 2:
    # the new key first. A process at either step finds rows written at the other.
    use(app, monkeypatch, OLD, NEW)
    assert shown(client, "lóp") == ["María López"]
    use(app, monkeypatch, NEW, OLD)
    make_intake(admin, name="Lópes Nuevo")  # written under the new key
    assert shown(client, "lóp") == ["Lópes Nuevo", "María López"]
    use(app, monkeypatch, OLD, NEW)
    assert shown(client, "lóp") == ["Lópes Nuevo", "María López"]
    assert shown(client, "lopez") == ["María López"]

    # Step 3: the rebuild, interrupted after its first batch of one intake.
    new = use(app, monkeypatch, NEW, OLD)

    class Stop(Exception):
        pass

    def stop(counts: keys.Counts) -> None:
        raise Stop

    with pytest.raises(Stop):
        keys.rotate_search(batch=1, progress=stop)
    db.session.rollback()
    result = app.test_cli_runner().invoke(args=["keys", "rotate", "--search", "--batch", "2"])
    assert result.exit_code == 0, result.output
    (line,) = re.findall(
        r"intake_name_word: (\d+) intakes, (\d+) rebuilt, (\d+) already current", result.output
    )
    # Five intakes: the first rebuilt before the interruption, the new one written under the
    # new key and the erased one (no rows) are current; the other two are rebuilt.
    assert tuple(map(int, line)) == (5, 2, 3)
    assert "re-encrypted" not in result.output  # --search: the index only
    assert f"under search key {new.search_current}" in result.output

    # Step 4: the old key removed. Search still finds, and no row is the old key's.
    use(app, monkeypatch, NEW)
    assert shown(client, "lóp") == ["Lópes Nuevo", "María López"]
    assert shown(client, "MARIA%20lop") == ["María López"]
    assert shown(client, "smith") == ["Bob Smith"]
    rows = index_rows()
    assert {w for _, _, w in rows} == digests(new)
    assert not {w for _, _, w in rows} & digests(old)
    assert erased.id not in {i for i, _, _ in rows}

    # Run again: nothing left to do, nothing changed.
    again = app.test_cli_runner().invoke(args=["keys", "rotate", "--search"])
    assert "5 intakes, 0 rebuilt, 5 already current" in again.output
    assert sorted(index_rows()) == sorted(rows)


def test_a_name_changed_while_its_rows_are_rebuilt_is_indexed_by_its_own_change(
    app: Flask,
    admin: int,
    make_intake: Any,
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("row locks between two sessions: PostgreSQL (SQLite writes one at a time)")
    use(app, monkeypatch, OLD)
    intake = make_intake(admin, name="María López")
    new = use(app, monkeypatch, NEW, OLD)
    real = lifecycle.name_index
    locked, done = threading.Event(), threading.Event()

    def rebuild_slowly(clinic_id: int, name: str) -> list[str]:
        # The rebuild holds the intake's lock here: let the rename below start, and go on
        # once it waits for the lock.
        if threading.current_thread() is worker and not locked.is_set():
            locked.set()
            with db.engine.connect() as watcher:
                waiting = text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
                for _ in range(600):
                    if watcher.execute(waiting).scalar_one():
                        break
                    time.sleep(0.05)
        return real(clinic_id, name)

    def rotate_elsewhere() -> None:  # another process: its own session
        with app.app_context():
            try:
                keys.rotate_search()
            finally:
                db.session.remove()
                locked.set()
                done.set()

    monkeypatch.setattr(lifecycle, "name_index", rebuild_slowly)
    worker = threading.Thread(target=rotate_elsewhere)
    worker.start()
    assert locked.wait(timeout=60)
    intake.client_name = "Marie Curie"
    db.session.commit()  # waits for the rebuild's batch
    worker.join(timeout=60)
    assert done.is_set()
    db.session.expire_all()
    stored = {w for i, _, w in index_rows() if i == intake.id}
    assert (
        stored
        == set(real(admin, "Marie Curie"))
        == {new.blind(admin, p) for p in names.prefixes("Marie Curie")}
    )


def test_keys_rotate_prints_counts_and_key_ids_only(
    app: Flask, admin: int, make_intake: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in NAMES:
        make_intake(admin, name=name)
    ring = use(app, monkeypatch, NEW, OLD)
    result = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    # Both kinds of key: the values (all under the current encryption key) and the index.
    assert "Done: 0 values re-encrypted" in result.output
    assert "intake_name_word: 3 intakes, 3 rebuilt, 0 already current" in result.output
    words = {w for n in NAMES for w in names.words(n)} | {w for n in NAMES for w in n.split()}
    lowered = result.output.casefold()
    assert not [w for w in words if w.casefold() in lowered]
    for line in result.output.splitlines():
        assert re.fullmatch(
            r"(Re-encrypting with key \w+ \(batches of \d+\)\.|"
            r"[\w.]+: \d+ values, \d+ re-encrypted, \d+ already current|"
            r"Done: \d+ values re-encrypted; every value is under key \w+\.|"
            r"Rebuilding the name-search index with search key \w+ \(batches of \d+\)\.|"
            r"intake_name_word: \d+ intakes, \d+ rebuilt, \d+ already current|"
            r"Done: \d+ intakes' index rebuilt; every row is under search key \w+\.)",
            line,
        ), line
    assert ring.search_current in result.output
