"""The budget pages as each role sees them, in English and Khmer, and their forms."""

from __future__ import annotations

from decimal import Decimal as D

import sqlalchemy as sa

from budget import services
from budget.models import BudgetLine, ExchangeRate, PlannedAmount
from leap_me.audit import AuditEntry
from stakeholders.models import Organisation


def _org(db, code):
    return db.session.scalar(sa.select(Organisation.id).where(Organisation.code == code))


def test_schedule_page_shows_share_path_gap_and_execution(seeded, login, client):
    login("viewer")
    page = client.get("/budget").get_data(as_text=True)
    assert "Demo data" in page
    assert 'class="svg-chart budget-chart"' in page
    assert "1,360,000.00" in page  # 2026 planned in USD
    assert "5,508,000,000" in page  # and in KHR
    assert "51,705.87" in page  # the 2028 gap
    assert "Below the path: the MoI must add 51,705.87 USD, or donors must still cover it." in page
    assert 'id="execution-years"' in page and "81.30 %" in page  # 2026 execution rate
    assert 'id="schedule-lines"' in page and "BL-03" in page
    assert 'id="schedule-sources"' in page and "UK-EMB" in page
    khr = client.get("/budget?cur=KHR").get_data(as_text=True)
    assert "Planned by funding source (KHR)" in khr
    # MoI 2026 in riel: BL-01's 810,000,000 + 72,200 USD × 4,050 (292,410,000)
    assert "1,102,410,000" in khr
    assert "498,960,000" in khr  # UK Embassy 2026: 123,200 USD × 4,050


def test_partner_sees_totals_only(seeded, login, client, api_token):
    login("partner")
    page = client.get("/budget").get_data(as_text=True)
    assert "51,705.87" in page and "20.01 %" in page
    for hidden in ('id="schedule-lines"', 'id="schedule-sources"', "BL-03", "UK-EMB",
                   'id="execution-years"'):  # fmt: skip
        assert hidden not in page
    body = client.get(
        "/api/v1/budget/schedule", headers={"Authorization": f"Bearer {api_token('partner')}"}
    ).json
    assert body["sources"] == [] and "sources" not in body["years"][0]
    assert body["years"][2]["gap"]["USD"] == {"amount": "51705.87", "currency": "USD"}


def test_api_gives_sources_to_readers(seeded, client, api_token):
    body = client.get(
        "/api/v1/budget/schedule", headers={"Authorization": f"Bearer {api_token('viewer')}"}
    ).json
    assert body["schedule"]["isDemo"] is True
    assert body["path"] == {
        "mode": "linear",
        "currentShare": "0.2000",
        "firstYear": 2026,
        "fullOwnershipYear": 2034,
    }
    y28 = body["years"][2]
    assert y28["year"] == 2028 and y28["moiShare"] == "0.3601" and y28["pathShare"] == "0.4000"
    uk = next(s for s in body["years"][0]["sources"] if s["source"] == "UK-EMB")
    assert uk["planned"]["USD"] == {"amount": "123200.00", "currency": "USD"}


def test_khmer_page_and_chart_labels(seeded, login, client):
    login("planner")
    client.post("/language", data={"lang": "km", "next": "/budget"})
    page = client.get("/budget").get_data(as_text=True)
    assert "ថវិកាចែករំលែកការចំណាយ" in page
    assert "គន្លង (ចំណែកក្រសួងមហាផ្ទៃ)" in page  # the chart's legend in Khmer
    assert "ក្រសួងមហាផ្ទៃ/រាជរដ្ឋាភិបាល" in page


