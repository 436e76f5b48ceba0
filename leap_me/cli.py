"""The ``leap-me`` command line: one Flask CLI group, installed as a console script."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from leap_me.auth.roles import Role


def _create_app(*_args, **_kwargs) -> Flask:
    from leap_me import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """LEAP M&E: planning, monitoring and evaluation for the MoI's LEAP programme."""


def _seeds_dir() -> Path:
    return Path(current_app.config["SEEDS_DIR"])


@click.command("seed")
@click.option("--if-empty", is_flag=True, help="Load only when the database holds no data yet.")
@with_appcontext
def seed_command(if_empty: bool) -> None:
    """Load the LEAP plan and demo data from seeds/ (idempotent: twice = once)."""
    from leap_me import seeding
    from leap_me.extensions import db

    if if_empty and not seeding.is_empty(db.session):
        click.echo("The database already holds data; seed skipped.")
        return
    with click.progressbar(length=len(seeding.steps()), label="Seeding") as bar:
        counts = seeding.seed_all(db.session, _seeds_dir(), on_step=lambda _name: bar.update(1))
    db.session.commit()
    click.echo("Seed loaded: " + ", ".join(f"{k} +{v}" for k, v in counts.items()))


@click.command("demo-accounts")
@with_appcontext
def demo_accounts_command() -> None:
    """Print the demo accounts and where the database is."""
    from leap_me import seeding

    url = sa.engine.make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    click.echo(f"Database: {url.render_as_string(hide_password=True)}")
    click.echo("Demo accounts (change them before real use):")
    for username, password, role in seeding.demo_accounts(_seeds_dir()):
        click.echo(f"  {role:<9} {username:<12} password: {password}")


@click.group("users")
def users_group() -> None:
    """User accounts."""


@users_group.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--org", "org_code", help="Organisation code (required for partners).")
@click.option("--full-name", default="")
@with_appcontext
def users_create(username: str, role: str, org_code: str | None, full_name: str) -> None:
    """Create a user; the password is read from standard input."""
    from leap_me.auth.services import AccountError, create_user
    from leap_me.extensions import db
    from stakeholders.models import Organisation

    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    org_id = None
    if org_code:
        org_id = db.session.scalar(sa.select(Organisation.id).where(Organisation.code == org_code))
        if org_id is None:
            raise click.ClickException(f"No organisation has the code {org_code}.")
    try:
        user = create_user(db.session, username, role, password, org_id, full_name=full_name)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"User {user.username} created with role {user.role}.")


@click.group("tokens")
def tokens_group() -> None:
    """Personal API tokens."""


@tokens_group.command("create")
@click.argument("username")
@click.option("--name", default="cli", help="What the token is for.")
@with_appcontext
def tokens_create(username: str, name: str) -> None:
    """Create an API token; the token is printed as the last line."""
    from leap_me.auth.models import User
    from leap_me.auth.services import create_token
    from leap_me.extensions import db

    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"No user is called {username}.")
    _token, raw = create_token(db.session, user, name)
    db.session.commit()
    click.echo(f"Token for {username} (shown once; store it safely):")
    click.echo(raw)


@click.command("backup")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), required=True)
@with_appcontext
def backup_command(output: str) -> None:
    """Write the whole database to a compressed file."""
    from leap_me.backup import write_backup
    from leap_me.extensions import db

    # The file holds password hashes and personal data: readable by its owner only.
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        counts = write_backup(db.session, fh)
    click.echo(f"Backup written to {output}: {sum(counts.values())} rows in {len(counts)} tables.")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def restore_command(path: str) -> None:
    """Restore a backup into an empty, migrated database (all or nothing)."""
    from leap_me.backup import RestoreError, restore
    from leap_me.extensions import db

    try:
        counts = restore(db.session, Path(path))
    except RestoreError as exc:
        db.session.rollback()
        raise click.ClickException(f"Nothing was restored: {exc}.") from exc
    db.session.commit()
    click.echo(f"Restored {sum(counts.values())} rows in {len(counts)} tables.")


def register(app: Flask) -> None:
    from leap_me.exchange.cli import export_group

    for cmd in (
        export_group,
        seed_command,
        demo_accounts_command,
        users_group,
        tokens_group,
        backup_command,
        restore_command,
    ):
        app.cli.add_command(cmd)
    # Domains may add their own commands (``<domain>.cli.commands``).
    import importlib

    from leap_me import DOMAINS

    for domain in DOMAINS:
        try:
            module = importlib.import_module(f"{domain}.cli")
        except ModuleNotFoundError as exc:
            if exc.name != f"{domain}.cli":
                raise
            continue
        for cmd in getattr(module, "commands", []):
            app.cli.add_command(cmd)
