"""The client's forms: a questionnaire page built from its definition, consent, referral."""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask_babel import get_locale, gettext, lazy_gettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    Field,
    RadioField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    Length,
    Optional,
    StopValidation,
    ValidationError,
)

from .. import phones
from ..fields import CheckboxesField, TextBoxField
from ..questionnaire.model import DECLINED, Definition, Item, ItemType

# Lazy: the words are looked up in the client's language when a form is shown.
DECLINE_LABEL = lazy_gettext("Prefer not to answer")
REQUIRED_MESSAGE = lazy_gettext("Please answer this question.")
DATE_MESSAGE = lazy_gettext("Please enter a real date, like 2026-12-01 (year-month-day).")
CHOICE_MESSAGE = lazy_gettext("Please choose one of the options.")
PAST_MESSAGE = lazy_gettext(
    "This date has already passed. Please choose today or a later date, or leave it blank."
)
SHORT_TEXT_MAX = 300
NAME_MAX = 200


class ChoicesField(CheckboxesField):
    """A multiple choice question's checkboxes, "prefer not to answer" among them."""

    def pre_validate(self, form: Any) -> None:
        """Reject unknown values, and 'prefer not to answer' combined with a choice."""
        super().pre_validate(form)
        if self.data and DECLINED in self.data and len(self.data) > 1:
            raise ValidationError(
                gettext("Choose '%(decline)s' on its own, or untick it.", decline=DECLINE_LABEL)
            )


class RequiredWhen:
    """InputRequired only when the client moves forward; Back and Save keep partial pages."""

    def __init__(self, strict: bool, message: str | None = None):
        self.strict = strict
        self.message = message or REQUIRED_MESSAGE

    def __call__(self, form: Any, field: Field) -> None:
        """Stop with the message when strict and empty; otherwise let blanks through."""
        empty = not field.raw_data or not any(str(v).strip() for v in field.raw_data)
        if empty:
            if self.strict:
                field.errors[:] = []
                raise StopValidation(self.message)
            Optional()(form, field)


class ClientForm(FlaskForm):
    """The base of the client's forms: their token is the one web.csrf checked before the
    view ran (every template of the client's pages puts csrf_token() in its form).

    A per-form check would sign a new token and verify the same one again on every post:
    about a twentieth of a page save's work, on the path a client takes most.
    """

    class Meta:
        csrf = False


def page_form(
    definition: Definition,
    items: Sequence[Item],
    *,
    strict: bool,
    formdata: Any = None,
    data: Mapping[str, Any] | None = None,
    enforce: Collection[str] | None = None,
) -> ClientForm:
    """An instance of a form class made for these items (WTForms' dynamic composition).

    With strict, required items must be answered; enforce, when given, limits that to the
    items the client is shown now (a question hidden by an answer on the page is not asked).
    """
    required = frozenset(
        item.id for item in items if strict and (enforce is None or item.id in enforce)
    )
    initial = {item.id: to_form_value(item, (data or {}).get(item.id)) for item in items}
    return _form_class(definition, items, required)(formdata=formdata, data=initial)


def _form_class(definition: Definition, items: Sequence[Item], required: frozenset[str]) -> Any:
    """The form class of these items, made once per definition, page, language and day.

    Its fields hold what the definition and the interface language say (and, for a date
    that may not be in the past, today's earliest date), so that is the key; the entry
    keeps its definition alive, so the definition's id cannot be another's meanwhile.
    """
    dated = any(item.type is ItemType.DATE and not item.allow_past for item in items)
    key = (
        id(definition),
        tuple(item.id for item in items),
        required,
        str(get_locale()),
        earliest_date() if dated else None,
    )
    found = _form_classes.get(key)
    if found is not None and found[0] is definition:
        with _form_classes_lock:
            # Used again: last to go, so the staff preview's drafts push out each other,
            # not the forms clients fill in.
            _form_classes[key] = _form_classes.pop(key, found)
        return found[1]

    class PageForm(ClientForm):
        pass

    for item in items:
        setattr(PageForm, item.id, _field(definition, item, item.id in required))
    with _form_classes_lock:
        if len(_form_classes) >= FORM_CLASSES_KEPT:
            _form_classes.pop(next(iter(_form_classes)))
        _form_classes[key] = (definition, PageForm)
    return PageForm


