"""Disaggregations, indicators and their definition versions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import orm as so

from indicators.models.enums import (
    AggSpace,
    AggTime,
    Amount,
    Direction,
    Frequency,
    IndicatorStatus,
    Measure,
)
from leap_me.audit import Audited
from leap_me.db import Base, TimestampMixin
from leap_me.locking import Versioned
from stakeholders.models import Organisation

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


class Indicator(Audited, Versioned, TimestampMixin, Base):
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
