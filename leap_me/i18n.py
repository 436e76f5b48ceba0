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


#: The one date format per language: day, month name, four-digit year; never 1/5/26.
DATE_FORMATS = {"en": "d MMM y", "km": "d MMMM y"}
DATETIME_FORMATS = {"en": "d MMM y, HH:mm", "km": "d MMMM y, HH:mm"}


def format_date(value: Any) -> str:
    """``1 Jan 2026`` in English, ``1 មករា 2026`` in Khmer (the ``|date`` filter)."""
    from flask_babel import format_date as babel_date

    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = _parse_iso(value)
    if hasattr(value, "hour"):
        from flask_babel import to_user_timezone

        value = to_user_timezone(value).date()  # the day it was where the user is
    return babel_date(value, DATE_FORMATS.get(current_lang(), DATE_FORMATS["en"]))


def format_datetime(value: Any) -> str:
    """``1 Jan 2026, 15:27`` in the application's time zone, ``BABEL_DEFAULT_TIMEZONE``
    (Cambodia's unless ``LEAP_TIMEZONE`` says otherwise), from a UTC time (the ``|datetime``
    filter)."""
    from datetime import date, datetime

    from flask_babel import format_datetime as babel_datetime

    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = _parse_iso(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return format_date(value)
    return babel_datetime(value, DATETIME_FORMATS.get(current_lang(), DATETIME_FORMATS["en"]))


def _parse_iso(text: str):
    from datetime import date, datetime

    return datetime.fromisoformat(text) if "T" in text or " " in text else date.fromisoformat(text)


def date_filter(value: Any, _ignored: Any = None) -> str:
    return format_date(value)


def datetime_filter(value: Any, _ignored: Any = None) -> str:
    return format_datetime(value)


def coded_name(code: str, name_en: str | None, name_km: str | None) -> str:
    """``UNICEF — <name in the page's language>``: how every drop-down names a record."""
    name = (name_km or name_en) if current_lang() == "km" else (name_en or name_km)
    return f"{code} — {name}" if name else code
