"""Data quality: cross-check rules, findings with their states, and notifications."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import orm as so

from indicators.models.enums import FindingKind, FindingState, NotificationKind, RuleOp
from leap_me.audit import Audited
from leap_me.db import Base, utcnow

__all__ = ["CrossCheckRule", "Finding", "Notification"]


class CrossCheckRule(Audited, Base):
    """``left op right``: each side a sum of terms ``{"indicator": CODE, "option": "sex:F"}``
    (option null = the indicator's total), evaluated per period and province across
    organisations (what DHIS2 calls a validation rule)."""

    __tablename__ = "crosscheck_rule"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(30), unique=True)
    name_en: so.Mapped[str] = so.mapped_column(sa.String(300))
    name_km: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    left_terms: so.Mapped[list] = so.mapped_column(sa.JSON)
    op: so.Mapped[str] = so.mapped_column(sa.String(8))
    right_terms: so.Mapped[list] = so.mapped_column(sa.JSON)
    #: For ``within``: how far apart the sides may be, in % of the larger side.
    tolerance_pct: so.Mapped[Decimal | None] = so.mapped_column(sa.Numeric(8, 2))
    active: so.Mapped[bool] = so.mapped_column(default=True)
    created_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    created_by = so.relationship("User")

    __table_args__ = (
        sa.CheckConstraint(f"op IN ({RuleOp.sql_in()})", name="op"),
        sa.CheckConstraint(
            "op <> 'within' OR (tolerance_pct IS NOT NULL AND tolerance_pct >= 0)",
            name="tolerance",
        ),
    )

    def __repr__(self) -> str:
        return f"<CrossCheckRule {self.code}>"

    # the contract's names
    @property
    def left(self) -> list:
        return self.left_terms

    @property
    def right(self) -> list:
        return self.right_terms

    @property
    def op_enum(self) -> RuleOp:
        return RuleOp(self.op)


class Finding(Audited, Base):
    """One data-quality flag with its state: open → explained → resolved or dismissed."""

    __tablename__ = "finding"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: What makes the finding unique (kind + grain, or rule + period + province), so that
    #: checking again updates it instead of adding a second one.
    key: so.Mapped[str] = so.mapped_column(sa.String(300), unique=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(30), index=True)
    state: so.Mapped[str] = so.mapped_column(
        sa.String(10), default=FindingState.OPEN.value, index=True
    )
    indicator_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("indicator.id", ondelete="CASCADE"), index=True
    )
    period_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("reporting_period.id", ondelete="CASCADE"), index=True
    )
    #: NULL for a cross-check across organisations.
    organisation_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    province_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("province.id", ondelete="CASCADE"), index=True
    )
    disagg_key: so.Mapped[str] = so.mapped_column(sa.String(255), default="")
    value_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("data_value.id", ondelete="CASCADE"), index=True
    )
    rule_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("crosscheck_rule.id", ondelete="CASCADE"), index=True
    )
    submission_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("submission.id", ondelete="CASCADE"), index=True
    )
    #: The numbers the message needs (median, MAD, bounds, left, right…), as strings.
    detail: so.Mapped[dict | None] = so.mapped_column(sa.JSON)
    explanation: so.Mapped[str | None] = so.mapped_column(sa.Text)
    decided_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    decided_reason: so.Mapped[str | None] = so.mapped_column(sa.Text)
    #: False once the check no longer fires (the value was corrected).
    active: so.Mapped[bool] = so.mapped_column(default=True)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, onupdate=utcnow)

    indicator = so.relationship("Indicator")
    period = so.relationship("ReportingPeriod")
    organisation = so.relationship("Organisation")
    province = so.relationship("Province")
    value = so.relationship("DataValue")
    rule = so.relationship("CrossCheckRule")
    decided_by = so.relationship("User")

    __table_args__ = (
        sa.CheckConstraint(f"kind IN ({FindingKind.sql_in()})", name="kind"),
        sa.CheckConstraint(f"state IN ({FindingState.sql_in()})", name="state"),
    )

    def __repr__(self) -> str:
        return f"<Finding {self.kind} {self.state} {self.key}>"

    def audit_label(self) -> str:
        return f"{self.kind} {self.key}"[:255]

    def audit_parent(self):
        return ("submission", self.submission_id) if self.submission_id else None

    @property
    def kind_enum(self) -> FindingKind:
        return FindingKind(self.kind)

    @property
    def state_enum(self) -> FindingState:
        return FindingState(self.state)


class Notification(Base):
    """Something a user should know about: returned, approved, commented, deadlines."""

    __tablename__ = "notification"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    kind: so.Mapped[str] = so.mapped_column(sa.String(20))
    submission_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("submission.id", ondelete="CASCADE"), index=True
    )
    detail: so.Mapped[dict | None] = so.mapped_column(sa.JSON)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)
    read_at: so.Mapped[datetime | None]
    emailed_at: so.Mapped[datetime | None]
    #: Unique: a reminder made twice (``leap-me notify due`` run twice) is made once.
    dedupe_key: so.Mapped[str | None] = so.mapped_column(sa.String(200), unique=True)

    user = so.relationship("User")
    submission = so.relationship("Submission")

    __table_args__ = (sa.CheckConstraint(f"kind IN ({NotificationKind.sql_in()})", name="kind"),)

    def __repr__(self) -> str:
        return f"<Notification {self.kind} for {self.user_id}>"

    @property
    def kind_enum(self) -> NotificationKind:
        return NotificationKind(self.kind)
