"""The administrator's pages for user accounts."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from leap_me import locking
from leap_me.auth import services
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


def _form_data(form: UserForm) -> services.AccountData:
    return services.AccountData(
        username=form.username.data or "",
        role=form.role.data or "",
        password=form.password.data or "",
        organisation_id=form.organisation_id.data or None,
        full_name=(form.full_name.data or "").strip(),
        email=(form.email.data or "").strip(),
    )


def _validate_user_form(form: UserForm, user: User | None) -> bool:
    """The form's own checks, then the rules every account obeys (shared with the
    command line), then, for an edit, the rules that keep an administrator in charge."""
    if not form.validate_on_submit():
        return False
    errors = services.account_errors(db.session, _form_data(form), user)
    if user is not None:
        errors.update(
            services.admin_change_errors(
                db.session,
                current_user._get_current_object(),
                user,
                form.role.data,
                bool(form.is_enabled.data),
            )
        )
    for name, message in errors.items():
        getattr(form, name, form.username).errors = [message]
    return not errors


def _warnings(form: UserForm, user: User) -> list[str]:
    """What an edit takes away and must be confirmed first."""
    warnings = []
    if user.is_enabled and not form.is_enabled.data:
        warnings.append(
            _(
                "%(name)s will be signed out everywhere and can no longer sign in or use "
                "API tokens.",
                name=user.username,
            )
        )
    if user.role == Role.ADMIN and form.role.data != Role.ADMIN:
        warnings.append(
            _("%(name)s will no longer be able to manage user accounts.", name=user.username)
        )
    if form.password.data:
        warnings.append(
            _(
                "The new password signs %(name)s out everywhere and revokes their API tokens.",
                name=user.username,
            )
        )
    return warnings


def _password_help(form: UserForm, user: User | None) -> None:
    if user is None:
        form.password.description = _(
            "At least 8 characters. Give it to the new user in person; they can change it "
            "on their profile page."
        )
    else:
        form.password.description = _(
            "At least 8 characters. Leave empty to keep the current password."
        )


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_user():
    form = UserForm()
    form.organisation_id.choices = _organisation_choices()
    _password_help(form, None)
    if request.method == "POST" and _validate_user_form(form, None):
        data = _form_data(form)
        user = services.create_user(
            db.session,
            data.username,
            data.role,
            data.password,
            data.organisation_id,
            full_name=data.full_name,
            email=data.email,
        )
        user.is_enabled = bool(form.is_enabled.data)
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
    _password_help(form, user)
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
        warnings = _warnings(form, user) if conflict is None else []
        if warnings and not form.confirmed.data:
            # Nothing is saved yet: the page shows what will happen and asks again.
            form.confirmed.data = True
            return render_template("admin/user_form.html", form=form, user=user, warnings=warnings)
        if conflict is None:
            was_enabled = user.is_enabled
            user.username = form.username.data.strip()
            _apply(form, user)
            if was_enabled and not user.is_enabled:
                services.revoke_sessions(db.session, user.id)
            db.session.commit()
            flash(_("User %(name)s is saved.", name=user.username), "success")
            return redirect(url_for("admin.users"))
    form.confirmed.data = False
    status = conflict.status if conflict else 400 if request.method == "POST" else 200
    return render_template("admin/user_form.html", form=form, user=user, conflict=conflict), status


def _apply(form: UserForm, user: User) -> None:
    user.full_name = (form.full_name.data or "").strip()
    user.email = (form.email.data or "").strip()
    user.role = form.role.data
    user.organisation_id = form.organisation_id.data or None
    user.is_enabled = bool(form.is_enabled.data)
    if form.password.data:
        services.set_password(db.session, user, form.password.data)
