"""Shared pieces: the validation error every write raises, and number parsing."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _


class ValidationError(ValueError):
    """Bad input, with a message already translated for the user (and a field name)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def parse_decimal(raw: Any, field: str = "value") -> Decimal | None:
    """A Decimal from user input ("1,250", " 12.5 ", 3); None when empty.

    Thousands separators are accepted; anything else that is not a number is refused
    with a message naming what was typed.
    """
    if raw is None:
        return None
    if isinstance(raw, bool):
        return Decimal(int(raw))
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, float):
        value = Decimal(str(raw))
    else:
        text = str(raw).strip().replace(",", "").replace("\u00a0", "").replace(" ", "")
        if text == "":
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite():
            raise ValidationError(
                _("“%(text)s” is not a number. Type digits only, e.g. 125 or 12.5.", text=raw),
                field,
            )
    if not value.is_finite():
        raise ValidationError(_("“%(text)s” is not a number.", text=raw), field)
    if abs(value) >= Decimal(10) ** 14:
        raise ValidationError(_("%(value)s is too large.", value=raw), field)
    return value


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
