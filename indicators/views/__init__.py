"""Pages of the indicators domain: the registry and reference sheets, definitions and
their changes, targets, disaggregations and reporting periods."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("indicators", __name__)

from indicators.views import definitions, entry, periods, quality, review, targets  # noqa: E402, F401
