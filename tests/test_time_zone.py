"""The clinic's time zone: validated by name, and every time staff read is in it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient

from intake import dates
from intake.brief.build import branding_of
from intake.brief.render import Branding, render_html
from intake.brief.samples import example_brief
from intake.db import db
from intake.models import AuditEvent, Clinic
from tests.helpers import csrf_token

URL = "/staff/settings"
VALID = {
    "name": "North Practice",
    "accent_color": "#336699",
    "default_questionnaire": "readiness",
    "link_expiry_days": "14",
}
# 14:05 UTC on 4 March 2025 (winter: Madrid is UTC+1, New York UTC-5).
STORED = datetime(2025, 3, 4, 14, 5, 9)


@pytest.mark.parametrize(
    ("zone", "short", "precise"),
    [
        (None, "4 Mar 2025, 14:05 UTC", "2025-03-04 14:05:09 UTC"),
        ("UTC", "4 Mar 2025, 14:05 UTC", "2025-03-04 14:05:09 UTC"),
        ("Europe/Madrid", "4 Mar 2025, 15:05 CET", "2025-03-04 15:05:09 CET"),
        ("America/New_York", "4 Mar 2025, 09:05 EST", "2025-03-04 09:05:09 EST"),
        ("Asia/Tokyo", "4 Mar 2025, 23:05 JST", "2025-03-04 23:05:09 JST"),
        ("Not/AZone", "4 Mar 2025, 14:05 UTC", "2025-03-04 14:05:09 UTC"),
    ],
)
def test_moment_in_a_zone(zone: str | None, short: str, precise: str) -> None:
    assert dates.moment(STORED, zone=zone) == short
    assert dates.moment(STORED, "precise", zone=zone) == precise
    # A time that carries its zone is converted, not relabelled.
    assert dates.moment(STORED.replace(tzinfo=UTC), zone=zone) == short


def test_day_follows_the_zone_but_a_date_stays() -> None:
    late = datetime(2025, 3, 4, 23, 30)
    assert dates.day(late) == "4 Mar 2025"
    assert dates.day(late, zone="Asia/Tokyo") == "5 Mar 2025"
    assert dates.day(late, zone="America/Los_Angeles") == "4 Mar 2025"
    assert dates.day(date(2025, 3, 4), zone="Asia/Tokyo") == "4 Mar 2025"


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("UTC", True),
        ("Europe/Madrid", True),
        ("America/Argentina/Buenos_Aires", True),
        ("", False),
        ("Mars/Olympus", False),
        ("../etc/passwd", False),
        ("/etc/localtime", False),
        (" Europe/Madrid", False),
        ("Europe/Madrid\n", False),
    ],
)
def test_valid_zone(name: str, ok: bool) -> None:
    assert dates.valid_zone(name) is ok


def save(client: FlaskClient, **changes: Any) -> Any:
    data = {**VALID, **changes, "csrf_token": csrf_token(client, URL)}
    return client.post(URL, data=data, content_type="multipart/form-data")


def clinic(clinic_id: int) -> Clinic:
    row = db.session.get(Clinic, clinic_id)
    assert row is not None
    db.session.refresh(row)
    return row


def test_existing_clinics_read_utc(admin: int) -> None:
    assert clinic(admin).time_zone == "UTC"


def test_admin_sets_a_zone_and_staff_pages_use_it(client: FlaskClient, admin: int) -> None:
    assert save(client, time_zone=" Europe/Madrid ").status_code == 302
    assert clinic(admin).time_zone == "Europe/Madrid"
    db.session.add(
        AuditEvent(clinic_id=admin, action="settings.checked", detail={}, created_at=STORED)
    )
    db.session.commit()
    page = client.get("/staff/audit").get_data(as_text=True)
    assert "2025-03-04 15:05:09 CET" in page
    assert "14:05:09 UTC" not in page
    # Left out of a post (an older form), the zone stays as it was.
    assert save(client).status_code == 302
    assert clinic(admin).time_zone == "Europe/Madrid"


def test_a_zone_that_does_not_exist_is_refused(client: FlaskClient, admin: int) -> None:
    response = save(client, time_zone="Europe/Atlantis")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Please give a time zone name such as Europe/Madrid" in page
    assert 'value="Europe/Atlantis"' in page
    assert clinic(admin).time_zone == "UTC"


def test_the_brief_prints_times_in_the_clinic_zone(admin: int) -> None:
    row = clinic(admin)
    row.time_zone = "America/New_York"
    db.session.commit()
    branding = branding_of(row)
    assert branding.time_zone == "America/New_York"
    # A clinic in UTC keeps the fingerprint its stored briefs were made with.
    assert Branding(slug="x").fingerprint() == Branding(slug="x", time_zone="UTC").fingerprint()
    assert (
        Branding(slug="x").fingerprint()
        != Branding(slug="x", time_zone="Asia/Tokyo").fingerprint()
    )


def test_brief_html_shows_the_clinic_zone() -> None:
    brief = example_brief("A")  # sent 3 March 2025, 18:42 UTC
    assert "3 March 2025, 18:42 UTC" in render_html(brief)
    madrid = render_html(brief, branding=Branding(time_zone="Europe/Madrid"))
    assert "3 March 2025, 19:42 CET" in madrid and "18:42 UTC" not in madrid


def test_day_start_in_a_zone() -> None:
    assert dates.day_start(date(2025, 3, 4), None) == datetime(2025, 3, 4)
    assert dates.day_start(date(2025, 3, 4), "Europe/Madrid") == datetime(2025, 3, 3, 23)
    assert dates.day_start(date(2025, 7, 4), "America/New_York") == datetime(2025, 7, 4, 4)


def test_the_audit_log_filters_whole_days_in_the_clinic_zone(
    client: FlaskClient, admin: int
) -> None:
    row = clinic(admin)
    row.time_zone = "Asia/Tokyo"
    # 23:30 UTC on 3 March is 08:30 on 4 March in Tokyo.
    db.session.add(
        AuditEvent(
            clinic_id=admin, action="settings.checked", detail={},
            created_at=datetime(2025, 3, 3, 23, 30),
        )
    )  # fmt: skip
    db.session.commit()
    on_4th = client.get("/staff/audit?start=2025-03-04&end=2025-03-04").get_data(as_text=True)
    assert "2025-03-04 08:30:00 JST" in on_4th
    on_3rd = client.get("/staff/audit?start=2025-03-03&end=2025-03-03").get_data(as_text=True)
    assert "08:30:00 JST" not in on_3rd
