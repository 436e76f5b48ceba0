"""Sign in and out, the profile page (password, language, API tokens)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from leap_me.auth import services
from leap_me.auth.forms import ChangePasswordForm, LoginForm, TokenForm
from leap_me.auth.models import ApiToken, normalise_username
from leap_me.auth.permissions import signed_in
from leap_me.db import utcnow
from leap_me.extensions import db
from leap_me.forms import EmptyForm
from leap_me.redirects import safe_next

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        username = normalise_username(form.username.data)
        cfg = current_app.config
        remote = request.remote_addr or ""
        if services.is_locked_out(
            db.session,
            username,
            remote,
            cfg["LOGIN_MAX_FAILURES"],
            cfg["LOGIN_LOCKOUT_MINUTES"],
            cfg["LOGIN_MAX_ADDRESS_FAILURES"],
        ):
            flash(
                _(
                    "Too many failed sign-ins. Wait %(minutes)d minutes and try again, "
                    "or ask an administrator to reset your password.",
                    minutes=cfg["LOGIN_LOCKOUT_MINUTES"],
                ),
                "error",
            )
            return render_template("auth/login.html", form=form), 429
        user = services.authenticate(db.session, username, form.password.data)
        if user is None or not user.is_active:
            services.record_attempt(db.session, username, remote, success=False)
            db.session.commit()
            flash(_("Wrong username or password."), "error")
            status = 401
        else:
            services.record_attempt(db.session, username, remote, success=True)
            user.last_login_dt = utcnow()
            services.start_session(db.session, user, request.headers.get("User-Agent", ""), remote)
            db.session.commit()
            lang = session.get("lang")  # chosen on the sign-in page: keep it
            session.clear()
            login_user(user, remember=form.remember.data)
            if user.locale or lang:
                session["lang"] = user.locale or lang
            return redirect(safe_next(request.args.get("next"), url_for("main.home")))
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@signed_in
def logout():
    if not EmptyForm().validate_on_submit():
        abort(400)
    lang = session.get("lang")
    services.end_session(db.session, current_user.get_id())
    db.session.commit()
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/language", methods=["POST"])
def set_language():
    lang = request.form.get("lang", "")
    if lang not in current_app.config["LANGUAGES"] or not EmptyForm().validate_on_submit():
        abort(400)
    session["lang"] = lang
    if current_user.is_authenticated:
        current_user.locale = lang
        db.session.commit()
    return redirect(safe_next(request.form.get("next"), url_for("main.home")))


def _profile_page(status: int = 200, new_token: str | None = None, **forms):
    forms.setdefault("password_form", ChangePasswordForm())
    forms.setdefault("token_form", TokenForm())
    return (
        render_template("auth/profile.html", new_token=new_token, revoke_form=EmptyForm(), **forms),
        status,
    )


@bp.route("/profile")
@signed_in
def profile():
    return _profile_page()


@bp.route("/profile/password", methods=["POST"])
@signed_in
def change_password():
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return _profile_page(400, password_form=form)
    if not current_user.check_password(form.current_password.data):
        form.current_password.errors = [_("The current password is not right.")]
        return _profile_page(400, password_form=form)
    user = current_user._get_current_object()
    _sessions, tokens = services.set_password(
        db.session, user, form.new_password.data, keep_session=user.get_id()
    )
    db.session.commit()
    flash(_("Your password is changed. Your other sessions have been signed out."), "success")
    if tokens:
        flash(
            _(
                "API tokens revoked with the old password: %(num)d. Create new ones for "
                "your scripts.",
                num=tokens,
            ),
            "warning",
        )
    return redirect(url_for("auth.profile"))


@bp.route("/profile/tokens", methods=["POST"])
@signed_in
def create_token():
    form = TokenForm()
    if not form.validate_on_submit():
        return _profile_page(400, token_form=form)
    _token, raw = services.create_token(db.session, current_user, form.name.data.strip())
    db.session.commit()
    flash(_("Token created. Copy it now: it will not be shown again."), "success")
    return _profile_page(new_token=raw)


@bp.route("/profile/tokens/<int:token_id>/revoke", methods=["POST"])
@signed_in
def revoke_token(token_id: int):
    token = db.session.scalar(
        sa.select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == current_user.id)
    )
    if token is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if token.revoked_dt is None:
        token.revoked_dt = utcnow()
        db.session.commit()
    flash(_("Token %(name)s is revoked.", name=token.name), "success")
    return redirect(url_for("auth.profile"))
