"""Reporting periods, targets and the data value store."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import orm as so

from indicators.models.definitions import Indicator, IndicatorVersion
from indicators.models.enums import Amount, Frequency, PeriodStatus, ValueStatus
from leap_me.audit import Audited
from leap_me.db import Base, TimestampMixin
from stakeholders.models import Organisation, Province

# --- periods, targets, values --------------------------------------------------------


class ReportingPeriod(Audited, TimestampMixin, Base):
    """A month, quarter, half or year, coded as DHIS2 does: 202604, 2026Q2, 2026S1, 2026."""

    __tablename__ = "reporting_period"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(10), unique=True)
    frequency: so.Mapped[str] = so.mapped_column(sa.String(12))
    year: so.Mapped[int] = so.mapped_column(index=True)
    start_date: so.Mapped[date]
    end_date: so.Mapped[date]
    deadline: so.Mapped[date]
    status: so.Mapped[str] = so.mapped_column(sa.String(8), default=PeriodStatus.PLANNED.value)

    __table_args__ = (
        sa.CheckConstraint(f"frequency IN ({Frequency.sql_in()})", name="frequency"),
        sa.CheckConstraint(f"status IN ({PeriodStatus.sql_in()})", name="status"),
        sa.CheckConstraint("start_date <= end_date", name="dates"),
        sa.CheckConstraint("deadline >= end_date", name="deadline"),
    )

    def __repr__(self) -> str:
        return f"<ReportingPeriod {self.code} {self.status}>"

    @property
    def status_enum(self) -> PeriodStatus:
        return PeriodStatus(self.status)

    @property
    def frequency_enum(self) -> Frequency:
        return Frequency(self.frequency)

    @property
    def is_locked(self) -> bool:
        return self.status == PeriodStatus.LOCKED


class Target(Audited, TimestampMixin, Base):
    """The target of one period (at the indicator's frequency), national or one province.

    Targets cover the whole plan span, so they name the period by its code instead of
    pointing at a generated :class:`ReportingPeriod`.
    """

    __tablename__ = "indicator_target"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    indicator_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("indicator.id", ondelete="CASCADE"), index=True
    )
    period_code: so.Mapped[str] = so.mapped_column(sa.String(10))
    year: so.Mapped[int]
    province_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("province.id", ondelete="RESTRICT"), index=True
    )
    value: so.Mapped[Decimal] = so.mapped_column(Amount)

    indicator: so.Mapped[Indicator] = so.relationship()
    province: so.Mapped[Province | None] = so.relationship()

    __table_args__ = (
        sa.Index(
            "uq_indicator_target_grain",
            "indicator_id",
            "period_code",
            sa.text("coalesce(province_id, 0)"),
            unique=True,
        ),
    )

    def __repr__(self) -> str:
        return f"<Target {self.indicator_id} {self.period_code} {self.province_id}>"

    def audit_label(self) -> str:
        code = self.indicator.code if self.indicator else ""
        prov = self.province.code if self.province else "KH"
        return f"{code} {self.period_code} {prov}".strip()


class DataValue(Audited, TimestampMixin, Base):
    """One reported figure at its finest grain (METHOD.md §1)."""

    __tablename__ = "data_value"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    indicator_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("indicator.id", ondelete="RESTRICT"), index=True
    )
    version_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("indicator_version.id", ondelete="RESTRICT"), index=True
    )
    period_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("reporting_period.id", ondelete="RESTRICT"), index=True
    )
    organisation_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    #: NULL = a national figure.
    province_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("province.id", ondelete="RESTRICT"), index=True
    )
    #: Canonical disaggregation, e.g. "age:age_0_11|sex:F"; empty for the total.
    disagg_key: so.Mapped[str] = so.mapped_column(sa.String(255), default="")
    value: so.Mapped[Decimal | None] = so.mapped_column(Amount)
    numerator: so.Mapped[Decimal | None] = so.mapped_column(Amount)
    denominator: so.Mapped[Decimal | None] = so.mapped_column(Amount)
    text_value: so.Mapped[str | None] = so.mapped_column(sa.Text)
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default=ValueStatus.DRAFT.value)
    comment: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: The submission (organisation × period) the value belongs to; NULL for values
    #: recorded outside the submission workflow (older data, tests of the store).
    submission_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("submission.id", ondelete="CASCADE"), index=True
    )
    #: The partner's explanation of a warning on this value; travels with the value.
    explanation: so.Mapped[str | None] = so.mapped_column(sa.Text)
    #: What was typed, kept when it could not be read (the cell stays invalid, not lost).
    raw_value: so.Mapped[str | None] = so.mapped_column(sa.String(100))
    raw_numerator: so.Mapped[str | None] = so.mapped_column(sa.String(100))
    raw_denominator: so.Mapped[str | None] = so.mapped_column(sa.String(100))
    #: The cell's hard error, in the language of the person who typed it; NULL when valid.
    error: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    #: A reviewer unlocked this single value of an approved submission.
    reopened: so.Mapped[bool] = so.mapped_column(default=False)
    #: value/numerator/denominator/text at approval, for "changed since approval".
    approved_value: so.Mapped[dict | None] = so.mapped_column(sa.JSON)

    indicator: so.Mapped[Indicator] = so.relationship()
    version: so.Mapped[IndicatorVersion] = so.relationship()
    period: so.Mapped[ReportingPeriod] = so.relationship()
    organisation: so.Mapped[Organisation] = so.relationship()
    province: so.Mapped[Province | None] = so.relationship()

    __table_args__ = (
        sa.Index(
            "uq_data_value_grain",
            "indicator_id",
            "period_id",
            "organisation_id",
            sa.text("coalesce(province_id, 0)"),
            "disagg_key",
            unique=True,
        ),
        sa.CheckConstraint(f"status IN ({ValueStatus.sql_in()})", name="status"),
        sa.CheckConstraint("denominator IS NULL OR denominator <> 0", name="denominator"),
    )

    def __repr__(self) -> str:
        return f"<DataValue {self.indicator_id} {self.period_id} {self.disagg_key!r}>"

    @property
    def is_valid(self) -> bool:
        return self.error is None

    def snapshot(self) -> dict:
        """The figure as plain strings (for approval snapshots and conflict messages)."""
        from indicators.services.common import plain

        return {
            "value": plain(self.value) if self.value is not None else (self.raw_value or ""),
            "numerator": plain(self.numerator)
            if self.numerator is not None
            else (self.raw_numerator or ""),
            "denominator": plain(self.denominator)
            if self.denominator is not None
            else (self.raw_denominator or ""),
            "text": self.text_value or "",
        }

    def audit_parent(self):
        return ("submission", self.submission_id) if self.submission_id else None

    def audit_label(self) -> str:
        parts = [
            self.indicator.code if self.indicator else "",
            self.period.code if self.period else "",
            self.organisation.code if self.organisation else "",
            self.province.code if self.province else "KH",
            self.disagg_key,
        ]
        return " ".join(p for p in parts if p)[:255]
