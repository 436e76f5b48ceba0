"""Every route × every role, anonymous included.

Each GET route of the application must appear in ``PAGES`` or ``API`` (a test fails
when a new route is not added here), with the roles that may open it. Everyone else gets
the sign-in page (anonymous), 403 (signed in, wrong role) or 401 (API without a token).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from leap_me import seeding
from tests.conftest import restore_or_build

ALL = {"admin", "planner", "partner", "reviewer", "viewer"}
ROLES = sorted(ALL) + ["anonymous"]

BUDGET_READERS = ALL - {"partner"}  # partners see the budget's totals only
SUB_READERS = ALL - {"viewer"}
SUB = "/submissions/AHTJP-SRP/2026Q4"

PUBLIC = {"static", "auth.login", "main.healthz", "main.favicon"}

# endpoint: (url, roles allowed)
PAGES: dict[str, tuple[str, set[str]]] = {
    "main.home": ("/", ALL),
    "auth.profile": ("/profile", ALL),
    "admin.users": ("/admin/users", {"admin"}),
    "admin.new_user": ("/admin/users/new", {"admin"}),
    "admin.edit_user": ("/admin/users/1/edit", {"admin"}),
    "stakeholders.organisations": ("/organisations", ALL),
    "stakeholders.organisation": ("/organisations/MOI", ALL),
    "stakeholders.new_organisation": ("/organisations/new", {"admin", "planner"}),
    "stakeholders.edit_organisation": ("/organisations/MOI/edit", {"admin", "planner"}),
    "stakeholders.organisation_history": (
        "/organisations/MOI/history",
        {"admin", "planner", "reviewer"},
    ),
    "stakeholders.provinces": ("/provinces", ALL),
    # logframe: version 1 approved, version 2 a draft (tests/logframe/factories.tiny_plan)
    "logframe.plan": ("/plan", ALL),
    "logframe.matrix": ("/plan/matrix?version=1", ALL),
    "logframe.compare_versions": ("/plan/compare?old=1&new=1", ALL),
    "logframe.version_history": ("/plan/v1/history", {"admin", "planner", "reviewer"}),
    "logframe.result": ("/plan/v2/results/O1", ALL - {"partner"}),
    "logframe.new_result": ("/plan/v2/results/new?parent=O1", {"planner"}),
    "logframe.edit_result": ("/plan/v2/results/O1/edit", {"planner"}),
    "logframe.edit_vision": ("/plan/v2/vision", {"planner"}),
    "logframe.result_history": ("/plan/v1/results/A1/history", {"admin", "planner", "reviewer"}),
    "logframe.activities": ("/activities?year=2026", ALL),
    "logframe.monitoring": ("/activities/A1/monitoring", {"planner"}),
    "indicators.registry": ("/indicators", ALL),
    "indicators.pirs": ("/indicators/AHTJP-01", ALL),
    "indicators.new_indicator": ("/indicators/new", {"planner", "reviewer"}),
    "indicators.edit_indicator": ("/indicators/AHTJP-01/edit", {"planner", "reviewer"}),
    "indicators.replace": ("/indicators/AHTJP-01/replace", {"planner", "reviewer"}),
    "indicators.targets": ("/indicators/AHTJP-01/targets", {"planner", "reviewer"}),
    "indicators.history": ("/indicators/AHTJP-01/history", {"admin", "planner", "reviewer"}),
    "indicators.version_history": (
        "/indicators/AHTJP-01/versions/1/history",
        {"admin", "planner", "reviewer"},
    ),
    "indicators.target_history": (
        "/indicators/AHTJP-01/targets/history",
        {"admin", "planner", "reviewer"},
    ),
    "indicators.disaggregations": ("/disaggregations", ALL),
    "indicators.periods": ("/periods", {"planner", "reviewer"}),
    "budget.schedule": ("/budget", ALL),
    "budget.line": ("/budget/lines/BL-03", BUDGET_READERS),
    "budget.new_line": ("/budget/lines/new", {"planner"}),
    "budget.edit_line": ("/budget/lines/BL-03/edit", {"planner"}),
    "budget.line_history": ("/budget/lines/BL-03/history", {"admin", "planner", "reviewer"}),
    "budget.history": ("/budget/history", {"admin", "planner", "reviewer"}),
    "budget.path": ("/budget/path", {"planner"}),
    "budget.rates": ("/budget/rates", {"planner"}),
    "budget.funding_sources": ("/budget/sources", {"planner"}),
    "budget.spending": ("/budget/spending", BUDGET_READERS),
    "budget.upload_spending": ("/budget/spending/upload", {"planner"}),
    "budget.import_planned": ("/budget/import", {"planner"}),
    "budget.export": ("/budget/export.xlsx", BUDGET_READERS),
    "budget.scenarios": ("/budget/scenarios", BUDGET_READERS),
    "budget.scenario": ("/budget/scenarios/2", BUDGET_READERS),
    "budget.scenario_path": ("/budget/scenarios/2/path", {"planner"}),
    # submissions (issue 9): AHTJP-SRP's submission of the open quarter, made by the
    # matrix (see _submission_data); a viewer never opens drafts.
    "indicators.submissions": ("/submissions", SUB_READERS),
    "indicators.submission": (f"{SUB}", SUB_READERS),
    "indicators.submission_history": (f"{SUB}/history", SUB_READERS),
    "indicators.download_evidence": (f"{SUB}/evidence/1", SUB_READERS),
    # the offline submission workbook (issue 10)
    "exchange.download_template": (f"{SUB}/template.xlsx", SUB_READERS),
    "exchange.workbook": (f"{SUB}/workbook", SUB_READERS),
    "indicators.quality": ("/quality", {"admin", "planner", "reviewer"}),
    "indicators.rules": ("/quality/rules", {"admin", "planner", "reviewer"}),
    "indicators.new_rule": ("/quality/rules/new", {"planner"}),
    "indicators.edit_rule": ("/quality/rules/1/edit", {"planner"}),
    "indicators.completeness": ("/completeness", {"admin", "planner", "reviewer"}),
    "indicators.notifications": ("/notifications", ALL),
    "reports.progress_index": ("/reports/progress?period=2026Q2", ALL - {"partner"}),
    "reports.progress_page": ("/reports/progress/2026Q2", ALL - {"partner"}),
    "reports.progress_pdf": ("/reports/progress/2026Q2/pdf?lang=km", ALL - {"partner"}),
    "reports.edit_narrative": ("/reports/progress/2026Q2/narratives/summary", {"planner"}),
    "reports.publish_report": ("/reports/progress/2026Q2/publish", {"planner"}),
    "reports.published_list": ("/reports/published", ALL),
    "reports.published_file": ("/reports/published/1/pdf?lang=en", ALL),
    "reports.variance_page": ("/variance?period=2026Q2", ALL),
    "reports.variance_detail": ("/variance/AHTJP-01?period=2026Q2&span=ytd", ALL),
    # the donor workbook (issue 10 item 4): every approved value and the budget by source
    "donor.workbook": ("/reports/donor-workbook.xlsx?period=2026Q2", BUDGET_READERS),
}

API: dict[str, tuple[str, set[str]]] = {
    "api_index": ("/api/v1/", ALL),
    "stakeholders_api.organisations": ("/api/v1/organisations", ALL),
    "logframe_api.results": ("/api/v1/results?version=2", ALL - {"partner"}),
    "indicators_api.indicators": ("/api/v1/indicators", ALL),
    "indicators_api.periods": ("/api/v1/periods", ALL),
    "budget_api.schedule": ("/api/v1/budget/schedule", ALL),
    "indicators_api.submissions_list": ("/api/v1/submissions?period=2026Q4", ALL),
    # the demo partner reports for AHTJP-SRP; viewers read approved submissions only
    "indicators_api.submission_detail": (
        "/api/v1/submissions/AHTJP-SRP/2026Q4",
        ALL - {"viewer"},
    ),
    "indicators_api.completeness_api": ("/api/v1/completeness?period=2026Q4", ALL - {"partner"}),
    "reports_api.variance": ("/api/v1/variance?period=2026Q2&span=plan", ALL),
    "exchange_api.iati_activities": ("/api/v1/iati/activities.xml", BUDGET_READERS),
    "exchange_api.template": ("/api/v1/templates?org=AHTJP-SRP&period=2026Q4", SUB_READERS),
    "exchange_api.donor_workbook": ("/api/v1/donor-workbook?period=2026Q2", BUDGET_READERS),
}

# Every API POST: (url, JSON body, roles allowed), called with a bearer token. Allowed
# roles reach the endpoint's own checks (200, 400, 404, 409 or 422); others get 403.
API_ACTIONS: dict[str, tuple[str, dict, set[str]]] = {
    "exchange_api.import_workbook": ("/api/v1/imports?dryRun=true", {}, {"partner"}),
    "indicators_api.submission_submit": (
        "/api/v1/submissions/AHTJP-SRP/2026Q4/submit",
        {},
        {"partner"},
    ),
    "indicators_api.submission_approve": (
        "/api/v1/submissions/AHTJP-SRP/2026Q4/approve",
        {},
        {"reviewer"},
    ),
    "indicators_api.submission_return": (
        "/api/v1/submissions/AHTJP-SRP/2026Q4/return",
        {"reason": "x"},
        {"reviewer"},
    ),
}
#: The DHIS2 Web API (its own paths and error shape): endpoint → (method, url, roles
#: that get past the role check). Readers of data values are every role (scoped inside);
#: only partners write. Anonymous callers get DHIS2's 401.
_DHIS2_GET = {
    "system_info": "system/info",
    "me": "me",
    "data_elements": "dataElements",
    "category_option_combos": "categoryOptionCombos",
    "organisation_units": "organisationUnits",
    "data_sets": "dataSets",
    "period_types": "periodTypes",
    "get_data_value_sets": "dataValueSets?period=2026Q4&orgUnit=KH",
    "get_data_value_sets_json": "dataValueSets.json?period=2026Q4&orgUnit=KH",
    "get_data_value_sets_csv": "dataValueSets.csv?period=2026Q4&orgUnit=KH",
    "get_data_value": "dataValues?de=AHTJP-09&pe=2026Q4&ou=KH-17",
}
DHIS2: dict[str, tuple[str, str, set[str]]] = {}
for _name, _path in _DHIS2_GET.items():
    DHIS2[f"dhis2.{_name}"] = ("GET", f"/api/{_path}", ALL)
    DHIS2[f"dhis2.{_name}_versioned"] = ("GET", f"/api/40/{_path}", ALL)
DHIS2["dhis2.get_data_value_sets_v1"] = (
    "GET",
    "/api/v1/dataValueSets?period=2026Q4&orgUnit=KH",
    ALL,
)
for _name, _method, _path in (
    ("post_data_value_sets", "POST", "dataValueSets"),
    ("post_data_value", "POST", "dataValues?de=X&pe=2026Q4&ou=KH&value=1"),
    ("delete_data_value", "DELETE", "dataValues?de=X&pe=2026Q4&ou=KH"),
):
    DHIS2[f"dhis2.{_name}"] = (_method, f"/api/{_path}", {"partner"})
    DHIS2[f"dhis2.{_name}_versioned"] = (_method, f"/api/40/{_path}", {"partner"})
DHIS2["dhis2.post_data_value_sets_v1"] = ("POST", "/api/v1/dataValueSets", {"partner"})

#: API routes whose successful reply is a file, not JSON (errors are still JSON).
NOT_JSON = {"exchange_api.iati_activities", "exchange_api.template", "exchange_api.donor_workbook"}

# Every POST: (url, form data, roles allowed). Allowed roles reach the form's own checks
# (200, 302, 400 or 404 for a missing record); others get 403; anonymous the sign-in page.
ACTIONS: dict[str, tuple[str, dict, set[str]]] = {
    "auth.logout": ("/logout", {}, ALL),
    "auth.change_password": ("/profile/password", {}, ALL),
    "auth.create_token": ("/profile/tokens", {}, ALL),
    "auth.revoke_token": ("/profile/tokens/999/revoke", {}, ALL),
    "admin.new_user": ("/admin/users/new", {}, {"admin"}),
    "admin.edit_user": ("/admin/users/1/edit", {}, {"admin"}),
    "stakeholders.new_organisation": ("/organisations/new", {}, {"admin", "planner"}),
    "stakeholders.edit_organisation": ("/organisations/MOI/edit", {}, {"admin", "planner"}),
    "stakeholders.add_contact": (
        "/organisations/MOI/contacts",
        {"name": "X"},
        {"admin", "planner"},
    ),
    "stakeholders.delete_contact": (
        "/organisations/MOI/contacts/999/delete",
        {},
        {"admin", "planner"},
    ),
    "logframe.start_draft": ("/plan/drafts", {}, {"planner"}),
    "logframe.approve": ("/plan/v2/approve", {}, {"planner"}),
    "logframe.edit_vision": ("/plan/v2/vision", {}, {"planner"}),
    "logframe.new_result": ("/plan/v2/results/new?parent=O1", {}, {"planner"}),
    "logframe.edit_result": ("/plan/v2/results/O1/edit", {}, {"planner"}),
    "logframe.move_result": ("/plan/v2/results/P1/move", {"direction": "up"}, {"planner"}),
    "logframe.delete_result": ("/plan/v2/results/A1/delete", {}, {"planner"}),
    "logframe.monitoring": ("/activities/A1/monitoring", {}, {"planner"}),
    "indicators.edit_indicator": ("/indicators/AHTJP-01/edit", {}, {"planner", "reviewer"}),
    "indicators.new_indicator": ("/indicators/new", {}, {"planner", "reviewer"}),
    "indicators.retire": ("/indicators/AHTJP-01/retire", {}, {"planner", "reviewer"}),
    "indicators.reactivate": ("/indicators/AHTJP-01/reactivate", {}, {"planner", "reviewer"}),
    "indicators.delete": ("/indicators/LEAP-4.1/delete", {}, {"planner", "reviewer"}),
    "indicators.replace": ("/indicators/AHTJP-01/replace", {}, {"planner", "reviewer"}),
    "indicators.targets": ("/indicators/AHTJP-01/targets", {}, {"planner", "reviewer"}),
    "indicators.resplit_old_targets": (
        "/indicators/AHTJP-01/targets/old/resplit",
        {},
        {"planner", "reviewer"},
    ),
    "indicators.remove_old_targets": (
        "/indicators/AHTJP-01/targets/old/remove",
        {},
        {"planner", "reviewer"},
    ),
    "indicators.add_category": ("/disaggregations", {}, {"planner", "reviewer"}),
    "indicators.add_option": ("/disaggregations/sex/options", {}, {"planner", "reviewer"}),
    "indicators.generate_periods": ("/periods/generate", {"year": "2027"}, {"planner"}),
    "indicators.period_action": ("/periods/2026Q4/close", {}, {"planner"}),
    "indicators.period_deadline": ("/periods/2026Q4/deadline", {}, {"planner"}),
    "budget.delete_line": ("/budget/lines/BL-03/delete", {}, {"planner"}),
    "budget.start": ("/budget/start", {}, {"planner"}),
    "budget.donor_exit": ("/budget/scenarios/2/exit", {}, {"planner"}),
    "budget.keep_scenario": ("/budget/scenarios/2/keep", {}, {"planner"}),
    "budget.discard_scenario": ("/budget/scenarios/2/discard", {}, {"planner"}),
    "budget.new_line": ("/budget/lines/new", {}, {"planner"}),
    "budget.edit_line": ("/budget/lines/BL-03/edit", {}, {"planner"}),
    "budget.path": ("/budget/path", {}, {"planner"}),
    "budget.rates": ("/budget/rates", {}, {"planner"}),
    "budget.funding_sources": ("/budget/sources", {}, {"planner"}),
    "budget.spending": ("/budget/spending", {}, {"planner"}),
    "budget.import_planned": ("/budget/import", {}, {"planner"}),
    "budget.upload_spending": ("/budget/spending/upload", {}, {"planner"}),
    "budget.scenarios": ("/budget/scenarios", {}, {"planner"}),
    "budget.scenario_path": ("/budget/scenarios/2/path", {}, {"planner"}),
    "indicators.save_submission": (SUB, {}, {"partner"}),
    "indicators.bulk_review": ("/submissions/bulk", {}, {"reviewer"}),
    "indicators.approve_submission": (f"{SUB}/approve", {}, {"reviewer"}),
    "indicators.return_submission": (f"{SUB}/return", {}, {"reviewer"}),
    "indicators.reopen_submission": (f"{SUB}/reopen", {}, {"reviewer"}),
    "indicators.comment_value": (f"{SUB}/values/999/comments", {}, {"partner", "reviewer"}),
    "indicators.reopen_value": (f"{SUB}/values/999/reopen", {}, {"reviewer"}),
    "indicators.upload_evidence": (f"{SUB}/evidence", {}, {"partner"}),
    "exchange.upload_workbook": (f"{SUB}/workbook", {}, {"partner"}),
    "exchange.apply_workbook": (f"{SUB}/workbook/apply", {}, {"partner"}),
    "indicators.delete_evidence": (f"{SUB}/evidence/999/delete", {}, {"partner"}),
    "indicators.decide_finding": ("/quality/findings/999/dismiss", {}, {"reviewer"}),
    "indicators.new_rule": ("/quality/rules/new", {}, {"planner"}),
    "indicators.edit_rule": ("/quality/rules/1/edit", {}, {"planner"}),
    "indicators.delete_rule": ("/quality/rules/999/delete", {}, {"planner"}),
    "indicators.read_notifications": ("/notifications/read", {}, ALL),
    "reports.record_dedup": ("/variance/AHTJP-01/dedup", {}, {"reviewer"}),
    "reports.delete_dedup": ("/variance/dedup/999/delete", {}, {"reviewer"}),
    "reports.edit_narrative": (
        "/reports/progress/2026Q2/narratives/summary",
        {"text_en": "Matrix", "text_km": ""},
        {"planner"},
    ),
    "reports.publish_report": ("/reports/progress/2026Q2/publish", {}, {"planner"}),
}
# POST routes open to anyone, signed in or not.
PUBLIC_ACTIONS = {"auth.login", "auth.set_language"}


@pytest.fixture(autouse=True)
def _plan_for_logframe_routes(request):
    """Logframe routes need a plan: a tiny one (two versions), only for those routes."""
    endpoint = getattr(request.node, "callspec", None) and request.node.callspec.params.get(
        "endpoint", ""
    )
    if endpoint and endpoint.startswith("logframe"):
        from leap_me.extensions import db
        from tests.logframe.factories import tiny_plan

        request.getfixturevalue("app")
        with request.getfixturevalue("app").app_context():
            tiny_plan(db.session)


#: Blueprints whose records come with the base seed; other domains' URLs name records that
#: only their own seed steps create.
#: The logframe's routes get the tiny two-version plan instead (see above).
BASE_BLUEPRINTS = {
    "main",
    "auth",
    "admin",
    "stakeholders",
    "stakeholders_api",
    "api_index",
    "logframe",
    "logframe_api",
}


#: The seed steps each domain's matrix rows need (the indicator seed needs no plan).
DOMAIN_SEEDS = {
    "indicators": ("disaggregations", "indicators", "periods"),
    "budget": ("budget",),
    "reports": ("disaggregations", "indicators", "periods"),
    "exchange": ("disaggregations", "indicators", "periods", "budget"),
    "donor": ("disaggregations", "indicators", "periods", "budget"),
}


def _domain_data(app, endpoint: str, role: str, allowed: set[str]) -> None:
    """Run every seed step beyond the base ones, when the role will reach the record.

    Refused roles never load a record, so they skip the (slow) domain seed; budget views
    load the schedule before they check the method's role, so they always get it.
    """
    from leap_me.extensions import db

    if endpoint.split(".")[0] in BASE_BLUEPRINTS:
        return
    if role not in allowed and not endpoint.startswith("budget"):
        return
    names = DOMAIN_SEEDS[endpoint.split(".")[0].removesuffix("_api")]
    url = url_of(endpoint)
    published = url.startswith("/reports/published/1/")
    scenario = url.startswith("/budget/scenarios/2")

    def build() -> None:
        seeding.seed_all(db.session, Path(app.config["SEEDS_DIR"]), only=names)
        db.session.commit()
        if published:
            import sqlalchemy as sa

            from leap_me.auth.models import User
            from leap_me.reports import publish

            planner = db.session.scalar(sa.select(User).where(User.username == "planner"))
            assert publish.publish(db.session, "2026Q2", user=planner).id == 1
        if scenario:
            from budget import services as budget_services

            assert budget_services.create_scenario(db.session, "Matrix").id == 2

    with app.app_context():
        # seeded once per run for each kind of record, then written back as rows
        restore_or_build(
            app.config["SQLALCHEMY_DATABASE_URI"], (*names, published, scenario), build
        )
        if url.startswith((SUB, "/quality/rules/1")):  # evidence files: made each time
            _submission_data(db.session)
            db.session.commit()


def _submission_data(session) -> None:
    """AHTJP-SRP's submission of 2026Q4 with one evidence file, and cross-check rule 1."""
    import io

    import sqlalchemy as sa

    from indicators.models import ReportingPeriod
    from indicators.services import quality, submissions
    from leap_me.auth.models import User
    from stakeholders.models import Organisation

    partner = session.scalar(sa.select(User).where(User.username == "partner"))
    planner = session.scalar(sa.select(User).where(User.username == "planner"))
    org = session.scalar(sa.select(Organisation).where(Organisation.code == "AHTJP-SRP"))
    period = session.scalar(sa.select(ReportingPeriod).where(ReportingPeriod.code == "2026Q4"))
    sub = submissions.get_or_create(session, org, period, partner)
    submissions.add_evidence(
        session,
        sub,
        user=partner,
        filename="report.pdf",
        stream=io.BytesIO(b"%PDF-1.4\n%matrix\n"),
        content_type="application/pdf",
    )
    quality.create_rule(
        session,
        {
            "code": "MATRIX",
            "name_en": "Matrix rule",
            "left": [{"indicator": "AHTJP-01", "option": None}],
            "op": "ge",
            "right": [{"indicator": "AHTJP-02", "option": None}],
        },
        user=planner,
    )


