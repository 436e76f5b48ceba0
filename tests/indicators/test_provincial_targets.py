"""Targets set only per province still reach the logframe matrix, added up across
provinces with the indicator's own rule (METHOD.md §2)."""

from decimal import Decimal as D

import sqlalchemy as sa

from indicators.models import Indicator, Target
from indicators.services.targets import combine_space, national_yearly_targets


def test_combine_space_follows_the_rule():
    values = [D("4"), D("6"), D("8")]
    assert combine_space(values, "sum") == D("18")
    assert combine_space(values, "average") == D("6")
    assert combine_space(values, "max") == D("8")
    assert combine_space(values, "min") == D("4")


def test_provincial_only_targets_are_added_up_for_the_year(seeded, province):
    db = seeded
    ind = db.scalar(sa.select(Indicator).where(Indicator.code == "AHTJP-01"))
    db.execute(sa.delete(Target).where(Target.indicator_id == ind.id, Target.year == 2027))
    for code in ("KH-12", "KH-17"):
        prov = province(code)
        for q, value in (("Q1", "10"), ("Q2", "10"), ("Q3", "10"), ("Q4", "20")):
            db.add(
                Target(
                    indicator_id=ind.id,
                    period_code=f"2027{q}",
                    year=2027,
                    province_id=prov.id,
                    value=D(value),
                )
            )
    db.commit()
    years = national_yearly_targets(db, [ind])[ind.id]
    assert years[2027] == D("100")  # (10+10+10+20) in each of two provinces, summed
    assert years[2026] == D("220")  # the national target still wins where there is one


def test_reference_sheet_adds_provincial_targets_like_the_matrix(seeded, province, login, client):
    """Hand-computed: 2027 has no national target; Phnom Penh (KH-12) and Siem Reap (KH-17)
    plan 10, 10, 10, 20 each → 20, 20, 20, 40 a quarter and 100 for the year, on the
    reference sheet as in the matrix."""
    from indicators.services.targets import national_targets

    db = seeded
    ind = db.scalar(sa.select(Indicator).where(Indicator.code == "AHTJP-01"))
    db.execute(sa.delete(Target).where(Target.indicator_id == ind.id, Target.year == 2027))
    for code in ("KH-12", "KH-17"):
        prov = province(code)
        for q, value in (("Q1", "10"), ("Q2", "10"), ("Q3", "10"), ("Q4", "20")):
            db.add(
                Target(
                    indicator_id=ind.id,
                    period_code=f"2027{q}",
                    year=2027,
                    province_id=prov.id,
                    value=D(value),
                )
            )
    db.commit()
    from indicators import services

    national = national_targets(ind.current, services.targets_by_period(db, ind.id))
    assert national.by_year[2027] == D("100") and national.from_provinces == {2027}
    assert [national.by_period[f"2027Q{i}"] for i in range(1, 5)] == [20, 20, 20, 40]
    assert national.by_year[2026] == D("220")
    assert national_yearly_targets(db, [ind])[ind.id][2027] == national.by_year[2027]
    login("planner")
    page = client.get("/indicators/AHTJP-01").get_data(as_text=True)
    row = page[page.index('<th scope="row">2027') :].split("</tr>")[0]
    assert [c.split("<")[0] for c in row.split('<td class="num">')[1:]] == [
        "100",
        "20",
        "20",
        "20",
        "40",
    ]
    assert "add up the provincial targets" in page
