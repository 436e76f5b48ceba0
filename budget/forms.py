"""Forms of the budget pages. Amount grids (source × year) are read by the views from
named inputs, since their shape follows the schedule; everything else is a form here."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from budget.models import Category, PathMode
from leap_me.forms import ReasonMixin
from leap_me.locking import LockedForm
from leap_me.number_fields import IntegerInput


def _categories():
    return [(c.value, c.title) for c in Category]


def _currencies():
    return [("USD", "USD"), ("KHR", "KHR")]


def _quarters():
    return [(q, f"Q{q}") for q in range(1, 5)]


def _modes():
    return [(m.value, m.title) for m in PathMode]


class LineForm(LockedForm, ReasonMixin, FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(),
            Length(max=20),
            Regexp(r"^[A-Z0-9][A-Z0-9.-]*$", message=_l("Use capital letters, digits and dashes.")),
        ],
        description=_l("Short and stable, e.g. BL-14. Spending and workbooks use it."),
    )
    category = SelectField(_l("Category"), choices=_categories, validators=[DataRequired()])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=255)])
    name_km = StringField(_l("Name in Khmer"), validators=[Optional(), Length(max=255)])
    result_key = SelectField(
        _l("Output or activity"),
        validators=[Optional()],
        description=_l("The result of the logframe this line pays for, if any."),
    )
    currency = SelectField(_l("Currency"), choices=_currencies, validators=[DataRequired()])


class PathForm(LockedForm, ReasonMixin, FlaskForm):
    current_share = StringField(
        _l("MoI share today (%)"),
        validators=[DataRequired(), Length(max=10)],
        description=_l("The MoI's share of the first year's budget, e.g. 20."),
    )
    full_ownership_year = IntegerInput(
        _l("Year of full ownership"),
        validators=[DataRequired(), NumberRange(min=2000, max=2100)],
        description=_l("From this year on, the MoI carries the whole budget."),
    )
    mode = SelectField(_l("Path"), choices=_modes, validators=[DataRequired()])


class SpendingForm(ReasonMixin, FlaskForm):
    line = SelectField(_l("Budget line"), validators=[DataRequired()])
    source_id = SelectField(_l("Funding source"), coerce=int, validators=[DataRequired()])
    year = SelectField(_l("Year"), coerce=int, validators=[DataRequired()])
    quarter = SelectField(
        _l("Quarter"),
        coerce=int,
        choices=_quarters,
        validators=[DataRequired()],
    )
    amount = StringField(
        _l("Amount spent"),
        validators=[DataRequired(), Length(max=24)],
        description=_l("In the line's currency."),
    )
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])
    #: The recorded amount the user was shown and agreed to replace (see record_spending).
    replaces = HiddenField(validators=[Optional(), Length(max=40)])


class UploadForm(FlaskForm):
    file = FileField(
        _l("Workbook (.xlsx)"),
        validators=[
            FileRequired(message=_l("Choose a file.")),
            FileAllowed(["xlsx"], message=_l("Only Excel workbooks (.xlsx) are accepted.")),
        ],
    )
    dry_run = BooleanField(_l("Dry run: check only, write nothing"), default=True)


class ScenarioForm(FlaskForm):
    name = StringField(_l("Name of the scenario"), validators=[DataRequired(), Length(max=120)])


class DonorExitForm(FlaskForm):
    source_id = SelectField(_l("Donor"), coerce=int, validators=[DataRequired()])
    from_year = SelectField(_l("Stops funding from"), coerce=int, validators=[DataRequired()])


class ReasonForm(LockedForm, ReasonMixin, FlaskForm):
    """Rates and other grids: the reason, with inputs read from the page."""


class SourceForm(ReasonMixin, FlaskForm):
    organisation_id = SelectField(
        _l("Organisation"),
        coerce=int,
        validators=[DataRequired()],
        description=_l("Add organisations under Organisations first if one is missing."),
    )
