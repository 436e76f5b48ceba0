"""Identifiers other systems hold for our records.

A DHIS2 client keeps the UIDs it read from ``/api/dataElements`` and friends, so each one
must never change once given: they are stored here, one row per (kind, key). The key is
what identifies the record for us and never changes either: a database id for indicators,
organisations and provinces; the canonical disaggregation key for an option combination;
the frequency for a data set.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import orm as so

from leap_me.db import Base


class ExternalId(Base):
    __tablename__ = "exchange_external_id"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: dataElement, categoryOptionCombo, orgUnit, dataSet, attributeOptionCombo
    kind: so.Mapped[str] = so.mapped_column(sa.String(24))
    key: so.Mapped[str] = so.mapped_column(sa.String(255))
    uid: so.Mapped[str] = so.mapped_column(sa.String(11))

    __table_args__ = (
        sa.UniqueConstraint("kind", "key", name="kind_key"),
        sa.UniqueConstraint("kind", "uid", name="kind_uid"),
    )

    def __repr__(self) -> str:
        return f"<ExternalId {self.kind} {self.key} {self.uid}>"
