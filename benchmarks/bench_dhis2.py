"""Posting 100,000 values in one dataValueSet, against a bare SQLAlchemy Core bulk insert
of the same rows into the same table on the same database (the floor).

Goal (issue 11): at most 3× the floor, peak memory under 500 MB. Printed: the ratio, the
values per second and the peak.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from benchmarks.common import Result, bench_app, compare, in_subprocess, ratio_result

PROVINCES = 25


def bench_organisation(session, n_ind: int, categories_of):
    """An organisation over 25 provinces owing ``n_ind`` provincial quarterly indicators
    (``B-000``…), indicator i disaggregated by ``categories_of(i)``, an open 2026Q4 and
    its partner ``bench-partner`` with an API token. Returns (token, organisation id)."""
    import sqlalchemy as sa

    from indicators.models import Indicator, IndicatorVersion, ReportingPeriod
    from leap_me.auth.models import User
    from leap_me.auth.services import create_token
    from stakeholders.models import Organisation, Province

    provinces = list(session.scalars(sa.select(Province).order_by(Province.code)))
    org = Organisation(code="BENCH", name_en="Bench unit", name_km="ឯកតា", type="ngo")
    org.provinces = provinces[:PROVINCES]
    session.add(org)
    for i in range(n_ind):
        ind = Indicator(code=f"B-{i:03d}", result_key="G")
        version = IndicatorVersion(
            indicator=ind,
            name_en=f"Bench {i}",
            name_km="សូចនាករ",
            measure="number",
            frequency="quarterly",
            by_province=True,
        )
        version.categories = list(categories_of(i))
        ind.current_version = version
        ind.reporters = [org]
        session.add(ind)
    session.add(
        ReportingPeriod(
            code="2026Q4",
            frequency="quarterly",
            year=2026,
            start_date=date(2026, 10, 1),
            end_date=date(2026, 12, 31),
            deadline=date(2027, 1, 31),
            status="open",
        )
    )
    user = User(username="bench-partner", role="partner", organisation=org)
    user.password_hash = "!"  # noqa: S105 (no password: it signs in with a token)
    session.add(user)
    session.flush()
    _t, token = create_token(session, user, "bench")
    session.commit()
    return token, org.id


def populate(session, n_ind: int, n_opt: int):
    """:func:`bench_organisation` with one category of ``n_opt`` options, and the
    dataValueSet of all it owes: (1 + n_opt) × 25 × n_ind values.
    Returns (token, values, organisation id)."""
    import sqlalchemy as sa

    from indicators.models import DisaggCategory, DisaggOption
    from stakeholders.models import Province

    cat = DisaggCategory(code="grp", name_en="Group", name_km="ក្រុម")
    cat.options = [
        DisaggOption(code=f"g{i:03d}", name_en=f"G{i}", name_km=f"ក{i}", position=i)
        for i in range(n_opt)
    ]
    session.add(cat)
    token, org_id = bench_organisation(session, n_ind, lambda i: [cat])
    provinces = list(session.scalars(sa.select(Province).order_by(Province.code)))
    values = [
        {
            "dataElement": f"B-{i:03d}",
            "period": "2026Q4",
            "orgUnit": p.code,
            "categoryOptionCombo": key,
            "value": str((i * 7 + j) % 97),
        }
        for i in range(n_ind)
        for p in provinces[:PROVINCES]
        for j, key in enumerate(["default"] + [f"grp:g{k:03d}" for k in range(n_opt)])
    ]
    return token, values, org_id


def _build(quick: bool):
    import sqlalchemy as sa

    from indicators.models import Indicator, IndicatorVersion, ReportingPeriod
    from leap_me import seeding
    from leap_me.extensions import db
    from stakeholders.models import Province

    n_ind, n_opt = (8, 24) if quick else (40, 99)  # (1 + options) × 25 × indicators values
    app = bench_app(seed=False)
    app.config["DHIS2_MAX_BODY_MB"] = 256
    with app.app_context():
        seeding.seed_all(db.session, Path(app.config["SEEDS_DIR"]), only=seeding.BASE_STEPS)
        token, values, org_id = populate(db.session, n_ind, n_opt)
        body = json.dumps({"dataValues": values}).encode()
        provinces = list(db.session.scalars(sa.select(Province).order_by(Province.code)))
        ids = {
            "ind": {
                f"B-{i:03d}": db.session.scalar(
                    sa.select(Indicator.id).where(Indicator.code == f"B-{i:03d}")
                )
                for i in range(n_ind)
            },
            "ver": {},
            "prov": {p.code: p.id for p in provinces},
            "period": db.session.scalar(sa.select(ReportingPeriod.id)),
        }
        for code, ind_id in ids["ind"].items():
            ids["ver"][code] = db.session.scalar(
                sa.select(IndicatorVersion.id).where(IndicatorVersion.indicator_id == ind_id)
            )
    return app, token, body, values, org_id, ids


def core_rows(values: list[dict], ids: dict, org_id: int) -> list[dict]:
    """The data_value rows of a dataValueSet's values, as a bare Core insert takes them."""
    return [
        {
            "indicator_id": ids["ind"][v["dataElement"]],
            "version_id": ids["ver"][v["dataElement"]],
            "period_id": ids["period"],
            "organisation_id": org_id,
            "province_id": ids["prov"][v["orgUnit"]],
            "disagg_key": "" if v["categoryOptionCombo"] == "default" else v["categoryOptionCombo"],
            "value": v["value"],
            "status": "draft",
            "comment": "",
        }
        for v in values
    ]


