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
@click.option("--email", default="")
@with_appcontext
def users_create(
    username: str, role: str, org_code: str | None, full_name: str, email: str
) -> None:
    """Create a user; the password is read from standard input.

    The same rules as the administrator's new-user form apply (one validator)."""
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
        user = create_user(
            db.session, username, role, password, org_id, full_name=full_name, email=email
        )
    except AccountError as exc:
        lines = [f"{field or 'account'}: {msg}" for field, msg in exc.errors.items()]
        raise click.ClickException("Nothing was created.\n  " + "\n  ".join(lines)) from exc
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
    from leap_me.auth.services import create_token, user_by_name
    from leap_me.extensions import db

    user = user_by_name(db.session, username)
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
    from leap_me.backup import write_backup_file
    from leap_me.extensions import db

    try:
        counts = write_backup_file(db.session, Path(output))
    except OSError as exc:
        raise click.ClickException(f"No backup was written: {exc}") from exc
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


def setup_demo(app: Flask, echo=click.echo) -> None:
    """What ``make run`` needs before serving, in this one process: migrate, seed an empty
    database, print the demo accounts."""
    from flask_migrate import upgrade

    from leap_me import seeding
    from leap_me.extensions import db

    with app.app_context():
        import logging

        logging.getLogger("alembic").setLevel(logging.WARNING)
        upgrade()
        if seeding.is_empty(db.session):
            counts = seeding.seed_all(db.session, Path(app.config["SEEDS_DIR"]))
            db.session.commit()
            echo("Seed loaded: " + ", ".join(f"{k} +{v}" for k, v in counts.items()))
        url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
        echo(f"Database: {url.render_as_string(hide_password=True)}")
        echo("Demo accounts (change them before real use):")
        for username, password, role in seeding.demo_accounts(Path(app.config["SEEDS_DIR"])):
            echo(f"  {role:<9} {username:<12} password: {password}")
        db.session.remove()
        db.engine.dispose()  # no connection may cross into the forked workers


def serve(app: Flask, host: str, port: int, workers: int, timeout: int = 60) -> None:
    """Serve with gunicorn, the server a ministry deploys; workers fork from this process,
    so the application is built once."""
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("timeout", timeout)
            self.cfg.set("accesslog", "-")
            self.cfg.set("forwarded_allow_ips", os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"))

        def load(self):
            return app

    Server().run()


@click.command("run")
@click.option("--host", "-h", default="127.0.0.1", show_default=True)
@click.option("--port", "-p", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    "-w",
    default=lambda: int(os.environ.get("WEB_CONCURRENCY", "2")),
    type=click.IntRange(1, 64),
    help="gunicorn worker processes (WEB_CONCURRENCY).",
)
@click.option("--setup", is_flag=True, help="Migrate, seed an empty database and list accounts.")
@click.option("--debug", is_flag=True, help="Werkzeug's development server with reloading.")
@click.pass_context
def run_command(ctx, host: str, port: int, workers: int, setup: bool, debug: bool) -> None:
    """Serve LEAP M&E with gunicorn (the development server only with --debug)."""
    from flask.cli import ScriptInfo

    app = ctx.ensure_object(ScriptInfo).load_app()
    if setup and not (debug and os.environ.get("WERKZEUG_RUN_MAIN")):
        setup_demo(app)
    click.echo(f"Serving on http://{host}:{port}  (Ctrl+C to stop)")
    if debug:
        from werkzeug.serving import run_simple

        app.debug = True
        run_simple(host, port, app, use_reloader=True, use_debugger=True, threaded=True)
    else:
        serve(app, host, port, workers)


def register(app: Flask) -> None:
    from leap_me.exchange.cli import export_group, import_group

    for cmd in (
        export_group,
        import_group,
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


# Replaces Flask's own ``run`` (always the development server) in this group.
main.add_command(run_command)
