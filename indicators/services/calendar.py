"""Period codes in DHIS2 form and their dates: 2026, 2026S1, 2026Q2, 202604.

Pure functions, no database: the registry, the target grid and the period generator
all agree on what a period is by going through here.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from indicators.models import Frequency

_PATTERNS = (
    (re.compile(r"^(\d{4})$"), Frequency.YEARLY),
    (re.compile(r"^(\d{4})S([12])$"), Frequency.HALF_YEARLY),
    (re.compile(r"^(\d{4})Q([1-4])$"), Frequency.QUARTERLY),
    (re.compile(r"^(\d{4})(0[1-9]|1[0-2])$"), Frequency.MONTHLY),
)

MONTHS_PER_PART = {
    Frequency.YEARLY: 12,
    Frequency.HALF_YEARLY: 6,
    Frequency.QUARTERLY: 3,
    Frequency.MONTHLY: 1,
}

DEFAULT_DEADLINE_DAYS = 15


@dataclass(frozen=True)
class PeriodSpec:
    code: str
    frequency: Frequency
    year: int
    index: int  # 1-based position in the year

    @property
    def start(self) -> date:
        months = MONTHS_PER_PART[self.frequency]
        return date(self.year, (self.index - 1) * months + 1, 1)

    @property
    def end(self) -> date:
        months = MONTHS_PER_PART[self.frequency]
        last_month = self.index * months
        return date(self.year, last_month, calendar.monthrange(self.year, last_month)[1])

    @property
    def default_deadline(self) -> date:
        return self.end + timedelta(days=DEFAULT_DEADLINE_DAYS)


def code_for(frequency: Frequency | str, year: int, index: int) -> str:
    frequency = Frequency(frequency)
    if frequency == Frequency.YEARLY:
        return str(year)
    if frequency == Frequency.HALF_YEARLY:
        return f"{year}S{index}"
    if frequency == Frequency.QUARTERLY:
        return f"{year}Q{index}"
    return f"{year}{index:02d}"


def parse(code: str) -> PeriodSpec | None:
    """The period of a DHIS2 period code, or None when the code is not one."""
    code = (code or "").strip().upper()
    for pattern, frequency in _PATTERNS:
        if m := pattern.match(code):
            year = int(m.group(1))
            index = int(m.group(2)) if m.lastindex and m.lastindex > 1 else 1
            if not 1900 <= year <= 2200:
                return None
            return PeriodSpec(code, frequency, year, index)
    return None


def periods_of_year(frequency: Frequency | str, year: int) -> list[PeriodSpec]:
    frequency = Frequency(frequency)
    return [
        PeriodSpec(code_for(frequency, year, i), frequency, year, i)
        for i in range(1, frequency.per_year + 1)
    ]


def periods_of_span(
    frequency: Frequency | str, first_year: int, last_year: int
) -> list[PeriodSpec]:
    return [p for y in range(first_year, last_year + 1) for p in periods_of_year(frequency, y)]
