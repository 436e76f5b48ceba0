"""How history pages name the fields of user accounts."""

from flask_babel import lazy_gettext as _l

from leap_me.auth.models import User
from leap_me.auth.roles import Role
from leap_me.history import register

register(
    User,
    _l("user account"),
    {
        "username": _l("Username"),
        "full_name": _l("Full name"),
        "email": _l("Email"),
        "role": _l("Role"),
        "organisation_id": _l("Organisation"),
        "password_hash": _l("Password"),
        "locale": _l("Language"),
        "is_enabled": _l("Account enabled"),
        "last_login_dt": _l("Last signed in"),
    },
    values={"role": Role, "locale": {"en": "English", "km": "ខ្មែរ"}},
)
