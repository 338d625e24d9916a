"""What the API's one write endpoint takes: an invitation, validated by pydantic."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

PHONE = re.compile(r"^[0-9+()\-. /]+$")


class InvitationRequest(BaseModel):
    """A client to invite, as a practice system sends it when a first appointment is booked."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    client_name: str = Field(min_length=1, max_length=200)
    email: EmailStr | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    questionnaire: str | None = Field(default=None, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    # Several questionnaires asked through the one link, in this order (instead of one).
    questionnaires: (
        list[Annotated[str, Field(max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]] | None
    ) = Field(default=None, min_length=1, max_length=5)
    therapist_email: EmailStr | None = Field(default=None, max_length=254)
    send_email: bool = False

    @field_validator("client_name")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if any(ord(ch) < 32 or ch == "\x7f" for ch in value):
            raise ValueError("must be one line of text")
        return value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value and not PHONE.match(value):
            raise ValueError("use digits, spaces and + ( ) - only")
        return value or None
