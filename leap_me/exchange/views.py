"""The offline workbook on the submission's pages: download the template, upload a filled
workbook, see the dry run (every problem, every change), confirm, download the workbook
with the bad cells marked.

House pattern: load (404) → check permission (403/404) → validate → call the service →
commit once → flash → redirect. The upload is kept on the server between the dry run and
the confirmation (``uploads.py``), so that what is written is exactly what was shown.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from leap_me.auth.permissions import roles_required
from leap_me.auth.roles import Role
from leap_me.exchange import imports, uploads
from leap_me.exchange import template as tpl
from leap_me.extensions import db
from leap_me.forms import EmptyForm

bp = Blueprint("exchange", __name__)

PER_PAGE = 100
SUB_READERS = ("partner", "reviewer", "planner", "admin")
CHANGE_SORTS = {
    "row": lambda c: (c.row,),
    "status": lambda c: (c.status, c.row),
    "indicator": lambda c: (c.indicator, c.province, c.disagg, c.row),
}


def _sc():
    from indicators.views import subs_common

    return subs_common


def _load(org_code: str, period_code: str, *, create: bool = False):
    """(organisation, period, submission or None) — 404 for a partner's other org."""
    sc = _sc()
    org, period = sc.load_org_period(org_code, period_code)
    sub = sc.find_submission(org, period)
    if sub is None and create and current_user.role == Role.PARTNER:
        from indicators.services import owed, submissions

        owes = any(o.id == org.id for o in owed.owing_organisations(db.session, period))
        if period.status == "open" and owes:
            sub = submissions.get_or_create(db.session, org, period, current_user)
            db.session.commit()
    if sub is not None and not sc.can_view_submission(current_user, sub):
        abort(404 if current_user.role == Role.PARTNER else 403)
    return org, period, sub


def _lang_arg() -> str:
    lang = request.args.get("lang", "")[:2]
    return lang if lang in ("en", "km") else _sc().lang()


def _may_upload(sub) -> bool:
    return sub is not None and _sc().may_enter(current_user, sub)


@bp.route("/submissions/<org_code>/<period_code>/template.xlsx")
@roles_required(*SUB_READERS)
def download_template(org_code: str, period_code: str):
    """The submission workbook of this organisation and period (``?lang=en|km``)."""
    org, period, _sub = _load(org_code, period_code)
    lang = _lang_arg()
    body = tpl.build(db.session, org, period, lang)
    return Response(
        body,
        mimetype=tpl.MIME,
        headers={
            "Content-Disposition": f'attachment; filename="{tpl.filename(org, period, lang)}"'
        },
    )


def _page(sub, org, period, *, report=None, refusal=None, stored=None, status=200):
    changes = []
    pages = {}
    sort = request.args.get("sort", "row")
    if sort not in CHANGE_SORTS:
        sort = "row"
    direction = "desc" if request.args.get("dir") == "desc" else "asc"
    if report is not None:
        from leap_me import numbers

        shown = [c for c in report.changes if c.status != "unchanged"]
        shown.sort(key=CHANGE_SORTS[sort], reverse=direction == "desc")
        problems = [*report.problems, *report.warnings]
        problems.sort(key=lambda p: (p.row, p.severity == "warning", p.cell))
        page = numbers.query_int("page", minimum=1, default=1)
        cpage = numbers.query_int("cpage", minimum=1, default=1)
        pages = {
            "problems": _Paged(problems, page, PER_PAGE),
            "changes": _Paged(shown, cpage, PER_PAGE),
        }
        changes = shown
    return (
        render_template(
            "exchange/workbook.html",
            sub=sub,
            org=org,
            period=period,
            report=report,
            refusal=refusal,
            stored=stored,
            pages=pages,
            changes=changes,
            sort=sort,
            direction=direction,
            may_upload=_may_upload(sub),
            max_mb=current_app.config.get("LEAP_MAX_UPLOAD_MB", 10),
            form=EmptyForm(formdata=None),
        ),
        status,
    )


