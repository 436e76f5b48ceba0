"""The home page: the signed-in user's dashboard, one per role (leap_me/reports/dashboard.py)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, send_from_directory
from flask_login import current_user

from leap_me.auth.permissions import can_see_completeness, signed_in
from leap_me.auth.roles import Role
from leap_me.extensions import db
from leap_me.i18n import current_lang

bp = Blueprint("main", __name__)


@bp.route("/")
@signed_in
def home():
    from leap_me.reports import dashboard, present

    lang = current_lang()
    may_see_completeness = can_see_completeness(current_user)
    board = dashboard.build(db.session, current_user, lang, with_completeness=may_see_completeness)
    return render_template(
        "main/home.html",
        board=board,
        status_titles={s: present.status_title(s) for s in board["statuses"]},
        marks=present.STATUS_MARKS,
        activity_titles=dashboard.activity_titles(),
        may_see_completeness=may_see_completeness,
        pct=present.pct,
        role_titles={str(r): r.title for r in Role},
    )


@bp.route("/healthz")
def healthz():
    return {"status": "ok"}


@bp.route("/favicon.ico")
def favicon():
    return send_from_directory(current_app.static_folder, "favicon.svg", mimetype="image/svg+xml")
