"""More of the money arithmetic, pinned at its edges: ties that half-up and half-even round
differently, the exact limits, and what is refused with which reason (issue 8 item 29).

Each tie here is chosen so that dropping ``rounding=ROUND_HALF_UP`` (Python's default is
half-even) or swapping a comparison changes the answer.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from budget import calc


def _code(fn, *args) -> str:
    """The NumberError code of the refusal (the message is translated; the code is not)."""
    with pytest.raises(ValueError) as info:
        fn(*args)
    return info.value.code


def _reason(fn, *args) -> str:
    with pytest.raises(ValueError) as info:
        fn(*args)
    return str(info.value)


# --- rounding: ties go up, in every unit -----------------------------------------------


@pytest.mark.parametrize(
    "value,expected",
    [("410.5", "411"), ("411.5", "412"), ("0.5", "1"), ("410.49", "410"), ("2.5", "3")],
)
def test_riel_ties_round_half_up(value, expected):
    # half-even would give 410 for 410.5 and 2 for 2.5
    assert calc.q_khr(D(value)) == D(expected)
    assert str(calc.q_khr(D(value))) == expected  # whole riel, no decimals
    assert calc.quantize(D(value), calc.KHR) == D(expected)


@pytest.mark.parametrize(
    "value,expected", [("0.125", "0.13"), ("10.005", "10.01"), ("2.345", "2.35"), ("1.004", "1.00")]
)
def test_cent_ties_round_half_up(value, expected):
    assert str(calc.q_usd(D(value))) == expected
    assert str(calc.quantize(D(value), calc.USD)) == expected


def test_quantize_picks_the_unit_by_currency():
    assert str(calc.quantize(D("10.505"), calc.KHR)) == "11"
    assert str(calc.quantize(D("10.505"), calc.USD)) == "10.51"
    assert str(calc.quantize(D("10.505"), "EUR")) == "10.51"  # anything but KHR: cents


@pytest.mark.parametrize(
    "value,expected", [("0.12345", "0.1235"), ("0.00005", "0.0001"), ("0.98765", "0.9877")]
)
def test_share_ties_round_half_up(value, expected):
    # half-even gives 0.1234 and 0.0000
    assert str(calc.q_share(D(value))) == expected


def test_share_divides_part_by_whole_and_rounds_ties_up():
    assert str(calc.share(D("12345"), D("100000"))) == "0.1235"
    assert str(calc.share(D("1"), D("20000"))) == "0.0001"
    assert calc.share(D("3"), D("4")) == D("0.75")
    assert calc.share(D("4"), D("3")) == D("1.3333")  # over 100 % is reported as it is
    assert calc.share(D("0"), D("5")) == D("0")
    assert calc.share(D("5"), D("0")) is None
    assert calc.share(D("0"), D("0")) is None


# --- conversions ---------------------------------------------------------------------


def test_in_usd_converts_only_the_riel_part_once():
    assert calc.in_usd(D("12.34"), D("0"), None) == D("12.34")  # no riel: no rate needed
    assert calc.in_usd(D("12.345"), D("0"), None) == D("12.35")  # a half cent goes up
    assert calc.in_usd(D("1.00"), D("4050"), D("4050")) == D("2.00")
    assert calc.in_usd(D("0"), D("8100"), D("4050")) == D("2.00")
    assert calc.in_usd(D("0"), D("0"), D("4050")) == D("0.00")
    assert str(calc.in_usd(D("0"), D("0"), D("4050"))) == "0.00"


def test_in_usd_without_a_rate():
    assert _reason(calc.in_usd, D("1"), D("1000"), None) == "no exchange rate"
    assert _reason(calc.in_usd, D("0"), D("1000"), D("0")) == "no exchange rate"


def test_in_khr_converts_only_the_dollar_part_once():
    assert calc.in_khr(D("0"), D("410.5"), None) == D("411")  # no dollars: no rate needed
    assert calc.in_khr(D("2"), D("100"), D("4000")) == D("8100")
    assert calc.in_khr(D("0"), D("0"), D("4000")) == D("0")
    # 0.10 × 4,105 = 410.5 → 411 (half-even would give 410)
    assert calc.in_khr(D("0.10"), D("0"), D("4105")) == D("411")
    assert _reason(calc.in_khr, D("1"), D("0"), None) == "no exchange rate"
    assert _reason(calc.in_khr, D("1"), D("0"), D("0")) == "no exchange rate"


# --- the cost-sharing path -------------------------------------------------------------


def test_linear_path_edges():
    # before the first year the current share holds; from the full year on, 100 %
    assert calc.linear_path(D("0.20"), 2026, 2034, 2025) == D("0.2000")
    assert calc.linear_path(D("0.20"), 2026, 2034, 2026) == D("0.2000")
    assert calc.linear_path(D("0.20"), 2026, 2034, 2027) == D("0.3000")
    assert calc.linear_path(D("0.20"), 2026, 2034, 2034) == D("1.0000")
    assert calc.linear_path(D("0.20"), 2026, 2034, 2040) == D("1.0000")
    # full ownership in the first year itself: 100 % at once, not the current share
    assert calc.linear_path(D("0.20"), 2026, 2026, 2026) == D("1.0000")
    # a step that ends on a tie: 0.1 + 0.9 × 1/8 = 0.2125 exactly; 0.00005 steps round up
    assert calc.linear_path(D("0.1"), 2026, 2034, 2027) == D("0.2125")
    assert calc.linear_path(D("0.99995"), 2026, 2030, 2026) == D("1.0000")
    assert str(calc.linear_path(D("0.2"), 2026, 2034, 2026)) == "0.2000"


def test_path_shares_edges():
    assert calc.path_shares([], D("0.2"), 2034) == {}
    # the path starts at the first year listed, whatever the list holds after it
    assert calc.path_shares([2030, 2031, 2032], D("0.5"), 2032) == {
        2030: D("0.5000"),
        2031: D("0.7500"),
        2032: D("1.0000"),
    }
    # custom shares are used only in custom mode, and only for the years of the path
    custom = {2031: D("0.12345"), 2040: D("0.9")}
    assert calc.path_shares([2030, 2031], D("0.5"), 2032, "linear", custom) == {
        2030: D("0.5000"),
        2031: D("0.7500"),
    }
    assert calc.path_shares([2030, 2031], D("0.5"), 2032, "custom", custom) == {
        2030: D("0.5000"),
        2031: D("0.1235"),  # rounded half up to 0.01 %
    }
    assert calc.path_shares([2030, 2031], D("0.5"), 2032, "custom", None) == {
        2030: D("0.5000"),
        2031: D("0.7500"),
    }
    assert calc.path_shares([2030, 2031], D("0.5"), 2032, "custom", {}) == {
        2030: D("0.5000"),
        2031: D("0.7500"),
    }


def test_gap_edges():
    assert calc.gap(None, D("100"), D("10")) is None
    assert calc.gap(D("0"), D("100"), D("10")) == D("-10.00")  # a 0 share is a share
    assert calc.gap(D("0.5"), D("100.01"), D("0")) == D("50.01")  # 50.005 → 50.01
    assert calc.gap(D("0.5"), D("100"), D("50")) == D("0.00")
    assert str(calc.gap(D("0.5"), D("100"), D("20"))) == "30.00"


def test_execution_rate_is_actual_over_planned():
    assert calc.execution_rate(D("1"), D("4")) == D("0.25")
    assert calc.execution_rate(D("4"), D("1")) == D("4")
    assert calc.execution_rate(D("1"), D("20000")) == D("0.0001")  # tie rounds up
    assert calc.execution_rate(D("0"), D("4")) == D("0")
    assert calc.execution_rate(D("4"), D("0")) is None


def test_planned_to_date_clamps_the_quarters():
    assert calc.planned_to_date(D("1000"), 0) == D("0")
    assert calc.planned_to_date(D("1000"), -2) == D("0")
    assert calc.planned_to_date(D("1000"), 4) == D("1000.00")
    assert calc.planned_to_date(D("1000"), 5) == D("1000.00")
    assert calc.planned_to_date(D("1000"), 2) == D("500.00")
    assert str(calc.planned_to_date(D("1000"), 2)) == "500.00"  # USD by default: cents
    assert str(calc.planned_to_date(D("1642"), 1, calc.KHR)) == "411"  # 410.5 → 411
    assert str(calc.planned_to_date(D("0.02"), 1)) == "0.01"  # 0.005 → 0.01


def test_variance_is_actual_minus_planned():
    assert calc.variance(D("10"), D("4")) == D("6")
    assert calc.variance(D("4"), D("10")) == D("-6")


# --- parse_amount ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,currency,expected",
    [
        ("0", "USD", "0"),
        ("0.00", "USD", "0.00"),
        ("-", "USD", "0"),
        (" ", "USD", "0"),
        ("  12.5 ", "USD", "12.5"),
        ("12.50", "USD", "12.50"),
        ("99999999999999.99", "USD", "99999999999999.99"),
        ("99999999999999", "KHR", "99999999999999"),
        (7, "USD", "7"),
        (D("7.25"), "USD", "7.25"),
        (1.5, "USD", "1.5"),  # a workbook's number cell: its shortest repr, never binary noise
        (0.0, "USD", "0.0"),
    ],
)
def test_parse_amount_accepts_edges(text, currency, expected):
    value = calc.parse_amount(text, currency)
    assert isinstance(value, D)
    assert str(value) == expected


def test_parse_amount_defaults_to_dollars():
    assert calc.parse_amount("1.25") == D("1.25")
    assert _code(calc.parse_amount, "1.255") == "too_many_places"


@pytest.mark.parametrize(
    "value,currency,reason",
    [
        ("abc", "USD", "not_a_number"),
        ("Infinity", "USD", "not_a_number"),
        ("-0.01", "USD", "negative"),
        ("-5", "KHR", "negative"),
        ("1.234", "USD", "too_many_places"),
        ("0.5", "KHR", "too_many_places"),
        ("100000000000000", "USD", "too_large"),
        ("100000000000000", "KHR", "too_large"),
    ],
)
def test_parse_amount_refuses_with_its_reason(value, currency, reason):
    assert _code(calc.parse_amount, value, currency) == reason
