"""How dates and times read on every page, email and brief: one wording, written once."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

DEFAULT_ZONE = "UTC"


def valid_zone(name: str) -> bool:
    """Whether a name is an IANA time zone this system knows ('Europe/Madrid', 'UTC')."""
    if not name or name != name.strip() or name.startswith(("/", ".")) or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def zone_names() -> list[str]:
    """Every IANA zone name this system knows, sorted (for the settings page's suggestions)."""
    return sorted(available_timezones())


def local(value: datetime, zone: str | None) -> datetime:
    """A time in a clinic's zone; a time without a zone is a stored one, in UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    name = zone if zone and valid_zone(zone) else DEFAULT_ZONE
    return value.astimezone(ZoneInfo(name))


def day(
    value: date | datetime | None, style: str = "short", blank: str = "–", zone: str | None = None
) -> str:
    """A date as '4 Mar 2025' ('long': '4 March 2025'), or blank when there is none.

    A time with a zone given is first moved into that zone (its day may differ from UTC's).
    """
    if value is None:
        return blank
    if isinstance(value, datetime) and zone is not None:
        value = local(value, zone)
    month = f"{value:%B}" if style == "long" else f"{value:%b}"
    return f"{value.day} {month} {value.year}"


def moment(
    value: datetime | None, style: str = "short", blank: str = "–", zone: str | None = None
) -> str:
    """A time as '4 Mar 2025, 14:05 UTC' ('long': '4 March 2025, ...'; 'precise':
    '2025-03-04 14:05:09 UTC'), in the clinic's zone when one is given ('... 15:05 CET').
    A time without a zone is a stored one, in UTC."""
    if value is None:
        return blank
    if zone is not None:
        value = local(value, zone)
    label = value.tzname() if value.tzinfo is not None else "UTC"
    if style == "precise":
        return f"{value:%Y-%m-%d %H:%M:%S} {label}"
    return f"{day(value, style)}, {value:%H:%M} {label}"


def day_start(value: date, zone: str | None) -> datetime:
    """When a day begins in a clinic's zone, as a stored (UTC, zone-less) time: for filters
    by whole days that match the days staff read."""
    name = zone if zone and valid_zone(zone) else DEFAULT_ZONE
    start = datetime.combine(value, datetime.min.time(), tzinfo=ZoneInfo(name))
    return start.astimezone(UTC).replace(tzinfo=None)
