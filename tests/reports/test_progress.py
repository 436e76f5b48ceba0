"""The sector-wide progress report: its content, narratives, the page, the PDF in both
languages, publishing (byte for byte) and the command line."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess

import pytest
import sqlalchemy as sa

from indicators.models import DataValue, Finding, ReportingPeriod
from leap_me.audit import AuditEntry
from leap_me.auth.models import User
from leap_me.reports import progress, publish, render
from leap_me.reports.models import PublishedReport, ReportFile, ReportNarrative
from tests.conftest import QueryCounter
from tests.reports import factories as f

needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils missing")

KM_NARRATIVE = "ការជួញដូរមនុស្សបានថយចុះនៅខេត្តសៀមរាប"


@pytest.fixture
def figures(plan):
    """T-SUM: 2026Q2 target 25, approved 12 + 8 = 20 (80 %, amber); T-BIG: target 10,
    actual 30 (+200 %, exceeded); T-LOW: target 100, actual 10 (−90 %, red)."""
    s = plan
    f.quarters(s)
    ind = f.indicator(s, "T-SUM", baseline="104")
    f.target(s, ind, "2026Q1", 20)
    f.target(s, ind, "2026Q2", 25)
    f.value(s, ind, "2026Q1", "AHTJP-PNP", "KH-12", 10)
    f.value(s, ind, "2026Q1", "AHTJP-SRP", "KH-17", 7)
    f.value(s, ind, "2026Q2", "AHTJP-PNP", "KH-12", 12)
    f.value(s, ind, "2026Q2", "AHTJP-SRP", "KH-17", 8)
    f.value(s, ind, "2026Q2", "WVC", "KH-12", 50, status="submitted")
    big = f.indicator(s, "T-BIG", result_key="O2.1")
    f.target(s, big, "2026Q2", 10)
    f.value(s, big, "2026Q2", "AHTJP-PNP", "KH-12", 30)
    low = f.indicator(s, "T-LOW", result_key="O2.1")
    f.target(s, low, "2026Q2", 100)
    f.value(s, low, "2026Q2", "IOM", "KH-1", 10)
    q2 = s.scalar(sa.select(ReportingPeriod).where(ReportingPeriod.code == "2026Q2"))
    low_value = s.scalar(sa.select(DataValue).where(DataValue.indicator_id == low.id))
    low_value.explanation = "Floods closed the shelters in May."
    s.add(
        Finding(
            key="test-outlier-low",
            kind="outlier",
            indicator_id=low.id,
            period_id=q2.id,
            organisation_id=f.org(s, "IOM").id,
            province_id=f.province(s, "KH-1").id,
            value_id=low_value.id,
            detail={},
            explanation="Checked with the shelter.",
        )
    )
    s.commit()
    return {"sum": ind, "big": big, "low": low, "period": q2}


def _build(app, db, lang="en", **kw):
    with app.test_request_context():
        return progress.build(db.session, "2026Q2", lang, **kw)


def test_content_of_the_report(app, db, figures):
    report = _build(app, db)
    rows = {r["code"]: r for o in report.outcomes for r in (e["row"] for e in o["entries"])}
    assert rows["T-SUM"]["actual"] == 20 and rows["T-SUM"]["target"] == 25
    assert rows["T-SUM"]["status"] == "amber"
    assert rows["T-BIG"]["status"] == "exceeded" and rows["T-LOW"]["status"] == "red"
    # year to date for T-SUM: 17 + 20 = 37 against 20 + 25 = 45
    ytd = next(
        e["ytd"] for o in report.outcomes for e in o["entries"] if e["row"]["code"] == "T-SUM"
    )
    assert (ytd["actual"], ytd["target"]) == (37, 45)
    s = report.summary
    assert [r["code"] for r in s["biggest"]] == ["T-BIG", "T-LOW", "T-SUM"]  # +200 %, −90 %, −20 %
    assert s["biggest"][1]["explanations"][0]["text"] == "Floods closed the shelters in May."
    assert {r["code"] for r in s["on_track"]} == {"T-BIG"}
    assert {r["code"] for r in s["off_track"]} == {"T-SUM", "T-LOW"}
    assert [x["indicator"] for x in report.findings] == ["T-LOW"]
    assert report.findings[0]["explanation"] == "Checked with the shelter."
    assert report.crosschecks == [] and report.adjustments == []
    # the preview counts WVC's submitted 50
    preview = _build(app, db, preview=True)
    prow = next(
        e["row"] for o in preview.outcomes for e in o["entries"] if e["row"]["code"] == "T-SUM"
    )
    assert prow["actual"] == 70 and preview.preview


def test_fingerprint_moves_with_the_data_not_with_the_language(app, db, figures):
    en, km = _build(app, db, "en"), _build(app, db, "km")
    assert en.fingerprint() == km.fingerprint()
    v = db.session.scalar(sa.select(DataValue).where(DataValue.indicator_id == figures["big"].id))
    v.value = 31
    db.session.commit()
    assert _build(app, db).fingerprint() != en.fingerprint()


def test_queries_do_not_grow_with_the_data(app, db, figures):
    def count():
        with app.test_request_context():
            counter = QueryCounter(db.engine)
            with counter:
                progress.build(db.session, "2026Q2", "en")
            db.session.expire_all()
        return counter.count

    before = count()
    for i in range(5):
        ind = f.indicator(db.session, f"T-X{i}", result_key="O1.2")
        f.target(db.session, ind, "2026Q2", 10)
        for org, prov in (("AHTJP-PNP", "KH-12"), ("IOM", "KH-1")):
            f.value(db.session, ind, "2026Q1", org, prov, 3)
            f.value(db.session, ind, "2026Q2", org, prov, 4)
    db.session.commit()
    assert count() == before


def test_page_shows_every_section(figures, login):
    client = login("viewer")
    page = client.get("/reports/progress/2026Q2").get_data(as_text=True)
    for text in (
        "Sector-wide progress report 2026Q2",
        "The three biggest variances",
        "Progress by outcome",
        "Variance explanations",
        "Floods closed the shelters in May.",
        "Data-quality findings",
        "Broken cross-checks",
        "De-duplication adjustments",
        "Activity status",
        "Budget and cost-sharing",
        "Annex: completeness and timeliness",
        "<svg",
    ):
        assert text in page, text
    assert "Write the narrative" not in page and "Publish…" not in page  # viewer
    assert "pr-preview" not in page


def test_partner_reads_published_reports_but_not_the_live_one(figures, login):
    client = login("partner")
    assert client.get("/reports/progress/2026Q2").status_code == 403
    assert client.get("/reports/published").status_code == 200


def test_preview_is_marked_and_refused_to_viewers(figures, login):
    client = login("viewer")
    assert client.get("/reports/progress/2026Q2?status=submitted").status_code == 403
    client.post("/logout")
    client = login("reviewer")
    page = client.get("/reports/progress/2026Q2?status=submitted").get_data(as_text=True)
    assert "pr-preview" in page and "not yet approved" in page


def test_unknown_period_is_a_404(figures, login):
    client = login("viewer")
    assert client.get("/reports/progress/2099Q1").status_code == 404


# --- narratives ---------------------------------------------------------------------------


def test_planner_writes_a_bilingual_narrative_as_a_draft(figures, login, db):
    client = login("planner")
    url = "/reports/progress/2026Q2/narratives/O2"
    form = client.get(url).get_data(as_text=True)
    assert 'name="row_version"' in form
    response = client.post(
        url, data={"text_en": "Shelters reopened.", "text_km": KM_NARRATIVE, "row_version": ""}
    )
    assert response.status_code == 302
    stored = db.session.scalars(sa.select(ReportNarrative)).all()
    assert [(n.outcome_key, n.text_en, n.text_km) for n in stored] == [
        ("O2", "Shelters reopened.", KM_NARRATIVE)
    ]
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.object_type == "report_narrative")
    ).all()
    assert (
        entries and entries[0].action == "create" and "Shelters reopened." in entries[0].new_value
    )
    page = client.get("/reports/progress/2026Q2").get_data(as_text=True)
    assert "Shelters reopened." in page and KM_NARRATIVE not in page


def test_khmer_page_shows_the_khmer_narrative(figures, login, db):
    client = login("planner")
    client.post("/language", data={"lang": "km"})
    db.session.add(
        ReportNarrative(period_id=figures["period"].id, outcome_key="O2", text_km=KM_NARRATIVE)
    )
    db.session.commit()
    page = client.get("/reports/progress/2026Q2").get_data(as_text=True)
    assert KM_NARRATIVE in page and 'lang="km"' in page


def test_a_stale_narrative_form_does_not_overwrite(figures, login, db):
    client = login("planner")
    url = "/reports/progress/2026Q2/narratives/summary"
    client.post(url, data={"text_en": "First.", "text_km": ""})
    token_first = db.session.scalar(sa.select(ReportNarrative)).text_en
    assert token_first == "First."
    from leap_me.reports import narratives

    opened = narratives.token(db.session.scalar(sa.select(ReportNarrative)))
    client.post(url, data={"text_en": "Second.", "text_km": "", "row_version": opened})
    db.session.expire_all()
    # a form opened before "Second." was saved
    response = client.post(url, data={"text_en": "Third.", "text_km": "", "row_version": opened})
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.scalar(sa.select(ReportNarrative)).text_en == "Second."
    assert "Second." in response.get_data(as_text=True)


def test_narrative_of_an_unknown_outcome_is_a_404_and_viewers_are_refused(figures, login):
    client = login("planner")
    assert client.get("/reports/progress/2026Q2/narratives/O99").status_code == 404
    client.post("/logout")
    assert login("reviewer").get("/reports/progress/2026Q2/narratives/O2").status_code == 403


def test_too_long_narrative_saves_nothing(figures, login, db):
    client = login("planner")
    response = client.post(
        "/reports/progress/2026Q2/narratives/summary", data={"text_en": "x" * 20_001}
    )
    assert response.status_code == 400
    assert db.session.scalars(sa.select(ReportNarrative)).all() == []


# --- PDF ------------------------------------------------------------------------------


def _pdftotext(path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout


@needs_poppler
def test_khmer_pdf_is_shaped_embedded_and_stays_inside_its_tables(app, db, figures, tmp_path):
    db.session.add(
        ReportNarrative(period_id=figures["period"].id, outcome_key="", text_km=KM_NARRATIVE)
    )
    db.session.commit()
    report = _build(app, db, "km")
    pdf = tmp_path / "km.pdf"
    with app.test_request_context():
        pdf.write_bytes(render.pdf(report))
    text = _pdftotext(pdf)
    # pdftotext puts spaces between Khmer glyph runs and wraps lines: compare without them
    flat = re.sub(r"[\s\u200b]", "", text)
    assert "របាយការណ៍វឌ្ឍនភាពទូទាំងវិស័យ" in flat or "របាយការណ៍វឌ្ឍនភាព" in flat
    assert "ក្រសួងមហាផ្ទៃ" in flat
    # WeasyPrint writes ONE ToUnicode text per glyph (that of the first cluster the glyph
    # was drawn in), so in a long document a reused glyph can extract with a neighbour's
    # vowel. What must hold whatever the order: every Khmer letter of the names and of
    # the narrative is in the text layer (none was drawn as an image or lost).
    khmer = set(re.findall(r"[\u1780-\u17ff]", flat))
    wanted = set(re.findall(r"[\u1780-\u17ff]", KM_NARRATIVE + "សូចនាករ ករណី"))
    assert wanted <= khmer, wanted - khmer
    assert "T-SUM" in flat and "T-LOW" in flat
    assert "\u25cc" not in text  # no dotted circle: vowels and subscripts shaped
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    khmer = [line for line in fonts.splitlines() if "Noto-Sans-Khmer" in line]
    assert khmer and all(" yes " in line for line in khmer)  # embedded
    assert "DejaVu" not in " ".join(line.split()[0] for line in khmer)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    pages = int(next(line for line in info.splitlines() if line.startswith("Pages")).split()[-1])
    # running footer on every page: the page number and "page" in Khmer
    per_page = text.split("\f")
    for n in range(1, pages + 1):
        footer = re.sub(r"\s", "", per_page[n - 1])
        assert f"{n}" in footer and "ទំ" in footer, n
    with app.test_request_context():
        document = render.layout(report)
    _assert_no_overflow(document)


def _assert_no_overflow(document) -> None:
    from weasyprint.formatting_structure import boxes

    checked = 0
    for page in document.pages:
        for cell in page._page_box.descendants():
            if not isinstance(cell, boxes.TableCellBox):
                continue
            right = cell.border_box_x() + cell.border_width()
            for box in cell.descendants():
                if isinstance(box, boxes.TextBox):
                    checked += 1
                    assert box.position_x + box.width <= right + 0.5, (
                        f"text “{box.text}” leaves its cell ({box.position_x + box.width:.1f} > "
                        f"{right:.1f})"
                    )
    assert checked > 50


@needs_poppler
def test_english_pdf_has_its_title_and_page_numbers(app, db, figures, tmp_path):
    report = _build(app, db, "en")
    pdf = tmp_path / "en.pdf"
    with app.test_request_context():
        pdf.write_bytes(render.pdf(report))
    text = _pdftotext(pdf)
    assert "Sector-wide progress report 2026Q2" in text
    assert "Page 1 of" in text and "T-LOW" in text and "Floods closed the shelters" in text


def test_live_pdf_download(figures, login):
    response = login("viewer").get("/reports/progress/2026Q2/pdf?lang=km")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert login("viewer").get("/reports/progress/2026Q2/pdf?lang=fr").status_code == 400


# --- publishing -----------------------------------------------------------------------


def test_publish_freezes_the_report_byte_for_byte(figures, login, db):
    client = login("planner")
    confirm = client.get("/reports/progress/2026Q2/publish").get_data(as_text=True)
    assert "Publish" in confirm
    # without the confirmation nothing is stored
    assert client.post("/reports/progress/2026Q2/publish", data={}).status_code == 400
    assert db.session.scalars(sa.select(PublishedReport)).all() == []
    response = client.post("/reports/progress/2026Q2/publish", data={"confirm": "y"})
    assert response.status_code == 302
    published = db.session.scalars(sa.select(PublishedReport)).one()
    names = sorted(fl.name for fl in published.files)
    assert names == [
        "report-en.html",
        "report-en.pdf",
        "report-km.html",
        "report-km.pdf",
        "snapshot.json",
    ]
    for stored in published.files:
        assert hashlib.sha256(stored.content).hexdigest() == stored.sha256
    audit = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.object_type == "published_report")
    ).all()
    assert [a.action for a in audit] == ["create"] and "published" in (audit[0].reason or "")

    url = f"/reports/published/{published.id}/pdf?lang=km"
    first = client.get(url).data
    html_first = client.get(f"/reports/published/{published.id}/html?lang=en").data
    page = client.get("/reports/progress/2026Q2").get_data(as_text=True)
    assert "The live figures have not changed since." in page

    # an approved value changes: the live report moves, the published one does not
    v = db.session.scalar(sa.select(DataValue).where(DataValue.indicator_id == figures["big"].id))
    v.value = 99
    db.session.commit()
    again = client.get(url).data
    assert hashlib.sha256(again).hexdigest() == hashlib.sha256(first).hexdigest()
    assert client.get(f"/reports/published/{published.id}/html?lang=en").data == html_first
    page = client.get("/reports/progress/2026Q2").get_data(as_text=True)
    assert "The live figures have changed since" in page
    snapshot = client.get(f"/reports/published/{published.id}/json").get_json()
    big = next(r for r in snapshot["figures"]["variance"]["period"] if r["code"] == "T-BIG")
    assert big["actual"] == 30  # the figure of the day


def test_published_list_newest_first_paginated_with_empty_state(figures, login, db):
    client = login("viewer")
    assert "No progress report has been published yet." in client.get(
        "/reports/published"
    ).get_data(as_text=True)
    planner = db.session.scalar(sa.select(User).where(User.username == "planner"))
    from datetime import datetime, timedelta

    q2 = figures["period"]
    start = datetime(2026, 7, 1, 9, 0)
    for i in range(22):  # rows only: the listing never reads the files
        db.session.add(
            PublishedReport(
                period_id=q2.id,
                published_dt=start + timedelta(days=i),
                published_by_id=planner.id,
                fingerprint=f"{i:064d}",
            )
        )
    db.session.commit()
    page1 = client.get("/reports/published").get_data(as_text=True)
    assert page1.index("22 Jul 2026") < page1.index("21 Jul 2026")  # newest first
    assert '">1 Jul 2026' not in page1 and "Page 1 of 2" in page1
    assert page1.count("/pdf?lang=km") == 20
    page2 = client.get("/reports/published?page=2").get_data(as_text=True)
    assert '">1 Jul 2026' in page2 and '">2 Jul 2026' in page2
    assert page2.count("/pdf?lang=km") == 2
    assert client.get("/reports/published/999/pdf?lang=en").status_code == 404


def test_publish_service_stores_both_languages(app, db, figures):
    planner = db.session.scalar(sa.select(User).where(User.username == "planner"))
    with app.test_request_context():
        published = publish.publish(db.session, "2026Q2", user=planner)
    db.session.commit()
    km_html = db.session.scalar(
        sa.select(ReportFile).where(
            ReportFile.report_id == published.id, ReportFile.name == "report-km.html"
        )
    )
    assert "សូចនាករ T-SUM" in km_html.content.decode()


# --- command line -----------------------------------------------------------------------


def test_cli_writes_the_report(runner, figures, tmp_path):
    out = tmp_path / "r.html"
    result = runner.invoke(
        args=["report", "--period", "2026Q2", "--lang", "km", "--format", "html", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "សូចនាករ T-SUM" in out.read_text(encoding="utf-8")
    pdf = tmp_path / "r.pdf"
    result = runner.invoke(args=["report", "--period", "2026Q2", "-o", str(pdf)])
    assert result.exit_code == 0 and pdf.read_bytes().startswith(b"%PDF")
    bad = runner.invoke(args=["report", "--period", "2099Q1", "-o", str(tmp_path / "x.pdf")])
    assert bad.exit_code != 0 and "There is no reporting period 2099Q1" in bad.output
