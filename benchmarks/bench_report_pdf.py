"""The Khmer PDF of the demo plan's progress report (issue 12, "Speed"): made in under
10 s on this machine, and how much of that time is the report's own work against a bare
WeasyPrint rendering of the same, already-rendered document (the floor)."""

from __future__ import annotations

from common import Result, bench_app, compare, ratio_result

PERIOD = "2026Q2"


def run(quick: bool = False) -> list[Result]:
    import weasyprint

    from leap_me.extensions import db
    from leap_me.reports import progress, render

    app = bench_app(1)
    with app.app_context(), app.test_request_context("/"):
        markup = render.document_for_pdf(progress.build(db.session, PERIOD, "km"))

        def ours() -> None:
            # everything `leap-me report --lang km --format pdf` does
            render.pdf(progress.build(db.session, PERIOD, "km"))
            db.session.expire_all()

        def bare() -> None:
            weasyprint.HTML(string=markup, base_url=str(render.STATIC)).write_pdf()

        work_t, floor_t = compare(ours, bare, repeats=2 if quick else 3)
    return [
        Result(
            name=f"Khmer PDF of the demo plan's progress report {PERIOD} (bound, seconds)",
            figure=work_t.min,
            floor=1,
            goal=10.0,
            unit="s",
            figure_median=work_t.median,
        ),
        ratio_result(
            "Khmer progress report PDF (build + render + WeasyPrint) vs bare WeasyPrint "
            "of the same document",
            work_t,
            floor_t,
            1.6,
        ),
    ]
