"""The arithmetic, pinned with examples worked by hand (docs/budget.md)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from budget import calc


def test_linear_path_from_20_percent_in_2026_to_100_percent_in_2034():
    years = list(range(2026, 2036))
    path = calc.path_shares(years, D("0.20"), 2034)
    # step = (1 - 0.20) / (2034 - 2026) = 0.10 a year
    assert path[2026] == D("0.2000")
    assert path[2027] == D("0.3000")
    assert path[2030] == D("0.6000")
    assert path[2033] == D("0.9000")
    assert path[2034] == D("1.0000")
    assert path[2035] == D("1.0000")  # after full ownership it stays at 100 %


def test_linear_path_rounds_half_up_to_a_hundredth_of_a_percent():
    # 0.20 + 0.80 × 1/3 = 0.466666… → 0.4667; 0.20 + 0.80 × 2/3 = 0.733333… → 0.7333
    path = calc.path_shares([2026, 2027, 2028, 2029], D("0.20"), 2029)
    assert path == {
        2026: D("0.2000"),
        2027: D("0.4667"),
        2028: D("0.7333"),
        2029: D("1.0000"),
    }


def test_custom_path_takes_the_planners_years_and_linear_elsewhere():
    path = calc.path_shares(
        [2026, 2027, 2028], D("0.25"), 2028, "custom", {2027: D("0.4"), 2030: D("0.9")}
    )
    assert path == {2026: D("0.2500"), 2027: D("0.4000"), 2028: D("1.0000")}


def test_khr_to_usd_rounds_half_up_to_the_cent():
    assert calc.in_usd(D("0"), D("810000000"), D("4050")) == D("200000.00")
    assert calc.in_usd(D("0"), D("1000"), D("4050")) == D("0.25")  # 0.24691… → 0.25
    # 20 KHR at 4,000 = 0.005 USD exactly: half up gives 0.01 (banker's would give 0.00)
    assert calc.in_usd(D("0"), D("20"), D("4000")) == D("0.01")
    assert calc.in_usd(D("10.10"), D("20"), D("4000")) == D("10.11")


def test_usd_to_khr_rounds_half_up_to_the_whole_riel():
    assert calc.in_khr(D("0.50"), D("0"), D("4050")) == D("2025")
    # 1.23 × 4,070.5 = 5,006.715 → 5,007
    assert calc.in_khr(D("1.23"), D("0"), D("4070.5")) == D("5007")
    # 1 KHR + 0.10 USD × 4,105 = 411.5 → 412 (half up)
    assert calc.in_khr(D("0.10"), D("1"), D("4105")) == D("412")


def test_conversion_without_a_rate_is_refused():
    with pytest.raises(ValueError):
        calc.in_usd(D("1"), D("1000"), None)


def test_share_gap_execution_and_partial_years():
    # 272,200 / 1,360,000 = 0.200147… → 0.2001
    assert calc.share(D("272200.00"), D("1360000.00")) == D("0.2001")
    assert calc.share(D("1"), D("0")) is None
    # 0.40 × 1,295,990.22 − 466,690.22 = 51,705.868 → 51,705.87 (the MoI must add it)
    assert calc.gap(D("0.4000"), D("1295990.22"), D("466690.22")) == D("51705.87")
    # the MoI above the path gives a negative gap
    assert calc.gap(D("0.25"), D("4500.00"), D("1500.00")) == D("-375.00")
    assert calc.execution_rate(D("850"), D("2250")) == D("0.3778")
    assert calc.execution_rate(D("5"), D("0")) is None
    # three quarters reported: planned to date = planned × 3 / 4
    assert calc.planned_to_date(D("1000.00"), 3) == D("750.00")
    assert calc.planned_to_date(D("1001.00"), 1) == D("250.25")
    assert calc.planned_to_date(D("1001"), 3, calc.KHR) == D("751")  # 750.75 → 751
    assert calc.variance(D("850"), D("2250")) == D("-1400")


@pytest.mark.parametrize(
    "text,currency,expected",
    [("1,234.50", "USD", D("1234.50")), ("", "USD", D("0")), ("4050000", "KHR", D("4050000"))],
)
def test_parse_amount_accepts(text, currency, expected):
    assert calc.parse_amount(text, currency) == expected


@pytest.mark.parametrize(
    "value,currency,code",
    [
        ("abc", "USD", "not_a_number"),
        ("-5", "USD", "negative"),
        ("1.234", "USD", "too_many_places"),
        ("10.5", "KHR", "too_many_places"),
        ("410.5", "KHR", "too_many_places"),  # never rounded half up to 411
        ("NaN", "USD", "not_a_number"),
        ("sNaN", "USD", "not_a_number"),
        ("Infinity", "USD", "not_a_number"),
        ("1e15", "USD", "not_a_number"),
        ("100000000000000", "USD", "too_large"),
        ("12,50", "USD", "ambiguous"),  # was stored as 1250
        ("1,2,3", "USD", "not_a_number"),  # was stored as 123
        ("1_000", "USD", "not_a_number"),  # was stored as 1000
        (float("nan"), "USD", "not_a_number"),
        (1e20, "USD", "too_large"),
    ],
)
def test_parse_amount_refuses(value, currency, code):
    from leap_me.numbers import NumberError

    with pytest.raises(NumberError) as info:
        calc.parse_amount(value, currency)
    assert info.value.code == code


def test_parse_amount_cells_and_dashes():
    assert calc.parse_amount(1.5, "USD") == D("1.5")  # a workbook float, via its repr
    assert calc.parse_amount("-", "USD") == D("0")
    assert calc.parse_amount("99999999999999.99", "USD") == D("99999999999999.99")
