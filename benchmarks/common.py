"""Shared pieces of `make bench`: every figure is a ratio to a floor measured in the same run.

A benchmark module is a file ``benchmarks/bench_<name>.py`` with a function
``run(quick: bool = False) -> list[Result]``. ``benchmarks/run.py`` finds every such
module, runs it, prints one line per result (figure, floor, ratio, goal) and exits non-zero
when a result misses its goal. The floor is never a constant: it is a bare SQL replay or a
bare library call on the same data, timed interleaved with the figure (``compare``), and
both are reported as min and median of the repeats.
"""

from __future__ import annotations

import multiprocessing
import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Timing:
    """Seconds over repeated runs."""

    runs: tuple[float, ...]

    @property
    def min(self) -> float:
        return min(self.runs)

    @property
    def median(self) -> float:
        return statistics.median(self.runs)


@dataclass
class Result:
    """One line of `make bench`: ``ratio = figure / floor`` must stay at or below ``goal``.

    For a goal that is a bound rather than a ratio (peak memory, a query count), give
    ``floor=1`` and put the bound in ``goal``; ``unit`` says what the figure counts.
    """

    name: str
    figure: float
    floor: float
    goal: float
    unit: str = "s"
    figure_median: float | None = None
    floor_median: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.figure / self.floor if self.floor else float("inf")

    @property
    def ok(self) -> bool:
        return self.ratio <= self.goal


def compare(
    work: Callable[[], Any],
    floor: Callable[[], Any],
    *,
    repeats: int = 5,
    before_each: Callable[[], Any] | None = None,
) -> tuple[Timing, Timing]:
    """Time ``work`` and ``floor`` interleaved (work, floor, work, floor, …).

    ``before_each`` runs untimed before every single call (for example to empty the
    table both write into), so each run starts from the same state.
    """
    work_runs: list[float] = []
    floor_runs: list[float] = []
    for _ in range(repeats):
        for fn, runs in ((work, work_runs), (floor, floor_runs)):
            if before_each is not None:
                before_each()
            start = time.perf_counter()
            fn()
            runs.append(time.perf_counter() - start)
    return Timing(tuple(work_runs)), Timing(tuple(floor_runs))


def ratio_result(name: str, work: Timing, floor: Timing, goal: float, **extra: Any) -> Result:
    """A Result from two timings: the ratio of the minimums, medians kept for the report."""
    return Result(
        name=name,
        figure=work.min,
        floor=floor.min,
        goal=goal,
        unit="s",
        figure_median=work.median,
        floor_median=floor.median,
        extra=extra,
    )


def _child(conn, fn, args):  # pragma: no cover - runs in the child process
    try:
        value = fn(*args)
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        conn.send((True, value, peak_kb / 1024))
    except BaseException as exc:  # report, never hang the parent
        conn.send((False, repr(exc), 0.0))
    finally:
        conn.close()


def in_subprocess(fn: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    """Run ``fn(*args)`` in a forked process; return its result and its peak RSS in MB.

    The peak is the child's high-water mark, which includes the pages it inherits from
    the parent: ``benchmarks/run.py`` runs each module in a fresh process of its own, so
    a module measures its peaks before it holds much. ``fn`` and its result must be
    picklable only for the result (fork start).
    """
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, fn, args))
    proc.start()
    child.close()
    ok, value, peak = parent.recv()
    proc.join()
    if not ok:
        raise RuntimeError(f"benchmark child failed: {value}")
    return value, peak


def print_results(results: list[Result]) -> bool:
    """Print the table; return True when every result meets its goal."""
    head = f"{'benchmark':<58}{'figure':>12}{'floor':>12}{'ratio':>8}{'goal':>8}  ok"
    print(head)
    print("-" * len(head))
    for r in results:
        med = ""
        if r.figure_median is not None and r.floor_median is not None:
            med = f"   (median {r.figure_median:.4g} / {r.floor_median:.4g} {r.unit})"
        extra = "".join(f"  {k}={v}" for k, v in r.extra.items())
        print(
            f"{r.name:<58}{r.figure:>12.4g}{r.floor:>12.4g}{r.ratio:>8.2f}{r.goal:>8.2f}"
            f"  {'yes' if r.ok else 'NO'}{med}{extra}"
        )
    return all(r.ok for r in results)


