"""Every form of the staff area."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    Field,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from .. import colours, dates, phones
from ..accounts.auth import MIN_PASSWORD, password_problem
from ..fields import CheckboxesField, TextBoxField
from ..models import ApiScope, FollowUp, Role

# The everyday role first: an invitation is for a therapist unless the admin says otherwise.
ROLE_CHOICES = [SelectChoice(role.value, role.label) for role in (Role.THERAPIST, Role.ADMIN)]
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
# The largest questionnaire text the editor takes, typed or uploaded.
MAX_SOURCE = 200_000


class StrongPassword:
    """At least MIN_PASSWORD characters, and not common or easy to guess (zxcvbn).

    A form may set `password_context` (the person's name, email, clinic) so that a password
    made of them is refused too.
    """

    def __call__(self, form: Any, field: Field) -> None:
        """Raise with the reason when the password is weak (Length reports short ones)."""
        if len(field.data or "") < MIN_PASSWORD:
            return
        problem = password_problem(field.data or "", getattr(form, "password_context", ()))
        if problem:
            raise ValidationError(problem)


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField(
        "Email", validators=[InputRequired("Please enter your email."), Length(max=254)]
    )
    password = PasswordField(
        "Password", validators=[InputRequired("Please enter your password."), Length(max=1024)]
    )


class ForgotPasswordForm(FlaskForm):
    """The email to send a reset link to."""

    email = EmailField(
        "Email", validators=[InputRequired("Please enter your email."), Length(max=254)]
    )


class SetPasswordForm(FlaskForm):
    """A new password, typed twice."""

    password = PasswordField(
        "New password",
        validators=[
            InputRequired("Please choose a password."),
            Length(min=MIN_PASSWORD, message=f"Please use at least {MIN_PASSWORD} characters."),
            Length(max=1024),
            StrongPassword(),
        ],
    )
    confirm = PasswordField(
        "New password again",
        validators=[
            InputRequired("Please type the password again."),
            EqualTo("password", "The two passwords are not the same."),
        ],
    )


class ChangePasswordForm(SetPasswordForm):
    """A signed-in person's new password, with the current one to confirm it is them."""

    current = PasswordField(
        "Current password",
        validators=[InputRequired("Please enter your current password."), Length(max=1024)],
    )


class CodeForm(FlaskForm):
    """A six-digit code from the authenticator app, or a recovery code."""

    code = StringField(
        "Code",
        validators=[
            InputRequired("Please enter the code."),
            Length(max=40, message="That is not a code we sent or your app shows."),
        ],
        render_kw={
            "autocomplete": "one-time-code",
            "autocapitalize": "off",
            "spellcheck": "false",
        },
    )


class ChooseClinicForm(FlaskForm):
    """Which clinic to sign in to, when one email has an account at several."""

    account = SelectField("Clinic", coerce=str)


class JoinForm(SetPasswordForm):
    """Accepting an invitation: the name colleagues see, and a password."""

    name = StringField(
        "Your name",
        validators=[InputRequired("Please enter your name."), Length(max=200)],
    )


class InviteStaffForm(FlaskForm):
    """A colleague to invite: name, email, role."""

    name = StringField(
        "Name", validators=[InputRequired("Please enter their name."), Length(max=200)]
    )
    email = EmailField(
        "Email",
        validators=[
            InputRequired("Please enter their email."),
            Length(max=254),
            Email("That does not look like an email address."),
        ],
    )
    role = SelectField("Role", choices=ROLE_CHOICES, default=Role.THERAPIST.value)


class RoleForm(FlaskForm):
    """A colleague's role."""

    role = SelectField("Role", choices=ROLE_CHOICES)


class AuditFilterForm(FlaskForm):
    """Filters for the audit log, read from the query string."""

    class Meta:
        csrf = False  # a GET search that changes nothing

    action = SelectField("Action", choices=[SelectChoice("", "Any action")], default="")
    actor = SelectField("Person", choices=[SelectChoice("", "Anyone")], default="")
    start = DateField(
        "From", validators=[Optional()], format="%Y-%m-%d", render_kw={"type": "date"}
    )
    end = DateField("To", validators=[Optional()], format="%Y-%m-%d", render_kw={"type": "date"})

    def validate_end(self, field: DateField) -> None:
        """The range must not end before it starts."""
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError("This date is before the ‘From’ date.")


def checked_phone(text: str, region: str | None) -> str:
    """A typed phone number in E.164, or a ValidationError saying what is wrong."""
    try:
        return phones.parse(text, region)
    except phones.PhoneError as exc:
        raise ValidationError(phones.STAFF_MESSAGES[exc.reason]) from None


def phone_number() -> Regexp:
    """Digits and the usual separators: phone numbers as people write them."""
    return Regexp(r"^[0-9+()\-. /]+$", message="Please use digits, spaces and + ( ) - only.")


class InviteForm(FlaskForm):
    """Whom to invite, with which questionnaire, for which therapist."""

    client_name = StringField(
        "Client's name",
        validators=[DataRequired("Please enter the client's name."), Length(max=200)],
    )
    email = StringField(
        "Email (optional)",
        validators=[Optional(), Length(max=254), Regexp(EMAIL, message="This is not an email.")],
    )
    phone = StringField("Phone (optional)", validators=[Optional(), Length(max=40)])
    therapist_id = SelectField("Therapist", coerce=str)
    questionnaire_id = SelectField("Questionnaire", coerce=str)
    send_email = BooleanField("Send the link to the client by email now")

    # The clinic's phone region (numbers typed without +country are read there).
    region: str | None = None
    phone_e164: str | None = None

    def validate_phone(self, field: StringField) -> None:
        """A callable number (libphonenumber), kept in E.164 for the client's contact step."""
        self.phone_e164 = None
        if field.data and field.data.strip():
            self.phone_e164 = checked_phone(field.data, self.region)

    def validate_send_email(self, field: BooleanField) -> None:
        """Sending needs an address."""
        if field.data and not (self.email.data or "").strip():
            raise ValidationError("Enter the client's email to send the link, or untick this.")


# The most questionnaires one set asks (one link should stay answerable in one sitting).
MAX_SET_PARTS = 5


class IntakeSetForm(FlaskForm):
    """An intake set: a name, and the questionnaires one link asks, in order."""

    name = StringField(
        "Name",
        validators=[DataRequired("Please name the set."), Length(max=100)],
    )
    part_1 = SelectField("First questionnaire", coerce=str, default="")
    part_2 = SelectField("Second questionnaire", coerce=str, default="")
    part_3 = SelectField("Third questionnaire", coerce=str, default="")
    part_4 = SelectField("Fourth questionnaire", coerce=str, default="")
    part_5 = SelectField("Fifth questionnaire", coerce=str, default="")

    def part_fields(self) -> list[SelectField]:
        """The questionnaire fields, in order."""
        return [self[f"part_{n}"] for n in range(1, MAX_SET_PARTS + 1)]

    def chosen_keys(self) -> list[str]:
        """The questionnaire ids chosen, in order, blanks left out."""
        return [f.data for f in self.part_fields() if f.data]

    def place_problems(self, problems: Sequence[str], positions: Sequence[int | None]) -> None:
        """Put each reason the choices cannot be one intake beside the choice it is about
        (positions count the chosen questionnaires, as chosen_keys does)."""
        chosen = [f for f in self.part_fields() if f.data]
        for text, n in zip(problems, positions, strict=True):
            target = chosen[n] if n is not None and n < len(chosen) else self.part_1
            target.errors = [*target.errors, text[:1].upper() + text[1:] + "."]


class DeleteSetForm(FlaskForm):
    """The confirmation before an intake set is deleted (its CSRF token is all it holds)."""


class ReferralSetForm(FlaskForm):
    """What the self-referral link asks: the default questionnaire, or one of the sets."""

    referral_set = SelectField("The self-referral link asks", coerce=str)


class SettingsForm(FlaskForm):
    """Everything a clinic admin can change about the clinic."""

    name = StringField(
        "Clinic name",
        validators=[
            DataRequired("Please enter the clinic's name."),
            Length(max=200),
            # The name goes into email subjects, where a line break would split the header.
            Regexp(
                r"^[^\x00-\x1f\x7f]*$",
                message="Please keep the name on one line, without special characters.",
            ),
        ],
    )
    logo = FileField("Logo (PNG, JPEG or SVG, up to 256 KB)")
    remove_logo = BooleanField("Remove the current logo")
    accent_color = StringField(
        "Brand colour",
        validators=[
            DataRequired("Please give a colour such as #1f5f7a."),
            Regexp(r"^#[0-9a-fA-F]{6}$", message="Use the form #rrggbb, for example #1f5f7a."),
        ],
    )

    def validate_accent_color(self, field: StringField) -> None:
        """Clients read buttons in this colour and links in it: it must be dark enough."""
        colour = (field.data or "").strip().lower()
        if colours.passes(colour) or not re.fullmatch(r"#[0-9a-f]{6}", colour):
            return
        raise ValidationError(
            f"This colour is too light to read: white text on it and links in it reach only"
            f" {colours.readable(colour):.1f}:1, and WCAG AA asks for {colours.AA_TEXT}:1."
            f" A darker shade of it that passes is {colours.darker(colour)}."
        )

    default_questionnaire = SelectField("Default questionnaire for new invitations")
    link_expiry_days = IntegerField(
        "Client links stay open for (days)",
        validators=[
            DataRequired("Please give a number of days from 1 to 365."),
            NumberRange(1, 365, "Please give a number of days from 1 to 365."),
        ],
    )
    self_referral = BooleanField("Offer a public self-referral link")
    referral_daily_cap = IntegerField(
        "Self-referrals accepted per day (then the link asks people to call)",
        validators=[Optional(), NumberRange(0, 1000, "Please give a number from 0 to 1000.")],
    )
    require_two_factor = BooleanField(
        "Require two-factor sign-in (an authenticator app) for every staff member"
    )
    goal_step = SelectField(
        "Ask clients for their own goals (named in their words, rated 0-10, re-rated later)",
        choices=[
            SelectChoice(
                "questionnaire", "Where the questionnaire asks for them (its 'goals' key)"
            ),
            SelectChoice("always", "On every intake"),
            SelectChoice("never", "Never"),
        ],
    )
    copy_link_days = IntegerField(
        "After sending, the client's link to their own copy stays open for (days)",
        validators=[
            DataRequired("Please give a number of days from 1 to 90."),
            NumberRange(1, 90, "Please give a number of days from 1 to 90."),
        ],
    )
    retention_months = IntegerField(
        "Erase submitted intakes this many months after they were sent (blank: keep them)",
        validators=[
            Optional(),
            NumberRange(1, 600, "Please give a number of months from 1 to 600 (or none)."),
        ],
    )
    unopened_days = IntegerField(
        "Erase invitations never opened this many days after they were sent (blank: keep them)",
        validators=[
            Optional(),
            NumberRange(7, 3650, "Please give a number of days from 7 to 3650 (or none)."),
        ],
    )
    unfinished_days = IntegerField(
        "Erase unfinished intakes this many days after their last activity (blank: keep them)",
        validators=[
            Optional(),
            NumberRange(7, 3650, "Please give a number of days from 7 to 3650 (or none)."),
        ],
    )

    time_zone = StringField(
        "Time zone",
        # Left out of a post (an older form): the zone stays as it was.
        validators=[Optional(), Length(max=64)],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )

    def validate_time_zone(self, field: StringField) -> None:
        """An IANA name the server knows, so every time staff read is in the clinic's zone."""
        if field.data and not dates.valid_zone(field.data):
            raise ValidationError(
                "Please give a time zone name such as Europe/Madrid, America/New_York or UTC"
                " (region/city, as in the IANA list)."
            )


class EraseForm(FlaskForm):
    """The confirmation before a client's data is erased: their name, or the word erase."""

    confirm = StringField(
        "Type the client's name, or the word erase, to confirm",
        validators=[DataRequired("Type the client's name, or the word erase.")],
    )

    def confirmed(self, client_name: str) -> bool:
        """Whether what was typed names this client (or says erase); sets the message if not."""
        typed = " ".join((self.confirm.data or "").split()).casefold()
        if typed and typed in ("erase", " ".join(client_name.split()).casefold()):
            return True
        if typed:
            self.confirm.errors = ["That is not the client's name: nothing was erased."]
        return False


class NewQuestionnaireForm(FlaskForm):
    """A new questionnaire, copied from an existing version."""

    original = SelectField("Start from a copy of", coerce=str)
    key = StringField(
        "Id (letters, digits, underscores)",
        validators=[
            DataRequired("Please give the questionnaire an id."),
            Length(max=64),
            Regexp(
                r"^[a-z][a-z0-9_]*$",
                message="Use lower-case letters, digits and underscores, starting with a letter.",
            ),
        ],
    )
    title = StringField(
        "Title", validators=[DataRequired("Please give it a title."), Length(max=200)]
    )


class EditQuestionnaireForm(FlaskForm):
    """The YAML text, and optionally a file that replaces it."""

    source = TextBoxField("Definition (YAML)", validators=[Length(max=MAX_SOURCE)])
    upload = FileField(
        "Or upload a .yaml file, or a FHIR R4 Questionnaire as .json (replaces the text above)"
    )


class ExportForm(FlaskForm):
    """Which submitted intakes to export (read from the query string of a download link)."""

    class Meta:
        csrf = False  # a download that changes nothing

    start = DateField("Sent on or after", validators=[Optional()], format="%Y-%m-%d",
                      render_kw={"type": "date"})  # fmt: skip
    end = DateField("Sent on or before", validators=[Optional()], format="%Y-%m-%d",
                    render_kw={"type": "date"})  # fmt: skip
    text = BooleanField("Include free-text answers (the client's own words)")

    def validate_end(self, field: DateField) -> None:
        """The range must not end before it starts."""
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError("This date is before the ‘Sent on or after’ date.")


class ApiTokenForm(FlaskForm):
    """A new API token: what it is for, and what it may do."""

    name = StringField(
        "What it is for (such as the practice system's name)",
        validators=[DataRequired("Please say what the token is for."), Length(max=100)],
    )
    scope = SelectField(
        "It may",
        choices=[SelectChoice(s.value, s.label) for s in ApiScope],
        default=ApiScope.READ.value,
    )


class WebhookForm(FlaskForm):
    """The address the clinic's practice system hears of each submission at."""

    url = StringField(
        "Webhook address",
        validators=[DataRequired("Please give the address."), Length(max=500)],
        render_kw={"type": "url", "placeholder": "https://practice.example/intake-hook"},
    )


CRISIS_TEXT_MAX = 2000
# Printed on page 1 of every urgent brief, so it must stay short.
PROCEDURE_MAX = 400


class SafetySettingsForm(FlaskForm):
    """The clinic's crisis contacts (what a client in crisis is shown) and its urgent procedure.

    Crisis texts are added per language by safety_form(); the contacts are all or nothing, and
    once set they can be changed but never emptied: clients rely on them.
    """

    client_languages = CheckboxesField(
        "Languages clients may answer in",
        validators=[DataRequired("Please offer at least one language.")],
    )
    emergency_number = StringField(
        "Emergency number",
        validators=[Optional(), Length(max=40), phone_number()],
    )
    safety_procedure = TextBoxField(
        "Your safety procedure (for staff)",
        validators=[
            Optional(),
            Length(
                max=PROCEDURE_MAX,
                message=f"Please keep it under {PROCEDURE_MAX} characters: it is printed on"
                " page 1 of every urgent brief.",
            ),
        ],
    )
    urgent_escalation_minutes = IntegerField(
        "Remind the admins when no one has spoken with the client after (minutes)",
        default=60,
        validators=[
            InputRequired("Please give a number of minutes from 5 to 1440."),
            NumberRange(5, 1440, "Please give a number of minutes from 5 to 1440."),
        ],
    )
    phone_region = SelectField("Phone numbers without a country code are read as", default="")

    languages: Sequence[tuple[str, str]] = ()
    stored: Mapping[str, Any] = {}

    def text_field(self, language: str) -> Any:
        """The crisis text field of one language."""
        return self[f"crisis_text_{language}"]

    def crisis_texts(self) -> dict[str, str]:
        """The crisis texts typed, by language."""
        return {code: self.text_field(code).data or "" for code, _ in self.languages}

    def validate(self, extra_validators: Any = None) -> bool:
        """The fields, then the rule: a number and a text per offered language, or nothing."""
        if not super().validate(extra_validators):
            return False
        offered = set(self.client_languages.data or ())
        number = (self.emergency_number.data or "").strip()
        texts = {code: text.strip() for code, text in self.crisis_texts().items()}
        given = bool(number) or any(texts[code] for code in offered)
        ok = True
        if not number and (given or self.stored.get("emergency_number")):
            self.emergency_number.errors.append(
                "Please give the number clients should call in an emergency"
                + (
                    " (it cannot be removed once set)."
                    if self.stored.get("emergency_number")
                    else "."
                )
            )
            ok = False
        stored_texts = self.stored.get("crisis_texts") or {}
        for code, name in self.languages:
            if code in offered and not texts[code] and (given or stored_texts.get(code)):
                self.text_field(code).errors.append(
                    f"Please write what a client answering in {name} is shown, or stop offering"
                    f" {name}."
                )
                ok = False
        return ok


def safety_form(
    languages: Sequence[tuple[str, str]],
    regions: Sequence[tuple[str, str]],
    stored: Mapping[str, Any],
    **kw: Any,
) -> SafetySettingsForm:
    """The safety settings form with one crisis text box per interface language.

    stored holds the clinic's current values: what may not be emptied, and the form's
    starting values.
    """

    class Form(SafetySettingsForm):
        pass

    for code, name in languages:
        setattr(
            Form,
            f"crisis_text_{code}",
            TextBoxField(
                f"Crisis text shown to clients answering in {name}",
                validators=[Optional(), Length(max=CRISIS_TEXT_MAX)],
            ),
        )
    data = {
        "client_languages": list(stored.get("client_languages") or ()),
        "emergency_number": stored.get("emergency_number") or "",
        "safety_procedure": stored.get("safety_procedure") or "",
        "urgent_escalation_minutes": stored.get("urgent_escalation_minutes") or 60,
        "phone_region": stored.get("phone_region") or "",
        **{
            f"crisis_text_{code}": (stored.get("crisis_texts") or {}).get(code, "")
            for code, _ in languages
        },
    }
    form = Form(data=data, **kw)
    form.languages = tuple(languages)
    form.stored = stored
    form.client_languages.choices = [SelectChoice(code, name) for code, name in languages]
    form.phone_region.choices = [
        SelectChoice("", "No region: clients give numbers with their country code (+...)")
    ] + [SelectChoice(code, name) for code, name in regions]
    return form


class FollowUpForm(FlaskForm):
    """Staff record of contact with a client after an urgent flag."""

    outcome = RadioField(
        "What happened",
        choices=[SelectChoice(o.value, o.label) for o in FollowUp],
        validators=[InputRequired("Please say whether you spoke with the client or tried to.")],
    )
    note = TextBoxField(
        "A short note (how, what was agreed; no clinical detail needed)",
        validators=[
            Optional(),
            Length(max=500, message="Please keep the note under 500 characters."),
        ],
    )
