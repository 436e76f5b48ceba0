"""``leap-me report``: the progress report of a period as a PDF or HTML file
(docs/CONTRACTS: ``leap-me report --period 2026Q2 --lang en|km --format pdf|html -o FILE``)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("report")
@click.option("--period", required=True, help="Reporting period code, e.g. 2026Q2.")
@click.option("--lang", type=click.Choice(["en", "km"]), default="en", show_default=True)
@click.option(
    "--format", "fmt", type=click.Choice(["pdf", "html"]), default="pdf", show_default=True
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file to write.",
)
@click.option(
    "--preview", is_flag=True, help="Count submitted values too (the report says so everywhere)."
)
@with_appcontext
def report_command(period: str, lang: str, fmt: str, output: Path, preview: bool) -> None:
    """Write the sector-wide progress report of PERIOD (approved values only)."""
    from leap_me.extensions import db
    from leap_me.reports import progress, render

    with current_app.test_request_context("/"):
        try:
            report = progress.build(db.session, period, lang, preview)
        except progress.ReportError as exc:
            raise click.ClickException(exc.message) from None
        if fmt == "pdf":
            body = render.pdf(report)
        else:
            body = render.html(report, standalone=True, local_files=True).encode()
    try:
        output.write_bytes(body)
    except OSError as exc:
        raise click.ClickException(f"Cannot write {output}: {exc.strerror}") from None
    click.echo(f"{output}: {report.title} ({lang}, {fmt}, {len(body):,} bytes)")


commands = [report_command]