# --- shared pieces for page benchmarks ------------------------------------------------------
#
# A page's floor is the SQL the page sends, captured once and replayed through the same
# engine with the bare DBAPI cursor (no ORM, no template). Its query count is a Result with
# ``floor=1`` and the bound as ``goal``. Data at N× the demo comes from the seed files
# themselves, multiplied (``scaled_seeds``), so every benchmark loads it the same way.

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"


def _rekey(key: str, offset: int) -> str:
    """``O1.2`` → ``O11.2`` (offset 10); ``A3.1.2`` → ``A13.1.2``; ``G`` stays."""
    import re

    m = re.fullmatch(r"([OA])(\d+)(.*)", key)
    if not m or not offset:
        return key
    return f"{m.group(1)}{int(m.group(2)) + offset}{m.group(3)}"


def scaled_seeds(factor: int, dest: Any) -> Any:
    """Write a copy of ``seeds/`` into ``dest`` with the plan's outcomes, the indicators and
    the budget lines (with their actuals) repeated ``factor`` times; returns ``dest``.

    Copy k renumbers outcome ``O1`` as ``O{1 + k·n}`` (n = the number of outcomes), suffixes
    indicator and budget-line codes with ``-X{k}`` and points them at the renumbered
    results, so the copies are distinct, valid seed data loaded by the real seed steps.
    """
    import copy as _copy
    import shutil

    import yaml

    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for path in SEEDS.iterdir():
        if path.is_file():
            shutil.copy(path, dest / path.name)
    if factor <= 1:
        return dest

    def load(name: str) -> Any:
        with open(SEEDS / name, encoding="utf-8") as fh:
            return yaml.safe_load(fh)

    def dump(name: str, data: Any) -> None:
        with open(dest / name, "w", encoding="utf-8") as fh:
            yaml.safe_dump(data, fh, allow_unicode=True, sort_keys=False)

    plan = load("plan.yaml")
    goal = plan["results"][0]
    outcomes = goal["children"]
    n = max(int(_rekey(o["key"], 0)[1:].split(".")[0]) for o in outcomes)

    def rekey_tree(item: dict, offset: int) -> dict:
        item = _copy.deepcopy(item)
        stack = [item]
        while stack:
            node = stack.pop()
            node["key"] = _rekey(node["key"], offset)
            stack.extend(node.get("children", []))
            stack.extend(node.get("activities", []))
        return item

    goal["children"] = [rekey_tree(o, k * n) for k in range(factor) for o in outcomes]
    dump("plan.yaml", plan)

    def code(c: str, k: int) -> str:
        return c if k == 0 else f"{c}-X{k}"

    ind = load("indicators.yaml")
    base = ind["indicators"]
    ind["indicators"] = []
    for k in range(factor):
        for item in base:
            item = _copy.deepcopy(item)
            item["code"] = code(item["code"], k)
            item["result"] = _rekey(item["result"], k * n)
            ind["indicators"].append(item)
    dump("indicators.yaml", ind)

    budget = load("budget.yaml")
    lines, actuals = budget["lines"], budget.get("actuals", [])
    budget["lines"], budget["actuals"] = [], []
    for k in range(factor):
        for line in lines:
            line = _copy.deepcopy(line)
            line["code"] = code(line["code"], k)
            if line.get("result"):
                line["result"] = _rekey(line["result"], k * n)
            budget["lines"].append(line)
        for a in actuals:
            budget["actuals"].append({**a, "line": code(a["line"], k)})
    dump("budget.yaml", budget)
    return dest


class QueryLog:
    """Counts and keeps the SQL an engine sends: ``with QueryLog(engine) as q: ...``."""

    def __init__(self, engine: Any):
        self.engine = engine
        self.statements: list[tuple[str, Any]] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def _on(self, _conn, _cursor, statement, parameters, _context, executemany):
        self.statements.append((statement, parameters, executemany))

    def __enter__(self) -> QueryLog:
        import sqlalchemy as sa

        sa.event.listen(self.engine, "before_cursor_execute", self._on)
        return self

    def __exit__(self, *exc: Any) -> None:
        import sqlalchemy as sa

        sa.event.remove(self.engine, "before_cursor_execute", self._on)