def test_planner_creates_a_line_with_amounts_and_the_trail_records_it(db, tiny, login, client):
    login("planner")
    moi, unicef = _org(db, "MOI"), _org(db, "UNICEF")
    r = client.post(
        "/budget/lines/new",
        data={
            "code": "T-3",
            "category": "equipment",
            "name_en": "Vehicles",
            "name_km": "យានយន្ត",
            "currency": "USD",
            "result_key": "",
            f"amt-{moi}-2026": "1,000.50",
            f"amt-{unicef}-2027": "2000",
            "reason": "new vehicles",
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    line = db.session.scalar(sa.select(BudgetLine).where(BudgetLine.code == "T-3"))
    assert {(a.year, a.amount) for a in line.amounts} == {
        (2026, D("1000.50")),
        (2027, D("2000.00")),
    }
    entry = db.session.scalar(
        sa.select(AuditEntry).where(
            AuditEntry.object_type == "budget_planned", AuditEntry.object_label == "T-3 MOI 2026"
        )
    )
    assert entry.action == "create" and '"1000.50"' in entry.new_value
    assert entry.reason == "new vehicles" and entry.actor == "planner"
    page = client.get("/budget/lines/T-3").get_data(as_text=True)
    assert "1,000.50" in page


def test_line_form_keeps_input_and_explains_errors(db, tiny, login, client):
    login("planner")
    moi = _org(db, "MOI")
    r = client.post(
        "/budget/lines/T-2/edit",
        data={
            "code": "T-1",
            "category": "personnel",
            "name_en": "Allowances",
            "currency": "KHR",
            f"amt-{moi}-2026": "12.5",
        },
    )
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "Another budget line already has the code T-1." in page
    assert "“12.5”: KHR amounts are whole riel, without decimal places." in page
    assert 'value="12.5"' in page
    amounts = db.session.scalars(sa.select(PlannedAmount.amount)).all()
    assert D("4050000") in amounts


def test_custom_path_and_rates(db, tiny, login, client):
    login("planner")
    r = client.post(
        "/budget/path",
        data={
            "current_share": "25",
            "full_ownership_year": "2028",
            "mode": "custom",
            "share-2027": "50",
        },
    )
    assert r.status_code == 302
    y27 = services.compute(db.session, tiny)["years_rows"][1]
    assert y27["path_share"] == D("0.5000")
    assert y27["gap_usd"] == D("500.00")  # 0.50 × 3,000 − 1,000
    bad = client.post(
        "/budget/path",
        data={"current_share": "120", "full_ownership_year": "2028", "mode": "linear"},
    )
    assert bad.status_code == 400
    assert "“120” is out of range: give a number from 0 to 100." in bad.get_data(as_text=True)
    early = client.post(
        "/budget/path",
        data={"current_share": "20", "full_ownership_year": "2026", "mode": "linear"},
    )
    assert early.status_code == 400
    assert "Full ownership must come after the first year, 2026." in early.get_data(as_text=True)
    r = client.post("/budget/rates", data={"rate-2026": "4000", "rate-2027": "4100"})
    assert r.status_code == 302
    assert db.session.scalar(
        sa.select(ExchangeRate.khr_per_usd).where(ExchangeRate.year == 2026)
    ) == D("4000")
    y26 = services.compute(db.session, tiny)["years_rows"][0]
    assert y26["planned_usd"] == D("4512.50")  # 4,050,000 / 4,000 = 1,012.50


def test_line_with_spending_cannot_be_deleted_or_renamed(db, tiny, login, client):
    login("planner")
    r = client.post("/budget/lines/T-1/delete", follow_redirects=True)
    assert "Spending is recorded on T-1: it cannot be deleted." in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(BudgetLine).where(BudgetLine.code == "T-1"))


def test_history_pages_show_amount_changes_with_their_reason(db, tiny, login, client):
    login("planner")
    moi = _org(db, "MOI")
    data = {"code": "T-1", "category": "training", "name_en": "Courses", "currency": "USD",
            f"amt-{moi}-2026": "600", "reason": "more courses"}  # fmt: skip
    unicef = _org(db, "UNICEF")
    data.update({f"amt-{unicef}-2026": "3000", f"amt-{moi}-2027": "1000",
                 f"amt-{unicef}-2027": "2000"})  # fmt: skip
    assert client.post("/budget/lines/T-1/edit", data=data).status_code == 302
    login("reviewer")
    page = client.get("/budget/lines/T-1/history").get_data(as_text=True)
    assert "T-1 MOI 2026" in page
    assert "Changed Amount from “500” to “600”." in page  # a sentence with the field label
    assert "more courses" in page
    assert "T-1 MOI 2026" in client.get("/budget/history").get_data(as_text=True)


def test_planner_starts_an_empty_schedule_and_adds_a_donor(db, login, client):
    login("planner")
    page = client.get("/budget").get_data(as_text=True)
    assert "There is no approved budget schedule yet." in page
    assert client.post("/budget/start").status_code == 302
    sched = services.approved_schedule(db.session)
    assert sched is not None and sched.lines == []
    assert [s["code"] for s in services.sources(db.session)] == ["MOI"]
    r = client.post("/budget/sources", data={"organisation_id": _org(db, "IOM")})
    assert r.status_code == 302
    assert [s["code"] for s in services.sources(db.session)] == ["MOI", "IOM"]
    assert client.get("/budget").status_code == 200
