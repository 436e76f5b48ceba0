"""The administrator's pages for user accounts."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from leap_me import locking
from leap_me.auth.forms import UserForm
from leap_me.auth.models import User
from leap_me.auth.permissions import roles_required
from leap_me.auth.roles import Role
from leap_me.extensions import db
from leap_me.listing import Listing

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _organisation_choices(keep: int | None = None):
    from leap_me.i18n import current_lang
    from stakeholders.services import organisation_choices

    return [(0, "—")] + organisation_choices(db.session, current_lang(), keep=keep)


@bp.route("/users")
@roles_required(Role.ADMIN)
def users():
    listing = Listing(
        sa.select(User),
        search=(User.username, User.full_name, User.email),
        sorts={
            "username": User.username,
            "role": User.role,
            "last_login": User.last_login_dt,
        },
        default_sort="username",
        filters={"role": User.role},
    )
    page = listing.paginate(db.session, current_app.config["PAGE_SIZE"])
    return render_template("admin/users.html", listing=listing, page=page, roles=list(Role))


def _validate_user_form(form: UserForm, user: User | None) -> bool:
    ok = form.validate_on_submit()
    if not ok:
        return False
    org_id = form.organisation_id.data or None
    if form.role.data == Role.PARTNER and not org_id:
        form.organisation_id.errors = [_("A partner reporter must belong to an organisation.")]
        ok = False
    clash = db.session.scalar(sa.select(User.id).where(User.username == form.username.data.strip()))
    if clash and (user is None or clash != user.id):
        form.username.errors = [
            _("The username %(name)s is already taken.", name=form.username.data)
        ]
        ok = False
    if user is None and not form.password.data:
        form.password.errors = [_("Give the new user a password.")]
        ok = False
    if user is not None and user.id == current_user.id and form.role.data != Role.ADMIN:
        form.role.errors = [_("You cannot take the administrator role from yourself.")]
        ok = False
    return ok


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_user():
    form = UserForm()
    form.organisation_id.choices = _organisation_choices()
    if request.method == "POST" and _validate_user_form(form, None):
        user = User(username=form.username.data.strip())
        _apply(form, user)
        db.session.add(user)
        db.session.commit()
        flash(_("User %(name)s is created.", name=user.username), "success")
        return redirect(url_for("admin.users"))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/user_form.html", form=form, user=None), status


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_user(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = UserForm(obj=user)
    form.organisation_id.choices = _organisation_choices(keep=user.organisation_id)
    conflict = None
    if request.method == "GET":
        form.organisation_id.data = user.organisation_id or 0
        locking.prime(form, locking.token_of(user))
    if request.method == "POST" and _validate_user_form(form, user):
        conflict = locking.detect(
            form,
            user,
            ["username", "full_name", "email", "role", "organisation_id", "is_enabled"],
            stored={"organisation_id": user.organisation_id or 0},
            discard_url=url_for("admin.edit_user", user_id=user.id),
        )
        if conflict is None:
            user.username = form.username.data.strip()
            _apply(form, user)
            db.session.commit()
            flash(_("User %(name)s is saved.", name=user.username), "success")
            return redirect(url_for("admin.users"))
    status = conflict.status if conflict else 400 if request.method == "POST" else 200
    return render_template("admin/user_form.html", form=form, user=user, conflict=conflict), status


def _apply(form: UserForm, user: User) -> None:
    user.full_name = form.full_name.data or ""
    user.email = form.email.data or ""
    user.role = form.role.data
    user.organisation_id = form.organisation_id.data or None
    user.is_enabled = bool(form.is_enabled.data)
    if form.password.data:
        user.set_password(form.password.data)
