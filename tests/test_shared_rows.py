"""A page save takes its clinic and questionnaire version from the process (intake.shared_rows,
PostgreSQL): shared by every save while their rows stay as they are, read again on the next
save once one changes, and never joined to a session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, request
from flask.testing import FlaskClient
from sqlalchemy import event, func, inspect, select, text, update

from intake import intake_sets, notify, shared_rows
from intake.db import db
from intake.models import Clinic, Intake, Job, QuestionnaireVersion
from tests.helpers import (
    FULL,
    SAFETY_V3,
    as_in_production,
    autosave,
    fill_page,
    reload,
    safety_v3_intake,
    sign,
)


@pytest.fixture
def postgres(app: Flask) -> None:
    """Skipped on SQLite, whose saves read their clinic and version with the intake."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's row versions (xmin)")


@pytest.fixture
def first_reads(app: Flask, postgres: None) -> Iterator[None]:
    """Each request starts with nothing loaded and no transaction, as in production (a test's
    requests otherwise share the session of the test, which holds what the fixtures loaded)."""
    with as_in_production(app):
        yield


@pytest.fixture
def started(client: FlaskClient, make_clinic: Any, make_intake: Any) -> Intake:
    """An intake whose client has signed the consent (before first_reads, if both are used)."""
    clinic_id, _ = make_clinic()
    intake: Intake = make_intake(clinic_id)
    sign(client, intake)
    return reload(intake)


@pytest.fixture
def posts_read(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Clinic, QuestionnaireVersion]]:
    """The clinic and version each client post's intake came with, in order."""
    seen: list[tuple[Clinic, QuestionnaireVersion]] = []
    real_walk = intake_sets.walk_of

    def walk_of(row: Intake) -> Any:
        if request.method == "POST":
            seen.append((row.clinic, row.questionnaire))
        return real_walk(row)

    monkeypatch.setattr(intake_sets, "walk_of", walk_of)
    return seen


def _key(table: str, row_id: int) -> tuple[str, int, str]:
    """(server, id, row version): what a page save's read gives shared_rows."""
    started, version = db.session.execute(
        text(f"SELECT {shared_rows.SERVER_STARTED}, xmin::text FROM {table} WHERE id = :id"),
        {"id": row_id},
    ).one()
    return started, row_id, version


def test_saves_share_the_clinic_and_version_until_the_clinic_changes(
    client: FlaskClient,
    make_clinic: Any,
    make_intake: Any,
    first_reads: None,
    posts_read: list[tuple[Clinic, QuestionnaireVersion]],
) -> None:
    clinic_id, _ = make_clinic()
    intake = make_intake(clinic_id)
    sign(client, intake)
    posts_read.clear()  # the consent's post reads under the lock, as ever
    # Sent with a required answer missing: saved, and shown again with what to fix.
    shown = [fill_page(client, intake, "now", {"keep": "My walks."}) for _ in range(2)]
    assert [page.status_code for page in shown] == [200, 200]
    assert "North Practice" in shown[1].get_data(as_text=True)
    (clinic, version), (clinic_again, version_again) = posts_read
    assert clinic_again is clinic and version_again is version
    assert inspect(clinic).detached and inspect(version).detached
    # Staff rename the clinic: the very next save reads it again, and shows the new name.
    db.session.execute(
        update(Clinic).where(Clinic.id == clinic_id).values(name="Harbour Practice")
    )
    db.session.commit()
    renamed = fill_page(client, intake, "now", {"keep": "My walks."})
    assert "Harbour Practice" in renamed.get_data(as_text=True)
    clinic_now, version_now = posts_read[2]
    assert clinic_now is not clinic and clinic_now.name == "Harbour Practice"
    assert version_now is version  # versions never change
    # The save itself was made (the answer kept) every time.
    assert reload(intake).answers["keep"] == "My walks."


def test_intakes_of_one_clinic_share_it_and_another_clinic_has_its_own(
    client: FlaskClient,
    make_clinic: Any,
    make_intake: Any,
    first_reads: None,
    posts_read: list[tuple[Clinic, QuestionnaireVersion]],
) -> None:
    north, _ = make_clinic()
    south, _ = make_clinic("south")
    intakes = [make_intake(north), make_intake(north, "Kim Client"), make_intake(south)]
    for intake in intakes:
        sign(client, intake)
    posts_read.clear()
    for intake in intakes:
        fill_page(client, intake, "now", {"keep": "My walks."})
    (first, version), (second, same_version), (other, other_version) = posts_read
    assert second is first and first.id == north
    assert other is not first and other.id == south and other.name == "South Practice"
    assert same_version is version and other_version is version  # one built-in version