def replay(engine: Any, statements: list[tuple[str, Any, bool]]) -> Callable[[], int]:
    """A floor: send the same statements with the same parameters on a bare DBAPI cursor
    of the same engine, fetch every row, roll back. Returns the callable to time."""

    def run() -> int:
        rows = 0
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            for statement, params, many in statements:
                if many:
                    cur.executemany(statement, params)
                else:
                    cur.execute(statement, params)
                if cur.description is not None:
                    rows += len(cur.fetchall())
            cur.close()
            raw.rollback()
        finally:
            raw.close()
        return rows

    return run


def page_results(
    name: str,
    client: Any,
    engine: Any,
    url: str,
    *,
    goal: float,
    max_queries: int,
    needs: Callable[[], Any] | None = None,
    needs_goal: float | None = None,
    rows_goal: float = 2.0,
    repeats: int = 5,
) -> list[Result]:
    """The lines of one page.

    * its time against its own SQL replayed bare (``goal``): what the ORM, Python and the
      template add to the queries it sends;
    * with ``needs`` (a function that sends, through the same engine, the bare SQL of what
      the page shows: the rows on screen and nothing else), its time against that floor
      (``needs_goal``), and the rows its SQL reads against the rows that SQL reads
      (``rows_goal``; exact, not timed): both catch a page that reads more than it shows;
    * its number of SQL statements against ``max_queries`` (an N+1 fails here).
    """
    response = client.get(url)  # warm caches (templates, compiled SQL) before measuring
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    with QueryLog(engine) as log:
        response = client.get(url)
    assert response.status_code == 200, url
    floor = replay(engine, log.statements)
    rows_read = floor()

    def page() -> None:
        if client.get(url).status_code != 200:
            raise RuntimeError(f"{url} failed while measured")

    work_t, floor_t = compare(page, floor, repeats=repeats)
    out = [ratio_result(f"{name}: page vs its own SQL replayed", work_t, floor_t, goal)]
    if needs is not None:
        rows_needed = needs()
        work_t, floor_t = compare(page, needs, repeats=repeats)
        out.append(
            ratio_result(f"{name}: page vs the SQL it needs", work_t, floor_t, needs_goal or goal)
        )
        out.append(
            Result(
                f"{name}: rows read / rows needed",
                float(rows_read),
                float(rows_needed),
                rows_goal,
                "rows",
            )
        )
    out.append(
        Result(f"{name}: SQL statements", float(log.count), 1.0, float(max_queries), "queries")
    )
    return out


def bare_sql(engine: Any, *queries: tuple[str, dict[str, Any]]) -> Callable[[], int]:
    """A floor from hand-written SQL (``(sql, params)`` pairs, ``:name`` placeholders):
    each query sent on one connection of ``engine``, every row fetched; returns the rows."""
    import sqlalchemy as sa

    compiled = [(sa.text(q), p) for q, p in queries]

    def run() -> int:
        rows = 0
        with engine.connect() as conn:
            for stmt, params in compiled:
                rows += len(conn.execute(stmt, params).fetchall())
        return rows

    return run


def bench_app(factor: int = 1, *, seed: bool = True) -> Any:
    """An application on a fresh database (DATABASE_URL, or SQLite in a temporary folder)
    holding the demo data × ``factor``; the caller works inside ``app.app_context()``."""
    import os
    import sys
    import tempfile

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from leap_me import create_app, seeding
    from leap_me.extensions import db

    tmp = Path(tempfile.mkdtemp(prefix="leap-bench-"))
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL")
            or f"sqlite:///{tmp}/bench.sqlite",
            "WTF_CSRF_ENABLED": False,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
        if seed:
            seeds = scaled_seeds(factor, tmp / "seeds")
            seeding.seed_all(db.session, seeds)
            db.session.commit()
    return app


def signed_in(app: Any, username: str = "planner") -> Any:
    """A test client of ``app`` signed in as the demo user ``username``."""
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": "leap-demo-2026"})
    if response.status_code != 302:
        raise RuntimeError(f"could not sign in as {username}")
    return client


def empty_tables(engine: Any) -> None:
    """Delete every row of every table (children first); identities restart on PostgreSQL."""
    from leap_me.db import Base

    tables = list(reversed(Base.metadata.sorted_tables))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        else:
            for t in tables:
                conn.execute(t.delete())
