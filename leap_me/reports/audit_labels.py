"""How history pages name the fields of reports' records."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from leap_me.history import register
from leap_me.reports.models import DedupAdjustment, PublishedReport, ReportNarrative

register(
    DedupAdjustment,
    _l("de-duplication adjustment"),
    {
        "indicator_id": _l("Indicator"),
        "period_id": _l("Reporting period"),
        "province_id": _l("Province"),
        "value": _l("Adjustment"),
        "reason": _l("Reason"),
        "recorded_by_id": _l("Recorded by"),
    },
)
register(
    ReportNarrative,
    _l("report narrative"),
    {
        "period_id": _l("Reporting period"),
        "outcome_key": _l("Outcome"),
        "text_en": _l("Text in English"),
        "text_km": _l("Text in Khmer"),
        "updated_by_id": _l("Written by"),
    },
)
register(
    PublishedReport,
    _l("published report"),
    {
        "period_id": _l("Reporting period"),
        "published_dt": _l("Published on"),
        "published_by_id": _l("Published by"),
        "fingerprint": _l("Data fingerprint"),
    },
)
