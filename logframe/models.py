"""Plan, versions, vision milestones and the results hierarchy.

A plan has numbered versions. Each version holds its own copy of the vision and of every
result, so that an approved version stays frozen while the next draft changes. A result
keeps the same ``key`` in every version: indicators and budget lines point at that key,
so they follow the result from version to version.
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
from leap_me.locking import Versioned
from stakeholders.models import Organisation, Province


class VersionStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"

    @property
    def title(self) -> str:
        return str({"draft": _l("Draft"), "approved": _l("Approved")}[self.value])


class Level(StrEnum):
    GOAL = "goal"
    OUTCOME = "outcome"
    OUTPUT = "output"
    ACTIVITY = "activity"

    @property
    def title(self) -> str:
        return str(LEVEL_TITLES[self])

    @property
    def child(self) -> Level | None:
        order = list(Level)
        i = order.index(self)
        return order[i + 1] if i + 1 < len(order) else None


LEVEL_TITLES = {
    Level.GOAL: _l("Goal"),
    Level.OUTCOME: _l("Outcome"),
    Level.OUTPUT: _l("Output"),
    Level.ACTIVITY: _l("Activity"),
}


class ActivityStatus(StrEnum):
    NOT_STARTED = "not_started"
    ON_TRACK = "on_track"
    DELAYED = "delayed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @property
    def title(self) -> str:
        return str(ACTIVITY_STATUS_TITLES[self])


ACTIVITY_STATUS_TITLES = {
    ActivityStatus.NOT_STARTED: _l("Not started"),
    ActivityStatus.ON_TRACK: _l("On track"),
    ActivityStatus.DELAYED: _l("Delayed"),
    ActivityStatus.COMPLETED: _l("Completed"),
    ActivityStatus.CANCELLED: _l("Cancelled"),
}


class Plan(Audited, TimestampMixin, Base):
    __tablename__ = "plan"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(20), unique=True)
    title_en: so.Mapped[str] = so.mapped_column(sa.String(255))
    title_km: so.Mapped[str] = so.mapped_column(sa.String(255), default="")
    start_year: so.Mapped[int]
    end_year: so.Mapped[int]

    versions: so.Mapped[list[PlanVersion]] = so.relationship(
        back_populates="plan", order_by="PlanVersion.number", cascade="all, delete-orphan"
    )

    __table_args__ = (sa.CheckConstraint("end_year >= start_year", name="span"),)

    def __repr__(self) -> str:
        return f"<Plan {self.code} {self.start_year}-{self.end_year}>"

    @property
    def years(self) -> list[int]:
        return list(range(self.start_year, self.end_year + 1))


class PlanVersion(Audited, Versioned, TimestampMixin, Base):
    __tablename__ = "plan_version"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    plan_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("plan.id", ondelete="CASCADE"))
    number: so.Mapped[int]
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default=VersionStatus.DRAFT.value)
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    vision_en: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    vision_km: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    based_on_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("plan_version.id", ondelete="SET NULL")
    )
    approved_dt: so.Mapped[datetime | None]
    approved_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    plan: so.Mapped[Plan] = so.relationship(back_populates="versions")
    based_on: so.Mapped[PlanVersion | None] = so.relationship(remote_side=[id])
    milestones: so.Mapped[list[Milestone]] = so.relationship(
        back_populates="version", order_by="Milestone.year", cascade="all, delete-orphan"
    )
    results: so.Mapped[list[Result]] = so.relationship(
        back_populates="version", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        sa.UniqueConstraint("plan_id", "number", name="plan_number"),
        sa.CheckConstraint("status IN ('draft', 'approved')", name="status"),
    )

    def __repr__(self) -> str:
        return f"<PlanVersion {self.plan_id} v{self.number} {self.status}>"

    def audit_label(self) -> str:
        return f"v{self.number}"

    @property
    def is_approved(self) -> bool:
        return self.status == VersionStatus.APPROVED

    @property
    def status_enum(self) -> VersionStatus:
        return VersionStatus(self.status)


class Milestone(Audited, Base):
    __tablename__ = "vision_milestone"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    version_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("plan_version.id", ondelete="CASCADE"), index=True
    )
    year: so.Mapped[int]
    text_en: so.Mapped[str] = so.mapped_column(sa.Text)
    text_km: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    version: so.Mapped[PlanVersion] = so.relationship(back_populates="milestones")

    def __repr__(self) -> str:
        return f"<Milestone {self.year}>"

    def audit_label(self) -> str:
        return str(self.year)

    def audit_parent(self):
        """Milestone changes show in the history of their version."""
        return ("plan_version", self.version_id)


result_partner = sa.Table(
    "result_partner",
    Base.metadata,
    sa.Column("result_id", sa.ForeignKey("result.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "organisation_id", sa.ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True
    ),
)

result_province = sa.Table(
    "result_province",
    Base.metadata,
    sa.Column("result_id", sa.ForeignKey("result.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("province_id", sa.ForeignKey("province.id", ondelete="CASCADE"), primary_key=True),
)


class Result(Audited, Versioned, TimestampMixin, Base):
    """One node of the results chain: goal, outcome, output or activity."""

    __tablename__ = "result"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    version_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("plan_version.id", ondelete="CASCADE"), index=True
    )
    key: so.Mapped[str] = so.mapped_column(sa.String(40))
    parent_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("result.id", ondelete="CASCADE"), index=True
    )
    level: so.Mapped[str] = so.mapped_column(sa.String(10))
    position: so.Mapped[int] = so.mapped_column(default=0)
    code: so.Mapped[str] = so.mapped_column(sa.String(20), default="")
    statement_en: so.Mapped[str] = so.mapped_column(sa.Text)
    statement_km: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    assumptions_en: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    assumptions_km: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    risks_en: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    risks_km: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    verification_en: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    verification_km: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    responsible_org_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    # Activities only: the activity plan of a year.
    start_date: so.Mapped[date | None]
    end_date: so.Mapped[date | None]
    status: so.Mapped[str | None] = so.mapped_column(sa.String(12))
    progress: so.Mapped[int | None]
    cost: so.Mapped[Decimal | None] = so.mapped_column(sa.Numeric(14, 2))
    cost_currency: so.Mapped[str] = so.mapped_column(sa.String(3), default="USD")
    delay_note_en: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    delay_note_km: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    version: so.Mapped[PlanVersion] = so.relationship(back_populates="results")
    parent: so.Mapped[Result | None] = so.relationship(remote_side=[id], back_populates="children")
    children: so.Mapped[list[Result]] = so.relationship(
        back_populates="parent", order_by="Result.position", passive_deletes=True
    )
    responsible: so.Mapped[Organisation | None] = so.relationship()
    partners: so.Mapped[list[Organisation]] = so.relationship(
        secondary=result_partner, order_by=Organisation.code
    )
    provinces: so.Mapped[list[Province]] = so.relationship(
        secondary=result_province, order_by=Province.code
    )

    __table_args__ = (
        sa.UniqueConstraint("version_id", "key", name="version_key"),
        sa.CheckConstraint("level IN ('goal', 'outcome', 'output', 'activity')", name="level"),
        sa.CheckConstraint(
            "status IS NULL OR status IN ('not_started', 'on_track', 'delayed', 'completed', "
            "'cancelled')",
            name="status",
        ),
        sa.CheckConstraint(
            "progress IS NULL OR (progress >= 0 AND progress <= 100)", name="progress"
        ),
        sa.CheckConstraint(
            "start_date IS NULL OR end_date IS NULL OR start_date <= end_date", name="dates"
        ),
        sa.CheckConstraint("cost IS NULL OR cost >= 0", name="cost"),
        sa.CheckConstraint("cost_currency IN ('USD', 'KHR')", name="currency"),
    )

    def __repr__(self) -> str:
        return f"<Result {self.level} {self.code or self.key}>"

    def audit_label(self) -> str:
        return f"{self.code} {self.key}".strip()

    @property
    def level_enum(self) -> Level:
        return Level(self.level)

    @property
    def status_enum(self) -> ActivityStatus | None:
        return ActivityStatus(self.status) if self.status else None


# --- the freeze, enforced on every flush ---------------------------------------------


class PlanError(ValueError):
    """A refused change, with a translated message for the planner."""


#: What weekly monitoring may still change in an approved version (see docs/logframe.md).
MONITORING_FIELDS = frozenset({"status", "progress", "delay_note_en", "delay_note_km"})
_NOISE = frozenset({"updated_dt"})


def _changed(obj) -> set[str]:
    state = sa.inspect(obj)
    return {a.key for a in state.attrs if a.history.has_changes()} - _NOISE


def _frozen(number: int) -> PlanError:
    from flask_babel import gettext as _

    return PlanError(_("Version %(number)d is approved and cannot be changed.", number=number))


@sa.event.listens_for(so.Session, "before_flush")
def _refuse_changes_to_approved_versions(session: so.Session, _ctx, _instances) -> None:
    """Last line of the freeze: whatever code path tries to change an approved version
    (other than the weekly monitoring fields of its activities), the flush fails."""

    def stored_status(version: PlanVersion) -> str | None:
        """The status as it is in the database, before this flush."""
        hist = sa.inspect(version).attrs.status.history
        if not hist.has_changes():
            return version.status
        if hist.deleted:
            return hist.deleted[0]
        if version.id is None:
            return None
        return session.execute(
            sa.select(PlanVersion.status).where(PlanVersion.id == version.id)
        ).scalar()

    def approved(version_id: int | None) -> PlanVersion | None:
        version = session.get(PlanVersion, version_id) if version_id else None
        if version is not None and stored_status(version) == VersionStatus.APPROVED:
            return version
        return None

    for obj in session.dirty:
        if isinstance(obj, PlanVersion):
            if stored_status(obj) == VersionStatus.APPROVED and _changed(obj):
                raise _frozen(obj.number)
        elif isinstance(obj, Result) and (v := approved(obj.version_id)):
            changed = _changed(obj)
            if changed and not (obj.level == Level.ACTIVITY and changed <= MONITORING_FIELDS):
                raise _frozen(v.number)
        elif isinstance(obj, Milestone) and (v := approved(obj.version_id)) and _changed(obj):
            raise _frozen(v.number)
    for obj in list(session.new) + list(session.deleted):
        if isinstance(obj, Result | Milestone) and (v := approved(obj.version_id)):
            raise _frozen(v.number)
