"""Shared pieces: the validation error every write raises, and number parsing."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from leap_me import numbers


class ValidationError(ValueError):
    """Bad input, with a message already translated for the user (and a field name)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def parse_decimal(raw: Any, field: str = "value") -> Decimal | None:
    """A Decimal from user input or a workbook cell ("1,250", " 12.5 ", 3); None when empty.

    The one number parser (leap_me.numbers) with the limits of an indicator figure: 14
    digits before the decimal point, 6 after. Signs are allowed here: each caller says
    in its own words why a negative figure is refused."""
    try:
        return numbers.parse_decimal(raw, max_int_digits=14, max_places=6, allow_negative=True)
    except numbers.NumberError as err:
        raise ValidationError(err.message, field) from None


def quantize(value: Decimal, places: int = 6) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def plain(value: Decimal | None) -> str:
    """A Decimal as short text without trailing zeros: 12.500000 → 12.5, 220.000 → 220."""
    if value is None:
        return ""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"
