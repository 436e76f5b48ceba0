"""The arithmetic of the cost-sharing schedule, in Decimal only (see docs/budget.md).

Pure functions: no database, no request. Rounding is ROUND_HALF_UP and happens once, at
the end of each figure: USD to the cent, KHR to the whole riel, shares to 0.0001 (0.01 %).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from leap_me.numbers import parse_money

USD = "USD"
KHR = "KHR"
CURRENCIES = (USD, KHR)
CENT = Decimal("0.01")
RIEL = Decimal("1")
SHARE = Decimal("0.0001")
ZERO = Decimal("0")
ONE = Decimal("1")
QUARTERS = 4


def q_usd(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def q_khr(value: Decimal) -> Decimal:
    return Decimal(value).quantize(RIEL, rounding=ROUND_HALF_UP)


def q_share(value: Decimal) -> Decimal:
    return Decimal(value).quantize(SHARE, rounding=ROUND_HALF_UP)


def quantize(value: Decimal, currency: str) -> Decimal:
    return q_khr(value) if currency == KHR else q_usd(value)


def parse_amount(text: object, currency: str = USD) -> Decimal:
    """A typed, uploaded or stored amount as Decimal (blank or "-" is zero).

    The one money parser (leap_me.numbers.parse_money): USD to the cent, KHR to the riel,
    never rounded, at most 14 digits before the decimal point, not negative. Raises
    NumberError (a ValueError) whose message is translated and states the limit."""
    if isinstance(text, str) and text.strip() in ("-", "\u2013", "\u2014"):
        return ZERO
    value = parse_money(text, currency)
    return ZERO if value is None else value


def in_usd(usd_part: Decimal, khr_part: Decimal, rate: Decimal | None) -> Decimal:
    """USD amounts plus KHR amounts converted at the year's rate (KHR per USD), to the cent.

    Sums are kept exact in each currency and converted once, so rounding never adds up."""
    if khr_part and not rate:
        raise ValueError("no exchange rate")
    return q_usd(usd_part + (khr_part / rate if khr_part else ZERO))


def in_khr(usd_part: Decimal, khr_part: Decimal, rate: Decimal | None) -> Decimal:
    """KHR amounts plus USD amounts converted at the year's rate, to the whole riel."""
    if usd_part and not rate:
        raise ValueError("no exchange rate")
    return q_khr(khr_part + (usd_part * rate if usd_part else ZERO))


def share(part: Decimal, whole: Decimal) -> Decimal | None:
    """part / whole to 0.0001; None when there is nothing to share."""
    if not whole:
        return None
    return q_share(part / whole)


def linear_path(current_share: Decimal, first_year: int, full_year: int, year: int) -> Decimal:
    """share_y = s0 + (1 − s0) × (y − y0) / (Y − y0); s0 before y0, 100 % from Y on."""
    if year >= full_year:
        return q_share(ONE)
    if year <= first_year or full_year <= first_year:
        return q_share(current_share)
    step = (ONE - current_share) * (year - first_year) / (full_year - first_year)
    return q_share(current_share + step)


def path_shares(
    years: list[int],
    current_share: Decimal,
    full_year: int,
    mode: str = "linear",
    custom: dict[int, Decimal] | None = None,
) -> dict[int, Decimal]:
    """The MoI share the path asks for in each year. ``custom`` mode takes the planner's
    share where one is set and the linear value elsewhere."""
    if not years:
        return {}
    first = years[0]
    out = {y: linear_path(current_share, first, full_year, y) for y in years}
    if mode == "custom" and custom:
        out.update({y: q_share(s) for y, s in custom.items() if y in out})
    return out


def gap(path_share: Decimal | None, total_usd: Decimal, moi_usd: Decimal) -> Decimal | None:
    """path share × total − MoI planned, to the cent. Positive: the MoI must add this much
    (or donors must still cover it); negative: the MoI plans more than the path asks."""
    if path_share is None:
        return None
    return q_usd(path_share * total_usd - moi_usd)


#: A year is below (or above) the cost-sharing path only when its gap is more than this.
#: Amounts are kept to the cent and riel to the whole riel, and a KHR amount converted at
#: the year's rate lands on a cent by rounding: a gap of a few cents says nothing about the
#: plan. USD 1 is stated on the page and in docs/budget.md §2.
PATH_TOLERANCE_USD = Decimal("1.00")


def path_reading(gap_usd: Decimal | None) -> str | None:
    """'below' (money still to be found), 'above' (ahead of the path) or 'on' (within
    ``PATH_TOLERANCE_USD`` either way); None when the gap is unknown."""
    if gap_usd is None:
        return None
    if gap_usd > PATH_TOLERANCE_USD:
        return "below"
    if gap_usd < -PATH_TOLERANCE_USD:
        return "above"
    return "on"


def execution_rate(actual: Decimal, planned: Decimal) -> Decimal | None:
    """actual / planned to 0.0001; None when nothing was planned."""
    return share(actual, planned)


def planned_to_date(planned: Decimal, quarters: int, currency: str = USD) -> Decimal:
    """A year with spending reported for its first ``quarters`` quarters is compared with
    planned × quarters / 4 (an even spread over the year)."""
    quarters = max(0, min(QUARTERS, quarters))
    return quantize(planned * quarters / QUARTERS, currency)


def variance(actual: Decimal, planned: Decimal) -> Decimal:
    return actual - planned
