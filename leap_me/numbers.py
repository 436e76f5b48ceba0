"""The one parser for numbers typed into a form, sent in an address or read from a file.

Every integer and decimal that comes from outside goes through :func:`parse_int`,
:func:`parse_decimal` or :func:`parse_money` (and :func:`query_int` for an address's
query string). They are pure CPU work with a bounded cost: text longer than
:data:`MAX_CHARS` is refused before it is looked at.

What is accepted (docs/architecture.md, "Untrusted input", says the same):

* ASCII digits and Khmer digits ០–៩. Other Unicode digits (``²``, ``①``, Arabic-Indic,
  full-width) are refused, as are underscores (``1_000``), spaces inside a number,
  exponents (``1e20``, ``1E-2000000``), ``NaN``, ``sNaN`` and ``Infinity``.
* A sign only where the field allows negative numbers.
* The separators Babel gives for the language. For English and Khmer both are the same
  (Babel 2.19: group ``,``, decimal ``.``). A thousands separator is accepted only between
  groups of three digits (``1,234,567.5``). Because the other convention (a decimal
  comma, with ``.`` between thousands) is common among partners:

  - a number that can only be read the other way (``12,50``, ``1.234,5``,
    ``1.234.567``, ``0,5``) is refused as *ambiguous*, with the way to write it;
  - a number with one thousands separator followed by exactly three digits, the last
    not 0 (``1,234``, ``12,345``), is refused as *ambiguous* when the field accepts three
    or more decimal places, because it could be 1234 or 1.234. ``1,250`` and ``12,000``
    are 1250 and 12000 (a decimal is not written with a trailing zero in the third
    place), and where the field has fewer places (USD to the cent, whole riel) the
    decimal reading is impossible, so ``1,234`` is 1234;
  - the decimal point is always the decimal point (``1.234`` is 1.234): a decimal comma
    is never silently read as a thousands separator, and a point is never read as one.

* Workbook cells: ``int``, ``float`` (via ``repr``; Excel keeps 15 significant digits,
  so float noise beyond that is dropped), ``Decimal``; ``bool`` is refused.

Limits: at most ``max_int_digits`` digits before the decimal point (14 by default) and
``max_places`` after it (6 by default; money: 2 for USD, 0 for KHR). More places than the
field has is an error, never a silent rounding.
"""

from __future__ import annotations

import functools
import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _

MAX_CHARS = 40
KHMER_DIGITS = str.maketrans("០១២៣៤៥៦៧៨៩", "0123456789")
MINUS_SIGNS = ("-", "\u2212")
_BODY = re.compile(r"[0-9.,]+", re.ASCII)
_INT = re.compile(r"-?[0-9]+", re.ASCII)
_EXPONENT = re.compile(r"[-+]?[0-9.,]*[0-9][eE][-+]?[0-9]+", re.ASCII)
_SPECIAL = {"nan", "snan", "inf", "infinity", "+inf", "-inf", "+infinity", "-infinity"}
CODES = ("not_a_number", "ambiguous", "too_large", "too_many_places", "negative", "out_of_range")
CURRENCY_PLACES = {"USD": 2, "KHR": 0}


class NumberError(ValueError):
    """A number that was refused; ``code`` says why, ``message`` says it to the user."""

    def __init__(self, code: str, message: str):
        assert code in CODES, code
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message


# --- helpers -------------------------------------------------------------------------


def _shown(raw: Any) -> str:
    if isinstance(raw, int) and not isinstance(raw, bool) and raw.bit_length() > 160:
        return f"{Decimal(raw):.3E}"  # str() of a huge int is itself refused by Python
    if isinstance(raw, float) and raw.is_integer() and abs(raw) < 1e16:
        return str(int(raw))  # a workbook's 2026.0 is the 2026 that was typed
    text = str(raw) if not isinstance(raw, str) else raw
    text = text.strip()
    return text if len(text) <= MAX_CHARS else text[:MAX_CHARS] + "…"


def _locale_name(locale: Any) -> str:
    if locale is None:
        from flask import has_request_context
        from flask_babel import get_locale

        current = get_locale() if has_request_context() else None
        return str(current) if current else "en"
    return str(locale)


def symbols(locale: Any = None) -> tuple[str, str]:
    """(thousands separator, decimal mark) of the language, as Babel (CLDR) gives them."""
    return _symbols(_locale_name(locale))


