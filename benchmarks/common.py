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


def ratio_result(
    name: str, work: Timing, floor: Timing, goal: float, **extra: Any
) -> Result:
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

    The peak is the child's own high-water mark, so what the parent already holds does not
    count. ``fn`` and its result must be picklable only for the result (fork start).
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