# Made form classes by _form_class's key, least recently used first: (definition, class).
FORM_CLASSES_KEPT = 256
_form_classes: dict[tuple[Any, ...], tuple[Definition, type[ClientForm]]] = {}
_form_classes_lock = threading.Lock()


def _field(definition: Definition, item: Item, strict: bool) -> Field:
    required = [RequiredWhen(strict and item.required)]
    kw: dict[str, Any] = {"label": item.prompt, "description": item.help or ""}
    decline = [SelectChoice(DECLINED, DECLINE_LABEL)] if item.decline else []
    t = item.type
    if t is ItemType.SHORT_TEXT:
        limit = item.max_length or SHORT_TEXT_MAX
        return StringField(validators=required + [_length(limit), _not_the_marker], **kw)
    if t is ItemType.LONG_TEXT:
        limit = item.max_length or 4000
        return TextBoxField(validators=required + [_length(limit), _not_the_marker], **kw)
    if t is ItemType.DATE:
        later = [] if item.allow_past else [NotBefore(earliest_date())]
        if not item.allow_past:
            kw["render_kw"] = {"min": earliest_date().isoformat()}
        return DateField(
            validators=required + later,
            invalid_value_message=DATE_MESSAGE,
            format="%Y-%m-%d",
            **kw,
        )
    if t is ItemType.CONSENT:
        message = gettext("Please tick the box to give your consent, or contact the clinic.")
        return BooleanField(validators=[RequiredWhen(strict and item.required, message)], **kw)
    if t is ItemType.MULTIPLE_CHOICE:
        choices = [SelectChoice(str(o.value), o.label) for o in item.options or ()] + decline
        return ChoicesField(
            validators=required, choices=choices, invalid_choice_message=CHOICE_MESSAGE, **kw
        )
    choices = _choices(definition, item) + decline
    return RadioField(
        validators=required, choices=choices, invalid_choice_message=CHOICE_MESSAGE, **kw
    )


def _not_the_marker(form: Any, field: Field) -> None:
    """The stored marker of "prefer not to answer" is never an answer in words (found by the
    fuzz: a text box sent it and the answer then read as declined)."""
    if isinstance(field.data, str) and field.data.strip() == DECLINED:
        raise ValidationError(gettext("Please write your answer in your own words."))


def earliest_date() -> date:
    """The first date a planning question accepts: today where the client may be.

    The server's day is UTC; a client west of it may still be on the day before, so that
    day counts as today too.
    """
    return datetime.now(UTC).date() - timedelta(days=1)


class NotBefore:
    """A date answer must not be before a given day (dates for planning ahead)."""

    def __init__(self, earliest: date) -> None:
        self.earliest = earliest

    def __call__(self, form: Any, field: Field) -> None:
        """Refuse an earlier date with a message that says what to do."""
        if isinstance(field.data, date) and field.data < self.earliest:
            raise StopValidation(str(PAST_MESSAGE))


def _length(limit: int) -> Length:
    return Length(
        max=limit, message=gettext("Please keep this under %(limit)s characters.", limit=limit)
    )


def _choices(definition: Definition, item: Item) -> list[SelectChoice]:
    if item.type is ItemType.AGREEMENT:
        low, _ = definition.scale_for(item)
        labels = definition.scale_labels(item)
        return [SelectChoice(str(low + n), label) for n, label in enumerate(labels)]
    if item.type is ItemType.RULER:
        return [SelectChoice(str(n), str(n)) for n in range(11)]
    if item.type is ItemType.YES_NO:
        return [SelectChoice("yes", gettext("Yes")), SelectChoice("no", gettext("No"))]
    return [SelectChoice(str(o.value), o.label) for o in item.options or ()]


