"""Indicators, their definition versions, disaggregations, targets, periods and values.

An :class:`Indicator` is the stable identity (its code, the result it measures, whether it
is still in use). What it *means* lives in :class:`IndicatorVersion`: a change that would
re-interpret reported values makes a new version, and every :class:`DataValue` keeps
pointing at the version it was reported against. See docs/indicators.md.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import orm as so

from leap_me.audit import Audited
from leap_me.db import Base, TimestampMixin
from stakeholders.models import Organisation, Province

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
}


# --- disaggregations ---------------------------------------------------------------


class DisaggCategory(Audited, TimestampMixin, Base):
    """A way of splitting a value: sex, age group, victim type, nationality…"""

    __tablename__ = "disagg_category"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(30), unique=True)
    name_en: so.Mapped[str] = so.mapped_column(sa.String(120))
    name_km: so.Mapped[str] = so.mapped_column(sa.String(120), default="")

    options: so.Mapped[list[DisaggOption]] = so.relationship(
        back_populates="category",
        order_by="DisaggOption.position, DisaggOption.id",
        cascade="all, delete-orphan",
    )

    def __repr__(self) -> str:
        return f"<DisaggCategory {self.code}>"


class DisaggOption(Audited, TimestampMixin, Base):
    __tablename__ = "disagg_option"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    category_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("disagg_category.id", ondelete="CASCADE"), index=True
    )
    code: so.Mapped[str] = so.mapped_column(sa.String(30))
    name_en: so.Mapped[str] = so.mapped_column(sa.String(200))
    name_km: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    position: so.Mapped[int] = so.mapped_column(default=0)

    category: so.Mapped[DisaggCategory] = so.relationship(back_populates="options")

    __table_args__ = (sa.UniqueConstraint("category_id", "code", name="category_code"),)

    def __repr__(self) -> str:
        return f"<DisaggOption {self.code}>"

    def audit_label(self) -> str:
        return f"{self.category.code}:{self.code}" if self.category else self.code


# --- indicators and their definition versions ----------------------------------------

indicator_reporter = sa.Table(
    "indicator_reporter",
    Base.metadata,
    sa.Column("indicator_id", sa.ForeignKey("indicator.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "organisation_id", sa.ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True
    ),
)

version_category = sa.Table(
    "indicator_version_category",
    Base.metadata,
    sa.Column(
        "version_id", sa.ForeignKey("indicator_version.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "category_id", sa.ForeignKey("disagg_category.id", ondelete="RESTRICT"), primary_key=True
    ),
)


class Indicator(Audited, TimestampMixin, Base):
    """The identity of an indicator; its meaning is in its versions."""

    __tablename__ = "indicator"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(20), unique=True)
    #: The stable key of a logframe result (kept across plan versions); no foreign key.
    result_key: so.Mapped[str] = so.mapped_column(sa.String(40), index=True)
    status: so.Mapped[str] = so.mapped_column(
        sa.String(10), default=IndicatorStatus.ACTIVE.value, index=True
    )
    retired_dt: so.Mapped[datetime | None]
    #: The indicator this one replaces (set on the newcomer).
    replaces_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("indicator.id", ondelete="SET NULL"), index=True
    )

    versions: so.Mapped[list[IndicatorVersion]] = so.relationship(
        back_populates="indicator",
        order_by="IndicatorVersion.number",
        cascade="all, delete-orphan",
    )
    replaces: so.Mapped[Indicator | None] = so.relationship(
        remote_side=[id], back_populates="replaced_by"
    )
    replaced_by: so.Mapped[list[Indicator]] = so.relationship(back_populates="replaces")
    reporters: so.Mapped[list[Organisation]] = so.relationship(
        secondary=indicator_reporter, order_by=Organisation.code
    )
    #: Read-only shortcut to the current version, for list pages (join + contains_eager).
    current_version: so.Mapped[IndicatorVersion] = so.relationship(
        primaryjoin="and_(IndicatorVersion.indicator_id == Indicator.id, "
        "IndicatorVersion.is_current)",
        viewonly=True,
        uselist=False,
    )

    __table_args__ = (sa.CheckConstraint(f"status IN ({IndicatorStatus.sql_in()})", name="status"),)

    def __repr__(self) -> str:
        return f"<Indicator {self.code}>"

    @property
    def current(self) -> IndicatorVersion:
        return self.versions[-1]

    @property
    def is_retired(self) -> bool:
        return self.status == IndicatorStatus.RETIRED

    @property
    def status_enum(self) -> IndicatorStatus:
        return IndicatorStatus(self.status)


class IndicatorVersion(Audited, TimestampMixin, Base):
    """One definition of an indicator. Values point at the version they were reported
    against, so a later change of meaning never re-interprets them."""

    __tablename__ = "indicator_version"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    indicator_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("indicator.id", ondelete="CASCADE"), index=True
    )
    number: so.Mapped[int] = so.mapped_column(default=1)
    #: True for the latest version only; kept by the services for cheap list queries.
    is_current: so.Mapped[bool] = so.mapped_column(default=True, index=True)
    change_note: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    name_en: so.Mapped[str] = so.mapped_column(sa.String(300))
    name_km: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    definition_en: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    definition_km: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    unit_en: so.Mapped[str] = so.mapped_column(sa.String(60), default="")
    unit_km: so.Mapped[str] = so.mapped_column(sa.String(60), default="")
    measure: so.Mapped[str] = so.mapped_column(sa.String(12))
    direction: so.Mapped[str] = so.mapped_column(sa.String(6), default=Direction.UP.value)
    #: For "keep": how far from the target still counts as met (default 5 % of the target).
    tolerance: so.Mapped[Decimal | None] = so.mapped_column(Amount)
    agg_space: so.Mapped[str] = so.mapped_column(sa.String(8), default=AggSpace.SUM.value)
    agg_time: so.Mapped[str] = so.mapped_column(sa.String(8), default=AggTime.SUM.value)
    frequency: so.Mapped[str] = so.mapped_column(sa.String(12))
    by_province: so.Mapped[bool] = so.mapped_column(default=False)
    threshold_green: so.Mapped[int] = so.mapped_column(default=90)
    threshold_amber: so.Mapped[int] = so.mapped_column(default=60)
    threshold_exceeded: so.Mapped[int] = so.mapped_column(default=120)
    data_source_en: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    data_source_km: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    verification_en: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    verification_km: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    baseline_value: so.Mapped[Decimal | None] = so.mapped_column(Amount)
    baseline_numerator: so.Mapped[Decimal | None] = so.mapped_column(Amount)
    baseline_denominator: so.Mapped[Decimal | None] = so.mapped_column(Amount)
    baseline_date: so.Mapped[date | None]
    baseline_source: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    baseline_is_demo: so.Mapped[bool] = so.mapped_column(default=False)

    indicator: so.Mapped[Indicator] = so.relationship(back_populates="versions")
    categories: so.Mapped[list[DisaggCategory]] = so.relationship(
        secondary=version_category, order_by=DisaggCategory.code
    )

    __table_args__ = (
        sa.UniqueConstraint("indicator_id", "number", name="indicator_number"),
        sa.CheckConstraint(f"measure IN ({Measure.sql_in()})", name="measure"),
        sa.CheckConstraint(f"direction IN ({Direction.sql_in()})", name="direction"),
        sa.CheckConstraint(f"agg_space IN ({AggSpace.sql_in()})", name="agg_space"),
        sa.CheckConstraint(f"agg_time IN ({AggTime.sql_in()})", name="agg_time"),
        sa.CheckConstraint(f"frequency IN ({Frequency.sql_in()})", name="frequency"),
        sa.CheckConstraint(
            "threshold_amber >= 0 AND threshold_amber <= threshold_green "
            "AND threshold_green <= threshold_exceeded",
            name="thresholds",
        ),
        sa.CheckConstraint("tolerance IS NULL OR tolerance >= 0", name="tolerance"),
    )

    def __repr__(self) -> str:
        return f"<IndicatorVersion {self.indicator_id} v{self.number}>"

    def audit_label(self) -> str:
        code = self.indicator.code if self.indicator else ""
        return f"{code} v{self.number}".strip()

    @property
    def measure_enum(self) -> Measure:
        return Measure(self.measure)

    @property
    def frequency_enum(self) -> Frequency:
        return Frequency(self.frequency)

    @property
    def has_fraction(self) -> bool:
        return self.measure in (Measure.PERCENTAGE, Measure.RATIO)


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

    def audit_label(self) -> str:
        parts = [
            self.indicator.code if self.indicator else "",
            self.period.code if self.period else "",
            self.organisation.code if self.organisation else "",
            self.province.code if self.province else "KH",
            self.disagg_key,
        ]
        return " ".join(p for p in parts if p)[:255]
