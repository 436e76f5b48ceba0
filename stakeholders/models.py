from __future__ import annotations

from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import orm as so

from leap_me.audit import Audited
from leap_me.db import Base, TimestampMixin
from leap_me.locking import Versioned


class OrgType(StrEnum):
    MINISTRY = "ministry"
    POLICE_UNIT = "police_unit"
    UN_AGENCY = "un_agency"
    INTL_NGO = "intl_ngo"
    NGO = "ngo"
    DONOR = "donor"
    EMBASSY = "embassy"
    OTHER = "other"

    @property
    def title(self) -> str:
        return str(ORG_TYPE_TITLES[self])


ORG_TYPE_TITLES = {
    OrgType.MINISTRY: _l("Ministry"),
    OrgType.POLICE_UNIT: _l("Police unit"),
    OrgType.UN_AGENCY: _l("UN agency"),
    OrgType.INTL_NGO: _l("International NGO"),
    OrgType.NGO: _l("NGO"),
    OrgType.DONOR: _l("Donor"),
    OrgType.EMBASSY: _l("Embassy"),
    OrgType.OTHER: _l("Other"),
}


class Province(Base):
    """One of Cambodia's 25 provinces (the capital included), keyed by ISO 3166-2:KH code."""

    __tablename__ = "province"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(8), unique=True)
    national_code: so.Mapped[str] = so.mapped_column(sa.String(4))
    name_en: so.Mapped[str] = so.mapped_column(sa.String(80))
    name_km: so.Mapped[str] = so.mapped_column(sa.String(80))
    is_capital: so.Mapped[bool] = so.mapped_column(default=False)

    def __repr__(self) -> str:
        return f"<Province {self.code} {self.name_en}>"


organisation_province = sa.Table(
    "organisation_province",
    Base.metadata,
    sa.Column(
        "organisation_id",
        sa.ForeignKey("organisation.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("province_id", sa.ForeignKey("province.id", ondelete="CASCADE"), primary_key=True),
)


class Organisation(Audited, Versioned, TimestampMixin, Base):
    __tablename__ = "organisation"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(20), unique=True)
    acronym: so.Mapped[str] = so.mapped_column(sa.String(40), default="")
    name_en: so.Mapped[str] = so.mapped_column(sa.String(200))
    name_km: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    type: so.Mapped[str] = so.mapped_column(sa.String(20))
    parent_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("organisation.id", ondelete="SET NULL"), index=True
    )
    website: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    notes: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    is_active: so.Mapped[bool] = so.mapped_column(default=True)

    parent: so.Mapped[Organisation | None] = so.relationship(remote_side=[id])
    provinces: so.Mapped[list[Province]] = so.relationship(
        secondary=organisation_province, order_by=Province.code
    )
    contacts: so.Mapped[list[Contact]] = so.relationship(
        back_populates="organisation", cascade="all, delete-orphan", order_by="Contact.name"
    )

    __table_args__ = (
        sa.CheckConstraint(
            "type IN ('ministry', 'police_unit', 'un_agency', 'intl_ngo', 'ngo', 'donor', "
            "'embassy', 'other')",
            name="type",
        ),
    )

    def __repr__(self) -> str:
        return f"<Organisation {self.code}>"

    @property
    def type_enum(self) -> OrgType:
        return OrgType(self.type)


class Contact(Audited, TimestampMixin, Base):
    __tablename__ = "contact"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    organisation_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    position: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    email: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    phone: so.Mapped[str] = so.mapped_column(sa.String(40), default="")

    organisation: so.Mapped[Organisation] = so.relationship(back_populates="contacts")

    def __repr__(self) -> str:
        return f"<Contact {self.name} of {self.organisation_id}>"

    def audit_label(self) -> str:
        return self.name

    def audit_parent(self) -> tuple[str, int]:
        return ("organisation", self.organisation_id)
