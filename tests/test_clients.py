"""One client across intakes: re-invitation, the client's page, trends with reliable change and
cut-off crossing, the goals step (named, then re-rated), earlier patterns, the brief's sections,
access (another clinic's client is 404), and the migration that gives each intake a client."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, select, text

from intake import catalogue, create_app, intake_sets, lifecycle
from intake.brief.build import pdf_for
from intake.db import db
from intake.models import (
    Client,
    ClientGoal,
    Clinic,
    GoalRating,
    Intake,
    IntakeSet,
    Role,
    Staff,
)
from intake.questionnaire import load_file
from tests.helpers import (
    DEFINITION,
    complete,
    csrf_token,
    give_goals,
    goals_url,
    pdf_text,
    post_form,
    reload,
    sign,
)

PHQ9 = load_file("forms/phq9.yaml")
PHQ9_IDS = [f"phq9_{n}" for n in range(1, 10)]
FOURTEEN = [2, 2, 2, 2, 2, 1, 1, 2, 0]
SIX = [1, 1, 1, 1, 1, 1, 0, 0, 0]
ELEVEN = [2, 2, 2, 1, 1, 1, 1, 1, 0]


def phq9(values: list[int]) -> dict[str, Any]:
    """PHQ-9 answers as a browser posts them, the difficulty question too."""
    return {
        **{i: str(v) for i, v in zip(PHQ9_IDS, values, strict=True)},
        "phq9_difficulty": "somewhat",
        "shown": " ".join([*PHQ9_IDS, "phq9_difficulty"]),
    }


def invite(clinic_id: int, key: str = "phq9", client: Client | None = None) -> Intake:
    """An invitation to a built-in questionnaire (a re-invitation when client is given)."""
    clinic = db.session.get(Clinic, clinic_id)
    version = catalogue.latest_builtin(key)
    assert clinic is not None and version is not None
    return lifecycle.invite(clinic, "Sam Rivera", version, client=client)


def send(intake: Intake, answers: dict[str, Any], days_ago: int = 0) -> Intake:
    """Store answers and submit, as if sent days_ago (so the order over time is known)."""
    definition = catalogue.definition_of(intake.questionnaire)
    intake.answers = {k: int(v) if v.isdigit() else v for k, v in answers.items() if k != "shown"}
    db.session.commit()
    lifecycle.submit(intake, definition)
    intake.submitted_at = intake.submitted_at - timedelta(days=days_ago)  # type: ignore[operator]
    db.session.commit()
    return intake


@pytest.fixture
def clinic(make_clinic: Any, login: Any) -> int:
    """A clinic with a signed-in therapist; returns the clinic id."""
    clinic_id, email = make_clinic()
    login(email)
    return clinic_id


def test_each_invitation_is_a_new_client_never_matched_by_name(
    client: FlaskClient, clinic: int
) -> None:
    first, second = invite(clinic), invite(clinic)  # the same name twice
    assert first.client_id is not None and second.client_id is not None
    assert first.client_id != second.client_id
    version = catalogue.latest_builtin("phq9")
    assert version is not None
    post_form(
        client,
        "/staff/invite",
        {"client_name": "Sam Rivera", "questionnaire_id": version.id, "therapist_id": ""},
    )
    ids = set(db.session.scalars(select(Intake.client_id)))
    assert len(ids) == 3


def test_staff_reinvite_from_the_client_page_links_the_new_intake(
    client: FlaskClient, clinic: int
) -> None:
    first = send(invite(clinic), phq9(FOURTEEN), days_ago=30)
    page = client.get(f"/staff/clients/{first.client_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Sam Rivera" in html and "Invite Sam Rivera again" in html
    assert "No trend yet" in html
    gad7 = catalogue.latest_builtin("gad7")
    assert gad7 is not None
    response = post_form(
        client,
        f"/staff/clients/{first.client_id}",
        {"client_name": "Sam Rivera", "questionnaire_id": gad7.id, "therapist_id": ""},
    )
    assert response.status_code == 302
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="link"' in shown  # the new link, shown once
    new = db.session.scalars(select(Intake).order_by(Intake.id.desc())).first()
    assert new is not None and new.id != first.id
    assert new.client_id == first.client_id  # linked by staff's choice
    assert new.questionnaire.key == "gad7"  # staff chose what the re-invitation asks
    # A bad form stays on the page with its message, nothing lost.
    bad = post_form(
        client,
        f"/staff/clients/{first.client_id}",
        {"client_name": "", "questionnaire_id": gad7.id, "therapist_id": ""},
    )
    assert bad.status_code == 200 and "Please enter the client" in bad.get_data(as_text=True)
    # Or an intake set: PHQ-9 and GAD-7 again, through one link, for the same client.
    chosen = IntakeSet(clinic_id=clinic, name="Symptoms again", questionnaires=["phq9", "gad7"])
    db.session.add(chosen)
    db.session.commit()
    response = post_form(
        client,
        f"/staff/clients/{first.client_id}",
        {"client_name": "Sam Rivera", "questionnaire_id": f"set:{chosen.id}", "therapist_id": ""},
    )
    assert response.status_code == 302
    again = db.session.scalars(select(Intake).order_by(Intake.id.desc())).first()
    assert again is not None and again.client_id == first.client_id
    assert [again.questionnaire.key, *(p.questionnaire.key for p in again.more_parts)] == [
        "phq9",
        "gad7",
    ]


@pytest.mark.parametrize(
    ("region", "stored", "shown"),
    [
        (None, "+12015550123", "+1 201-555-0123"),
        ("US", "+12015550123", "+1 201-555-0123"),
        ("US", "+442079460958", "+44 20 7946 0958"),  # another country's, in its own format
    ],
)
def test_the_re_invitation_shows_the_phone_as_staff_read_it_and_keeps_it(
    client: FlaskClient, clinic: int, region: str | None, stored: str, shown: str
) -> None:
    found = db.session.get(Clinic, clinic)
    assert found is not None
    found.phone_region = region
    db.session.commit()
    first = invite(clinic)
    first.phone = stored
    db.session.commit()
    html = client.get(f"/staff/clients/{first.client_id}").get_data(as_text=True)
    match = re.search(r'<input[^>]*name="phone"[^>]*>', html)
    assert match, "no phone field on the re-invitation form"
    value = re.search(r'value="([^"]*)"', match.group(0))
    assert value and value.group(1) == shown
    # Sent back unchanged, it is the same number.
    version = catalogue.latest_builtin("phq9")
    assert version is not None
    response = post_form(
        client,
        f"/staff/clients/{first.client_id}",
        {
            "client_name": "Sam Rivera",
            "phone": value.group(1),
            "questionnaire_id": version.id,
            "therapist_id": "",
        },
    )
    assert response.status_code == 302
    new = db.session.scalars(select(Intake).order_by(Intake.id.desc())).first()
    assert new is not None and new.id != first.id and new.client_id == first.client_id
    assert new.phone == stored


def test_the_invitation_page_shows_the_phone_as_staff_read_it(
    client: FlaskClient, clinic: int
) -> None:
    invited = invite(clinic)
    invited.phone = "+12015550123"
    db.session.commit()
    html = client.get(f"/staff/intakes/{invited.id}/invitation").get_data(as_text=True)
    assert "<dt>Phone</dt><dd>+1 201-555-0123</dd>" in html


def test_another_clinics_client_is_not_found(
    client: FlaskClient, clinic: int, make_clinic: Any
) -> None:
    other, _ = make_clinic("south")
    theirs = invite(other)
    assert client.get(f"/staff/clients/{theirs.client_id}").status_code == 404
    token = csrf_token(client, "/staff/invite")  # a real token, from our own page
    posted = client.post(
        f"/staff/clients/{theirs.client_id}",
        data={
            "client_name": "X",
            "questionnaire_id": "1",
            "therapist_id": "",
            "csrf_token": token,
        },
    )
    assert posted.status_code == 404
    assert db.session.scalar(select(Intake).where(Intake.clinic_id == clinic)) is None
    with pytest.raises(ValueError, match="own clinic"):
        invite(clinic, client=db.session.get(Client, theirs.client_id))


def test_the_client_page_names_every_questionnaire_asked_and_marks_an_urgent_intake(
    client: FlaskClient, clinic: int
) -> None:
    phq9_v, gad7_v = (catalogue.latest_builtin(key) for key in ("phq9", "gad7"))
    assert phq9_v is not None and gad7_v is not None
    owner = db.session.get(Clinic, clinic)
    assert owner is not None
    first = send(lifecycle.invite(owner, "Sam Rivera", [phq9_v, gad7_v]), {}, days_ago=30)
    urgent = invite(clinic, client=first.client)
    urgent.urgent = True
    db.session.commit()
    page = " ".join(client.get(f"/staff/clients/{first.client_id}").get_data(as_text=True).split())
    assert f"{phq9_v.title} (v{phq9_v.version}); {gad7_v.title} (v{gad7_v.version})" in page
    assert "URGENT: safety" in page and f"/staff/intakes/{urgent.id}/safety" in page
    summary = client.get(f"/staff/intakes/{urgent.id}/safety").get_data(as_text=True)
    assert f'href="/staff/clients/{first.client_id}">Client record' in summary


def test_re_invitation_after_a_set_offers_that_set_again(client: FlaskClient, clinic: int) -> None:
    owner = db.session.get(Clinic, clinic)
    assert owner is not None
    mood = intake_sets.save(owner, "Mood check", ["phq9", "gad7"])
    first = send(
        lifecycle.invite(owner, "Sam Rivera", intake_sets.resolve(clinic, mood.questionnaires)),
        {},
    )
    page = client.get(f"/staff/clients/{first.client_id}").get_data(as_text=True)
    assert f'<option selected value="set:{mood.id}">' in page


def test_erasing_one_intake_says_the_client_s_other_intakes_stay(
    client: FlaskClient, clinic: int
) -> None:
    db.session.scalars(select(Staff)).one().role = Role.ADMIN
    first = send(invite(clinic), phq9(FOURTEEN), days_ago=30)
    second = invite(clinic, client=first.client)
    page = " ".join(client.get(f"/staff/intakes/{second.id}/erase").get_data(as_text=True).split())
    assert "Sam Rivera has 1 other intake at the clinic: it stays." in page
    assert f'href="/staff/clients/{first.client_id}">their client record' in page
    alone = invite(clinic)
    page = client.get(f"/staff/intakes/{alone.id}/erase").get_data(as_text=True)
    assert "other intake" not in page


def test_phq9_twice_shows_the_trend_reliable_change_and_cutoff(
    client: FlaskClient, clinic: int
) -> None:
    first = send(invite(clinic), phq9(FOURTEEN), days_ago=42)
    second = send(invite(clinic, client=first.client), phq9(SIX))
    statement = "down 8 points. This is a reliable change (RCI -4.87"
    crossed = "It crossed the clinical cut-off of 10: from at or above it to below it."
    page = client.get(f"/staff/clients/{first.client_id}").get_data(as_text=True)
    assert statement in page and crossed in page
    assert "<svg" in page and 'class="trend-chart"' in page
    brief = client.get(f"/staff/intakes/{second.id}").get_data(as_text=True)
    assert "Over time: 2 sent intakes of this client" in brief and statement in brief
    words = " ".join(pdf_text(pdf_for(reload(second))).split())
    assert "Over time: 2 sent intakes of this client" in words
    assert "This is a reliable change" in words and "crossed the clinical cut-off of 10" in words
    # The first intake's brief stays as it was: no later intake in it.
    assert "Over time" not in pdf_text(pdf_for(reload(first)))


def test_a_change_within_measurement_error_says_so(client: FlaskClient, clinic: int) -> None:
    first = send(invite(clinic), phq9(FOURTEEN), days_ago=14)
    send(invite(clinic, client=first.client), phq9(ELEVEN))
    page = client.get(f"/staff/clients/{first.client_id}").get_data(as_text=True)
    assert "down 3 points. This is within measurement error (RCI -1.83" in page
    assert "Both scores are at or above the clinical cut-off of 10." in page


def test_readiness_twice_charts_without_a_reliable_change_claim_and_flags_stay_at_intake(
    client: FlaskClient, clinic: int
) -> None:
    flagged = next(e for e in DEFINITION.examples if e.expect.flags)
    answers = {k: str(v) for k, v in flagged.answers.items()}
    first = send(invite(clinic, "readiness"), answers, days_ago=60)
    second = send(invite(clinic, "readiness", client=first.client), answers)
    raised = (reload(first).result or {})["flags"]
    assert raised, "the first intake raised a pattern"
    label = next(f.label for f in DEFINITION.flags if f.id == raised[0])
    day = first.submitted_at
    assert day is not None
    words = " ".join(pdf_text(pdf_for(reload(second))).split())
    assert "no claim that the change is reliable" in words
    assert "reliable change (" not in words
    assert f"At intake {day.day} {day:%B} {day.year}: {label}" in words


def test_goals_named_then_rerated_on_a_later_intake(client: FlaskClient, clinic: int) -> None:
    db.session.get(Clinic, clinic).goal_step = "always"  # type: ignore[union-attr]
    db.session.commit()
    first = invite(clinic)
    sign(client, first)
    # Next without a goal: asked for one, next to the field.
    missing = give_goals(client, first, {})
    assert missing.status_code == 200
    assert "Please write at least one goal, in your own words." in missing.get_data(as_text=True)
    # A goal without its rating, and a rating without its goal.
    half = give_goals(client, first, {"goal_1": "Sleep better", "goal_2_rating": "4"})
    html = half.get_data(as_text=True)
    assert "Please choose a number from 0 to 10." in html
    assert "Please write the goal this number is for" in html
    assert 'value="Sleep better"' in html  # nothing lost
    give_goals(client, first)
    complete(client, first, phq9(FOURTEEN), PHQ9)
    assert [g.text for g in db.session.scalars(select(ClientGoal))] == [
        "Sleep through the night most weeks"
    ]
    later = invite(clinic, client=reload(first).client)
    sign(client, later)
    page = client.get(goals_url(later)).get_data(as_text=True)
    assert "Sleep through the night most weeks" in page  # their own words
    assert "A new goal (if you like)" in page
    goal = db.session.scalars(select(ClientGoal)).one()
    unrated = give_goals(client, later, {})
    assert "Please choose a number from 0 to 10." in unrated.get_data(as_text=True)
    done = give_goals(
        client,
        later,
        {f"rate_{goal.id}": "7", "goal_1": "Go back to choir", "goal_1_rating": "2"},
    )
    assert done.status_code == 302
    review = client.get(f"/i/{later.token}/review").get_data(as_text=True)
    assert "Sleep through the night most weeks" in review and "7 out of 10" in review
    assert "Go back to choir" in review and "2 out of 10" in review
    # Changed from the review, Next goes back to it.
    assert f'href="{goals_url(later)}?from=review"' in review
    again = client.get(f"{goals_url(later)}?from=review").get_data(as_text=True)
    assert "Back to checking your answers" in again
    rerated = {f"rate_{goal.id}": "7", "goal_1": "Go back to choir", "goal_1_rating": "2"}
    back = post_form(client, f"{goals_url(later)}?from=review", {**rerated, "action": "next"})
    assert back.headers["Location"] == f"/i/{later.token}/review?saved=1"
    complete(client, later, phq9(SIX), PHQ9)
    ratings = sorted(db.session.scalars(select(GoalRating.rating)))
    assert ratings == [2, 3, 7]
    words = " ".join(pdf_text(pdf_for(reload(later))).split())
    assert "The client’s own goals" in words or "The client's own goals" in words
    assert "Sleep through the night most weeks" in words and "Rated 3, then 7" in words
    assert "Go back to choir" in words and "Rated 2 of 10" in words


def test_goals_step_in_spanish_and_off_by_default(client: FlaskClient, clinic: int) -> None:
    intake = invite(clinic)
    sign(client, intake)
    off = client.get(goals_url(intake))  # PHQ-9 declares no goals step: on to the review
    assert off.status_code == 302 and off.headers["Location"].endswith("/review")
    db.session.get(Clinic, clinic).goal_step = "always"  # type: ignore[union-attr]
    db.session.commit()
    html = client.get(goals_url(intake) + "?lang=es").get_data(as_text=True)
    assert "Sus objetivos" in html and "Objetivo 1" in html
    # "Required" agrees with "objetivo" (a question's is "obligatoria").
    assert 'Objetivo 1 <span class="req">(obligatorio)</span>' in html


def test_the_migration_gives_each_existing_intake_its_own_client(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url})
    from flask_migrate import upgrade

    with app.app_context():
        directory = app.extensions["migrate"].directory
        upgrade(directory=directory, revision="4578058ddc76")
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO clinic (id, slug, name, crisis_texts, accent_color,"
                              " paper_size, link_expiry_days, urgent_escalation_minutes,"
                              " referral_daily_cap, require_two_factor, created_at) VALUES"
                              " (1, 'a', 'A', '{}', '#1f5f7a', 'A4', 30, 60, 20, 0,"
                              " '2026-01-01')"))  # fmt: skip
            conn.execute(text("INSERT INTO questionnaire_version (id, key, version, title,"
                              " source, sha256, created_at) VALUES (1, 'q', 1, 'Q', 'x', 'x',"
                              " '2026-01-01')"))  # fmt: skip
            for n, name in ((1, "Sam Rivera"), (2, "Sam Rivera")):
                conn.execute(text(
                    "INSERT INTO intake (id, clinic_id, questionnaire_id, token, client_name,"
                    " language, source, status, answers, safety_asked, urgent, created_at)"
                    f" VALUES ({n}, 1, 1, 't{n}', :name, 'en', 'invitation', 'invited', '{{}}',"
                    " 0, 0, '2026-01-01')"
                ), {"name": name})  # fmt: skip
        upgrade(directory=directory, revision="heads")
        with engine.begin() as conn:
            rows = conn.execute(
                text(
                    "SELECT intake.id, client.id, client.display_name, client.clinic_id FROM"
                    " intake JOIN client ON client.id = intake.client_id ORDER BY intake.id"
                )
            ).all()
        # The name is the intake's (read as the application reads it), never copied in clear.
        names = [db.session.get(Client, r[1]).name for r in rows]  # type: ignore[union-attr]
        db.session.remove()
        engine.dispose()
        db.engine.dispose()
    assert len(rows) == 2 and rows[0][1] != rows[1][1]
    assert names == ["Sam Rivera", "Sam Rivera"] and {r[3] for r in rows} == {1}
    assert rows[0][2] is None


def test_erasure_reaches_goals_and_the_client_name(client: FlaskClient, clinic: int) -> None:
    from intake import erasure

    db.session.get(Clinic, clinic).goal_step = "always"  # type: ignore[union-attr]
    db.session.commit()
    first = invite(clinic)
    sign(client, first)
    give_goals(client, first)
    complete(client, first, phq9(FOURTEEN), PHQ9)
    later = invite(clinic, client=reload(first).client)
    goal = db.session.scalars(select(ClientGoal)).one()
    sign(client, later)
    give_goals(client, later, {f"rate_{goal.id}": "6"})
    erasure.erase(reload(first))
    # The goal was named on the erased intake: it goes, with its rating on the later one.
    assert db.session.scalars(select(ClientGoal)).all() == []
    assert db.session.scalars(select(GoalRating)).all() == []
    owner = db.session.get(Client, later.client_id)
    assert owner is not None and owner.display_name == "Sam Rivera"  # a later intake remains
    # The client's page lists only what is kept: no row, no link, for the erased intake.
    page = client.get(f"/staff/clients/{owner.id}").get_data(as_text=True)
    assert f"/staff/intakes/{first.id}" not in page and f"/staff/intakes/{later.id}" in page
    erasure.erase(reload(later))
    db.session.refresh(owner)
    assert owner.display_name == ""


def test_history_dates_are_the_clinic_s_days(client: FlaskClient, clinic: int) -> None:
    # Sent at noon UTC on 1 March: already 2 March in Auckland, where this clinic works.
    db.session.get(Clinic, clinic).time_zone = "Pacific/Auckland"  # type: ignore[union-attr]
    flagged = next(e for e in DEFINITION.examples if e.expect.flags)
    answers = {k: str(v) for k, v in flagged.answers.items()}
    first = send(invite(clinic, "readiness"), answers)
    first.submitted_at = datetime(2026, 3, 1, 12, 0)
    second = send(invite(clinic, "readiness", client=first.client), answers)
    db.session.commit()
    words = " ".join(pdf_text(pdf_for(reload(second))).split())
    assert "At intake 2 March 2026:" in words
