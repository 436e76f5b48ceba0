from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

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
    """The fields of an account. Their rules (username pattern, password length, partner
    organisation, unique username) live in ``auth.services.account_errors``, which the
    command line uses too; here only what HTML needs."""

    username = StringField(
        _l("Username"),
        filters=[strip],
        validators=[DataRequired()],
        description=_l("Letters, digits, dots, dashes or underscores; case does not matter."),
    )
    full_name = StringField(_l("Full name"), filters=[strip])
    email = StringField(_l("Email"), filters=[strip])
    # A new account starts with the least privilege; the administrator raises it.
    role = SelectField(
        _l("Role"), choices=_role_choices, default="viewer", validators=[DataRequired()]
    )
    organisation_id = SelectField(_l("Organisation"), coerce=int, validators=[Optional()])
    is_enabled = BooleanField(_l("Account enabled"), default=True)
    password = PasswordField(_l("Password"))
    #: Set by the page that asks "are you sure?" before a change takes access away.
    confirmed = HiddenField(filters=[lambda v: v in (True, "1", "y", "True")])
