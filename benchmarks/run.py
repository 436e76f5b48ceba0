"""`make bench`: speed goals as ratios against a floor (ratio ≥ 1.0 meets the goal).

Each benchmark measures a throughput on this machine and prints it divided by the floor
we promise (set for the 2-core reference machine). Timings never go into unit tests:
they vary with the machine; ratios here are read by people and tracked over time.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from leap_me import create_app, seeding  # noqa: E402
from leap_me.extensions import db  # noqa: E402


def measure(fn: Callable[[], int], seconds: float = 2.0) -> float:
    """Run ``fn`` (which returns units of work done) repeatedly; return units per second."""
    done, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        done += fn()
    return done / elapsed


def main() -> int:
    tmp = tempfile.mkdtemp()
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL")
            or f"sqlite:///{tmp}/bench.sqlite",
            "WTF_CSRF_ENABLED": False,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    results: list[tuple[str, float, float, str]] = []
    with app.app_context():
        db.drop_all()
        db.create_all()
        seeding.seed_all(db.session, Path(app.config["SEEDS_DIR"]))
        from stakeholders.models import Organisation

        db.session.add_all(
            Organisation(code=f"NGO-{i:04d}", name_en=f"NGO {i}", name_km="អង្គការ", type="ngo")
            for i in range(2000)
        )
        db.session.commit()

        client = app.test_client()
        client.post("/login", data={"username": "viewer", "password": "leap-demo-2026"})

        def list_page() -> int:
            assert client.get("/organisations?q=NGO&sort=name&page=40").status_code == 200
            return 1

        results.append(
            ("organisation list pages/s (2,000 rows)", measure(list_page), 40, "pages/s")
        )

        from leap_me.backup import restore, write_backup
        from tests.conftest import empty_all_tables

        buf = io.BytesIO()
        counts = write_backup(db.session, buf)
        rows = sum(counts.values())

        def backup() -> int:
            write_backup(db.session, io.BytesIO())
            return rows

        results.append(("backup rows/s", measure(backup), 20_000, "rows/s"))
        path = Path(tmp) / "b.gz"
        path.write_bytes(buf.getvalue())
        empty_all_tables()
        start = time.perf_counter()
        restore(db.session, path)
        db.session.commit()
        results.append(("restore rows/s", rows / (time.perf_counter() - start), 10_000, "rows/s"))

    from leap_me.khmer import mark_word_breaks

    text = "ការជួញដូរមនុស្ស និងការកេងប្រវ័ញ្ចផ្លូវភេទលើកុមារ " * 50

    def breaks() -> int:
        mark_word_breaks(text)
        return len(text)

    results.append(("Khmer word breaking chars/s", measure(breaks), 200_000, "chars/s"))

    print(f"{'benchmark':<44}{'measured':>14}{'floor':>10}{'ratio':>8}")
    worst = min(r[1] / r[2] for r in results)
    for name, value, floor, _unit in results:
        print(f"{name:<44}{value:>14,.0f}{floor:>10,}{value / floor:>8.2f}")
    print(f"worst ratio {worst:.2f} ({'meets' if worst >= 1 else 'BELOW'} the floors)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
