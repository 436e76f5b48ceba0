"""The declarative base every domain model inherits, and shared column mixins."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import orm as so

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Timezone-aware now; a callable so that defaults are evaluated per row."""
    return datetime.now(UTC)


class Base(so.DeclarativeBase):
    registry = so.registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: sa.DateTime(timezone=True)},
    )


class TimestampMixin:
    created_dt: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    updated_dt: so.Mapped[datetime] = so.mapped_column(default=utcnow, onupdate=utcnow)
