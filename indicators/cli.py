"""``leap-me notify due``: deadline reminders, for cron (idempotent)."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import with_appcontext


@click.group("notify")
def notify_group() -> None:
    """Notifications."""


@notify_group.command("due")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Pretend today is this date (YYYY-MM-DD); for testing a schedule.",
)
@with_appcontext
def notify_due(today) -> None:
    """Remind reporters of deadlines in 7 days or passed. Running it twice sends nothing
    twice."""
    from indicators.services import notifications
    from leap_me.extensions import db

    day: date | None = today.date() if today else None
    count = notifications.send_due(db.session, day)
    db.session.commit()
    click.echo(f"{count} reminder(s) sent.")


commands = [notify_group]
