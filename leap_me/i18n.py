"""Language choice and bilingual display helpers."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, request, session
from flask_babel import format_decimal, get_locale
from flask_login import current_user


def select_locale() -> str:
    langs = current_app.config["LANGUAGES"]
    if not has_request_context():  # the command line speaks English
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in langs:
        return current_user.locale
    if session.get("lang") in langs:
        return session["lang"]
    return request.accept_languages.best_match(langs) or current_app.config["BABEL_DEFAULT_LOCALE"]


def current_lang() -> str:
    locale = get_locale()
    return locale.language if locale else "en"


def localized(obj: Any, field: str = "name") -> str:
    """The text of ``obj.<field>_km`` on a Khmer page, ``obj.<field>_en`` on an English one;
    when that language is empty, the other one (a note may be written in one language)."""
    if obj is None:
        return ""
    en = getattr(obj, f"{field}_en", None) or ""
    km = getattr(obj, f"{field}_km", None) or ""
    if current_lang() == "km":
        return km or en
    return en or km


def number(value: Any, digits: int = 0) -> str:
    if value is None:
        return "—"
    fmt = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=fmt)