def to_form_value(item: Item, value: Any) -> Any:
    """A stored answer as the form field expects it."""
    if value is None:
        return None
    if item.type is ItemType.DATE:
        try:
            return date.fromisoformat(value) if value != DECLINED else None
        except (TypeError, ValueError):
            return None
    if item.type is ItemType.MULTIPLE_CHOICE:
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]
    if item.type is ItemType.CONSENT:
        return bool(value)
    return str(value)


def answers_from(form: ClientForm, items: Sequence[Item], *, valid_only: bool) -> dict[str, Any]:
    """The page's answers to store; None clears an answer.

    With valid_only, fields that failed validation are left out, so a Back or Save never
    stores a malformed value but keeps everything that was fine.
    """
    out: dict[str, Any] = {}
    for item in items:
        field = form[item.id]
        if valid_only and field.errors:
            continue
        out[item.id] = from_form_value(item, field.data)
    return out


def from_form_value(item: Item, data: Any) -> Any:
    """A form field's data as the stored answer (ints stay ints, blanks become None).

    Only a value the question offers is ever stored: anything else (" ", text where a
    number belongs) reads as no answer, never as an error.
    """
    if data in (None, "", []) or (isinstance(data, str) and not data.strip()):
        return None
    if data == DECLINED or (isinstance(data, list) and data == [DECLINED]):
        return DECLINED
    t = item.type
    if t in (ItemType.AGREEMENT, ItemType.RULER):
        text = str(data).strip()
        return (
            int(text) if text.isascii() and text.lstrip("-").isdigit() and len(text) < 6 else None
        )
    if t is ItemType.DATE:
        return data.isoformat() if isinstance(data, date) else None
    if t is ItemType.CONSENT:
        return True if data else None
    if t in (ItemType.SHORT_TEXT, ItemType.LONG_TEXT):
        text = str(data).strip()
        return text or None
    if item.options:
        by_text = {str(o.value): o.value for o in item.options}
        if isinstance(data, list):
            return [by_text[d] for d in data if d in by_text] or None
        return by_text.get(str(data))
    return data


class ConsentForm(ClientForm):
    """The consent step on the welcome page: the client's typed full name signs it."""

    consent_name = StringField(
        lazy_gettext("Your full name"),
        validators=[
            DataRequired(lazy_gettext("Please type your full name to give your consent.")),
            Length(
                max=NAME_MAX,
                message=lazy_gettext("Please keep this under %(limit)s characters.", limit=200),
            ),
        ],
    )


class ReferralForm(ClientForm):
    """Who is asking, on a clinic's self-referral link."""

    client_name = StringField(
        lazy_gettext("Your name"),
        validators=[DataRequired(lazy_gettext("Please enter your name.")), Length(max=200)],
    )
    email = StringField(
        lazy_gettext("Your email (optional)"),
        validators=[
            Optional(),
            Length(max=254),
            Email(lazy_gettext("This does not look like an email address.")),
        ],
    )
    # A trap for robots: hidden from people (and screen readers), filled only by scripts.
    homepage = StringField(
        lazy_gettext("Leave this empty"),
        validators=[Optional(), Length(max=200)],
        render_kw={"autocomplete": "off", "tabindex": "-1"},
    )


# Why a phone number was refused, in the client's language.
PHONE_MESSAGES = {
    phones.NOT_A_NUMBER: lazy_gettext("Please use digits, spaces and + ( ) - only."),
    phones.NEEDS_COUNTRY: lazy_gettext(
        "Please start with + and your country code, for example +44 20 7946 0958."
    ),
    phones.NOT_VALID: lazy_gettext(
        "This does not look like a complete phone number. Please check the digits."
    ),
}
# A few words: the brief prints them in its urgent box.
SAFE_TIMES_MAX = 150
YES_NO = [SelectChoice("yes", lazy_gettext("Yes")), SelectChoice("no", lazy_gettext("No"))]


