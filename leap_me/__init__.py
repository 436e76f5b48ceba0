"""LEAP M&E: the application factory.

``create_app`` reads as the table of contents of the application: configuration,
extensions, blueprints, error handlers, template helpers and commands, in that order.
Nothing touches the database while the application is being built.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent

#: The domain packages, in dependency order. Each has ``models``, ``views.bp`` (pages),
#: ``api.bp`` (JSON API, optional) and ``services.seed_steps()`` (optional).
DOMAINS = ("stakeholders", "logframe", "indicators", "budget", "leap_me.reports")


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        instance_path=instance_path(test_config),
        instance_relative_config=True,
    )
    register_config(app, test_config)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_web(app)
    register_commands(app)
    return app


def instance_path(test_config: dict[str, Any] | None = None) -> str:
    """Where the database file, evidence and uploads live: ``INSTANCE_PATH`` in the given
    configuration, else ``LEAP_INSTANCE_PATH`` (e.g. /var/lib/leap-me), else ``instance/``
    beside the code."""
    import os

    given = (test_config or {}).get("INSTANCE_PATH") or os.environ.get("LEAP_INSTANCE_PATH")
    return str(Path(given).resolve()) if given else str(ROOT / "instance")


def register_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    from leap_me import config

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(config.from_environment(app.instance_path))
    app.config["SEEDS_DIR"] = str(ROOT / "seeds")
    if test_config:
        app.config.from_mapping(test_config)
    config.secure_sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"])


def register_extensions(app: Flask) -> None:
    from leap_me import audit, i18n
    from leap_me.db import render_migration_item
    from leap_me.extensions import babel, csrf, db, login_manager, migrate

    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(Path(__file__).parent / "migrations"),
        render_as_batch=True,
        compare_type=True,
        render_item=render_migration_item,
    )
    csrf.init_app(app)
    from leap_me.forms import install_translations

    install_translations()
    babel.init_app(app, locale_selector=i18n.select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Sign in to see this page.")
    login_manager.session_protection = "strong"
    audit.install(db.session)
    _load_models()

    @login_manager.user_loader
    def load_user(session_id: str):
        """The cookie holds only a server-side session's random id (see UserSession)."""
        from flask import current_app

        from leap_me.auth.services import user_for_session

        return user_for_session(db.session, session_id, current_app.config["SESSION_IDLE_DAYS"])


def _load_models() -> None:
    """Import every model so that metadata, migrations and relationships see them all."""
    import leap_me.audit  # noqa: F401
    import leap_me.auth.audit_labels  # noqa: F401
    import leap_me.auth.models  # noqa: F401
    import leap_me.exchange.models  # noqa: F401

    for domain in DOMAINS:
        importlib.import_module(f"{domain}.models")
        _optional(f"{domain}.audit_labels")  # how its history pages name fields


def _optional(module: str):
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        return None


def register_blueprints(app: Flask) -> None:
    from leap_me import api, main
    from leap_me.auth import admin, views

    pages = [main.bp, views.bp, admin.bp]
    apis = []
    for domain in DOMAINS:
        pages.append(importlib.import_module(f"{domain}.views").bp)
        if domain_api := _optional(f"{domain}.api"):
            apis.append(domain_api.bp)
    from leap_me.exchange import api as exchange_api
    from leap_me.exchange import donor_web
    from leap_me.exchange import views as exchange_views
    from leap_me.exchange.dhis2 import values as _dhis2_values  # noqa: F401 (its routes)
    from leap_me.exchange.dhis2 import web as dhis2_web

    apis.append(exchange_api.bp)
    pages.append(dhis2_web.bp)
    pages.append(exchange_views.bp)

    pages.append(donor_web.bp)
    for bp in pages:
        app.register_blueprint(bp)
    api.register_api(app, *apis)


def register_errorhandlers(app: Flask) -> None:
    from leap_me import locking
    from leap_me.errors import register_errorhandlers as register

    register(app)
    locking.install(app)


def register_template_helpers(app: Flask) -> None:
    from leap_me import i18n, navigation
    from leap_me.auth import permissions
    from leap_me.forms import EmptyForm

    app.jinja_env.filters["loc"] = i18n.localized
    app.jinja_env.filters["num"] = i18n.number
    # One date format per language: Flask-Babel's own filters are pointed at it too.
    for name in ("date", "dateformat"):
        app.jinja_env.filters[name] = i18n.date_filter
    for name in ("datetime", "datetimeformat"):
        app.jinja_env.filters[name] = i18n.datetime_filter

    @app.context_processor
    def inject() -> dict[str, Any]:
        return {
            "lang": i18n.current_lang(),
            "perms": permissions,
            "nav_items": navigation.items_for_current_user(),
            "button_form": EmptyForm(formdata=None),
        }

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "frame-ancestors 'none'; form-action 'self'",
        )
        return response


def register_web(app: Flask) -> None:
    from leap_me import web

    web.init_app(app)


def register_commands(app: Flask) -> None:
    from leap_me.cli import register

    register(app)
