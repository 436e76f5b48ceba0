"""The one number parser: every accepted and refused case, in English and Khmer."""

from __future__ import annotations

from decimal import Decimal

import pytest
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

from leap_me.numbers import (
    MAX_CHARS,
    NumberError,
    parse_decimal,
    parse_int,
    parse_money,
    query_int,
    symbols,
)

LOCALES = ("en", "km")


def refused(fn, raw, **kw) -> NumberError:
    with pytest.raises(NumberError) as info:
        fn(raw, **kw)
    err = info.value
    assert str(err) == err.message
    assert isinstance(err, ValueError)
    return err


# --- integers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2026", 2026),
        (" 7 ", 7),
        ("007", 7),
        ("០", 0),
        ("២០២៦", 2026),
        (2027, 2027),
        (2027.0, 2027),
        (Decimal("2028"), 2028),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_parse_int_accepts(raw, expected):
    assert parse_int(raw) == expected


@pytest.mark.parametrize(
    "raw, code",
    [
        ("²", "not_a_number"),  # str.isdigit() says yes, int() says no
        ("①", "not_a_number"),
        ("٣", "not_a_number"),  # Arabic-Indic three
        ("３", "not_a_number"),  # full-width three
        ("1_000", "not_a_number"),
        ("1 000", "not_a_number"),
        ("1,000", "not_a_number"),
        ("+5", "not_a_number"),
        ("-5", "negative"),
        ("0x10", "not_a_number"),
        ("1e3", "not_a_number"),
        ("12.5", "too_many_places"),
        (2027.5, "too_many_places"),
        (float("nan"), "not_a_number"),
        (float("inf"), "not_a_number"),
        (Decimal("NaN"), "not_a_number"),
        (True, "not_a_number"),
        ("9" * (MAX_CHARS + 1), "too_large"),
    ],
)
def test_parse_int_refuses(raw, code):
    assert refused(parse_int, raw).code == code


def test_parse_int_bounds_and_signs():
    assert parse_int("-5", minimum=-10) == -5
    err = refused(parse_int, "-11", minimum=-10, maximum=10)
    assert err.code == "out_of_range"
    assert "-10" in err.message and "10" in err.message
    assert refused(parse_int, "2101", minimum=2000, maximum=2100).code == "out_of_range"
    assert "give 4 or less" in refused(parse_int, "5", maximum=4).message
    assert "2000" in refused(parse_int, "1999", minimum=2000).message
    assert parse_int("2100", minimum=2000, maximum=2100) == 2100


def test_long_input_refused_before_parsing():
    huge = "1" * 10_000_000
    err = refused(parse_int, huge)
    assert err.code == "too_large" and str(MAX_CHARS) in err.message
    assert len(err.message) < 200  # the input is not echoed in full
    assert refused(parse_decimal, huge).code == "too_large"


# --- decimals ------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(
    "raw, expected",
    [
        ("125", "125"),
        ("12.5", "12.5"),
        (" 12.5 ", "12.5"),
        (".5", "0.5"),
        ("12.", "12"),
        ("1,234,567", "1234567"),
        ("1,234.5", "1234.5"),
        ("1,234,567.125", "1234567.125"),
        ("1.234", "1.234"),  # the decimal point is never a thousands separator
        ("0,125", None),  # marker: refused, see below
        ("១,២៣៤.៥", "1234.5"),
        ("៥០", "50"),
        ("0", "0"),
        ("-0", "0"),
        ("99999999999999.99", "99999999999999.99"),
        ("0.000001", "0.000001"),
        ("1.500000000", "1.5"),
    ],
)
def test_parse_decimal_accepts(locale, raw, expected):
    if expected is None:
        assert refused(parse_decimal, raw, locale=locale).code == "ambiguous"
        return
    assert parse_decimal(raw, locale=locale) == Decimal(expected)