def url_of(endpoint: str) -> str:
    for table in (PAGES, API, ACTIONS, API_ACTIONS):
        if endpoint in table:
            return table[endpoint][0]
    return ""


def test_every_route_is_in_the_matrix(app):
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in DHIS2:
            continue
        listed = rule.endpoint in PUBLIC or rule.endpoint in PAGES or rule.endpoint in API
        if "GET" in rule.methods and not listed:
            missing.append(f"GET {rule.endpoint} {rule.rule}")
        for method in rule.methods - {"GET", "HEAD", "OPTIONS"}:
            if (
                rule.endpoint not in ACTIONS
                and rule.endpoint not in PUBLIC_ACTIONS
                and rule.endpoint not in API_ACTIONS
            ):
                missing.append(f"{method} {rule.endpoint} {rule.rule}")
    assert not missing, "routes missing from the access matrix: " + ", ".join(missing)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(PAGES))
def test_page_access(app, client, login, endpoint, role):
    url, allowed = PAGES[endpoint]
    _domain_data(app, endpoint, role, allowed)
    if role != "anonymous":
        login(role)
    response = client.get(url)
    if role == "anonymous":
        assert response.status_code == 302
        assert response.location.startswith("/login")
    elif role in allowed:
        assert response.status_code == 200, f"{role} should open {url}"
    else:
        assert response.status_code == 403, f"{role} must not open {url}"
        assert "Not allowed" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(API))
