"""Forms of the staff area."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import InputRequired, Length


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField(
        "Email", validators=[InputRequired("Please enter your email."), Length(max=254)]
    )
    password = PasswordField(
        "Password", validators=[InputRequired("Please enter your password."), Length(max=1024)]
    )
