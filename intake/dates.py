"""How dates and times read on every page, email and brief: one wording, written once."""

from __future__ import annotations

from datetime import date, datetime


def day(value: date | datetime | None, style: str = "short", blank: str = "–") -> str:
    """A date as '4 Mar 2025' ('long': '4 March 2025'), or blank when there is none."""
    if value is None:
        return blank
    month = f"{value:%B}" if style == "long" else f"{value:%b}"
    return f"{value.day} {month} {value.year}"


def moment(value: datetime | None, style: str = "short", blank: str = "–") -> str:
    """A time as '4 Mar 2025, 14:05 UTC' ('long': '4 March 2025, ...'; 'precise':
    '2025-03-04 14:05:09 UTC'). A time without a zone is a stored one, in UTC."""
    if value is None:
        return blank
    zone = value.tzname() if value.tzinfo is not None else "UTC"
    if style == "precise":
        return f"{value:%Y-%m-%d %H:%M:%S} {zone}"
    return f"{day(value, style)}, {value:%H:%M} {zone}"
