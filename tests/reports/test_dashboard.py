"""The role dashboards at ``/``: panels, empty states, what waits for each role, the
charts' text alternatives, and a number of queries that does not grow with the data."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from indicators.models import ReportingPeriod, Submission
from indicators.models.definitions import indicator_reporter
from indicators.models.quality import Finding
from indicators.services import waiting
from leap_me import seeding
from leap_me.reports import charts, dashboard
from tests.conftest import ROLES, QueryCounter
from tests.reports import factories as f

USERS = {
    "admin": "admin",
    "planner": "planner",
    "partner": "partner",
    "reviewer": "reviewer",
    "viewer": "viewer",
}


def _home(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _client(app, username: str):
    """A client of its own, signed in as ``username`` (one cookie jar per user)."""
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": "leap-demo-2026"})
    assert response.status_code == 302, username
    return client


def _count(app, client) -> int:
    from leap_me.extensions import db

    with app.app_context():
        counter = QueryCounter(db.engine)
        with counter:
            assert client.get("/").status_code == 200
    return counter.count


# --- a fresh database ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_fresh_database_shows_every_empty_state(role, login):
    page = _home(login(role))
    assert "There are no reporting periods yet" in page
    assert "The plan has no activities yet." in page
    assert "No cost-sharing schedule has been approved yet." in page
    assert "<svg" not in page.split("<main")[1]  # no chart without data
    if role == "partner":
        assert "Nothing is owed" in page
        assert "Completeness and timeliness" not in page  # partners do not read it
    if role == "reviewer":
        assert "No submission is waiting for review." in page
        assert "No open data-quality finding." in page
    if role == "planner":
        assert "No period waits to be opened or locked." in page
        assert "No activity is overdue." in page
    if role == "viewer":
        assert "What waits for me" not in page


# --- the services, with a fixed "today" ---------------------------------------------------


@pytest.fixture
def owed(plan):
    """AHTJP-SRP reports T-SUM quarterly: 2026Q1 approved, Q2 returned, Q3 draft, Q4 not
    started; WVC has a draft in Q2 (never shown to AHTJP-SRP)."""
    s = plan
    ps = f.quarters(s)
    ind = f.indicator(s, "T-SUM")
    srp, wvc = f.org(s, "AHTJP-SRP"), f.org(s, "WVC")
    s.execute(
        sa.insert(indicator_reporter),
        [
            {"indicator_id": ind.id, "organisation_id": srp.id},
            {"indicator_id": ind.id, "organisation_id": wvc.id},
        ],
    )
    when = datetime(2026, 4, 10, tzinfo=UTC)
    for code, status in (("2026Q1", "approved"), ("2026Q2", "returned"), ("2026Q3", "draft")):
        s.add(
            Submission(
                organisation_id=srp.id,
                period_id=ps[code].id,
                status=status,
                submitted_at=when if status != "draft" else None,
                return_reason="Check Siem Reap" if status == "returned" else None,
            )
        )
    s.add(
        Submission(
            organisation_id=wvc.id, period_id=ps["2026Q2"].id, status="submitted", submitted_at=when
        )
    )
    s.add(Submission(organisation_id=wvc.id, period_id=ps["2026Q3"].id, status="draft"))
    s.commit()
    return ps


def test_owed_by_lists_missing_drafts_and_returned_with_deadlines(owed, db):
    srp = f.org(db.session, "AHTJP-SRP")
    rows = waiting.owed_by(db.session, srp.id, date(2026, 10, 10))
    assert [(r["period"], r["status"]) for r in rows] == [
        ("2026Q2", "returned"),
        ("2026Q3", "draft"),
        ("2026Q4", "missing"),
    ]
    q2, q3, q4 = rows
    assert q2["return_reason"] == "Check Siem Reap"
    assert q2["overdue"] and q2["deadline"] == owed["2026Q2"].deadline
    assert (
        not q3["overdue"] and q3["days_left"] == (owed["2026Q3"].deadline - date(2026, 10, 10)).days
    )
    # a closed period owes nothing any more
    owed["2026Q4"].status = "closed"
    db.session.commit()
    assert [r["period"] for r in waiting.owed_by(db.session, srp.id, date(2026, 10, 10))] == [
        "2026Q2",
        "2026Q3",
    ]


def test_review_queue_and_periods_to_act(owed, db):
    queue, total = waiting.review_queue(db.session)
    assert total == 1 and [(r["org_code"], r["period"]) for r in queue] == [("WVC", "2026Q2")]
    owed["2026Q4"].status = "planned"
    owed["2026Q1"].status = "closed"
    db.session.commit()
    acts = waiting.periods_to_act(db.session, date(2027, 1, 20))
    assert [p["period"] for p in acts["to_open"]] == ["2026Q4"]  # ended, still planned
    # deadlines passed: Q1 (closed), Q2 and Q3 (open); Q4's deadline is in the future
    assert [p["period"] for p in acts["to_lock"]] == ["2026Q1", "2026Q2", "2026Q3"]
    assert acts["to_lock"][0]["days_late"] == (date(2027, 1, 20) - owed["2026Q1"].deadline).days


def test_open_findings_by_kind_and_period(owed, db):
    for i, (state, active) in enumerate(
        [("open", True), ("explained", True), ("resolved", True), ("open", False)]
    ):
        db.session.add(
            Finding(
                key=f"k{i}", kind="outlier", state=state, active=active, period_id=owed["2026Q2"].id
            )
        )
    db.session.add(Finding(key="k9", kind="jump", period_id=owed["2026Q3"].id))
    db.session.commit()
    found = waiting.open_findings(db.session)
    assert found["total"] == 3 and found["by_kind"] == {"outlier": 2, "jump": 1}
    assert found["by_period"] == [
        {"period": "2026Q3", "count": 1},
        {"period": "2026Q2", "count": 2},
    ]


def test_partner_sees_its_own_deadlines_and_links_to_the_grid(owed, app):
    page = _home(_client(app, "partner"))
    section = page.split('id="waiting"')[1].split("</section>")[0]
    assert "/submissions/AHTJP-SRP/2026Q2" in section and "Check Siem Reap" in section
    assert "/submissions/AHTJP-SRP/2026Q3" in section
    assert "WVC" not in section  # another organisation's draft never shows
    other = _home(_client(app, "partner-wvc"))
    section = other.split('id="waiting"')[1].split("</section>")[0]
    assert "/submissions/WVC/2026Q3" in section and "AHTJP-SRP" not in section


def test_reviewer_sees_the_queue(owed, login):
    page = _home(login("reviewer"))
    section = page.split('id="waiting"')[1].split("</section>")[0]
    assert "/submissions/WVC/2026Q2" in section
    assert "Review queue" in section and "(1)" in section


# --- the panels on figures worked out by hand --------------------------------------------


@pytest.fixture
def figures(plan):
    s = plan
    f.quarters(s)
    goal = f.indicator(s, "T-GOAL", result_key="G")  # a key indicator
    for code, t, v in (("2026Q1", 10, 10), ("2026Q2", 10, 4), ("2026Q3", 10, 10)):
        f.target(s, goal, code, t)
        f.value(s, goal, code, "AHTJP-PNP", "KH-12", v)
    out = f.indicator(s, "T-OUT", result_key="O1.1")  # an output's: not a key indicator
    f.target(s, out, "2026Q1", 10)
    f.value(s, out, "2026Q1", "AHTJP-PNP", "KH-12", 5)
    s.commit()
    return s


def test_indicator_panel_counts_statuses_and_lists_key_indicators(figures, db):
    panel = dashboard.indicators_panel(db.session, "2026Q3", "en")
    overall = dict(panel["rows"])["All indicators"]
    # ytd: T-GOAL 24 of 30 = 80 % → amber; T-OUT 5 of 10 = 50 % → red
    assert overall["amber"] == 1 and overall["red"] == 1 and sum(overall.values()) == 2
    assert panel["off_track"] == 2 and panel["on_track"] == 0
    assert [r["code"] for r in panel["key"]] == ["T-GOAL"]
    assert panel["key"][0]["actual"] == 24 and panel["key"][0]["target"] == 30
    assert "<polyline" in panel["key"][0]["sparkline"]  # three periods: a line
    svg = panel["chart"]
    assert "<title" in svg and "<desc" in svg and 'role="img"' in svg
    assert "All indicators: Behind 1, Off track 1" in svg  # the text alternative
    assert "url(#" in svg and "<pattern" in svg  # patterns, not colour alone


def test_activity_panel_counts_overdue_open_activities_as_delayed(plan, db):
    panel = dashboard.activities_panel(db.session, None, "en", date(2026, 12, 1))
    overall = dict(panel["rows"])["All activities"]
    from logframe.models import Result

    acts = db.session.scalars(sa.select(Result).where(Result.level == "activity")).all()
    done = sum(a.status == "completed" for a in acts)
    late = sum(
        (a.status == "delayed")
        or (
            a.status in (None, "not_started", "on_track")
            and a.end_date is not None
            and a.end_date < date(2026, 12, 1)
        )
        for a in acts
    )
    assert panel["total"] == len(acts) == sum(overall.values())
    assert overall["done"] == done and overall["delayed"] == late
    assert len(panel["rows"]) > 2  # per outcome
    assert "Activities by status, per outcome" in panel["chart"]


def test_budget_panel_shares_path_and_execution(app, db):
    seeding.seed_all(db.session, Path(app.config["SEEDS_DIR"]), only=("plan", "budget"))
    db.session.commit()
    from budget import services as budget

    data = budget.compute(db.session, budget.approved_schedule(db.session), detail=False)
    panel = dashboard.budget_panel(db.session, date(2026, 12, 1))
    assert [y["year"] for y in panel["years"]] == data["years"]
    first = data["years_rows"][0]
    assert panel["years"][0]["share"] == pytest.approx(float(first["moi_share"]))
    assert panel["years"][0]["path"] == pytest.approx(float(first["path_share"]))
    assert "Cost-sharing path" in panel["chart"] and "<desc" in panel["chart"]
    if panel["execution"]:
        assert panel["execution"]["year"] in data["years"]
        assert "<title" in panel["execution"]["chart"]


def test_charts_say_what_they_show_in_khmer(figures, app, login, db):
    from leap_me.auth.models import User

    db.session.execute(sa.update(User).values(locale="km"))
    db.session.commit()
    page = _home(login("reviewer"))
    titles = re.findall(r"<title id=\"[^\"]+\">([^<]+)</title>", page)
    assert titles and all(re.search("[\u1780-\u17ff]", t) for t in titles), titles


# --- the demo data: every role, and a constant number of queries -------------------------


@pytest.fixture
def demo(app, db):
    seeding.seed_all(db.session, Path(app.config["SEEDS_DIR"]))
    db.session.commit()
    return db.session


def _grow(session) -> None:
    """Several times more of everything the dashboards read: values, submissions in every
    state, findings, overdue activities."""
    from indicators.models import DataValue, Indicator
    from stakeholders.models import Organisation, Province

    now = datetime.now(UTC)
    inds = session.execute(
        sa.text(
            "SELECT i.id, v.id FROM indicator i JOIN indicator_version v "
            "ON v.indicator_id = i.id AND v.is_current"
        )
    ).all()
    periods = session.scalars(
        sa.select(ReportingPeriod).where(ReportingPeriod.frequency == "quarterly")
    ).all()
    orgs = session.scalars(sa.select(Organisation.id)).all()
    provs = session.scalars(sa.select(Province.id).limit(8)).all()
    taken = set(
        session.execute(
            sa.select(
                DataValue.indicator_id,
                DataValue.period_id,
                DataValue.organisation_id,
                DataValue.province_id,
                DataValue.disagg_key,
            )
        ).all()
    )
    rows = [
        {
            "indicator_id": i,
            "version_id": v,
            "period_id": p.id,
            "organisation_id": o,
            "province_id": pr,
            "disagg_key": "",
            "status": "approved",
            "value": 3,
            "comment": "",
            "created_dt": now,
            "updated_dt": now,
        }
        for i, v in inds
        for p in periods
        for o in orgs[:6]
        for pr in provs
        if (i, p.id, o, pr, "") not in taken
    ]
    session.execute(sa.insert(DataValue.__table__), rows)
    have = set(session.execute(sa.select(Submission.organisation_id, Submission.period_id)).all())
    subs = []
    for n, (o, p) in enumerate((o, p) for o in orgs for p in periods if (o, p.id) not in have):
        subs.append(
            {
                "organisation_id": o,
                "period_id": p.id,
                "status": ("draft", "returned", "submitted")[n % 3],
                "submitted_at": now - timedelta(days=n),
                "version": 1,
                "is_demo": False,
                "created_dt": now,
                "updated_dt": now,
            }
        )
    if subs:
        session.execute(sa.insert(Submission.__table__), subs)
    session.execute(
        sa.insert(Finding.__table__),
        [
            {
                "key": f"grow-{k}",
                "kind": ("outlier", "jump", "red")[k % 3],
                "state": "open",
                "period_id": periods[k % len(periods)].id,
                "active": True,
                "disagg_key": "",
                "created_at": now,
                "updated_at": now,
            }
            for k in range(60)
        ],
    )
    session.execute(
        sa.text(
            "UPDATE result SET status = 'on_track', start_date = :s, end_date = :d "
            "WHERE level = 'activity'"
        ),
        {"s": date(2026, 1, 2), "d": date(2026, 1, 31)},
    )
    session.commit()
    assert session.scalar(sa.select(sa.func.count()).select_from(Indicator)) > 0
    assert len(rows) > 1000


def test_every_role_reads_its_dashboard_in_a_constant_number_of_queries(app, demo):
    clients = {}
    counts = {}
    for role in ROLES:
        clients[role] = client = _client(app, USERS[role])
        page = _home(client)
        assert "<svg" in page and "<desc" in page, role
        counts[role] = _count(app, client)
    _grow(demo)
    after = {role: _count(app, clients[role]) for role in ROLES}
    assert after == counts, (counts, after)
    assert max(after.values()) <= 60, after
    grown = _home(clients["planner"])
    assert "Overdue activities" in grown and "close or lock it" in grown
    reviewer = _home(clients["reviewer"])
    assert "All " in reviewer and "waiting, oldest first" in reviewer  # more than the list


def test_dashboard_charts_keep_within_a_phone_and_carry_marks():
    rows = [
        ("All", {"green": 3, "red": 1}),
        ("Outcome 1: a statement long enough to be cut short on a phone screen", {"green": 1}),
    ]
    svg = charts.stacked_bars(rows, charts.status_series(), title="T")
    assert 'viewBox="0 0 400 ' in svg
    assert "●3" in svg and "○1" in svg  # the printed marks, not colour alone
    assert "…" in svg  # the long label is shortened
    meter = charts.meters(
        [
            {"label": "Q1", "value": 50.0, "text": "50 % (1 of 2)"},
            {"label": "Q2", "value": None, "text": "nothing expected"},
        ],
        title="M",
    )
    assert "50 % (1 of 2)" in meter and "nothing expected" in meter
