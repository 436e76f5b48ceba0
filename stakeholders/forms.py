from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import URL, DataRequired, Email, Length, Optional, Regexp

from leap_me.forms import MultiCheckboxField, ReasonMixin, strip
from leap_me.locking import LockedForm
from stakeholders.models import OrgType


def _type_choices():
    return [(t.value, t.title) for t in OrgType]


class OrganisationForm(LockedForm, ReasonMixin, FlaskForm):
    code = StringField(
        _l("Code"),
        filters=[strip],
        validators=[
            DataRequired(),
            Length(max=20),
            Regexp(r"^[A-Z0-9][A-Z0-9-]*\Z", message=_l("Use capital letters, digits and dashes.")),
        ],
        description=_l("Short and stable, e.g. AHTJP-SRP. Used in workbooks and the API."),
    )
    acronym = StringField(_l("Acronym"), filters=[strip], validators=[Optional(), Length(max=40)])
    name_en = StringField(
        _l("Name in English"), filters=[strip], validators=[DataRequired(), Length(max=200)]
    )
    name_km = StringField(
        _l("Name in Khmer"), filters=[strip], validators=[DataRequired(), Length(max=200)]
    )
    type = SelectField(_l("Type"), choices=_type_choices, validators=[DataRequired()])
    parent_id = SelectField(_l("Parent organisation"), coerce=int, validators=[Optional()])
    provinces = MultiCheckboxField(_l("Provinces covered"), coerce=int)
    website = StringField(
        _l("Website"),
        filters=[strip],
        validators=[Optional(), URL(require_tld=True), Length(max=200)],
    )
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=4000)])
    is_active = BooleanField(_l("Active"), default=True)


class ContactForm(FlaskForm):
    name = StringField(_l("Name"), filters=[strip], validators=[DataRequired(), Length(max=120)])
    position = StringField(
        _l("Position"), filters=[strip], validators=[Optional(), Length(max=120)]
    )
    email = StringField(
        _l("Email"), filters=[strip], validators=[Optional(), Email(), Length(max=120)]
    )
    phone = StringField(
        _l("Phone"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=40),
            Regexp(r"^[0-9 +()-]+$", message=_l("Use digits, spaces, + ( ) and - only.")),
        ],
    )
