"""The dashboard: urgent first, filters, search, pages, constant queries, review, reassign."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from intake.accounts.auth import hash_password
from intake.db import db
from intake.models import AuditEvent, Intake, Staff
from tests.helpers import csrf_token, readiness_v2

START = datetime(2026, 1, 1, 9, 0)


def add_intakes(clinic_id: int, count: int, **fields: Any) -> list[int]:
    """Insert intakes directly, one minute apart, oldest first."""
    version = readiness_v2()
    assert version is not None
    offset = db.session.query(Intake).count()
    rows = [
        Intake(
            clinic_id=clinic_id,
            questionnaire_id=version.id,
            token=secrets.token_urlsafe(16),
            client_name=fields.get("client_name", f"Client {offset + n:05d}"),
            status=fields.get("status", "invited"),
            urgent=fields.get("urgent", False),
            therapist_id=fields.get("therapist_id"),
            reviewed_at=fields.get("reviewed_at"),
            answers={},
            created_at=START + timedelta(minutes=offset + n),
        )
        for n in range(count)
    ]
    db.session.add_all(rows)
    db.session.commit()
    return [r.id for r in rows]


@pytest.fixture
def signed_in(make_clinic: Any, login: Any) -> int:
    """A signed-in therapist's clinic id."""
    clinic_id, email = make_clinic()
    login(email)
    return clinic_id


