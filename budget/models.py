"""Schedules (approved, scenario, archived), their lines and planned amounts, the path,
exchange rates and actual spending.

Deletes cascade in the ORM, not only in the database: every removed amount goes through
the audit trail (and SQLite does not enforce foreign keys here).

A schedule owns its lines and amounts, so a scenario is a full copy that can change
freely while the approved schedule stays as it is. Lines point at a logframe result by
its stable ``key`` and actual spending at a line by its ``code``, so both survive a new
plan version or a scenario that becomes the approved schedule.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import orm as so

from leap_me.audit import Audited
from leap_me.db import Base, Money, TimestampMixin
from leap_me.locking import Versioned
from stakeholders.models import Organisation

MONEY = Money()  # exact on SQLite too (leap_me.db.Money)
SHARE = sa.Numeric(6, 4)
RATE = sa.Numeric(12, 4)


class ScheduleStatus(StrEnum):
    APPROVED = "approved"
    SCENARIO = "scenario"
    ARCHIVED = "archived"

    @property
    def title(self) -> str:
        return str(
            {
                "approved": _l("Approved"),
                "scenario": _l("Scenario"),
                "archived": _l("Archived"),
            }[self.value]
        )


class PathMode(StrEnum):
    LINEAR = "linear"
    CUSTOM = "custom"

    @property
    def title(self) -> str:
        return str({"linear": _l("Linear"), "custom": _l("Year by year")}[self.value])


class Category(StrEnum):
    PERSONNEL = "personnel"
    TRAINING = "training"
    EQUIPMENT = "equipment"
    HOTLINE = "hotline"
    FORENSICS = "forensics"
    ME = "me"
    TECHNICAL_ASSISTANCE = "technical_assistance"
    COORDINATION = "coordination"
    OTHER = "other"

    @property
    def title(self) -> str:
        return str(CATEGORY_TITLES[self])


CATEGORY_TITLES = {
    Category.PERSONNEL: _l("Personnel"),
    Category.TRAINING: _l("Training"),
    Category.EQUIPMENT: _l("Equipment"),
    Category.HOTLINE: _l("Hotline operations"),
    Category.FORENSICS: _l("Forensics"),
    Category.ME: _l("Monitoring and evaluation"),
    Category.TECHNICAL_ASSISTANCE: _l("Technical assistance"),
    Category.COORDINATION: _l("Coordination"),
    Category.OTHER: _l("Other"),
}


class Schedule(Audited, Versioned, TimestampMixin, Base):
    __tablename__ = "budget_schedule"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    status: so.Mapped[str] = so.mapped_column(sa.String(10), index=True)
    current_share: so.Mapped[Decimal] = so.mapped_column(SHARE)
    full_ownership_year: so.Mapped[int]
    path_mode: so.Mapped[str] = so.mapped_column(sa.String(10), default=PathMode.LINEAR.value)
    is_demo: so.Mapped[bool] = so.mapped_column(default=False)
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    based_on_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("budget_schedule.id", ondelete="SET NULL")
    )
    approved_dt: so.Mapped[datetime | None]
    # The approved schedule's fingerprint when this scenario was copied from it: keeping
    # the scenario warns when the approved schedule changed since (leap_me.locking).
    based_on_fingerprint: so.Mapped[str] = so.mapped_column(
        sa.String(20), default="", server_default=""
    )

    lines: so.Mapped[list[BudgetLine]] = so.relationship(
        back_populates="schedule",
        order_by="BudgetLine.code",
        cascade="all, delete-orphan",
    )
    path_points: so.Mapped[list[PathPoint]] = so.relationship(
        back_populates="schedule",
        order_by="PathPoint.year",
        cascade="all, delete-orphan",
    )

    __table_args__ = (
        sa.CheckConstraint("status IN ('approved', 'scenario', 'archived')", name="status"),
        sa.CheckConstraint("path_mode IN ('linear', 'custom')", name="path_mode"),
        sa.CheckConstraint("current_share >= 0 AND current_share <= 1", name="share"),
    )

    def __repr__(self) -> str:
        return f"<Schedule {self.id} {self.status} {self.name!r}>"

    def audit_label(self) -> str:
        return self.name

    @property
    def status_enum(self) -> ScheduleStatus:
        return ScheduleStatus(self.status)

    @property
    def mode_enum(self) -> PathMode:
        return PathMode(self.path_mode)


class FundingSource(Audited, Base):
    """An organisation that funds LEAP (the MoI/RGC or a donor), in the order shown."""

    __tablename__ = "budget_funding_source"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    organisation_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("organisation.id", ondelete="RESTRICT"), unique=True
    )
    position: so.Mapped[int] = so.mapped_column(default=0)

    organisation: so.Mapped[Organisation] = so.relationship()

    def __repr__(self) -> str:
        return f"<FundingSource {self.organisation_id}>"

    def audit_label(self) -> str:
        return self.organisation.code if self.organisation else str(self.organisation_id)


class PathPoint(Audited, Base):
    """The MoI share set for one year, when the path is set year by year."""

    __tablename__ = "budget_path_point"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    schedule_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("budget_schedule.id", ondelete="CASCADE"), index=True
    )
    year: so.Mapped[int]
    share: so.Mapped[Decimal] = so.mapped_column(SHARE)

    schedule: so.Mapped[Schedule] = so.relationship(back_populates="path_points")

    __table_args__ = (
        sa.UniqueConstraint("schedule_id", "year", name="schedule_year"),
        sa.CheckConstraint("share >= 0 AND share <= 1", name="share"),
    )

    def __repr__(self) -> str:
        return f"<PathPoint {self.year} {self.share}>"

    def audit_label(self) -> str:
        return f"path {self.year}"


class ExchangeRate(Audited, TimestampMixin, Base):
    """Riel per US dollar for one fiscal year; every conversion of that year uses it."""

    __tablename__ = "budget_exchange_rate"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    year: so.Mapped[int] = so.mapped_column(unique=True)
    khr_per_usd: so.Mapped[Decimal] = so.mapped_column(RATE)

    __table_args__ = (sa.CheckConstraint("khr_per_usd > 0", name="positive"),)

    def __repr__(self) -> str:
        return f"<ExchangeRate {self.year} {self.khr_per_usd}>"

    def audit_label(self) -> str:
        return str(self.year)


class BudgetLine(Audited, Versioned, TimestampMixin, Base):
    __tablename__ = "budget_line"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    schedule_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("budget_schedule.id", ondelete="CASCADE"), index=True
    )
    code: so.Mapped[str] = so.mapped_column(sa.String(20))
    category: so.Mapped[str] = so.mapped_column(sa.String(30))
    name_en: so.Mapped[str] = so.mapped_column(sa.String(255))
    name_km: so.Mapped[str] = so.mapped_column(sa.String(255), default="")
    result_key: so.Mapped[str | None] = so.mapped_column(sa.String(40), index=True)
    currency: so.Mapped[str] = so.mapped_column(sa.String(3), default="USD")

    schedule: so.Mapped[Schedule] = so.relationship(back_populates="lines")
    amounts: so.Mapped[list[PlannedAmount]] = so.relationship(
        back_populates="line", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.UniqueConstraint("schedule_id", "code", name="schedule_code"),
        sa.CheckConstraint("currency IN ('USD', 'KHR')", name="currency"),
    )

    def __repr__(self) -> str:
        return f"<BudgetLine {self.code} {self.currency}>"

    @property
    def category_title(self) -> str:
        try:
            return Category(self.category).title
        except ValueError:
            return self.category


class PlannedAmount(Audited, Base):
    """What one funding source plans to give to one line in one fiscal year, in the
    line's currency."""

    __tablename__ = "budget_planned"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    line_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("budget_line.id", ondelete="CASCADE"), index=True
    )
    source_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    year: so.Mapped[int]
    amount: so.Mapped[Decimal] = so.mapped_column(MONEY)

    line: so.Mapped[BudgetLine] = so.relationship(back_populates="amounts")
    source: so.Mapped[Organisation] = so.relationship()

    __table_args__ = (
        sa.UniqueConstraint("line_id", "source_id", "year", name="line_source_year"),
        sa.CheckConstraint("amount >= 0", name="amount"),
    )

    def __repr__(self) -> str:
        return f"<PlannedAmount {self.line_id} {self.source_id} {self.year} {self.amount}>"

    def audit_label(self) -> str:
        """'BL-03 UNICEF 2027': read from what is already loaded (never a query mid-flush)."""
        line = self.__dict__.get("line") or _in_session(self, BudgetLine, self.line_id)
        source = self.__dict__.get("source") or _in_session(self, Organisation, self.source_id)
        return " ".join(
            [
                line.code if line is not None else f"#{self.line_id}",
                source.code if source is not None else f"#{self.source_id}",
                str(self.year),
            ]
        )


