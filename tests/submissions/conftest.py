"""Fixtures for the submission tests: the plan and indicator seed, 2026's periods, the
demo users, and helpers to open a submission and save cells."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.indicators import conftest as _indicators

plan = _indicators.plan
seeded = _indicators.seeded
org = _indicators.org
province = _indicators.province


@pytest.fixture
def user(db):
    from leap_me.auth.models import User

    def _user(username: str):
        return db.session.scalar(sa.select(User).where(User.username == username))

    return _user


@pytest.fixture
def period(db):
    from indicators.models import ReportingPeriod

    def _period(code: str, status: str | None = None):
        p = db.session.scalar(sa.select(ReportingPeriod).where(ReportingPeriod.code == code))
        if status:
            p.status = status
            db.session.flush()
        return p

    return _period


@pytest.fixture
def indicator(db):
    from indicators.models import Indicator

    def _indicator(code: str):
        return db.session.scalar(sa.select(Indicator).where(Indicator.code == code))

    return _indicator


@pytest.fixture
def sub(seeded, db, org, period, user):
    """AHTJP-SRP's submission for 2026Q4 (open), made by the demo partner."""
    from indicators.services import submissions

    def _sub(org_code: str = "AHTJP-SRP", period_code: str = "2026Q4", status: str = "open"):
        s = submissions.get_or_create(
            db.session, org(org_code), period(period_code, status), user("partner")
        )
        db.session.commit()
        return s

    return _sub


@pytest.fixture
def cell(indicator, province):
    from indicators.services.submissions import CellInput

    def _cell(code: str, prov: str | None = "KH-17", disagg: str = "", **raw):
        ind = indicator(code)
        p = province(prov) if prov else None
        return CellInput(ind.id, p.id if p else None, disagg, **raw)

    return _cell
