"""The data value store: one checked figure at its finest grain (METHOD.md §1).

Every way in (web form, workbook, API) goes through :func:`record_value`, so the rules
here — a locked period takes nothing, a percentage never exceeds 100, a denominator is
never 0 — hold everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy import orm as so

from indicators.models import (
    DataValue,
    Indicator,
    IndicatorVersion,
    Measure,
    PeriodStatus,
    ReportingPeriod,
    ValueStatus,
)
from indicators.services.common import ValidationError, parse_decimal, quantize
from stakeholders.models import Organisation, Province

YES = {"1", "yes", "y", "true", "មាន", "បាទ", "ចាស"}
NO = {"0", "no", "n", "false", "គ្មាន", "ទេ"}


def disagg_key(parts: Mapping[str, str] | str | None) -> str:
    """The canonical key: categories sorted by code, "age:age_0_11|sex:F"; "" for total."""
    if not parts:
        return ""
    if isinstance(parts, str):
        pairs = []
        for chunk in parts.split("|"):
            if not chunk.strip():
                continue
            cat, sep, opt = chunk.partition(":")
            if not sep:
                raise ValidationError(
                    _("“%(part)s” is not category:option.", part=chunk.strip()), "disagg"
                )
            pairs.append((cat.strip(), opt.strip()))
        if len({c for c, _o in pairs}) != len(pairs):
            raise ValidationError(_("A category appears twice in “%(key)s”.", key=parts), "disagg")
        parts = dict(pairs)
    return "|".join(f"{c}:{parts[c]}" for c in sorted(parts))


def check_disagg(version: IndicatorVersion, key: str) -> str:
    """Canonicalise ``key`` and check each part against the version's categories."""
    key = disagg_key(key)
    if not key:
        return key
    allowed = {c.code: {o.code for o in c.options} for c in version.categories}
    for chunk in key.split("|"):
        cat, _sep, opt = chunk.partition(":")
        if cat not in allowed:
            raise ValidationError(
                _(
                    "%(code)s is not broken down by “%(category)s”.",
                    code=version.indicator.code,
                    category=cat,
                ),
                "disagg",
            )
        if opt not in allowed[cat]:
            raise ValidationError(
                _("“%(option)s” is not an option of %(category)s.", option=opt, category=cat),
                "disagg",
            )
    return key


def clean_value(
    version: IndicatorVersion,
    value: Any = None,
    numerator: Any = None,
    denominator: Any = None,
    text: str | None = None,
) -> dict[str, Any]:
    """The stored fields for one reported figure, checked against the measure."""
    measure = version.measure
    if measure == Measure.TEXT:
        raw = text if text is not None else value
        text = str(raw).strip() if raw is not None else ""
        if not text:
            raise ValidationError(_("Type the answer."), "text")
        if len(text) > 4000:
            raise ValidationError(_("The answer is longer than 4000 characters."), "text")
        return {"value": None, "numerator": None, "denominator": None, "text_value": text}
    if measure == Measure.YESNO:
        return {"value": _yes_no(value), "numerator": None, "denominator": None, "text_value": None}
    if measure in (Measure.PERCENTAGE, Measure.RATIO):
        return _fraction(measure, numerator, denominator)
    number = parse_decimal(value, "value")
    if number is None:
        raise ValidationError(_("Type a number."), "value")
    if number < 0:
        raise ValidationError(_("A value cannot be negative."), "value")
    return {"value": number, "numerator": None, "denominator": None, "text_value": None}


def _yes_no(raw: Any) -> Decimal:
    if isinstance(raw, bool):
        return Decimal(int(raw))
    text = str(raw if raw is not None else "").strip().lower()
    if text in YES:
        return Decimal(1)
    if text in NO:
        return Decimal(0)
    raise ValidationError(_("Answer yes (1) or no (0)."), "value")


