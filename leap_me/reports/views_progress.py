"""Pages of the sector-wide progress report: the report, its PDFs, the planner's
narratives, publishing and the published reports (issue 12, items 3 and 4).

Who may do what (leap_me/auth/permissions.py):
* the live report, its PDFs: every signed-in role except partners (the report lists
  every organisation's findings and explanations before they are published);
* the preview (submitted values too): reviewers, planners, admins;
* narratives and publishing: planners;
* published reports and their downloads: everyone signed in, partners included —
  they are the programme's official record.
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, TextAreaField
from wtforms.validators import Length

from indicators import services as indicators
from indicators.services import reading
from indicators.services.common import ValidationError
from leap_me import audit, locking
from leap_me.auth.permissions import (
    can_preview_values,
    can_publish_reports,
    can_read_progress_report,
    can_write_narratives,
    roles_required,
    signed_in,
)
from leap_me.auth.roles import Role
from leap_me.extensions import db
from leap_me.i18n import current_lang
from leap_me.listing import Page
from leap_me.numbers import query_int
from leap_me.reports import narratives, params, progress, publish, render
from leap_me.reports.models import PublishedReport
from leap_me.reports.views import bp

PER_PAGE = 20


class NarrativeForm(FlaskForm):
    text_en = TextAreaField(
        _l("Narrative in English"), validators=[Length(max=narratives.MAX_CHARS)]
    )
    text_km = TextAreaField(_l("Narrative in Khmer"), validators=[Length(max=narratives.MAX_CHARS)])
    row_version = HiddenField()


class PublishForm(FlaskForm):
    confirm = BooleanField(
        _l("I have checked the report: publish it and freeze its figures and narratives.")
    )


def _may_read() -> None:
    if not can_read_progress_report(current_user):
        abort(403)


def _period(code: str):
    period = indicators.get_period(db.session, (code or "")[:10].upper())
    if period is None:
        abort(404, description=_("There is no reporting period %(value)s.", value=code[:10]))
    return period


def _preview() -> bool:
    wanted = request.args.get("status") == "submitted"
    if wanted and not can_preview_values(current_user):
        abort(403, description=_("Previews with submitted values are for reviewers and planners."))
    return wanted


def _lang_arg() -> str:
    lang = (request.args.get("lang") or current_lang())[:2]
    if lang not in progress.LANGS:
        abort(400, description=_("The language must be en or km."))
    return lang


@bp.route("/reports/progress")
@signed_in
def progress_index():
    _may_read()
    code = (request.args.get("period") or "").strip().upper()[:10] or params.default_period(
        db.session
    )
    if not code:
        return render_template("reports/no_periods.html")
    return progress_page(code)


@bp.route("/reports/progress/<period>")
@signed_in
def progress_page(period: str):
    """The live report of a period (the reader's language), with its actions."""
    _may_read()
    period_obj = _period(period)
    preview = _preview()
    report = progress.build(db.session, period_obj.code, current_lang(), preview)
    published = publish.latest_for_period(db.session, period_obj.id)
    who = ""
    if published is not None and published.published_by is not None:
        who = published.published_by.full_name or published.published_by.username
    page = {
        "may_write": can_write_narratives(current_user),
        "may_publish": can_publish_reports(current_user),
        "may_preview": can_preview_values(current_user),
        "periods": list(reversed(reading.period_frame(db.session)["period_code"].tolist())),
        "published": published,
        "published_by": who,
        # the fingerprint does not depend on the language: compare with the live build
        "moved": bool(published and not preview and published.fingerprint != report.fingerprint()),
    }
    return render.html(report, standalone=False, page=page)


@bp.route("/reports/progress/<period>/pdf")
@signed_in
def progress_pdf(period: str):
    _may_read()
    period_obj = _period(period)
    preview = _preview()
    lang = _lang_arg()
    report = progress.build(db.session, period_obj.code, lang, preview)
    body = render.pdf(report)
    suffix = "-preview" if preview else ""
    name = f"progress-report-{period_obj.code}-{lang}{suffix}.pdf"
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# --- narratives ------------------------------------------------------------------------


def _outcome(period_code: str, key: str) -> tuple[str, str]:
    """(stored key, title) of an outcome of the current plan; "summary" is the summary."""
    if key == "summary":
        return progress.SUMMARY_KEY, _("Summary")
    from leap_me.reports.variance import _outcomes

    for o in _outcomes(db.session):
        if o["key"] and o["key"] == key:
            statement = o["statement_km"] if current_lang() == "km" else o["statement_en"]
            return o["key"], _("Outcome %(code)s", code=o["code"]) + ": " + statement
    abort(404, description=_("There is no outcome %(value)s in the current plan.", value=key[:40]))


@bp.route("/reports/progress/<period>/narratives/<outcome>", methods=["GET", "POST"])
@roles_required(Role.PLANNER)
def edit_narrative(period: str, outcome: str):
    period_obj = _period(period)
    key, title = _outcome(period_obj.code, outcome[:40])
    stored = narratives.get(db.session, period_obj.id, key)
    form = NarrativeForm(obj=stored) if request.method == "GET" else NarrativeForm()
    current = narratives.token(stored)
    back = url_for("reports.progress_page", period=period_obj.code) + (
        "#pr-summary" if key == "" else "#pr-explanations"
    )
    conflict = None
    status = 200
    if request.method == "GET":
        form.row_version.data = current
    elif form.validate_on_submit():
        typed_en = (form.text_en.data or "").replace("\r\n", "\n").strip()
        typed_km = (form.text_km.data or "").replace("\r\n", "\n").strip()
        if not locking.check(locking.submitted_token(form), current):
            conflict = locking.conflict_of_cells(
                current,
                {"en": stored.text_en if stored else "", "km": stored.text_km if stored else ""},
                {"en": typed_en, "km": typed_km},
                {"en": _("Narrative in English"), "km": _("Narrative in Khmer")},
                object_type="report_narrative" if stored else None,
                object_id=stored.id if stored else None,
                discard_url=request.url,
            )
            if conflict.rows:
                form.row_version.data = current
                status = conflict.status
            else:
                conflict = None
        if conflict is None:
            try:
                with audit.reason(
                    _("narrative of the progress report %(period)s", period=period_obj.code)
                ):
                    narratives.save(
                        db.session,
                        period=period_obj,
                        outcome_key=key,
                        text_en=narratives.clean(form.text_en.data, _("Narrative in English")),
                        text_km=narratives.clean(form.text_km.data, _("Narrative in Khmer")),
                        user=current_user,
                    )
            except ValidationError as exc:
                db.session.rollback()
                flash(exc.message, "error")
                status = 400
            else:
                db.session.commit()
                flash(
                    _(
                        "The narrative is saved as a draft; it is frozen when the report is "
                        "published."
                    ),
                    "success",
                )
                return redirect(back)
    else:
        status = 400
    return render_template(
        "reports/narrative_form.html",
        form=form,
        title=title,
        period=period_obj,
        conflict=conflict,
        back=back,
    ), status


# --- publishing ------------------------------------------------------------------------


@bp.route("/reports/progress/<period>/publish", methods=["GET", "POST"])
@roles_required(Role.PLANNER)
def publish_report(period: str):
    period_obj = _period(period)
    form = PublishForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400, description=_("The form has expired. Reload the page and try again."))
        if not form.confirm.data:
            flash(_("Tick the box to confirm that the report may be published."), "error")
        else:
            with audit.reason(publish.publish_reason(period_obj.code)):
                published = publish.publish(db.session, period_obj.code, user=current_user)
            db.session.commit()
            flash(
                _(
                    "The progress report %(period)s is published: its figures, narratives, "
                    "HTML and PDFs are frozen.",
                    period=period_obj.code,
                ),
                "success",
            )
            return redirect(url_for("reports.published_list", highlight=published.id))
    report = progress.build(db.session, period_obj.code, current_lang(), charts_on=False)
    previous = publish.latest_for_period(db.session, period_obj.id)
    return render_template(
        "reports/publish_confirm.html",
        form=form,
        period=period_obj,
        report=report,
        previous=previous,
        written=sum(1 for n in report.narratives.values() if n["text_en"] or n["text_km"]),
        moved=bool(previous and previous.fingerprint != report.fingerprint()),
    ), (400 if request.method == "POST" else 200)


