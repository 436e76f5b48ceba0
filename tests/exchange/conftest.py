"""Fixtures for the donor workbook: the seeded plan, two indicators with values worked out
by hand (tests/reports/factories), a disaggregation, an approved submission and the tiny
budget of tests/budget."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from indicators.models import DataValue, DisaggCategory, DisaggOption, Submission
from leap_me.auth.models import User
from tests.budget.conftest import tiny  # noqa: F401 (a fixture used here)
from tests.reports import factories as f
from tests.reports.conftest import plan  # noqa: F401 (a fixture used here)

APPROVED_AT = datetime(2026, 7, 20, 9, 30)
RISKY_NAME = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture
def donor_data(plan, tiny):  # noqa: F811 (fixtures)
    s = plan
    f.quarters(s)
    sex = DisaggCategory(code="sex", name_en="Sex", name_km="ភេទ")
    sex.options = [
        DisaggOption(code="F", name_en="Female", name_km="ស្រី", position=0),
        DisaggOption(code="M", name_en="Male", name_km="ប្រុស", position=1),
    ]
    s.add(sex)
    ind = f.indicator(s, "T-SUM", baseline="104")
    ind.current.name_en = RISKY_NAME
    f.target(s, ind, "2026Q1", 20)
    f.target(s, ind, "2026Q2", 25)
    f.value(s, ind, "2026Q1", "AHTJP-PNP", "KH-12", 10)
    f.value(s, ind, "2026Q1", "WVC", "KH-12", 5)
    f.value(s, ind, "2026Q1", "AHTJP-SRP", "KH-17", 7)
    f.value(s, ind, "2026Q2", "AHTJP-PNP", "KH-12", 12)
    f.value(s, ind, "2026Q2", "AHTJP-PNP", "KH-12", 7, disagg="sex:F")
    f.value(s, ind, "2026Q2", "AHTJP-PNP", "KH-12", 5, disagg="sex:M")
    f.value(s, ind, "2026Q2", "AHTJP-SRP", "KH-17", 8)
    f.value(s, ind, "2026Q2", "WVC", "KH-12", 50, status="submitted")
    pct = f.indicator(s, "T-PCT", result_key="O2.1", measure="percentage", agg_time="latest")
    f.target(s, pct, "2026Q2", 80)
    f.value(s, pct, "2026Q2", "AHTJP-PNP", "KH-12", numerator=1, denominator=4)
    reviewer = s.scalar(sa.select(User).where(User.username == "reviewer"))
    srp = f.org(s, "AHTJP-SRP")
    q2 = f.periods(s, "2026Q2")["2026Q2"]
    sub = Submission(
        organisation_id=srp.id,
        period_id=q2.id,
        status="approved",
        decided_at=APPROVED_AT,
        decided_by_id=reviewer.id,
    )
    s.add(sub)
    s.flush()
    s.execute(
        sa.update(DataValue)
        .where(DataValue.organisation_id == srp.id, DataValue.period_id == q2.id)
        .values(submission_id=sub.id)
    )
    s.commit()
    return {"indicator": ind, "reviewer": reviewer}


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(path: Path, fmt: str, outdir: Path, sheet: int | None = None) -> Path:
    """Convert with LibreOffice headless in a profile of its own (parallel-safe)."""
    profile = outdir / f"lo-profile-{uuid.uuid4().hex}"
    target = fmt
    if fmt == "csv":
        # comma, double quote, UTF-8 (76), from line 1; then the sheet to export (1-based)
        target = "csv:Text - txt - csv (StarCalc):44,34,76,1"
        if sheet is not None:
            target += f",,0,false,true,false,false,false,{sheet}"
    outdir.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [
            soffice(),
            "--headless",
            f"-env:UserInstallation=file://{profile}",
            "--convert-to",
            target,
            "--outdir",
            str(outdir),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    shutil.rmtree(profile, ignore_errors=True)
    assert result.returncode == 0, result.stderr
    suffix = "csv" if fmt == "csv" else fmt
    made = sorted(outdir.glob(f"{path.stem}*.{suffix}"))
    assert made, (result.stdout, result.stderr)
    return made[0]
