"""Pages of the cost-sharing budget: the schedule, lines, path, rates, spending, uploads,
the donor workbook and what-if scenarios. One blueprint, one module per area."""

from flask import Blueprint

bp = Blueprint("budget", __name__, url_prefix="/budget")

from budget.views import lines, scenarios, schedule, spending  # noqa: E402, F401