def core_insert(app, rows: list[dict]) -> None:
    """The floor of any write of these rows: one bare SQLAlchemy Core executemany."""
    import sqlalchemy as sa

    from indicators.models import DataValue
    from leap_me.extensions import db

    now = sa.func.current_timestamp()
    with app.app_context():
        db.session.execute(
            sa.insert(DataValue.__table__).values(created_dt=now, updated_dt=now), rows
        )
        db.session.commit()


def run(quick: bool = False) -> list[Result]:
    import sqlalchemy as sa

    from indicators.models import DataValue, Submission, SubmissionEvent
    from leap_me.extensions import db

    app, token, body, values, org_id, ids = _build(quick)
    url = (
        "/api/dataValueSets?dataElementIdScheme=CODE&orgUnitIdScheme=CODE"
        "&categoryOptionComboIdScheme=CODE"
    )
    headers = {"Authorization": f"ApiToken {token}", "Content-Type": "application/json"}

    def post():
        with app.test_client() as client:
            r = client.post(url, data=body, headers=headers)
            assert r.status_code == 200, r.get_data(as_text=True)[:500]
            assert r.json["response"]["importCount"]["imported"] == len(values)

    rows = core_rows(values, ids, org_id)

    def bare_insert():
        core_insert(app, rows)

    def empty():
        with app.app_context():
            db.session.execute(sa.delete(DataValue.__table__))
            db.session.execute(sa.delete(SubmissionEvent.__table__))
            db.session.execute(sa.delete(Submission.__table__))
            db.session.commit()

    work, floor = compare(post, bare_insert, repeats=2 if quick else 3, before_each=empty)
    empty()
    _none, peak = in_subprocess(post)
    n = len(values)
    return [
        ratio_result(
            f"DHIS2 dataValueSet post, {n:,} values vs bare Core insert",
            work,
            floor,
            3.0,
            values_per_s=f"{n / work.min:,.0f}",
            peak_mb=f"{peak:,.0f}",
        ),
        Result(f"DHIS2 dataValueSet post, {n:,} values: peak memory (MB)", peak, 1, 500, "MB"),
    ]


if __name__ == "__main__":
    import sys

    from benchmarks.common import print_results

    sys.exit(0 if print_results(run(quick="--quick" in sys.argv)) else 1)
