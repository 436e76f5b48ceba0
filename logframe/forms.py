"""Forms of the plan: results, activities, weekly monitoring, the vision, version actions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FieldList,
    FormField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from leap_me.forms import MultiCheckboxField, ReasonMixin
from leap_me.locking import LockedForm
from leap_me.number_fields import DecimalInput, IntegerInput
from logframe.models import ACTIVITY_STATUS_TITLES

REQUIRED_EN = _l("Write the statement in English.")
REQUIRED_KM = _l("Write the statement in Khmer.")


def status_choices():
    return [(s.value, title) for s, title in ACTIVITY_STATUS_TITLES.items()]


class ResultForm(LockedForm, ReasonMixin, FlaskForm):
    statement_en = TextAreaField(
        _l("Statement in English"), validators=[DataRequired(REQUIRED_EN), Length(max=4000)]
    )
    statement_km = TextAreaField(
        _l("Statement in Khmer"), validators=[DataRequired(REQUIRED_KM), Length(max=4000)]
    )
    parent_id = SelectField(
        _l("Under"),
        coerce=int,
        validators=[Optional()],
        description=_l("Choose another parent to move this result; it is renumbered."),
    )
    responsible_org_id = SelectField(_l("Responsible organisation"), coerce=int)
    partner_ids = MultiCheckboxField(_l("Partner organisations"), coerce=int)
    assumptions_en = TextAreaField(_l("Assumptions in English"), validators=[Length(max=4000)])
    assumptions_km = TextAreaField(_l("Assumptions in Khmer"), validators=[Length(max=4000)])
    risks_en = TextAreaField(_l("Risks in English"), validators=[Length(max=4000)])
    risks_km = TextAreaField(_l("Risks in Khmer"), validators=[Length(max=4000)])
    verification_en = TextAreaField(
        _l("Means of verification in English"), validators=[Length(max=4000)]
    )
    verification_km = TextAreaField(
        _l("Means of verification in Khmer"), validators=[Length(max=4000)]
    )


DELAY_HINT = _l("Required when the status is Delayed: in English or in Khmer, one is enough.")
DELAY_MISSING = _l("A delayed activity needs a note on why, in English or in Khmer.")


class MonitoringMixin:
    status = SelectField(_l("Status"), choices=status_choices, validators=[DataRequired()])
    progress = IntegerInput(
        _l("Progress (%)"),
        validators=[
            InputRequired(_l("Give the progress, from 0 to 100.")),
            NumberRange(0, 100, message=_l("Progress is a whole number from 0 to 100.")),
        ],
    )
    delay_note_en = TextAreaField(
        _l("Why delayed, in English"), validators=[Length(max=4000)], description=DELAY_HINT
    )
    delay_note_km = TextAreaField(
        _l("Why delayed, in Khmer"), validators=[Length(max=4000)], description=DELAY_HINT
    )

    def validate_delay_note_en(self, field):
        """A delayed activity needs its note in one language: English or Khmer is enough."""
        if self.status.data != "delayed":
            return
        if not (field.data or "").strip() and not (self.delay_note_km.data or "").strip():
            field.errors.append(DELAY_MISSING)


class ActivityForm(MonitoringMixin, ResultForm):
    province_ids = MultiCheckboxField(_l("Provinces"), coerce=int)
    start_date = DateField(_l("Start date"), validators=[InputRequired(_l("Give a date."))])
    end_date = DateField(_l("End date"), validators=[InputRequired(_l("Give a date."))])
    cost = DecimalInput(
        _l("Estimated cost (USD)"),
        places=2,
        max_int_digits=12,
        allow_negative=True,  # NumberRange says it in its own words
        validators=[
            Optional(),
            NumberRange(min=0, message=_l("The cost must be zero or more.")),
        ],
    )


class MonitoringForm(MonitoringMixin, ReasonMixin, FlaskForm):
    pass


class MilestoneForm(FlaskForm):
    class Meta:
        csrf = False

    year = IntegerInput(_l("Year"), validators=[Optional()])
    text_en = TextAreaField(_l("Milestone in English"), validators=[Length(max=2000)])
    text_km = TextAreaField(_l("Milestone in Khmer"), validators=[Length(max=2000)])


class VisionForm(LockedForm, ReasonMixin, FlaskForm):
    vision_en = TextAreaField(
        _l("Vision in English"), validators=[DataRequired(REQUIRED_EN), Length(max=8000)]
    )
    vision_km = TextAreaField(
        _l("Vision in Khmer"), validators=[DataRequired(REQUIRED_KM), Length(max=8000)]
    )
    note = StringField(_l("Note on this version"), validators=[Length(max=500)])
    milestones = FieldList(FormField(MilestoneForm), min_entries=1)


class DraftForm(FlaskForm):
    note = StringField(_l("What this draft is for"), validators=[Optional(), Length(max=500)])
