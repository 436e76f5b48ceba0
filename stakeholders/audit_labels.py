"""How history pages name the fields of organisations and contacts."""

from flask_babel import lazy_gettext as _l

from leap_me.history import register
from stakeholders.models import Contact, Organisation, OrgType

register(
    Organisation,
    _l("organisation"),
    {
        "code": _l("Code"),
        "acronym": _l("Acronym"),
        "name_en": _l("Name in English"),
        "name_km": _l("Name in Khmer"),
        "type": _l("Type"),
        "parent_id": _l("Parent organisation"),
        "website": _l("Website"),
        "notes": _l("Notes"),
        "is_active": _l("Active"),
        "provinces": _l("Provinces covered"),
    },
    values={"type": OrgType},
)
register(
    Contact,
    _l("contact"),
    {
        "organisation_id": _l("Organisation"),
        "name": _l("Name"),
        "position": _l("Position"),
        "email": _l("Email"),
        "phone": _l("Phone"),
    },
)
