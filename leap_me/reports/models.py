"""The reports' own records: de-duplication adjustments, the planners' narratives and
published (frozen) reports.

They point at indicators, periods and provinces by foreign key but are written only by
:mod:`leap_me.reports.services`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import orm as so

from leap_me.audit import Audited
from leap_me.db import Base, TimestampMixin

Amount = sa.Numeric(20, 6)


class DedupAdjustment(Audited, TimestampMixin, Base):
    """A reviewer's correction of a sector total where two organisations counted the
    same people (METHOD.md §3): a negative value per indicator × province × period.

    Applied to sector and provincial totals only, never to one organisation's figures.
    """

    __tablename__ = "dedup_adjustment"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    indicator_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("indicator.id", ondelete="CASCADE"), index=True
    )
    period_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("reporting_period.id", ondelete="RESTRICT"), index=True
    )
    #: NULL for a national indicator.
    province_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("province.id", ondelete="RESTRICT"), index=True
    )
    value: so.Mapped[Decimal] = so.mapped_column(Amount)
    reason: so.Mapped[str] = so.mapped_column(sa.Text)
    recorded_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )

    indicator = so.relationship("Indicator")
    period = so.relationship("ReportingPeriod")
    province = so.relationship("Province")
    recorded_by = so.relationship("User")

    __table_args__ = (
        sa.Index(
            "uq_dedup_adjustment_grain",
            "indicator_id",
            "period_id",
            sa.text("coalesce(province_id, 0)"),
            unique=True,
        ),
        sa.CheckConstraint("value < 0", name="negative"),
    )

    def __repr__(self) -> str:
        return f"<DedupAdjustment {self.indicator_id} {self.period_id} {self.province_id}>"

    def audit_label(self) -> str:
        parts = [
            self.indicator.code if self.indicator else "",
            self.period.code if self.period else "",
            self.province.code if self.province else "KH",
        ]
        return " ".join(p for p in parts if p)


class ReportNarrative(Audited, TimestampMixin, Base):
    """The planner's explanation of one outcome's progress in one period, in both
    languages; a draft until the report is published."""

    __tablename__ = "report_narrative"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    period_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("reporting_period.id", ondelete="RESTRICT"), index=True
    )
    #: The stable key of the outcome (logframe result key); "" for the summary.
    outcome_key: so.Mapped[str] = so.mapped_column(sa.String(40), default="")
    text_en: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    text_km: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    updated_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    period = so.relationship("ReportingPeriod")

    __table_args__ = (sa.UniqueConstraint("period_id", "outcome_key", name="period_outcome"),)

    def __repr__(self) -> str:
        return f"<ReportNarrative {self.period_id} {self.outcome_key}>"

    def audit_label(self) -> str:
        code = self.period.code if self.period else ""
        return f"{code} {self.outcome_key}".strip()


class PublishedReport(Audited, TimestampMixin, Base):
    """A frozen progress report: its files live in :class:`ReportFile`, byte for byte."""

    __tablename__ = "published_report"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    period_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("reporting_period.id", ondelete="RESTRICT"), index=True
    )
    published_dt: so.Mapped[datetime]
    published_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    #: sha256 of the data snapshot: compared with the live figures' to say they moved.
    fingerprint: so.Mapped[str] = so.mapped_column(sa.String(64))

    period = so.relationship("ReportingPeriod")
    published_by = so.relationship("User")
    files: so.Mapped[list[ReportFile]] = so.relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="ReportFile.name"
    )

    def __repr__(self) -> str:
        return f"<PublishedReport {self.period_id} {self.published_dt}>"

    def audit_label(self) -> str:
        return self.period.code if self.period else str(self.period_id)


class ReportFile(Base):
    """One stored file of a published report: snapshot.json, report-en.html, report-km.pdf…"""

    __tablename__ = "report_file"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    report_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("published_report.id", ondelete="CASCADE"), index=True
    )
    name: so.Mapped[str] = so.mapped_column(sa.String(40))
    content_type: so.Mapped[str] = so.mapped_column(sa.String(60))
    sha256: so.Mapped[str] = so.mapped_column(sa.String(64))
    content: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary)

    report: so.Mapped[PublishedReport] = so.relationship(back_populates="files")

    __table_args__ = (sa.UniqueConstraint("report_id", "name", name="report_name"),)

    def __repr__(self) -> str:
        return f"<ReportFile {self.report_id} {self.name}>"