@functools.lru_cache(maxsize=32)
def _symbols(name: str) -> tuple[str, str]:
    from babel.numbers import get_decimal_symbol, get_group_symbol

    try:
        return get_group_symbol(name), get_decimal_symbol(name)
    except Exception:  # an unknown locale: the English convention
        return ",", "."


def _not_a_number(raw: Any) -> NumberError:
    return NumberError(
        "not_a_number",
        _("“%(text)s” is not a number. Type digits, e.g. 125 or 12.5.", text=_shown(raw)),
    )


def _too_long(raw: Any) -> NumberError:
    return NumberError(
        "too_large",
        _(
            "“%(text)s” is too long: a number has at most %(n)d characters.",
            text=_shown(raw),
            n=MAX_CHARS,
        ),
    )


def _clean_text(raw: str) -> str | None:
    """Stripped text with Khmer digits made ASCII; None when blank; bounded length."""
    if len(raw) > MAX_CHARS * 4:  # refuse without even stripping a huge string
        raise _too_long(raw)
    text = raw.strip()
    if not text:
        return None
    if len(text) > MAX_CHARS:
        raise _too_long(raw)
    return text.translate(KHMER_DIGITS)


def _check_range(value, raw, minimum, maximum, allow_negative: bool):
    if value < 0 and not allow_negative and (minimum is None or minimum >= 0):
        raise NumberError(
            "negative",
            _("“%(text)s” is negative: give 0 or more.", text=_shown(raw)),
        )
    low = minimum is not None and value < minimum
    high = maximum is not None and value > maximum
    if low or high:
        if minimum is not None and maximum is not None:
            msg = _(
                "“%(text)s” is out of range: give a number from %(min)s to %(max)s.",
                text=_shown(raw),
                min=minimum,
                max=maximum,
            )
        elif minimum is not None:
            msg = _("“%(text)s” is too small: give %(min)s or more.", text=_shown(raw), min=minimum)
        else:
            msg = _("“%(text)s” is too large: give %(max)s or less.", text=_shown(raw), max=maximum)
        raise NumberError("out_of_range", msg)
    return value


# --- integers ------------------------------------------------------------------------