class ContactForm(ClientForm):
    """The contact step: how the clinic may reach the client, or that they would rather not say.

    Each field is checked on every post (Back and Save keep what is valid); moving on with
    Next also needs a phone number or an email, or the tick that declines both.
    """

    phone = StringField(lazy_gettext("Phone number"), validators=[Optional(), Length(max=40)])
    voicemail_ok = RadioField(
        lazy_gettext("If you do not answer, may we leave a message that says who is calling?"),
        choices=YES_NO,
        validators=[Optional()],
    )
    texts_ok = RadioField(
        lazy_gettext("May we send you text messages?"), choices=YES_NO, validators=[Optional()]
    )
    email = StringField(
        lazy_gettext("Email"),
        validators=[
            Optional(),
            Length(max=254),
            Email(lazy_gettext("This does not look like an email address.")),
        ],
    )
    safe_times = StringField(
        lazy_gettext("Is there a time or a way that is best, or one we should avoid?"),
        validators=[
            Optional(),
            Length(
                max=SAFE_TIMES_MAX,
                message=lazy_gettext(
                    "Please keep this under %(limit)s characters.", limit=SAFE_TIMES_MAX
                ),
            ),
        ],
    )
    declined = BooleanField(lazy_gettext("I would rather not give contact details here"))

    # The clinic's phone region: numbers typed without +country are read there.
    region: str | None = None
    phone_e164: str | None = None

    def validate_phone(self, field: StringField) -> None:
        """A number that can be called (libphonenumber), kept in E.164."""
        self.phone_e164 = None
        if field.data and field.data.strip():
            try:
                self.phone_e164 = phones.parse(field.data, self.region)
            except phones.PhoneError as exc:
                raise ValidationError(str(PHONE_MESSAGES[exc.reason])) from None

    def check_complete(self) -> bool:
        """For Next: a phone number or an email, or the tick, but not both; says what is wrong."""
        given = bool((self.phone.data or "").strip() or (self.email.data or "").strip())
        if self.declined.data and given:
            self.declined.errors = [
                *self.declined.errors,
                gettext("Please untick this, or clear the phone number and email above."),
            ]
            return False
        if not self.declined.data and not given:
            self.phone.errors = [
                *self.phone.errors,
                gettext(
                    "Please give a phone number or an email, or tick “%(decline)s”.",
                    decline=self.declined.label.text,
                ),
            ]
            return False
        return True

    def values(self) -> dict[str, Any]:
        """What to store: every field that passed its checks (a blank clears it)."""
        out: dict[str, Any] = {}
        if not self.phone.errors:
            out["phone"] = self.phone_e164
        if not self.email.errors:
            out["email"] = (self.email.data or "").strip() or None
        for name in ("voicemail_ok", "texts_ok"):
            if self[name].errors:
                continue
            data = self[name].data
            out[name] = None if data not in ("yes", "no") else data == "yes"
        if not self.safe_times.errors:
            out["safe_times"] = (self.safe_times.data or "").strip() or None
        out["declined"] = bool(self.declined.data)
        return out


def contact_data(
    stored: Any, invited_phone: str | None, invited_email: str | None
) -> dict[str, Any]:
    """The contact step's starting values: what the client gave, else the invitation's."""
    if stored is None:
        return {"phone": phones.display(invited_phone), "email": invited_email or ""}

    def yes_no(value: bool | None) -> str | None:
        return None if value is None else ("yes" if value else "no")

    return {
        "phone": phones.display(stored.phone),
        "email": stored.email or "",
        "voicemail_ok": yes_no(stored.voicemail_ok),
        "texts_ok": yes_no(stored.texts_ok),
        "safe_times": stored.safe_times or "",
        "declined": stored.declined,
    }
