"""The JSON API kernel: bearer-token sign-in, the error shape, and helpers for domain APIs.

Each domain makes its own blueprint with :func:`api_blueprint`; all of them live under
``/api/v1`` and share the rules here. Cookies never authenticate an API call, so the API
needs no CSRF token and cannot be driven by another site through a signed-in browser.
"""

from __future__ import annotations

from flask import Blueprint, Flask, abort, g, jsonify, request
from flask_babel import gettext as _

from leap_me import numbers
from leap_me.extensions import csrf, db

PREFIX = "/api/v1"


def _authenticate() -> None:
    from leap_me.auth.services import user_for_token

    header = request.headers.get("Authorization", "")
    scheme, _sep, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        abort(401, description=_("Send a personal API token as 'Authorization: Bearer <token>'."))
    user = user_for_token(db.session, raw.strip())
    if user is None:
        abort(401, description=_("The API token is not valid, or was revoked."))
    # Flask-Login reads the user of this request from g; the session cookie is ignored
    # (set before the commit, whose audit hook asks who the user is).
    g._login_user = user
    db.session.commit()  # last_used_dt


def api_blueprint(name: str, import_name: str, url_prefix: str = "") -> Blueprint:
    bp = Blueprint(name, import_name, url_prefix=PREFIX + url_prefix)
    bp.before_request(_authenticate)
    csrf.exempt(bp)
    return bp


def register_api(app: Flask, *blueprints: Blueprint) -> None:
    for bp in blueprints:
        app.register_blueprint(bp)

    @app.route(PREFIX + "/", endpoint="api_index")
    def index():
        _authenticate()
        return jsonify(
            {
                "version": "v1",
                "endpoints": sorted(
                    {
                        rule.rule
                        for rule in app.url_map.iter_rules()
                        if rule.rule.startswith(PREFIX + "/")
                    }
                ),
            }
        )


def page_args(default: int = 100, maximum: int = 1000) -> tuple[int, int]:
    """``?page=`` and ``?pageSize=`` for list endpoints, bounded."""
    page = numbers.query_int("page", minimum=1, default=1)
    size = numbers.query_int("pageSize", minimum=1, maximum=maximum, default=default)
    return page, size
