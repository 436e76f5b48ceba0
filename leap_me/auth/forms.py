from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp

from leap_me.auth.roles import ALL_ROLES
from leap_me.forms import strip
from leap_me.locking import LockedForm


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in on this computer"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(),
            Length(min=8, max=200, message=_l("The password must have at least 8 characters.")),
        ],
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
    )


class TokenForm(FlaskForm):
    name = StringField(
        _l("Token name"),
        validators=[DataRequired(), Length(max=80)],
        description=_l("Say where it is used, e.g. 'provincial database export'."),
    )


def _role_choices():
    return [(r.value, r.title) for r in ALL_ROLES]


class UserForm(LockedForm, FlaskForm):
    username = StringField(
        _l("Username"),
        filters=[strip],
        validators=[
            DataRequired(),
            Length(min=2, max=64),
            Regexp(
                r"^[A-Za-z0-9._-]+\Z",
                message=_l("Use letters, digits, dots, dashes or underscores only."),
            ),
        ],
    )
    full_name = StringField(_l("Full name"), validators=[Optional(), Length(max=120)])
    email = StringField(_l("Email"), validators=[Optional(), Email(), Length(max=120)])
    role = SelectField(_l("Role"), choices=_role_choices, validators=[DataRequired()])
    organisation_id = SelectField(_l("Organisation"), coerce=int, validators=[Optional()])
    is_enabled = BooleanField(_l("Account enabled"), default=True)
    password = PasswordField(
        _l("Password"),
        validators=[Optional(), Length(min=8, max=200)],
        description=_l("At least 8 characters. Leave empty to keep the current password."),
    )
