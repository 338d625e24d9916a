"""Phone numbers as people type them, checked with Google's libphonenumber (`phonenumbers`):
stored in E.164 (+15555550123), shown in international format, called through tel: links."""

from __future__ import annotations

import functools

import phonenumbers
from babel import Locale

# What a person types: digits and the usual separators (anything else is surely not a number).
ALLOWED = frozenset("0123456789+()-. /")


class PhoneError(ValueError):
    """The text is not a phone number that can be called; the reason, in plain words."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


# Why a number was refused (the form's wording is chosen by the caller: English or translated).
NOT_A_NUMBER = "not_a_number"
NEEDS_COUNTRY = "needs_country"
NOT_VALID = "not_valid"

# The reasons in staff's words (the staff area and the command line are in English).
STAFF_MESSAGES = {
    NOT_A_NUMBER: "Please use digits, spaces and + ( ) - only.",
    NEEDS_COUNTRY: "Please start with + and the country code, e.g. +44 20 7946 0958"
    " (or set the clinic's phone region under Settings, Safety).",
    NOT_VALID: "This is not a complete phone number: please check the digits.",
}


def parse(text: str, region: str | None = None) -> str:
    """A typed number in E.164 form; PhoneError(reason) when it cannot be a callable number.

    Without a region, the number must start with + and its country code.
    """
    cleaned = text.strip()
    if not cleaned or not set(cleaned) <= ALLOWED or not any(c.isdigit() for c in cleaned):
        raise PhoneError(NOT_A_NUMBER)
    try:
        number = phonenumbers.parse(cleaned, (region or "").upper() or None)
    except phonenumbers.NumberParseException as exc:
        if exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            raise PhoneError(NEEDS_COUNTRY) from None
        raise PhoneError(NOT_A_NUMBER) from None
    if not phonenumbers.is_valid_number(number):
        raise PhoneError(NOT_VALID)
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def display(e164: str | None) -> str:
    """A stored number as people read it (+1 555-555-0123); anything unparsable as it is."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL))


def tel(e164: str | None) -> str:
    """The tel: URI of a stored number (RFC 3966)."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return "tel:" + "".join(c for c in e164 if c.isdigit() or c == "+")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.RFC3966))


@functools.cache
def regions() -> tuple[tuple[str, str], ...]:
    """Every region libphonenumber knows, as (code, 'Name (+code)'), by name, in English."""
    names = Locale("en").territories
    out = []
    for code in phonenumbers.SUPPORTED_REGIONS:
        prefix = phonenumbers.country_code_for_region(code)
        out.append((code, f"{names.get(code, code)} (+{prefix})"))
    return tuple(sorted(out, key=lambda pair: pair[1]))


def example(region: str | None) -> str:
    """An example number for a region, as people would type it there (for hints)."""
    if not region:
        return "+1 201 555 0123"
    number = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    if number is None:
        return "+1 201 555 0123"
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL))