def test_autosaves_share_them_and_a_save_made_again_under_the_lock_has_its_own(
    client: FlaskClient,
    started: Intake,
    first_reads: None,
    posts_read: list[tuple[Clinic, QuestionnaireVersion]],
) -> None:
    """An urgent answer is saved again from a read under the lock (its notice commits with
    the flag): that read's clinic is the request's own, which its notice may use."""
    for typed in ("Sleep.", "Sleep better."):
        assert autosave(client, started, "now", {"why_now": typed}).get_json()["saved"]
    for page in ("now", "change", "reasons", "expectations", "ways", "practical"):
        fill_page(client, started, page, FULL)
    shared = posts_read[0][0]
    assert all(clinic is shared for clinic, _ in posts_read)
    urgent = fill_page(client, started, "wellbeing", {"self_harm": "1"})
    assert "/support" in urgent.headers["Location"]
    (first, _), (again, _) = posts_read[-2:]
    assert first is shared and again is not shared and not inspect(again).detached
    stored = reload(started)
    assert stored.urgent and stored.answers["why_now"] == FULL["why_now"]
    assert db.session.scalar(select(func.count()).where(Job.kind == notify.URGENT)) == 1


def test_under_18_on_a_save_read_without_the_lock_stops_and_tells_the_clinic(
    client: FlaskClient,
    clinic_with_admin: dict[str, Any],
    first_reads: None,
    posts_read: list[tuple[Clinic, QuestionnaireVersion]],
) -> None:
    """The stop locks the row and reads it again: its notice goes to the clinic's staff."""
    intake = safety_v3_intake(int(clinic_with_admin["id"]))
    response = fill_page(client, intake, "about", {"adult": "no"}, definition=SAFETY_V3)
    assert response.headers["Location"].endswith(f"/i/{intake.token}/under-18")
    assert posts_read and inspect(posts_read[-1][0]).detached
    assert reload(intake).under_age_at is not None
    queued = db.session.scalar(
        select(func.count()).select_from(Job).where(Job.kind == notify.UNDER_AGE)
    )
    assert queued == 1


def test_a_shared_clinic_or_version_never_joins_a_session(
    postgres: None, make_clinic: Any, make_intake: Any
) -> None:
    clinic_id, _ = make_clinic()
    intake = make_intake(clinic_id)
    session = db.session()
    clinic = shared_rows.clinic(session, *_key("clinic", clinic_id))
    version = shared_rows.version(session, *_key("questionnaire_version", intake.questionnaire_id))
    assert clinic is not None and version is not None
    # The same objects again for the same row versions, loaded whole (but the logo).
    assert shared_rows.clinic(session, *_key("clinic", clinic_id)) is clinic
    assert clinic.time_zone == "UTC" and version.source
    assert inspect(clinic).unloaded == {"logo"} and not inspect(version).unloaded
    # A session's commit would expire them for every request of the process.
    for shared in (clinic, version):
        with pytest.raises(shared_rows.SharedRowAttached):
            db.session.add(shared)
    with pytest.raises(shared_rows.SharedRowAttached):
        intake.clinic = clinic  # cascaded into the intake's session


def test_a_process_keeps_so_many_rows_and_reads_a_dropped_one_again(
    postgres: None, make_clinic: Any
) -> None:
    kept = shared_rows._Kept(Clinic, 2)
    ids = [make_clinic(slug)[0] for slug in ("north", "south", "east")]
    session = db.session()
    first, _, third = [kept.get(session, *_key("clinic", i)) for i in ids]
    # The oldest went to make room for the third: read again, as a new object.
    again = kept.get(session, *_key("clinic", ids[0]))
    assert first is not None and again is not None and again is not first
    assert again.name == first.name == "North Practice"
    # The newest is still kept.
    assert kept.get(session, *_key("clinic", ids[2])) is third


def test_rows_are_kept_per_database_server_and_a_deleted_one_is_none(
    postgres: None, make_clinic: Any
) -> None:
    """A server restored to an earlier point, or a replica promoted in its place, counts
    transaction ids (row versions) again: what one server's rows were is not another's."""
    kept = shared_rows._Kept(Clinic, 8)
    clinic_id, _ = make_clinic()
    session = db.session()
    server, _, version = key = _key("clinic", clinic_id)
    first = kept.get(session, *key)
    reads: list[str] = []

    def watch(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        reads.append(statement)

    event.listen(db.engine, "before_cursor_execute", watch)
    try:
        assert first is not None and kept.get(session, *key) is first
        assert reads == []
        # The same row version on another server (or this one restarted) is read again;
        # what is read is kept under the server that answered.
        kept.get(session, f"{server} (another)", clinic_id, version)
        assert len(reads) == 1 and "FROM clinic" in reads[0]
    finally:
        event.remove(db.engine, "before_cursor_execute", watch)
    # A clinic deleted (with its intakes) between a save's read and this.
    db.session.execute(text("DELETE FROM staff WHERE clinic_id = :id"), {"id": clinic_id})
    db.session.execute(text("DELETE FROM clinic WHERE id = :id"), {"id": clinic_id})
    try:
        assert shared_rows._Kept(Clinic, 8).get(session, *key) is None
    finally:
        db.session.rollback()
