"""DHIS2 Web API plumbing: authentication as DHIS2 does it, its error shape, ``fields=``
filtering and paging."""

from __future__ import annotations

import base64
import binascii
import math
from typing import Any

from flask import current_app, g, jsonify, request
from flask_babel import gettext as _

from leap_me.extensions import db
from leap_me.numbers import NumberError, parse_int

STATUS_TEXT = {
    200: "OK",
    201: "Created",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    429: "Too Many Requests",
    500: "Internal Server Error",
}


class Dhis2Error(Exception):
    """An error answered in DHIS2's WebMessage shape."""

    def __init__(self, status: int, message: str, error_code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_code = error_code


def web_message(status: int, message: str, **extra: Any):
    body = {
        "httpStatus": STATUS_TEXT.get(status, str(status)),
        "httpStatusCode": status,
        "status": "OK" if status < 400 else "ERROR",
        "message": message,
        **extra,
    }
    response = jsonify(body)
    response.status_code = status
    return response


def error_response(err: Dhis2Error):
    extra = {"errorCode": err.error_code} if err.error_code else {}
    response = web_message(err.status, err.message, **extra)
    if err.status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="LEAP M&E", ApiToken'
    return response


def authenticate() -> None:
    """Sign the request in from ``Authorization``: ``ApiToken``/``Bearer`` with a personal
    token, or HTTP Basic with username and password (throttled like the sign-in page).
    Cookies never authenticate, so these paths need no CSRF token."""
    from leap_me.auth import services

    header = request.headers.get("Authorization", "")
    scheme, _sep, raw = header.partition(" ")
    scheme, raw = scheme.lower(), raw.strip()
    user = None
    if scheme in ("apitoken", "bearer") and raw:
        user = services.user_for_token(db.session, raw)
        if user is None:
            raise Dhis2Error(401, _("The API token is not valid, or was revoked."))
    elif scheme == "basic" and raw:
        try:
            decoded = base64.b64decode(raw, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise Dhis2Error(401, _("The Basic credentials are not valid base64.")) from None
        username, sep, password = decoded.partition(":")
        if not sep:
            raise Dhis2Error(401, _("Send Basic credentials as username:password."))
        user = _basic(username.strip(), password)
    else:
        raise Dhis2Error(
            401,
            _(
                "Sign in with 'Authorization: ApiToken <token>' (or Bearer), or with "
                "HTTP Basic username and password."
            ),
        )
    if not user.is_active:
        raise Dhis2Error(401, _("This account is disabled."))
    db.session.commit()  # last use of the token, the sign-in attempt
    g._login_user = user


def _basic(username: str, password: str):
    from leap_me.auth import services

    cfg = current_app.config
    remote = request.remote_addr or ""
    if services.is_locked_out(
        db.session, username, remote, cfg["LOGIN_MAX_FAILURES"], cfg["LOGIN_LOCKOUT_MINUTES"]
    ):
        raise Dhis2Error(
            429,
            _(
                "Too many failed sign-ins. Wait %(minutes)d minutes and try again.",
                minutes=cfg["LOGIN_LOCKOUT_MINUTES"],
            ),
        )
    user = services.authenticate(db.session, username, password)
    ok = user is not None and user.is_active
    services.record_attempt(db.session, username, remote, success=ok)
    if not ok:
        db.session.commit()
        raise Dhis2Error(401, _("Wrong username or password."))
    return user


# --- query options --------------------------------------------------------------------


def flag(name: str, default: bool = False) -> bool:
    raw = request.args.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no", ""):
        return False
    raise Dhis2Error(400, _("%(name)s must be true or false.", name=name))


def int_arg(name: str, default: int, minimum: int, maximum: int) -> int:
    raw = request.args.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = parse_int(raw, minimum=minimum, maximum=maximum)
    except NumberError as err:
        raise Dhis2Error(400, f"{name}: {err.message}") from None
    return default if value is None else value


def parse_fields(text: str | None) -> dict | None:
    """``id,code,name,dataSetElements[dataElement[id]]`` → a tree; None means all fields."""
    if text is None or not text.strip():
        return None
    pos = 0

    def parse_level() -> dict:
        nonlocal pos
        out: dict = {}
        name = ""
        while pos < len(text):
            ch = text[pos]
            pos += 1
            if ch == ",":
                if name.strip():
                    out.setdefault(name.strip(), None)
                name = ""
            elif ch == "[":
                sub = parse_level()
                out[name.strip()] = sub
                name = ""
            elif ch == "]":
                break
            else:
                name += ch
        if name.strip():
            out.setdefault(name.strip(), None)
        return out

    tree = parse_level()
    if any(k in ("*", ":all", ":owner") for k in tree):
        extra = {k: v for k, v in tree.items() if k not in ("*", ":all", ":owner") and v}
        return {"*": None, **extra}
    return tree


def apply_fields(obj: Any, tree: dict | None) -> Any:
    if tree is None:
        return obj
    if isinstance(obj, list):
        return [apply_fields(item, tree) for item in obj]
    if not isinstance(obj, dict):
        return obj
    if "*" in tree:
        return {k: apply_fields(v, tree.get(k)) for k, v in obj.items()}
    return {k: apply_fields(obj[k], sub) for k, sub in tree.items() if k in obj}


def listing(name: str, items: list[dict], default_fields: str = "id,displayName"):
    """DHIS2's metadata list reply: ``fields=`` filtering, ``page``/``pageSize`` paging
    with a ``pager`` object, or every item with ``paging=false``."""
    tree = parse_fields(request.args.get("fields", default_fields))
    paging = flag("paging", True)
    body: dict[str, Any] = {}
    if paging:
        size = int_arg("pageSize", 50, 1, 10_000)
        total = len(items)
        count = max(1, math.ceil(total / size))
        page = int_arg("page", 1, 1, 1_000_000)
        pager = {"page": page, "pageCount": count, "total": total, "pageSize": size}
        if page < count:
            args = request.args.to_dict()
            args["page"] = str(page + 1)
            query = "&".join(f"{k}={v}" for k, v in args.items())
            pager["nextPage"] = f"{request.base_url}?{query}"
        body["pager"] = pager
        items = items[(page - 1) * size : page * size]
    body[name] = apply_fields(items, tree)
    return jsonify(body)
