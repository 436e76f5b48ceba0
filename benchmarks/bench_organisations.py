"""The organisation list at 2,000 organisations (page 40 of a search, sorted by name)."""

from __future__ import annotations

from common import Result, bare_sql, bench_app, page_results, signed_in

SEARCH = (
    "lower(code) LIKE :q OR lower(name_en) LIKE :q OR lower(name_km) LIKE :q"
    " OR lower(acronym) LIKE :q"
)


def run(quick: bool = False) -> list[Result]:
    import sqlalchemy as sa

    from leap_me.extensions import db
    from stakeholders.models import Organisation

    app = bench_app(1)
    with app.app_context():
        db.session.add_all(
            Organisation(code=f"NGO-{i:04d}", name_en=f"NGO {i}", name_km="អង្គការ", type="ngo")
            for i in range(2000)
        )
        db.session.commit()
        q = {"q": "%ngo%"}
        page = f"SELECT * FROM organisation WHERE {SEARCH} ORDER BY name_en, id LIMIT 25 OFFSET 975"  # noqa: S608
        with db.engine.connect() as conn:
            ids = [r.id for r in conn.execute(sa.text(page), q)]
        placeholders = ", ".join(f":i{n}" for n in range(len(ids)))
        needs = bare_sql(
            db.engine,
            (f"SELECT count(*) FROM organisation WHERE {SEARCH}", q),  # noqa: S608
            (page, q),
            (
                "SELECT op.organisation_id, p.code, p.name_en, p.name_km FROM"  # noqa: S608
                " organisation_province op JOIN province p ON p.id = op.province_id"
                f" WHERE op.organisation_id IN ({placeholders})",  # noqa: S608
                {f"i{n}": i for n, i in enumerate(ids)},
            ),
        )
        client = signed_in(app, "viewer")
        return page_results(
            "organisation list (2,000 rows, page 40 of a search)",
            client,
            db.engine,
            "/organisations?q=NGO&sort=name&page=40",
            goal=6.0,
            max_queries=5,
            needs=needs,
            needs_goal=10.0,
            rows_goal=1.5,
            repeats=3 if quick else 7,
        )
