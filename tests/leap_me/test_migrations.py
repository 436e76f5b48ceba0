"""Migrations build the same schema as the models, and run both ways."""

from __future__ import annotations

import contextlib
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from leap_me import create_app
from leap_me.extensions import db
from tests.conftest import make_config


@contextlib.contextmanager
def fresh_database(database_url: str, tmp_path):
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() != "postgresql":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}"
        return
    name = f"leap_mig_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _diff(app) -> list:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def _tables(app) -> set[str]:
    return set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}


@pytest.mark.usefixtures("_schema")
def test_upgrade_downgrade_upgrade_and_models_agree(database_url, tmp_path):
    with fresh_database(database_url, tmp_path) as url:
        app = create_app(make_config(url))
        with app.app_context():
            upgrade()
            assert _diff(app) == []
            assert _tables(app) == set(db.metadata.tables)
            downgrade(revision="base")
            assert _tables(app) == set()
            upgrade()
            assert _diff(app) == []
            db.engine.dispose()