class Statements:
    """Counts SQL statements sent while active."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *_: Any) -> None:
        self.count += 1


@pytest.fixture
def statements(app: Flask) -> Iterator[Statements]:
    counter = Statements()
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", counter)
    yield counter
    event.remove(engine, "before_cursor_execute", counter)


def names(page: str) -> list[str]:
    return re.findall(r'/staff/intakes/\d+">([^<]+)</a>', page)


def test_query_count_does_not_grow_with_intakes(
    client: FlaskClient, signed_in: int, statements: Statements
) -> None:
    add_intakes(signed_in, 10)
    db.session.expire_all()  # as after any commit: the signed-in user is loaded afresh
    statements.count = 0
    assert client.get("/staff/").status_code == 200
    at_10 = statements.count
    add_intakes(signed_in, 50, urgent=True)
    db.session.expire_all()
    statements.count = 0
    page = client.get("/staff/").get_data(as_text=True)
    assert statements.count == at_10, (at_10, statements.count)
    assert at_10 <= 8
    assert len(names(page)) == 25


def test_urgent_intakes_come_first_on_every_filter(client: FlaskClient, signed_in: int) -> None:
    add_intakes(signed_in, 30)
    add_intakes(signed_in, 1, urgent=True, client_name="Urgent Person")
    add_intakes(signed_in, 5)
    page = client.get("/staff/").get_data(as_text=True)
    assert names(page)[0] == "Urgent Person"
    assert "URGENT: safety" in page
    assert "1 urgent safety flag not yet reviewed." in page
    assert names(client.get("/staff/?status=invited").get_data(as_text=True))[0] == "Urgent Person"


def test_pages_walk_forward_and_back_without_gaps(client: FlaskClient, signed_in: int) -> None:
    add_intakes(signed_in, 60)
    seen: list[str] = []
    url = "/staff/"
    pages = []
    while url:
        page = client.get(url).get_data(as_text=True)
        pages.append(names(page))
        seen += names(page)
        nxt = re.search(r'href="([^"]+)" rel="next"', page)
        url = nxt.group(1).replace("&amp;", "&") if nxt else ""
    assert [len(p) for p in pages] == [25, 25, 10]
    assert len(set(seen)) == 60
    assert seen == sorted(seen, reverse=True)  # newest first
    prev = re.search(r'href="([^"]+)" rel="prev"', page)
    assert prev
    back = client.get(prev.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert names(back) == pages[1]
    assert "60 intakes" in page


def test_filters_and_search(client: FlaskClient, signed_in: int) -> None:
    other = Staff(clinic_id=signed_in, email="b@n.example", name="Bea", password_hash="x")
    db.session.add(other)
    db.session.commit()
    add_intakes(signed_in, 3, status="in_progress")
    add_intakes(signed_in, 2, status="submitted", therapist_id=other.id)
    add_intakes(signed_in, 1, status="submitted", reviewed_at=START, client_name="Read_100%")
    add_intakes(signed_in, 1, client_name="Jo O'Neill")

    def shown(query: str) -> list[str]:
        return names(client.get(f"/staff/?{query}").get_data(as_text=True))

    assert len(shown("status=in_progress")) == 3
    assert len(shown("status=submitted")) == 2
    assert shown("status=reviewed") == ["Read_100%"]
    assert len(shown(f"therapist={other.id}")) == 2
    assert shown("q=o%27neill") == ["Jo O&#39;Neill"]
    assert shown("q=100%25") == ["Read_100%"]
    assert shown("q=R_ad") == []  # LIKE wildcards are taken literally
    # Nonsense filters are ignored, never an error.
    assert len(shown("status=bogus&therapist=x&after=garbage")) == 7
    assert (
        len(shown("therapist=99999999999999999999&after=1_2026-01-01T00:00:00_9" + "9" * 20)) == 7
    )


def test_other_clinics_intakes_never_show(
    client: FlaskClient, make_clinic: Any, login: Any
) -> None:
    theirs, _ = make_clinic("south")
    add_intakes(theirs, 3, client_name="Not Yours")
    ours, email = make_clinic("north")
    login(email)
    assert "Not Yours" not in client.get("/staff/").get_data(as_text=True)


def post(client: FlaskClient, intake_id: int, action: str, **data: Any) -> Any:
    csrf = csrf_token(client, f"/staff/intakes/{intake_id}/invitation")
    return client.post(f"/staff/intakes/{intake_id}/{action}", data={**data, "csrf_token": csrf})


def test_mark_reviewed_and_reassign(client: FlaskClient, signed_in: int) -> None:
    (submitted,) = add_intakes(signed_in, 1, status="submitted")
    (invited,) = add_intakes(signed_in, 1)
    post(client, submitted, "reviewed")
    post(client, invited, "reviewed")  # not yet sent: refused with a message
    rows = {i.id: i for i in db.session.scalars(select(Intake))}
    assert rows[submitted].reviewed_at is not None and rows[invited].reviewed_at is None
    assert "Reviewed" in client.get("/staff/?status=reviewed").get_data(as_text=True)

    bea = Staff(clinic_id=signed_in, email="bea@n.example", name="Bea", password_hash="x")
    db.session.add(bea)
    db.session.commit()
    post(client, invited, "therapist", therapist_id=str(bea.id))
    db.session.refresh(rows[invited])
    assert rows[invited].therapist_id == bea.id
    # Someone who is not on the clinic's staff cannot be assigned.
    post(client, invited, "therapist", therapist_id="999999")
    db.session.refresh(rows[invited])
    assert rows[invited].therapist_id == bea.id
    actions = list(db.session.scalars(select(AuditEvent.action)))
    assert actions.count("intake.reviewed") == 1 and actions.count("intake.reassigned") == 1


def test_therapist_filter_lists_only_own_clinic(
    client: FlaskClient, make_clinic: Any, login: Any
) -> None:
    south, _ = make_clinic("south")
    db.session.add(
        Staff(
            clinic_id=south,
            email="x@s.example",
            name="Southerner",
            password_hash=hash_password("p"),
        )
    )
    db.session.commit()
    _, email = make_clinic("north")
    login(email)
    assert "Southerner" not in client.get("/staff/").get_data(as_text=True)


def test_dashboard_shows_each_brief_pdfs_state(client: FlaskClient, signed_in: int) -> None:
    from intake.brief import store
    from intake.models import BriefPdf

    ready, failed, preparing = add_intakes(signed_in, 3, status="submitted")
    for intake_id, state in ((ready, "ready"), (failed, "failed")):
        intake = db.session.get(Intake, intake_id)
        assert intake is not None
        version = store.version_of(intake)
        db.session.add(
            BriefPdf(
                intake_id=intake_id,
                state=state,
                version=version,
                wanted_version=version,
                sha256="0" * 64,
                pdf=b"%PDF-1.7",
            )
        )
    db.session.commit()
    page = client.get("/staff/").get_data(as_text=True)
    assert f'href="/staff/intakes/{ready}/brief.pdf"' in page
    assert page.count("PDF failed: retry") == 1 and page.count("PDF being prepared") == 1
    assert f'href="/staff/intakes/{preparing}/brief.pdf"' not in page
