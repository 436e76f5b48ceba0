"""Helpers shared by the indicators pages."""

from __future__ import annotations

from flask import abort, flash
from flask_wtf import FlaskForm

from indicators import services
from indicators.models import Indicator
from indicators.services import ValidationError
from leap_me.extensions import db
from leap_me.i18n import current_lang


def load_indicator(code: str) -> Indicator:
    indicator = services.get_indicator(db.session, code)
    if indicator is None:
        abort(404)
    return indicator


def attach_error(form: FlaskForm, error: ValidationError) -> None:
    """Show a service's refusal next to the field it concerns, or as a flash."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "error")


def result_label(result) -> str:
    if result is None:
        return ""
    statement = (
        result.statement_km
        if current_lang() == "km" and result.statement_km
        else (result.statement_en)
    )
    code = result.code or result.key
    short = statement if len(statement) <= 90 else statement[:87] + "…"
    return f"{code} — {short}"
