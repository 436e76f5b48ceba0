"""Form base pieces shared by every domain."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, widgets
from wtforms.validators import Length, Optional


def strip(value):
    """A WTForms filter: no stray spaces or newlines around what people type."""
    return value.strip() if isinstance(value, str) else value


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for POST-only buttons."""


class ReasonMixin:
    reason = StringField(
        _l("Reason for the change"),
        validators=[Optional(), Length(max=500)],
        description=_l("Kept in the history of this record."),
    )


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes: easier on a phone than a multi-select box."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


# WTForms' own messages ("This field is required.", "Not a valid choice.", ...) go through
# our catalogue, which holds their Khmer: WTForms ships no Khmer catalogue. The list below
# only marks them for `make extract`; the plural forms are listed as two messages.
WTFORMS_MESSAGES = (
    _l("Field must be equal to %(other_name)s."),
    _l("Field must be at least %(min)d character long."),
    _l("Field must be at least %(min)d characters long."),
    _l("Field cannot be longer than %(max)d character."),
    _l("Field cannot be longer than %(max)d characters."),
    _l("Field must be exactly %(max)d character long."),
    _l("Field must be exactly %(max)d characters long."),
    _l("Field must be between %(min)d and %(max)d characters long."),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
    _l("Number must be between %(min)s and %(max)s."),
    _l("Date must be at least %(min)s."),
    _l("Date must be at most %(max)s."),
    _l("Date must be between %(min)s and %(max)s."),
    _l("This field is required."),
    _l("Invalid input."),
    _l("Invalid email address."),
    _l("Invalid IP address."),
    _l("Invalid Mac address."),
    _l("Invalid URL."),
    _l("Invalid UUID."),
    _l("Invalid value, must be one of: %(values)s."),
    _l("Invalid value, can't be any of: %(values)s."),
    _l("This field cannot be edited."),
    _l("This field is disabled and cannot have a value."),
    _l("Invalid CSRF Token."),
    _l("CSRF token missing."),
    _l("CSRF failed."),
    _l("CSRF token expired."),
    _l("Invalid Choice: could not coerce."),
    _l("Not a valid choice."),
    _l("Invalid choice(s): one or more data inputs could not be coerced."),
    _l("'%(value)s' is not a valid choice for this field."),
    _l("'%(value)s' are not valid choices for this field."),
    _l("Not a valid datetime value."),
    _l("Not a valid date value."),
    _l("Not a valid time value."),
    _l("Not a valid week value."),
    _l("Not a valid integer value."),
    _l("Not a valid decimal value."),
    _l("Not a valid float value."),
)


class WTFormsTranslations:
    """The translations object WTForms asks for its built-in messages (see install)."""

    def gettext(self, string: str) -> str:
        from flask import has_request_context
        from flask_babel import get_translations

        if not has_request_context():
            return string
        return get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


translations = WTFormsTranslations()


def install_translations() -> None:
    """Every Flask-WTF form takes WTForms' messages from our catalogue (set once at start)."""

    def get_translations(self, form):
        return translations

    FlaskForm.Meta.get_translations = get_translations
