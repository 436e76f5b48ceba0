"""GET /api/v1/organisations"""

from __future__ import annotations

import sqlalchemy as sa
from flask import jsonify, request
from sqlalchemy import orm as so

from leap_me.api import api_blueprint, page_args
from leap_me.auth.permissions import signed_in
from leap_me.extensions import db
from stakeholders.models import Organisation
from stakeholders.services import organisation_as_dict

bp = api_blueprint("stakeholders_api", __name__)


@bp.route("/organisations")
@signed_in
def organisations():
    page, size = page_args()
    stmt = sa.select(Organisation).options(
        so.selectinload(Organisation.provinces), so.joinedload(Organisation.parent)
    )
    if org_type := request.args.get("type"):
        stmt = stmt.where(Organisation.type == org_type)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
    orgs = db.session.scalars(
        stmt.order_by(Organisation.code).limit(size).offset((page - 1) * size)
    ).all()
    return jsonify(
        {
            "organisations": [organisation_as_dict(o) for o in orgs],
            "pager": {"page": page, "pageSize": size, "total": total},
        }
    )
