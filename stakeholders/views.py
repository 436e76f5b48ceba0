"""Pages for organisations, their contacts, and provinces."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import orm as so

from leap_me import audit, locking
from leap_me.auth.permissions import (
    can_edit_organisations,
    can_see_contacts,
    can_see_history,
    roles_required,
    signed_in,
)
from leap_me.auth.roles import Role
from leap_me.extensions import db
from leap_me.forms import EmptyForm
from leap_me.history import render_history
from leap_me.i18n import current_lang
from leap_me.listing import Listing
from stakeholders import services
from stakeholders.forms import ContactForm, OrganisationForm
from stakeholders.models import Contact, Organisation, OrgType, Province, organisation_province

bp = Blueprint("stakeholders", __name__)

EDITORS = (Role.ADMIN, Role.PLANNER)


def _load(code: str) -> Organisation:
    org = db.session.scalar(
        sa.select(Organisation)
        .options(so.selectinload(Organisation.provinces), so.selectinload(Organisation.contacts))
        .where(Organisation.code == code)
    )
    if org is None:
        abort(404)
    return org


@bp.route("/organisations")
@signed_in
def organisations():
    listing = Listing(
        sa.select(Organisation).options(
            so.selectinload(Organisation.provinces), so.joinedload(Organisation.parent)
        ),
        search=(
            Organisation.code,
            Organisation.name_en,
            Organisation.name_km,
            Organisation.acronym,
        ),
        sorts={"code": Organisation.code, "name": Organisation.name_en, "type": Organisation.type},
        default_sort="code",
        filters={"type": Organisation.type},
    )
    page = listing.paginate(db.session, current_app.config["PAGE_SIZE"])
    return render_template(
        "stakeholders/organisations.html",
        listing=listing,
        page=page,
        types=list(OrgType),
        can_edit=can_edit_organisations(current_user),
    )


@bp.route("/organisations/<code>")
@signed_in
def organisation(code: str):
    org = _load(code)
    children = db.session.scalars(
        sa.select(Organisation).where(Organisation.parent_id == org.id).order_by(Organisation.code)
    ).all()
    return render_template(
        "stakeholders/organisation.html",
        org=org,
        children=children,
        can_edit=can_edit_organisations(current_user),
        show_contacts=can_see_contacts(current_user),
        show_history=can_see_history(current_user),
        contact_form=ContactForm(),
        delete_form=EmptyForm(),
    )


def _form_choices(form: OrganisationForm, org: Organisation | None) -> None:
    form.parent_id.choices = [(0, "—")] + [
        c
        for c in services.organisation_choices(db.session, current_lang())
        if org is None or c[0] != org.id
    ]
    form.provinces.choices = services.province_choices(db.session, current_lang())


def _validate(form: OrganisationForm, org: Organisation | None) -> bool:
    ok = form.validate_on_submit()
    if not ok:
        return False
    clash = db.session.scalar(sa.select(Organisation.id).where(Organisation.code == form.code.data))
    if clash and (org is None or clash != org.id):
        form.code.errors = [
            _("Another organisation already has the code %(code)s.", code=form.code.data)
        ]
        ok = False
    if org is not None and services.would_create_cycle(
        db.session, org, form.parent_id.data or None
    ):
        form.parent_id.errors = [_("An organisation cannot sit under itself or its own units.")]
        ok = False
    return ok


def _data(form: OrganisationForm) -> dict:
    return {
        "code": form.code.data,
        "acronym": form.acronym.data or "",
        "name_en": form.name_en.data,
        "name_km": form.name_km.data,
        "type": form.type.data,
        "parent_id": form.parent_id.data or None,
        "website": form.website.data or "",
        "notes": form.notes.data or "",
        "is_active": form.is_active.data,
    }


@bp.route("/organisations/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def new_organisation():
    form = OrganisationForm()
    _form_choices(form, None)
    if request.method == "POST" and _validate(form, None):
        with audit.reason(form.reason.data):
            org = services.apply_organisation(
                db.session, Organisation(), _data(form), form.provinces.data or []
            )
        db.session.commit()
        flash(_("Organisation %(code)s is created.", code=org.code), "success")
        return redirect(url_for("stakeholders.organisation", code=org.code))
    status = 400 if request.method == "POST" else 200
    return render_template("stakeholders/organisation_form.html", form=form, org=None), status


@bp.route("/organisations/<code>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit_organisation(code: str):
    org = _load(code)
    form = OrganisationForm(obj=org)
    _form_choices(form, org)
    conflict = None
    if request.method == "GET":
        form.parent_id.data = org.parent_id or 0
        form.provinces.data = [p.id for p in org.provinces]
        locking.prime(form, locking.token_of(org))
    if request.method == "POST" and _validate(form, org):
        conflict = locking.detect(
            form,
            org,
            [*(n for n in _data(form) if n != "parent_id"), "parent_id", "provinces"],
            stored={"parent_id": org.parent_id or 0, "provinces": [p.id for p in org.provinces]},
            discard_url=url_for("stakeholders.edit_organisation", code=org.code),
        )
        if conflict is None:
            with audit.reason(form.reason.data):
                locking.bump(org)  # provinces are not columns
                services.apply_organisation(
                    db.session, org, _data(form), form.provinces.data or []
                )
            db.session.commit()
            flash(_("Organisation %(code)s is saved.", code=org.code), "success")
            return redirect(url_for("stakeholders.organisation", code=org.code))
    status = conflict.status if conflict else 400 if request.method == "POST" else 200
    return render_template(
        "stakeholders/organisation_form.html", form=form, org=org, conflict=conflict
    ), status


@bp.route("/organisations/<code>/contacts", methods=["POST"])
@roles_required(*EDITORS)
def add_contact(code: str):
    org = _load(code)
    form = ContactForm()
    if not form.validate_on_submit():
        for field, errors in form.errors.items():
            label = getattr(form, field).label.text if hasattr(form, field) else field
            flash(f"{label}: {' '.join(str(e) for e in errors)}", "error")
        return redirect(url_for("stakeholders.organisation", code=org.code))
    org.contacts.append(
        Contact(
            name=form.name.data.strip(),
            position=form.position.data or "",
            email=form.email.data or "",
            phone=form.phone.data or "",
        )
    )
    db.session.commit()
    flash(_("Contact %(name)s is added.", name=form.name.data), "success")
    return redirect(url_for("stakeholders.organisation", code=org.code) + "#contacts")


@bp.route("/organisations/<code>/contacts/<int:contact_id>/delete", methods=["POST"])
@roles_required(*EDITORS)
def delete_contact(code: str, contact_id: int):
    org = _load(code)
    contact = next((c for c in org.contacts if c.id == contact_id), None)
    if contact is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    db.session.delete(contact)
    db.session.commit()
    flash(_("Contact %(name)s is removed.", name=contact.name), "success")
    return redirect(url_for("stakeholders.organisation", code=org.code) + "#contacts")


@bp.route("/organisations/<code>/history")
@roles_required(Role.ADMIN, Role.PLANNER, Role.REVIEWER)
def organisation_history(code: str):
    org = _load(code)
    return render_history(
        org,
        _("History of %(code)s", code=org.code),
        url_for("stakeholders.organisation", code=org.code),
    )


@bp.route("/provinces")
@signed_in
def provinces():
    counts = (
        sa.select(organisation_province.c.province_id, sa.func.count().label("n"))
        .group_by(organisation_province.c.province_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Province, sa.func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.province_id == Province.id)
        .order_by(Province.name_en)
    ).all()
    return render_template("stakeholders/provinces.html", rows=rows)
