"""The home page: what each role does next."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, send_from_directory

from leap_me.auth.permissions import signed_in

bp = Blueprint("main", __name__)


@bp.route("/")
@signed_in
def home():
    return render_template("main/home.html")


@bp.route("/healthz")
def healthz():
    return {"status": "ok"}


@bp.route("/favicon.ico")
def favicon():
    return send_from_directory(current_app.static_folder, "favicon.svg", mimetype="image/svg+xml")
