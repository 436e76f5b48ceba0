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
