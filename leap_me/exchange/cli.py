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


@export_group.command("donor-workbook")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True))
@click.option(
    "--lang",
    type=click.Choice(["en", "km"]),
    default="en",
    show_default=True,
    help="Language of the headers and names.",
)
@click.option("--period", default="", help="Reporting period of the tracking table (2026Q2).")
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
        donor.build(db.session, str(target), lang=lang, period=code, made_by="leap-me export")
    except donor.DonorWorkbookError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"Wrote {target.stat().st_size:,} bytes to {target} (period {code or '—'}, {lang})")
