"""Submissions: one organisation's values for one reporting period, and their review.

draft → submitted → returned (with a reason) or approved; approved can be re-opened by a
reviewer with a reason, as a whole or one value at a time. Every transition is a
:class:`SubmissionEvent` (the submission's own history) and goes into the audit trail.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy import orm as so

from indicators.models.enums import PeriodStatus, SubmissionStatus
from indicators.models.values import DataValue, ReportingPeriod
from leap_me.audit import Audited
from leap_me.db import Base, TimestampMixin, utcnow
from stakeholders.models import Organisation

__all__ = [
    "EVENT_ACTIONS",
    "Evidence",
    "Submission",
    "SubmissionEvent",
    "SubmissionStatus",
    "ValueComment",
]

EVENT_ACTIONS = (
    "created",
    "saved",
    "submitted",
    "returned",
    "approved",
    "reopened",
    "value_reopened",
    "value_approved",
)


class Submission(Audited, TimestampMixin, Base):
    __tablename__ = "submission"
    audit_ignore = ("version",)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    organisation_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    period_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("reporting_period.id", ondelete="RESTRICT"), index=True
    )
    status: so.Mapped[str] = so.mapped_column(
        sa.String(10), default=SubmissionStatus.DRAFT.value, index=True
    )
    #: Optimistic lock: every write to the submission (a save too) bumps it.
    version: so.Mapped[int] = so.mapped_column(default=1)
    submitted_at: so.Mapped[datetime | None]
    submitted_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    decided_at: so.Mapped[datetime | None]
    decided_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    return_reason: so.Mapped[str | None] = so.mapped_column(sa.Text)
    #: Demo data loaded by `leap-me seed`, shown as such.
    is_demo: so.Mapped[bool] = so.mapped_column(default=False)

    organisation: so.Mapped[Organisation] = so.relationship()
    period: so.Mapped[ReportingPeriod] = so.relationship()
    submitted_by = so.relationship("User", foreign_keys=[submitted_by_id])
    decided_by = so.relationship("User", foreign_keys=[decided_by_id])
    values: so.Mapped[list[DataValue]] = so.relationship(
        primaryjoin="DataValue.submission_id == Submission.id",
        foreign_keys="DataValue.submission_id",
        viewonly=True,
    )
    events: so.Mapped[list[SubmissionEvent]] = so.relationship(
        back_populates="submission",
        order_by="SubmissionEvent.at.desc(), SubmissionEvent.id.desc()",
        cascade="all, delete-orphan",
    )
    evidence: so.Mapped[list[Evidence]] = so.relationship(
        back_populates="submission", order_by="Evidence.created_at", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "period_id", name="org_period"),
        sa.CheckConstraint(f"status IN ({SubmissionStatus.sql_in()})", name="status"),
    )

    def __repr__(self) -> str:
        return f"<Submission {self.organisation_id}/{self.period_id} {self.status}>"

    def audit_label(self) -> str:
        org = self.organisation.code if self.organisation else str(self.organisation_id)
        period = self.period.code if self.period else str(self.period_id)
        return f"{org} {period}"

    @property
    def created_at(self) -> datetime:
        return self.created_dt

    @property
    def updated_at(self) -> datetime:
        return self.updated_dt

    @property
    def status_enum(self) -> SubmissionStatus:
        return SubmissionStatus(self.status)

    @property
    def is_editable_by_partner(self) -> bool:
        return (
            self.status in (SubmissionStatus.DRAFT, SubmissionStatus.RETURNED)
            and self.period is not None
            and self.period.status == PeriodStatus.OPEN
        )

    def is_late_on(self, today: date) -> bool:
        deadline = self.period.deadline
        if self.submitted_at is not None:
            return self.submitted_at.date() > deadline
        return today > deadline

    @property
    def is_late(self) -> bool:
        """Submitted after the deadline, or not submitted and the deadline has passed."""
        return self.is_late_on(utcnow().date())

    @property
    def changed_since_approval(self) -> int:
        """Values re-opened or changed after the submission was approved."""
        count = 0
        for value in self.values:
            if value.reopened or (
                value.approved_value is not None and value.approved_value != value.snapshot()
            ):
                count += 1
        return count


class SubmissionEvent(Base):
    """One step in a submission's life: who, when, from which state to which, and why."""

    __tablename__ = "submission_event"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    submission_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("submission.id", ondelete="CASCADE"), index=True
    )
    action: so.Mapped[str] = so.mapped_column(sa.String(20))
    from_status: so.Mapped[str | None] = so.mapped_column(sa.String(10))
    to_status: so.Mapped[str | None] = so.mapped_column(sa.String(10))
    user_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    reason: so.Mapped[str | None] = so.mapped_column(sa.Text)
    at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)
    detail: so.Mapped[dict | None] = so.mapped_column(sa.JSON)

    submission: so.Mapped[Submission] = so.relationship(back_populates="events")
    user = so.relationship("User")

    __table_args__ = (
        sa.CheckConstraint(
            "action IN (" + ", ".join(f"'{a}'" for a in EVENT_ACTIONS) + ")", name="action"
        ),
    )

    def __repr__(self) -> str:
        return f"<SubmissionEvent {self.submission_id} {self.action}>"


class ValueComment(Base):
    """A thread per value between the reviewer and the partner."""

    __tablename__ = "value_comment"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    value_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("data_value.id", ondelete="CASCADE"), index=True
    )
    user_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    value: so.Mapped[DataValue] = so.relationship()
    user = so.relationship("User")

    def __repr__(self) -> str:
        return f"<ValueComment {self.value_id} by {self.user_id}>"


class Evidence(Audited, Base):
    """A file attached to a submission, stored under instance/evidence/<submission id>/."""

    __tablename__ = "submission_evidence"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    submission_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("submission.id", ondelete="CASCADE"), index=True
    )
    original_name: so.Mapped[str] = so.mapped_column(sa.String(200))
    stored_name: so.Mapped[str] = so.mapped_column(sa.String(80), unique=True)
    content_type: so.Mapped[str] = so.mapped_column(sa.String(120))
    size: so.Mapped[int]
    sha256: so.Mapped[str] = so.mapped_column(sa.String(64))
    uploaded_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    submission: so.Mapped[Submission] = so.relationship(back_populates="evidence")
    uploaded_by = so.relationship("User")

    def __repr__(self) -> str:
        return f"<Evidence {self.original_name} of {self.submission_id}>"

    def audit_label(self) -> str:
        return self.original_name

    def audit_parent(self):
        return ("submission", self.submission_id)