@pytest.mark.parametrize(
    "raw, expected",
    [
        (3, "3"),
        (12.5, "12.5"),
        (0.1 + 0.2, "0.3"),  # float noise beyond Excel's 15 digits
        (1234567.125, "1234567.125"),
        (Decimal("12.50"), "12.5"),
        (Decimal("0E-2000000"), "0"),
        (None, None),
        ("", None),
    ],
)
def test_parse_decimal_accepts_cells(raw, expected):
    value = parse_decimal(raw)
    assert value == (None if expected is None else Decimal(expected))


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(
    "raw, code",
    [
        ("NaN", "not_a_number"),
        ("sNaN", "not_a_number"),
        ("nan", "not_a_number"),
        ("Infinity", "not_a_number"),
        ("-Infinity", "not_a_number"),
        ("inf", "not_a_number"),
        ("1e20", "not_a_number"),
        ("1E-2000000", "not_a_number"),
        ("0E-2000000", "not_a_number"),
        ("1_000", "not_a_number"),
        ("1 000", "not_a_number"),
        ("1,2,3", "not_a_number"),
        ("1,23,456", "not_a_number"),
        ("12,3456", "ambiguous"),  # 12.3456 with a decimal comma
        ("1.2.3", "not_a_number"),
        (".", "not_a_number"),
        ("--5", "not_a_number"),
        ("5-", "not_a_number"),
        ("abc", "not_a_number"),
        ("²", "not_a_number"),
        ("①", "not_a_number"),
        ("٣", "not_a_number"),
        ("12,50", "ambiguous"),  # a decimal comma, never 1250
        ("1.234,5", "ambiguous"),
        ("1.234.567", "ambiguous"),
        ("0,5", "ambiguous"),
        (",5", "ambiguous"),
        ("1,234", "ambiguous"),  # 1234 or 1.234: the field takes 3 places
        ("12,500", "ambiguous"),
        ("-5", "negative"),
        ("123456789012345", "too_large"),
        ("100000000000000", "too_large"),
        ("0.0000001", "too_many_places"),
        ("1" * (MAX_CHARS + 1), "too_large"),
    ],
)
def test_parse_decimal_refuses(locale, raw, code):
    assert refused(parse_decimal, raw, locale=locale).code == code


@pytest.mark.parametrize(
    "raw, code",
    [
        (float("nan"), "not_a_number"),
        (float("inf"), "not_a_number"),
        (float("-inf"), "not_a_number"),
        (1e20, "too_large"),
        (1e-7, "too_many_places"),
        (Decimal("NaN"), "not_a_number"),
        (Decimal("sNaN"), "not_a_number"),
        (Decimal("Infinity"), "not_a_number"),
        (Decimal("1E-2000000"), "too_many_places"),
        (Decimal("1E+20"), "too_large"),
        (10**14, "too_large"),
        pytest.param(10**5000, "too_large", id="10**5000"),
        (True, "not_a_number"),
        (-3, "negative"),
    ],
)
def test_parse_decimal_refuses_cells(raw, code):
    assert refused(parse_decimal, raw).code == code


def test_messages_state_the_limits():
    err = refused(parse_decimal, "1" + "0" * 14)
    assert "at most 14 digits before the decimal point" in err.message
    assert "8 digits" in refused(parse_decimal, "123456789", max_int_digits=8).message
    assert "at most 6 digits after" in refused(parse_decimal, "0.1234567").message
    assert "at most 2 digits after" in refused(parse_decimal, "0.123", max_places=2).message
    assert "whole number" in refused(parse_decimal, "0.5", max_places=0).message
    assert "0 or more" in refused(parse_decimal, "-1").message
    err = refused(parse_decimal, "101", minimum=0, maximum=100)
    assert err.code == "out_of_range" and "0" in err.message and "100" in err.message
    err = refused(parse_decimal, "12,50")
    assert "12.50" in err.message  # says how to write it
    err = refused(parse_decimal, "1,234")
    assert "1234" in err.message and "1.234" in err.message
    assert "exponent" in refused(parse_decimal, "1e20").message
    assert "groups of three" in refused(parse_decimal, "1,2,3").message


