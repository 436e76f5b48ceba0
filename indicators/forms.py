"""Forms of the indicators pages. Numbers are typed as text and checked by the services,
so that "twelve" or "12,5O" gets a clear message instead of a silent zero."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from indicators.models import AggSpace, AggTime, Direction, Frequency, Measure
from leap_me.forms import MultiCheckboxField, ReasonMixin
from leap_me.locking import LockedForm
from leap_me.number_fields import IntegerInput

CODE = Regexp(
    r"^[A-Z0-9][A-Z0-9.\-]*$", message=_l("Use capital letters, digits, dots and dashes.")
)
NUMBER_HINT = _l("Digits only, e.g. 125 or 12.5.")


class IndicatorForm(LockedForm, ReasonMixin, FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=20), CODE],
        description=_l("Short and stable, e.g. AHTJP-01. Used in workbooks and the API."),
    )
    result_key = SelectField(_l("Result measured"), validators=[DataRequired()])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=300)])
    name_km = StringField(_l("Name in Khmer"), validators=[DataRequired(), Length(max=300)])
    definition_en = TextAreaField(
        _l("Definition in English"),
        validators=[Optional(), Length(max=8000)],
        description=_l("What is counted, when, and what is not counted."),
    )
    definition_km = TextAreaField(
        _l("Definition in Khmer"), validators=[Optional(), Length(max=8000)]
    )
    unit_en = StringField(_l("Unit in English"), validators=[Optional(), Length(max=60)])
    unit_km = StringField(_l("Unit in Khmer"), validators=[Optional(), Length(max=60)])
    measure = SelectField(_l("Measure"), choices=Measure.choices, validators=[DataRequired()])
    direction = SelectField(_l("Direction of good change"), choices=Direction.choices)
    tolerance = StringField(
        _l("Tolerance"),
        validators=[Optional(), Length(max=30)],
        description=_l("For “keep”: how far from the target still counts as met."),
    )
    agg_space = SelectField(
        _l("Adding up across organisations and provinces"), choices=AggSpace.choices
    )
    agg_time = SelectField(_l("Adding up over time"), choices=AggTime.choices)
    frequency = SelectField(_l("Reporting frequency"), choices=Frequency.choices)
    by_province = BooleanField(_l("Reported by province"))
    categories = MultiCheckboxField(_l("Disaggregations"), coerce=int)
    reporters = MultiCheckboxField(_l("Organisations that report it"), coerce=int)
    threshold_green = IntegerInput(
        _l("Green from (per cent of the target)"), default=90, validators=[NumberRange(0, 1000)]
    )
    threshold_amber = IntegerInput(
        _l("Amber from (per cent of the target)"), default=60, validators=[NumberRange(0, 1000)]
    )
    threshold_exceeded = IntegerInput(
        _l("Exceeded above (per cent of the target)"),
        default=120,
        validators=[NumberRange(0, 1000)],
    )
    data_source_en = TextAreaField(_l("Data source in English"), validators=[Length(max=4000)])
    data_source_km = TextAreaField(_l("Data source in Khmer"), validators=[Length(max=4000)])
    verification_en = TextAreaField(
        _l("Means of verification in English"), validators=[Length(max=4000)]
    )
    verification_km = TextAreaField(
        _l("Means of verification in Khmer"), validators=[Length(max=4000)]
    )
    baseline_value = StringField(
        _l("Baseline value"), validators=[Optional(), Length(max=30)], description=NUMBER_HINT
    )
    baseline_numerator = StringField(
        _l("Baseline numerator"), validators=[Optional(), Length(max=30)]
    )
    baseline_denominator = StringField(
        _l("Baseline denominator"), validators=[Optional(), Length(max=30)]
    )
    baseline_date = DateField(_l("Baseline date"), validators=[Optional()])
    baseline_source = TextAreaField(_l("Baseline source"), validators=[Length(max=4000)])
    baseline_is_demo = BooleanField(_l("The baseline is a demo value"))
    change_note = StringField(
        _l("What changed in the meaning"),
        validators=[Optional(), Length(max=500)],
        description=_l("Shown in the version history when the change makes a new version."),
    )

    confirm_version = BooleanField(_l("Yes, make a new definition version"))


class ReplaceForm(ReasonMixin, FlaskForm):
    new_code = StringField(
        _l("Code of the new indicator"), validators=[DataRequired(), Length(max=20), CODE]
    )


class CategoryForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(),
            Length(max=30),
            Regexp(r"^[a-z][a-z0-9_]*$", message=_l("Use small letters, digits and _.")),
        ],
    )
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=120)])
    name_km = StringField(_l("Name in Khmer"), validators=[DataRequired(), Length(max=120)])


class OptionForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(),
            Length(max=30),
            Regexp(r"^[A-Za-z0-9_]+$", message=_l("Use letters, digits and _.")),
        ],
    )
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=200)])
    name_km = StringField(_l("Name in Khmer"), validators=[DataRequired(), Length(max=200)])


class GenerateForm(FlaskForm):
    year = IntegerInput(_l("Year"), validators=[DataRequired(), NumberRange(2000, 2100)])


class DeadlineForm(FlaskForm):
    deadline = DateField(_l("Deadline"), validators=[DataRequired()])


class UnlockForm(FlaskForm):
    reason = StringField(_l("Reason for unlocking"), validators=[DataRequired(), Length(max=500)])