def _fraction(measure: str, raw_num: Any, raw_den: Any) -> dict[str, Any]:
    num = parse_decimal(raw_num, "numerator")
    den = parse_decimal(raw_den, "denominator")
    if num is None or den is None:
        raise ValidationError(
            _("Give both the numerator and the denominator."),
            "numerator" if num is None else "denominator",
        )
    if den == 0:
        raise ValidationError(
            _("The denominator is 0: nothing can be divided by 0."), "denominator"
        )
    if num < 0 or den < 0:
        raise ValidationError(_("The numerator and denominator cannot be negative."), "numerator")
    if measure == Measure.PERCENTAGE and num > den:
        raise ValidationError(
            _(
                "The numerator (%(num)s) is larger than the denominator (%(den)s): a "
                "percentage cannot be over 100.",
                num=raw_num,
                den=raw_den,
            ),
            "numerator",
        )
    value = num / den * (100 if measure == Measure.PERCENTAGE else 1)
    if abs(value) >= Decimal(10) ** 14:
        raise ValidationError(
            _("The numerator divided by the denominator is too large; check the denominator."),
            "denominator",
        )
    return {"value": quantize(value), "numerator": num, "denominator": den, "text_value": None}


def period_refusal(period: ReportingPeriod) -> str | None:
    """Why the period takes no values (None while it is open): planned, closed, locked."""
    if period.status == PeriodStatus.OPEN:
        return None
    if period.status == PeriodStatus.PLANNED:
        return _("Period %(period)s is not open yet: it takes no values.", period=period.code)
    if period.status == PeriodStatus.CLOSED:
        return _(
            "Period %(period)s is closed: it takes no more values unless a planner opens it "
            "again.",
            period=period.code,
        )
    return _("Period %(period)s is locked: it takes no new values.", period=period.code)


def record_value(
    session: so.Session,
    *,
    indicator: Indicator,
    period: ReportingPeriod,
    organisation: Organisation,
    province: Province | None = None,
    disagg: Mapping[str, str] | str | None = "",
    value: Any = None,
    numerator: Any = None,
    denominator: Any = None,
    text: str | None = None,
    status: str = ValueStatus.DRAFT.value,
    comment: str = "",
) -> DataValue:
    """Store (or correct) one figure against the indicator's current definition."""
    version = indicator.current
    refusal = period_refusal(period)
    if refusal:
        raise ValidationError(refusal, "period")
    if indicator.is_retired:
        raise ValidationError(
            _("%(code)s is retired: it takes no new values.", code=indicator.code), "indicator"
        )
    if period.frequency != version.frequency:
        raise ValidationError(
            _(
                "%(code)s is reported %(frequency)s; %(period)s is not such a period.",
                code=indicator.code,
                frequency=version.frequency_enum.title.lower(),
                period=period.code,
            ),
            "period",
        )
    if version.by_province and province is None:
        raise ValidationError(
            _("%(code)s is reported by province: choose the province.", code=indicator.code),
            "province",
        )
    if not version.by_province and province is not None:
        raise ValidationError(
            _("%(code)s is a national figure: leave the province empty.", code=indicator.code),
            "province",
        )
    if status not in {s.value for s in ValueStatus}:
        raise ValidationError(_("Unknown status %(status)s.", status=status), "status")
    if indicator.reporters and organisation not in indicator.reporters:
        raise ValidationError(
            _(
                "%(org)s is not assigned to report %(code)s.",
                org=organisation.code,
                code=indicator.code,
            ),
            "organisation",
        )
    key = check_disagg(version, disagg_key(disagg) if not isinstance(disagg, str) else disagg)
    fields = clean_value(version, value, numerator, denominator, text)
    existing = session.scalar(
        sa.select(DataValue).where(
            DataValue.indicator_id == indicator.id,
            DataValue.period_id == period.id,
            DataValue.organisation_id == organisation.id,
            DataValue.province_id.is_(None)
            if province is None
            else DataValue.province_id == province.id,
            DataValue.disagg_key == key,
        )
    )
    if existing is not None and existing.status == ValueStatus.APPROVED.value:
        # Approved figures are official: they change only when the submission is reopened.
        raise ValidationError(
            _(
                "The value of %(code)s for %(period)s is approved; it can change only after "
                "the submission is reopened with a reason.",
                code=indicator.code,
                period=period.code,
            ),
            "value",
        )
    row = existing or DataValue(
        indicator=indicator,
        period=period,
        organisation=organisation,
        province=province,
        disagg_key=key,
    )
    row.version = version
    for name, field_value in fields.items():
        setattr(row, name, field_value)
    row.status = status
    row.comment = comment or ""
    if existing is None:
        session.add(row)
    session.flush()
    return row