def test_ambiguity_depends_on_the_places_the_field_has():
    # with at most 2 places, 1,234 cannot be 1.234: it is 1234
    assert parse_decimal("1,234", max_places=2) == Decimal("1234")
    assert parse_decimal("12,500", max_places=0) == Decimal("12500")
    assert refused(parse_decimal, "1,234", max_places=3).code == "ambiguous"
    # a number that can only be read with a decimal comma is refused whatever the places
    assert refused(parse_decimal, "12,50", max_places=0).code == "ambiguous"


def test_negative_numbers_where_allowed():
    assert parse_decimal("-12.5", allow_negative=True) == Decimal("-12.5")
    assert parse_decimal("\u22125", allow_negative=True) == Decimal("-5")  # minus sign
    assert parse_decimal("-3", minimum=-5) == Decimal("-3")
    assert parse_decimal("+3") == Decimal("3")
    assert parse_decimal("-1,234.5", allow_negative=True) == Decimal("-1234.5")


def test_babel_symbols_for_both_languages():
    # Babel (CLDR) writes numbers the same way in English and Khmer; the parser follows it.
    assert symbols("en") == (",", ".")
    assert symbols("km") == (",", ".")


def test_locale_defaults_to_the_page_language(app):
    with app.test_request_context(headers={"Accept-Language": "km"}):
        assert parse_decimal("1,234.5") == Decimal("1234.5")
        err = refused(parse_decimal, "12,50")
        assert err.code == "ambiguous"
    assert parse_decimal("1,234.5") == Decimal("1234.5")  # outside a request: English


# --- money ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, currency, expected",
    [
        ("1,234.56", "USD", "1234.56"),
        ("1,234", "USD", "1234"),  # cents only: 1.234 is impossible
        ("0.5", "USD", "0.5"),
        ("99999999999999.99", "USD", "99999999999999.99"),
        ("144,788,000", "KHR", "144788000"),
        ("12,500", "KHR", "12500"),
        ("12.000", "KHR", "12"),
        (1000.0, "KHR", "1000"),
        ("", "USD", None),
    ],
)
def test_parse_money_accepts(raw, currency, expected):
    value = parse_money(raw, currency)
    assert value == (None if expected is None else Decimal(expected))


@pytest.mark.parametrize(
    "raw, currency, code, words",
    [
        ("0.005", "USD", "too_many_places", "2 decimal places"),
        ("410.5", "KHR", "too_many_places", "whole riel"),
        ("12,50", "USD", "ambiguous", "12.50"),
        ("NaN", "USD", "not_a_number", ""),
        ("sNaN", "KHR", "not_a_number", ""),
        ("Infinity", "USD", "not_a_number", ""),
        ("1e20", "USD", "not_a_number", "exponent"),
        ("100000000000000", "USD", "too_large", "14 digits"),
        ("-1", "USD", "negative", "0 or more"),
    ],
)
def test_parse_money_refuses(raw, currency, code, words):
    err = refused(parse_money, raw, currency=currency)
    assert err.code == code
    assert words in err.message


def test_parse_money_unknown_currency():
    with pytest.raises(ValueError):
        parse_money("1", "EUR")


# --- query strings -------------------------------------------------------------------


def test_query_int(app):
    with app.test_request_context("/?year=2026&bad=²&neg=-1&empty="):
        assert query_int("year") == 2026
        assert query_int("missing", default=4) == 4
        assert query_int("empty", default=4) == 4
        for name in ("bad", "neg"):
            with pytest.raises(BadRequest) as info:
                query_int(name)
            assert name in info.value.description
        with pytest.raises(BadRequest) as info:
            query_int("year", maximum=2025)
        assert "2025" in info.value.description
        assert query_int("v", args=MultiDict({"v": "៣"})) == 3


def test_messages_in_khmer_state_the_limits(app):
    with app.test_request_context(headers={"Accept-Language": "km"}):
        for err, limit in [
            (refused(parse_decimal, "1" + "0" * 14), "14"),
            (refused(parse_decimal, "0.1234567"), "6"),
            (refused(parse_money, "0.005", currency="USD"), "2"),
            (refused(parse_int, "1999", minimum=2000), "2000"),
        ]:
            assert limit in err.message
            assert any("\u1780" <= ch <= "\u17ff" for ch in err.message), err.message
        assert "12.50" in refused(parse_decimal, "12,50").message