def parse_int(raw: Any, *, minimum: int | None = None, maximum: int | None = None) -> int | None:
    """A whole number from text (or a workbook cell); None when empty or blank.

    Digits only (ASCII or Khmer): no separators, no spaces inside, and a sign only when
    ``minimum`` is below 0."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise _not_a_number(raw)
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, float | Decimal):
        if isinstance(raw, float) and not math.isfinite(raw):
            raise _not_a_number(raw)
        if isinstance(raw, Decimal) and not raw.is_finite():
            raise _not_a_number(raw)
        if abs(raw) >= 10**18:
            raise NumberError(
                "too_large",
                _(
                    "“%(text)s” is too large: give %(max)s or less.",
                    text=_shown(raw),
                    max=maximum if maximum is not None else 10**18 - 1,
                ),
            )
        if raw != int(raw):
            raise NumberError(
                "too_many_places",
                _("“%(text)s” must be a whole number, without decimal places.", text=_shown(raw)),
            )
        value = int(raw)
    else:
        text = _clean_text(str(raw))
        if text is None:
            return None
        if not _INT.fullmatch(text):
            if re.fullmatch(r"[0-9]+\.[0-9]+", text, re.ASCII):
                raise NumberError(
                    "too_many_places",
                    _(
                        "“%(text)s” must be a whole number, without decimal places.",
                        text=_shown(raw),
                    ),
                )
            raise NumberError(
                "not_a_number",
                _(
                    "“%(text)s” is not a whole number. Type digits only, e.g. 2026.",
                    text=_shown(raw),
                ),
            )
        if text.startswith("-") and (minimum is None or minimum >= 0):
            raise NumberError(
                "negative", _("“%(text)s” is negative: give 0 or more.", text=_shown(raw))
            )
        value = int(text)
    return _check_range(value, raw, minimum, maximum, allow_negative=False)


# --- decimals ------------------------------------------------------------------------


def _read(body: str, group: str, mark: str) -> tuple[str, int] | None:
    """``body`` read with this convention: (canonical "1234.5", places written) or None."""
    if body.count(mark) > 1:
        return None
    whole, has_mark, frac = body.partition(mark)
    if group in frac or (has_mark and not (whole or frac)):
        return None
    if group in whole:
        parts = whole.split(group)
        head = parts[0]
        if not 1 <= len(head) <= 3 or head[0] == "0" or any(len(p) != 3 for p in parts[1:]):
            return None
        whole = "".join(parts)
    if not whole.isdigit() and whole != "":
        return None
    if frac and not frac.isdigit():
        return None
    return (whole or "0") + ("." + frac if frac else ""), len(frac)


def _places(value: Decimal) -> int:
    """Decimal places a finite Decimal really has (trailing zeros do not count)."""
    sign, digits, exponent = value.as_tuple()
    if not any(digits):
        return 0
    trailing = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -(exponent + trailing))


def _int_digits(value: Decimal) -> int:
    return 0 if not value or abs(value) < 1 else value.adjusted() + 1


def _from_float(raw: float) -> Decimal:
    value = Decimal(repr(raw))
    if len(value.as_tuple().digits) > 15:  # binary noise beyond what Excel keeps
        value = Decimal(format(raw, ".15g"))
    return value


def _example(locale_name: str) -> str:
    from babel.numbers import format_decimal

    try:
        return format_decimal(Decimal("1234567.5"), locale=locale_name)
    except Exception:
        return "1,234,567.5"


def _parse_text(raw: str, text: str, locale: Any, max_places: int) -> Decimal:
    lower = text.lower()
    if lower in _SPECIAL:
        raise _not_a_number(raw)
    if _EXPONENT.fullmatch(text):
        raise NumberError(
            "not_a_number",
            _(
                "“%(text)s” uses an exponent. Type the number in full, e.g. 1500000 or 0.015.",
                text=_shown(raw),
            ),
        )
    negative = False
    if text[0] in MINUS_SIGNS or text[0] == "+":
        negative = text[0] != "+"
        text = text[1:].lstrip()
        if text[:1] in MINUS_SIGNS or text[:1] == "+":
            raise _not_a_number(raw)
    if not text or not _BODY.fullmatch(text):
        raise _not_a_number(raw)
    name = _locale_name(locale)
    group, mark = symbols(name)
    mine = _read(text, group, mark)
    theirs = _read(text, mark, group) if {group, mark} == {",", "."} else None
    if mine is None and theirs is None:
        raise NumberError(
            "not_a_number",
            _(
                "“%(text)s” has a separator in the wrong place. Write the digits in groups of "
                "three (%(example)s) or without thousands separators.",
                text=_shown(raw),
                example=_example(name),
            ),
        )
    if mine is None:
        assert theirs is not None
        raise NumberError(
            "ambiguous",
            _(
                "“%(text)s” is not written the way this page writes numbers (%(example)s: "
                "“%(group)s” between thousands, “%(mark)s” before the decimals). If you mean "
                "%(value)s, type %(value)s.",
                text=_shown(raw),
                example=_example(name),
                group=group,
                mark=mark,
                value=theirs[0],
            ),
        )
    if (
        theirs is not None
        and theirs[0] != mine[0]
        and group in text
        and theirs[1] <= max_places
        and not text.endswith("0")
    ):
        # one thousands separator and three digits after it: 1,234 or 1.234? (1,250 is
        # 1250: nobody writes 1.25 with a trailing zero in the third place)
        raise NumberError(
            "ambiguous",
            _(
                "“%(text)s” is ambiguous: it could be %(whole)s or, with a decimal comma, "
                "%(decimal)s. Type %(whole)s (no thousands separator) or %(decimal)s.",
                text=_shown(raw),
                whole=mine[0],
                decimal=theirs[0],
            ),
        )
    value = Decimal(mine[0])
    return -value if negative else value


def parse_decimal(
    raw: Any,
    *,
    locale: Any = None,
    max_int_digits: int = 14,
    max_places: int = 6,
    minimum: Decimal | int | None = None,
    maximum: Decimal | int | None = None,
    allow_negative: bool = False,
) -> Decimal | None:
    """A Decimal from text, a workbook cell or a number; None when empty or blank.

    Raises :class:`NumberError` (a ValueError) with a translated message that states the
    limit that was broken. ``locale`` None means the page's language ("en" outside a
    request)."""
    if raw is None:
        return None
    if type(raw) is str and raw.isascii() and raw.isdigit() and len(raw) <= max_int_digits:
        # the common case, plain ASCII digits ("120"): nothing to clean, group or round
        return _check_range(Decimal(raw), raw, minimum, maximum, allow_negative)
    if isinstance(raw, bool):
        raise _not_a_number(raw)
    if isinstance(raw, int):
        if abs(raw) >= 10**max_int_digits:
            raise _too_many_digits(raw, max_int_digits)
        value = Decimal(raw)
    elif isinstance(raw, float):
        if not math.isfinite(raw):
            raise _not_a_number(raw)
        if abs(raw) >= 10.0**max_int_digits:
            raise _too_many_digits(raw, max_int_digits)
        value = _from_float(raw)
    elif isinstance(raw, Decimal):
        if not raw.is_finite():
            raise _not_a_number(raw)
        value = raw
    else:
        text = _clean_text(str(raw))
        if text is None:
            return None
        try:
            value = _parse_text(str(raw), text, locale, max_places)
        except InvalidOperation as exc:  # cannot happen: the text is digits and a point
            raise _not_a_number(raw) from exc
    if _int_digits(value) > max_int_digits:
        raise _too_many_digits(raw, max_int_digits)
    places = _places(value)
    if places > max_places:
        if max_places == 0:
            msg = _("“%(text)s” must be a whole number, without decimal places.", text=_shown(raw))
        else:
            msg = _(
                "“%(text)s” has too many decimal places: at most %(places)d digits after the "
                "decimal point.",
                text=_shown(raw),
                places=max_places,
            )
        raise NumberError("too_many_places", msg)
    if value.as_tuple().exponent < -max_places:  # 1.000000000 or 0E-2000000: made short
        sign, digits, exponent = value.as_tuple()
        value = Decimal(0) if not any(digits) else value.quantize(Decimal(1).scaleb(-places))
    if not value and (value.is_signed() or value.as_tuple().exponent > 0):
        value = Decimal(0)
    return _check_range(value, raw, minimum, maximum, allow_negative)


def _too_many_digits(raw: Any, digits: int) -> NumberError:
    return NumberError(
        "too_large",
        _(
            "“%(text)s” is too large: at most %(digits)d digits before the decimal point.",
            text=_shown(raw),
            digits=digits,
        ),
    )


# --- money ---------------------------------------------------------------------------


def parse_money(
    raw: Any, currency: str, *, locale: Any = None, allow_negative: bool = False
) -> Decimal | None:
    """An amount in ``currency``: USD to the cent, KHR to the whole riel; None when blank.

    More places than the currency has is an error (never rounded), and an amount has at
    most 14 digits before the decimal point."""
    places = CURRENCY_PLACES.get(currency)
    if places is None:
        raise ValueError(f"unknown currency {currency!r}")
    try:
        return parse_decimal(
            raw,
            locale=locale,
            max_int_digits=14,
            max_places=places,
            allow_negative=allow_negative,
        )
    except NumberError as err:
        if err.code != "too_many_places":
            raise
        if currency == "KHR":
            msg = _(
                "“%(text)s”: KHR amounts are whole riel, without decimal places.", text=_shown(raw)
            )
        else:
            msg = _(
                "“%(text)s”: USD amounts have at most 2 decimal places (cents).", text=_shown(raw)
            )
        raise NumberError("too_many_places", msg) from None


# --- the address's query string ------------------------------------------------------

INT_MAX = 2_147_483_647  # what an INTEGER column holds on both databases


def query_int(
    name: str,
    *,
    minimum: int | None = 0,
    maximum: int | None = INT_MAX,
    default: int | None = None,
    args: Any = None,
) -> int | None:
    """``?name=`` as an int (``default`` when absent or empty); a bad value is a 400 whose
    message names the parameter and the rule (the error handlers render it as a page or
    as JSON)."""
    from flask import abort, request

    source = request.args if args is None else args
    raw = source.get(name)
    try:
        value = parse_int(raw, minimum=minimum, maximum=maximum)
    except NumberError as err:
        abort(
            400,
            description=_("“%(name)s” in the address: %(message)s", name=name, message=err.message),
        )
    return default if value is None else value
