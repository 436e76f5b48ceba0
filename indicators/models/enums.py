"""Enumerations of the indicators domain, with translated titles."""

from __future__ import annotations

from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

#: Values, targets and baselines: enough digits for counts, money-like shares and ratios.
Amount = sa.Numeric(20, 6)


class _Titled(StrEnum):
    @property
    def title(self) -> str:
        return str(TITLES[self.value])

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.title) for m in cls]

    @classmethod
    def sql_in(cls) -> str:
        return ", ".join(f"'{m.value}'" for m in cls)


class Measure(_Titled):
    NUMBER = "number"
    PERCENTAGE = "percentage"
    RATIO = "ratio"
    YESNO = "yesno"
    TEXT = "text"


class Direction(_Titled):
    UP = "up"
    DOWN = "down"
    KEEP = "keep"


class AggSpace(_Titled):
    SUM = "sum"
    AVERAGE = "average"
    MAX = "max"
    MIN = "min"


class AggTime(_Titled):
    SUM = "sum"
    LATEST = "latest"
    AVERAGE = "average"
    MAX = "max"


class Frequency(_Titled):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half_yearly"
    YEARLY = "yearly"

    @property
    def per_year(self) -> int:
        return {"monthly": 12, "quarterly": 4, "half_yearly": 2, "yearly": 1}[self.value]


class IndicatorStatus(_Titled):
    ACTIVE = "active"
    RETIRED = "retired"


class PeriodStatus(_Titled):
    PLANNED = "planned"
    OPEN = "open"
    CLOSED = "closed"
    LOCKED = "locked"


class ValueStatus(_Titled):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"


class SubmissionStatus(_Titled):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"


class FindingKind(_Titled):
    OUTLIER = "outlier"
    JUMP = "jump"
    TOTAL_PARTS = "total_parts"
    CROSSCHECK = "crosscheck"
    RED = "red"
    EXCEEDED = "exceeded"
    NUMERATOR_GT_DENOMINATOR = "numerator_gt_denominator"
    EXPLANATION_MISSING = "explanation_missing"


class FindingState(_Titled):
    OPEN = "open"
    EXPLAINED = "explained"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"


class RuleOp(_Titled):
    EQ = "eq"
    LE = "le"
    GE = "ge"
    WITHIN = "within"


class NotificationKind(_Titled):
    RETURNED = "returned"
    APPROVED = "approved"
    COMMENTED = "commented"
    DEADLINE_SOON = "deadline_soon"
    DEADLINE_PASSED = "deadline_passed"

    @property
    def title(self) -> str:
        return str(NOTIFICATION_TITLES[self.value])


# Keyed by value; several enums share words (sum, max), so one table serves them all.
TITLES = {
    "number": _l("Number"),
    "percentage": _l("Percentage"),
    "ratio": _l("Ratio"),
    "yesno": _l("Yes/no"),
    "text": _l("Text"),
    "up": _l("Up (higher is better)"),
    "down": _l("Down (lower is better)"),
    "keep": _l("Keep (stay near the target)"),
    "sum": _l("Sum"),
    "average": _l("Average"),
    "max": _l("Highest"),
    "min": _l("Lowest"),
    "latest": _l("Latest period with data"),
    "monthly": _l("Monthly"),
    "quarterly": _l("Quarterly"),
    "half_yearly": _l("Half-yearly"),
    "yearly": _l("Yearly"),
    "active": _l("Active"),
    "retired": _l("Retired"),
    "planned": _l("Planned"),
    "open": _l("Open"),
    "closed": _l("Closed"),
    "locked": _l("Locked"),
    "draft": _l("Draft"),
    "submitted": _l("Submitted"),
    "approved": _l("Approved"),
    "returned": _l("Returned"),
    "outlier": _l("Outlier"),
    "jump": _l("Change over 100 %"),
    "total_parts": _l("Total is not the sum of its parts"),
    "crosscheck": _l("Cross-check broken"),
    "red": _l("Red against the target"),
    "exceeded": _l("Target exceeded"),
    "numerator_gt_denominator": _l("Numerator above denominator"),
    "explanation_missing": _l("Explanation missing"),
    "explained": _l("Explained"),
    "resolved": _l("Resolved"),
    "dismissed": _l("Dismissed"),
    "eq": "=",
    "le": "≤",
    "ge": "≥",
    "within": _l("within x %"),
}

NOTIFICATION_TITLES = {
    "returned": _l("Submission returned"),
    "approved": _l("Submission approved"),
    "commented": _l("New comment on a value"),
    "deadline_soon": _l("Deadline in 7 days"),
    "deadline_passed": _l("Deadline passed"),
}
