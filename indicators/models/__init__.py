"""Indicators, their definition versions, disaggregations, targets, periods and values.

An :class:`Indicator` is the stable identity (its code, the result it measures, whether it
is still in use). What it *means* lives in :class:`IndicatorVersion`: a change that would
re-interpret reported values makes a new version, and every :class:`DataValue` keeps
pointing at the version it was reported against. See docs/indicators.md.
"""

from __future__ import annotations

from indicators.models.definitions import (
    DisaggCategory,
    DisaggOption,
    Indicator,
    IndicatorVersion,
    indicator_reporter,
    version_category,
)
from indicators.models.enums import (
    TITLES,
    AggSpace,
    AggTime,
    Amount,
    Direction,
    FindingKind,
    FindingState,
    Frequency,
    IndicatorStatus,
    Measure,
    NotificationKind,
    PeriodStatus,
    RuleOp,
    SubmissionStatus,
    ValueStatus,
)
from indicators.models.quality import CrossCheckRule, Finding, Notification
from indicators.models.submissions import Evidence, Submission, SubmissionEvent, ValueComment
from indicators.models.values import DataValue, ReportingPeriod, Target

__all__ = [
    "TITLES",
    "AggSpace",
    "AggTime",
    "Amount",
    "CrossCheckRule",
    "DataValue",
    "Evidence",
    "Finding",
    "FindingKind",
    "FindingState",
    "Notification",
    "NotificationKind",
    "RuleOp",
    "Submission",
    "SubmissionEvent",
    "SubmissionStatus",
    "ValueComment",
    "Direction",
    "DisaggCategory",
    "DisaggOption",
    "Frequency",
    "Indicator",
    "IndicatorStatus",
    "IndicatorVersion",
    "Measure",
    "PeriodStatus",
    "ReportingPeriod",
    "Target",
    "ValueStatus",
    "indicator_reporter",
    "version_category",
]
