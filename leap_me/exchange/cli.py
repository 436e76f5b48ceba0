"""``leap-me export …``: files for other systems (IATI; workbooks join here)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext


@click.group("export")
def export_group() -> None:
    """Write files for other systems: IATI activities, workbooks."""


@export_group.command("iati")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def export_iati(output: str) -> None:
    """Write the IATI 2.03 activity file (approved results only)."""
    from leap_me.exchange import iati
    from leap_me.extensions import db

    target = Path(output)
    if not target.parent.exists():
        raise click.ClickException(f"The folder {target.parent} does not exist.")
    settings = iati.settings(current_app.config, Path(current_app.config["SEEDS_DIR"]))
    body = iati.build(db.session, settings)
    target.write_bytes(body)
    click.echo(f"Wrote {len(body):,} bytes to {target}")


@export_group.command("template")
@click.option("--org", "org_code", required=True, help="The organisation's code.")
@click.option("--period", "period_code", required=True, help="The period, e.g. 2026Q2.")
@click.option("--lang", type=click.Choice(["en", "km"]), default="en", show_default=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def export_template(org_code: str, period_code: str, lang: str, output: str) -> None:
    """Write the submission workbook of one organisation and period."""
    import sqlalchemy as sa

    from indicators.models import ReportingPeriod
    from leap_me.exchange import template as tpl
    from leap_me.extensions import db
    from stakeholders.models import Organisation

    target = Path(output)
    if not target.parent.exists():
        raise click.ClickException(f"The folder {target.parent} does not exist.")
    org = db.session.scalar(sa.select(Organisation).where(Organisation.code == org_code))
    if org is None:
        raise click.ClickException(f"There is no organisation {org_code}.")
    period = db.session.scalar(
        sa.select(ReportingPeriod).where(ReportingPeriod.code == period_code)
    )
    if period is None:
        raise click.ClickException(f"There is no reporting period {period_code}.")
    body = tpl.build(db.session, org, period, lang)
    target.write_bytes(body)
    click.echo(f"Wrote {len(body):,} bytes to {target}")


@export_group.command("donor-workbook")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True))
@click.option(
    "--lang",
    type=click.Choice(["en", "km"]),
    default="en",
    show_default=True,
    help="Language of the headers and names.",
)
@click.option(
    "--period",
    default="",
    help="Reporting period of the tracking table and the progress report (2026Q2); "
    "default: the latest period with approved values.",
)
@with_appcontext
def export_donor_workbook(output: str, lang: str, period: str) -> None:
    """Write the donor workbook: logframe, tracking table, tidy data, budget, read me."""
    from leap_me.exchange import donor
    from leap_me.extensions import db

    target = Path(output)
    if not target.parent.exists():
        raise click.ClickException(f"The folder {target.parent} does not exist.")
    try:
        lang, code = donor.resolve(db.session, lang, period)
        donor.build(
            db.session,
            str(target),
            lang=lang,
            period=code,
            made_by="leap-me export",
            period_asked=bool(period.strip()),
        )
    except donor.DonorWorkbookError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"Wrote {target.stat().st_size:,} bytes to {target} (period {code or '—'}, {lang})")


@click.group("import")
def import_group() -> None:
    """Read files from other systems: filled submission workbooks."""


@import_group.command("submissions")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check the workbook and write nothing.")
@click.option("--user", "username", required=True, help="The reporter the values come from.")
@with_appcontext
def import_submissions(file: str, dry_run: bool, username: str) -> None:
    """Check a filled submission workbook and, unless --dry-run, write it as the draft."""
    import sqlalchemy as sa
    from flask import g

    from leap_me.auth.models import User
    from leap_me.exchange import imports
    from leap_me.extensions import db

    user = db.session.scalar(sa.select(User).where(User.username == username.lower()))
    if user is None or not user.is_enabled:
        raise click.ClickException(f"There is no active user {username}.")
    path = Path(file)
    size = path.stat().st_size
    if size > imports.LIMITS.max_bytes:
        raise click.ClickException(
            f"The file is larger than the limit of {imports.LIMITS.max_bytes // 2**20} MB."
        )
    data = path.read_bytes()
    locale = user.locale if user.locale in ("en", "km") else "en"
    with current_app.test_request_context():
        g._login_user = user  # the audit trail names the user (as an API token does)
        with click.progressbar(length=100, label="Checking") as bar:
            done = [0]

            def progress(i: int, total: int) -> None:
                step = int(100 * i / total) if total else 100
                if step > done[0]:
                    bar.update(step - done[0])
                    done[0] = step

            try:
                report = imports.run(
                    db.session, data, user=user, dry_run=dry_run, locale=locale, progress=progress
                )
            except imports.ImportRefused as exc:
                db.session.rollback()
                raise click.ClickException(exc.message) from None
            bar.update(100 - done[0])
        for p in [*report.problems, *report.warnings]:
            click.echo(f"{p.severity:8} {p.sheet}!{p.cell}: {p.message}")
        counts = report.counts
        click.echo(
            "new {new} · changed {changed} · unchanged {unchanged} · refused {refused} · "
            "problems {errors} · warnings {warnings}".format(**counts)
        )
        if report.written:
            db.session.commit()
        else:
            db.session.rollback()
        click.echo(report.summary())
        if not report.clean:
            raise SystemExit(1)