@bp.route("/reports/published")
@signed_in
def published_list():
    number = query_int("page", minimum=1, default=1)
    rows, total = publish.list_published(db.session, number, PER_PAGE)
    pages = max(1, -(-total // PER_PAGE))
    if number > pages:
        number = pages
        rows, total = publish.list_published(db.session, number, PER_PAGE)
    sizes = publish.sizes(db.session, [r.id for r in rows])
    return render_template(
        "reports/published_list.html",
        page=Page(items=rows, page=number, per_page=PER_PAGE, total=total),
        sizes=sizes,
        highlight=query_int("highlight", minimum=1, default=0),
    )


@bp.route("/reports/published/<int:report_id>/<kind>")
@signed_in
def published_file(report_id: int, kind: str):
    """A stored file of a published report: ``pdf`` or ``html`` with ``?lang=``, or
    ``json`` (the snapshot). The bytes are those stored on the day, never re-rendered."""
    name = publish.file_name(kind[:8], (request.args.get("lang") or "en")[:2])
    if name is None:
        abort(404)
    published = db.session.get(PublishedReport, report_id)
    if published is None:
        abort(404)
    stored = publish.get_file(db.session, report_id, name)
    if stored is None:
        abort(404)
    code = published.period.code if published.period else str(published.period_id)
    filename = f"progress-report-{code}-{published.published_dt:%Y%m%d-%H%M}-{name}"
    disposition = "inline" if kind == "html" else "attachment"
    return Response(
        stored.content,
        mimetype=stored.content_type.split(";")[0],
        headers={
            "Content-Disposition": f'{disposition}; filename="{filename}"',
            "ETag": stored.sha256,
            "X-Content-SHA256": stored.sha256,
        },
    )