def test_api_access(app, client, api_token, endpoint, role):
    url, allowed = API[endpoint]
    _domain_data(app, endpoint, role, allowed)
    headers = {} if role == "anonymous" else {"Authorization": f"Bearer {api_token(role)}"}
    response = client.get(url, headers=headers)
    expected = 401 if role == "anonymous" else (200 if role in allowed else 403)
    assert response.status_code == expected
    assert response.is_json or (expected == 200 and endpoint in NOT_JSON)
    if expected != 200:
        assert set(response.json["error"]) == {"code", "message", "details"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(ACTIONS))
def test_post_actions_check_the_role(app, client, login, endpoint, role):
    url, data, allowed = ACTIONS[endpoint]
    _domain_data(app, endpoint, role, allowed)
    if role != "anonymous":
        login(role)
    response = client.post(url, data=data)
    if role == "anonymous":
        assert response.status_code == 302 and response.location.startswith("/login")
    elif role in allowed:
        assert response.status_code in (200, 302, 400, 404)  # reached the view's own checks
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(API_ACTIONS))
def test_api_actions_check_the_role(app, client, api_token, endpoint, role):
    url, body, allowed = API_ACTIONS[endpoint]
    _domain_data(app, endpoint, role, allowed)
    headers = {} if role == "anonymous" else {"Authorization": f"Bearer {api_token(role)}"}
    response = client.post(url, json=body, headers=headers)
    assert response.is_json
    if role == "anonymous":
        assert response.status_code == 401
    elif role in allowed:
        assert response.status_code in (200, 400, 404, 409, 422)
    else:
        assert response.status_code == 403
        assert set(response.json["error"]) == {"code", "message", "details"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(DHIS2))
def test_dhis2_access(app, client, api_token, endpoint, role):
    method, url, allowed = DHIS2[endpoint]
    headers = {} if role == "anonymous" else {"Authorization": f"ApiToken {api_token(role)}"}
    response = client.open(url, method=method, headers=headers, json={"dataValues": []})
    assert response.is_json or response.status_code in (200, 201, 204)
    if role == "anonymous":
        assert response.status_code == 401
        assert response.json["httpStatusCode"] == 401
    elif role in allowed:
        assert response.status_code not in (401, 403, 500), response.status_code
    else:
        assert response.status_code == 403
        assert response.json["status"] == "ERROR"
