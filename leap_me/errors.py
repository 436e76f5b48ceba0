"""Error pages and JSON errors: clear words in the user's language, never a stack trace."""

from __future__ import annotations

from flask import Flask, abort, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, IntegrityError
from werkzeug.exceptions import HTTPException, InternalServerError


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (_("Bad request"), _("The request could not be understood. Go back and try again.")),
        401: (_("Sign-in needed"), _("Sign in to see this page.")),
        403: (_("Not allowed"), _("Your account does not have access to this page.")),
        404: (_("Page not found"), _("The page or record does not exist, or was removed.")),
        405: (_("Not allowed"), _("This address does not accept that kind of request.")),
        409: (_("Conflict"), _("The record was changed by someone else. Reload and try again.")),
        413: (
            _("File too large"),
            _("The file is larger than the limit of %(mb)d MB.", mb=_max_mb()),
        ),
        422: (_("Invalid data"), _("Some of the data is not valid.")),
        429: (_("Too many attempts"), _("Wait a few minutes and try again.")),
        500: (
            _("Something went wrong"),
            _("The server hit an error. Nothing was saved. Try again, or tell the administrator."),
        ),
    }


def _max_mb() -> int:
    from flask import current_app

    return int((current_app.config.get("MAX_CONTENT_LENGTH") or 0) / (1024 * 1024))


ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "invalid",
    429: "too_many_requests",
    500: "server_error",
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def json_error(status: int, message: str | None = None, details: list | None = None, code=None):
    title, text = _messages().get(status, (str(status), ""))
    body = {
        "error": {
            "code": code or ERROR_CODES.get(status, "error"),
            "message": message or text,
            "details": details or [],
        }
    }
    return jsonify(body), status


def register_errorhandlers(app: Flask) -> None:
    def handle_http(exc: HTTPException):
        status = exc.code or 500
        if wants_json():
            desc = exc.description if isinstance(exc.description, str) and status != 500 else None
            return json_error(status, desc if _is_custom(exc) else None)
        title, text = _messages().get(status, (exc.name, ""))
        if _is_custom(exc):
            text = exc.description
        return render_template("errors/error.html", status=status, title=title, text=text), status

    def handle_csrf(exc: CSRFError):
        text = _("The form expired or was sent from another site. Reload the page and try again.")
        if wants_json():
            return json_error(400, text, code="csrf")
        typed, can_resend = typed_values()
        if typed and can_resend:
            text = _(
                "The form expired before it was sent, so nothing was saved. What you typed is "
                "kept below: check it and send it again."
            )
        return (
            render_template(
                "errors/error.html",
                status=400,
                title=_("Form expired"),
                text=text,
                typed=typed,
                can_resend=can_resend,
                resend_to=request.full_path.rstrip("?"),
            ),
            400,
        )

    def handle_integrity(exc: IntegrityError):
        from leap_me.extensions import db

        db.session.rollback()
        app.logger.warning("Integrity error on %s: %s", request.path, exc.orig)
        text = _(
            "This change clashes with another record (for example a code that is already "
            "used, or a record that others still point to). Nothing was saved."
        )
        if wants_json():
            return json_error(409, text)
        return render_template("errors/error.html", status=409, title=_("Conflict"), text=text), 409

    def handle_out_of_range(exc: Exception):
        """A number in the address too large for the database (an id, a page, a year)."""
        from leap_me.extensions import db

        db.session.rollback()
        text = _("A number in the request is out of range.")
        if wants_json():
            return json_error(400, text)
        return (
            render_template("errors/error.html", status=400, title=_("Bad request"), text=text),
            400,
        )

    app.register_error_handler(OverflowError, handle_out_of_range)
    app.register_error_handler(DataError, handle_out_of_range)

    @app.before_request
    def refuse_nul_bytes():
        """PostgreSQL cannot store a NUL character; refuse it before it reaches a query."""
        values = [request.path, *request.args.values()]
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            values.extend(request.form.values())
        if any("\x00" in v for v in values):
            abort(400, description=_("The request contains a NUL character, which is not allowed."))

    def handle_unexpected(exc: Exception):
        app.logger.exception("Unhandled error on %s", request.path)
        from leap_me.extensions import db

        db.session.rollback()
        return handle_http(InternalServerError())

    app.register_error_handler(IntegrityError, handle_integrity)
    app.register_error_handler(CSRFError, handle_csrf)
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(Exception, handle_unexpected)


#: Fields never echoed back on the "Form expired" page.
SECRET_FIELDS = ("csrf_token", "password", "new_password", "current_password", "confirm")


def typed_values() -> tuple[list[tuple[str, str]], bool]:
    """What a refused form held, to show it again with a fresh token (one mechanism for
    every form). Sending it again is offered only for a form of our own pages (same
    origin), so that another site cannot use the page to get a form sent."""
    if request.method != "POST" or request.mimetype not in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        return [], False
    typed = [
        (k, v)
        for k, v in request.form.items(multi=True)
        if not any(secret in k for secret in SECRET_FIELDS)
    ][:500]
    origin = request.headers.get("Origin") or request.headers.get("Referer") or ""
    same_site = origin == request.host_url.rstrip("/") or origin.startswith(request.host_url)
    has_file = bool(request.files)
    return typed, same_site and not has_file


def _is_custom(exc: HTTPException) -> bool:
    """True when the view passed its own (already translated) description to abort()."""
    return bool(exc.description) and exc.description != type(exc).description
