"""Forms of the staff area."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    Email,
    EqualTo,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from ..access import ROLES

# Long enough to resist guessing, short enough to remember as a phrase.
MIN_PASSWORD = 12


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
        ],
    )
    confirm = PasswordField(
        "New password again",
        validators=[
            InputRequired("Please type the password again."),
            EqualTo("password", "The two passwords are not the same."),
        ],
    )


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
    role = SelectField(
        "Role", choices=[SelectChoice(*r) for r in ROLES.items()], default="therapist"
    )


class RoleForm(FlaskForm):
    """A colleague's role."""

    role = SelectField("Role", choices=[SelectChoice(*r) for r in ROLES.items()])


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


def phone_number() -> Regexp:
    """Digits and the usual separators: phone numbers as people write them."""
    return Regexp(r"^[0-9+()\-. /]+$", message="Please use digits, spaces and + ( ) - only.")