class _Paged:
    def __init__(self, items, page, per_page):
        self.total = len(items)
        self.per_page = per_page
        self.pages = max(1, -(-self.total // per_page))
        self.page = min(page, self.pages)
        start = (self.page - 1) * per_page
        self.items = items[start : start + per_page]


def _stored(org, period):
    upload_id = request.values.get("upload", "")[:64]
    if not upload_id:
        return None, False
    stored = uploads.load(
        current_app.instance_path,
        upload_id,
        user_id=current_user.id,
        organisation=org.code,
        period=period.code,
    )
    return stored, True


def _dry_run(stored, org, period):
    lang = _sc().lang()
    data, checked = stored.read_checked()
    if data is None:
        return None, imports.ImportRefused(
            _("That upload has expired or was already written. Upload the workbook again."),
            status=410,
        )
    try:
        report = imports.run(
            db.session,
            data,
            user=current_user,
            dry_run=True,
            locale=lang,
            expect_org=org.code,
            expect_period=period.code,
            checked=checked,
        )
        return report, None
    except imports.ImportRefused as exc:
        return None, exc
    finally:
        db.session.rollback()  # a dry run writes nothing, not even a new submission


@bp.route("/submissions/<org_code>/<period_code>/workbook")
@roles_required(*SUB_READERS)
def workbook(org_code: str, period_code: str):
    """Download the template; upload a filled one; the dry run of an upload."""
    org, period, sub = _load(org_code, period_code, create=True)
    if sub is None:
        abort(404)
    stored, asked = _stored(org, period)
    if asked and stored is None:
        flash(
            _("That upload has expired or was already written. Upload the workbook again."),
            "warning",
        )
        return _page(sub, org, period)
    if stored is None:
        return _page(sub, org, period)
    report, refusal = _dry_run(stored, org, period)
    if request.args.get("marked") == "1" and report is not None:
        body = imports.marked(stored.read(), report)
        name = stored.filename.rsplit(".", 1)[0][:80] or "workbook"
        return Response(
            body,
            mimetype=tpl.MIME,
            headers={"Content-Disposition": f'attachment; filename="{_ascii(name)}-marked.xlsx"'},
        )
    return _page(sub, org, period, report=report, refusal=refusal, stored=stored)


def _ascii(name: str) -> str:
    out = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "-" for ch in name)
    return out.strip("-") or "workbook"


@bp.route("/submissions/<org_code>/<period_code>/workbook", methods=["POST"])
@roles_required(Role.PARTNER)
def upload_workbook(org_code: str, period_code: str):
    org, period, sub = _load(org_code, period_code, create=True)
    if sub is None:
        abort(404)
    if not _may_upload(sub):
        flash(_("This submission cannot be changed now."), "error")
        return redirect(url_for(".workbook", org_code=org.code, period_code=period.code))
    if not EmptyForm().validate_on_submit():
        abort(400)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose the filled workbook (.xlsx) to upload."), "error")
        return _page(sub, org, period, status=400)
    limit = imports.LIMITS.max_bytes
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        refusal = imports.ImportRefused(
            _("The file is larger than the limit of %(mb)d MB.", mb=limit // (1024 * 1024)),
            status=413,
        )
        return _page(sub, org, period, refusal=refusal, status=413)
    # the guard and the identification sheet first: a refused file is never stored
    try:
        _wb, ident, formulas = imports.open_workbook(data)
        imports.check_target(ident, org.code, period.code)
    except imports.ImportRefused as exc:
        return _page(sub, org, period, refusal=exc, status=exc.status)
    del _wb
    stored = uploads.store(
        current_app.instance_path,
        data,
        user_id=current_user.id,
        organisation=org.code,
        period=period.code,
        filename=upload.filename,
        formulas=formulas,
    )
    return redirect(
        url_for(".workbook", org_code=org.code, period_code=period.code, upload=stored.id)
    )


@bp.route("/submissions/<org_code>/<period_code>/workbook/apply", methods=["POST"])
@roles_required(Role.PARTNER)
def apply_workbook(org_code: str, period_code: str):
    """Write the values of an upload whose dry run was shown (all of them, or none).

    What is written is what was shown: the stored file is the uploaded one (its SHA-256
    is compared, so the guard is not run again), and the submission must still be at the
    version the dry run read (``version``), else the new dry run is shown. The write is
    one pass of the service, which checks every cell again as it writes."""
    org, period, sub = _load(org_code, period_code)
    if sub is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    here = url_for(".workbook", org_code=org.code, period_code=period.code)
    stored, _asked = _stored(org, period)
    if stored is None:
        flash(
            _("That upload has expired or was already written. Upload the workbook again."),
            "warning",
        )
        return redirect(here)
    again = url_for(".workbook", org_code=org.code, period_code=period.code, upload=stored.id)
    shown = request.form.get("version", "")[:12]
    if shown and (not shown.isdigit() or int(shown) != sub.version):
        flash(
            _(
                "The submission changed since this check (someone saved values). Look at "
                "the new check below and confirm again."
            ),
            "warning",
        )
        return redirect(again)
    data, checked = stored.read_checked()
    if data is None:
        uploads.delete(stored)
        flash(
            _("That upload has expired or was already written. Upload the workbook again."),
            "warning",
        )
        return redirect(here)
    try:
        report = imports.run(
            db.session,
            data,
            user=current_user,
            dry_run=False,
            locale=_sc().lang(),
            expect_org=org.code,
            expect_period=period.code,
            checked=checked,
        )
    except imports.ImportRefused as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(
            url_for(".workbook", org_code=org.code, period_code=period.code, upload=stored.id)
        )
    if not report.clean:
        db.session.rollback()
        flash(report.summary(), "error")
        return redirect(
            url_for(".workbook", org_code=org.code, period_code=period.code, upload=stored.id)
        )
    db.session.commit()
    uploads.delete(stored)
    flash(report.summary(), "success" if report.written else "info")
    return redirect(_sc().url_of(sub))
