"""WTForms fields that read numbers with the one parser (leap_me.numbers).

WTForms' own IntegerField and DecimalField call ``int()`` and ``Decimal()``, which accept
``1_000``, ``NaN``, ``Infinity`` and ``1e20``; these fields refuse them with the parser's
message, which states the limit.
"""

from __future__ import annotations

from decimal import Decimal

from wtforms import DecimalField, IntegerField

from leap_me.numbers import NumberError, parse_decimal, parse_int


class IntegerInput(IntegerField):
    """A whole number: ASCII or Khmer digits only, within ``minimum``..``maximum``."""

    def __init__(self, label=None, validators=None, minimum=None, maximum=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.minimum, self.maximum = minimum, maximum

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        try:
            self.data = parse_int(valuelist[0], minimum=self.minimum, maximum=self.maximum)
        except NumberError as err:
            self.data = None
            raise ValueError(err.message) from None


class DecimalInput(DecimalField):
    """A decimal with at most ``max_int_digits`` digits before the point and ``places``
    after it (more places is an error, never a rounding)."""

    def __init__(
        self,
        label=None,
        validators=None,
        places: int = 2,
        max_int_digits: int = 14,
        allow_negative: bool = False,
        **kwargs,
    ):
        super().__init__(label, validators, places=places, rounding=None, **kwargs)
        self.max_places = places
        self.max_int_digits = max_int_digits
        self.allow_negative = allow_negative

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        try:
            self.data = parse_decimal(
                valuelist[0],
                max_int_digits=self.max_int_digits,
                max_places=self.max_places,
                allow_negative=self.allow_negative,
            )
        except NumberError as err:
            self.data = None
            raise ValueError(err.message) from None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if isinstance(self.data, Decimal):
            return format(self.data, "f")
        return super()._value()