def _in_session(obj: object, cls: type, pk: int | None) -> object | None:
    """The row already in obj's session with this key, or None: no query."""
    session = so.object_session(obj)
    if session is None or pk is None:
        return None
    return session.identity_map.get(so.Session.identity_key(cls, pk))


class Spending(Audited, TimestampMixin, Base):
    """Actual spending of one quarter, on a line (by code) from one funding source, in the
    line's currency."""

    __tablename__ = "budget_spending"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    line_code: so.Mapped[str] = so.mapped_column(sa.String(20), index=True)
    source_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    year: so.Mapped[int]
    quarter: so.Mapped[int]
    amount: so.Mapped[Decimal] = so.mapped_column(MONEY)
    currency: so.Mapped[str] = so.mapped_column(sa.String(3), default="USD")
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    source: so.Mapped[Organisation] = so.relationship()

    __table_args__ = (
        sa.UniqueConstraint("line_code", "source_id", "year", "quarter", name="line_quarter"),
        sa.CheckConstraint("quarter BETWEEN 1 AND 4", name="quarter"),
        sa.CheckConstraint("amount >= 0", name="amount"),
        sa.CheckConstraint("currency IN ('USD', 'KHR')", name="currency"),
    )

    def __repr__(self) -> str:
        return f"<Spending {self.line_code} {self.year}Q{self.quarter} {self.amount}>"

    def audit_label(self) -> str:
        return f"{self.line_code} {self.year}Q{self.quarter}"
