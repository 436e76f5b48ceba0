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
