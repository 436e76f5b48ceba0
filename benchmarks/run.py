"""`make bench`: every speed goal is a ratio to a floor measured in the same run.

Finds every ``benchmarks/bench_*.py`` module, calls its ``run(quick)`` (a list of
:class:`common.Result`), prints one line per result — the figure, its floor, the ratio,
the goal, and min and median of the repeats — and exits 1 when any result misses its
goal (2 when a benchmark itself fails). See docs/architecture.md, "make bench".

    python benchmarks/run.py [--quick] [name ...]   # names filter the modules (substring)
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))

# one module under both names: some benchmarks import ``common``, others
# ``benchmarks.common``; their Results must be of one class
import benchmarks.common as _common  # noqa: E402

sys.modules.setdefault("common", _common)
from common import Result, print_results  # noqa: E402


def modules(only: list[str]) -> list[str]:
    names = sorted(p.stem for p in HERE.glob("bench_*.py"))
    return [n for n in names if not only or any(o in n for o in only)]


def _child(conn, name: str, quick: bool) -> None:  # pragma: no cover - a child process
    try:
        conn.send((True, importlib.import_module(name).run(quick=quick)))
    except BaseException:  # noqa: BLE001 - reported by the parent, never a hang
        conn.send((False, traceback.format_exc()))
    finally:
        conn.close()


def _run_alone(name: str, quick: bool) -> list:
    """One benchmark module in a fresh process of its own (spawned, not forked): what an
    earlier module built or left in memory can neither slow it nor count in its peaks
    (a forked child's peak RSS includes the pages it inherits)."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, name, quick))
    proc.start()
    child.close()
    try:
        ok, value = parent.recv()
    except EOFError:
        ok, value = False, f"the process of {name} ended without a result"
    proc.join()
    if not ok:
        raise RuntimeError(value)
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run)")
    parser.add_argument("only", nargs="*", help="run only modules whose name contains this")
    args = parser.parse_args(argv)

    results: list[Result] = []
    failed: list[str] = []
    start = time.perf_counter()
    for name in modules(args.only):
        t0 = time.perf_counter()
        print(f"… {name}", file=sys.stderr, flush=True)
        try:
            got = _run_alone(name, args.quick)
        except Exception:  # one broken benchmark must not hide the others' figures
            traceback.print_exc()
            failed.append(name)
            continue
        if not isinstance(got, list) or not all(isinstance(r, Result) for r in got):
            print(f"{name}.run() did not return a list of Result", file=sys.stderr)
            failed.append(name)
            continue
        results.extend(got)
        print(
            f"  {name}: {len(got)} results in {time.perf_counter() - t0:.1f} s",
            file=sys.stderr,
            flush=True,
        )
    ok = print_results(results)
    missed = [r.name for r in results if not r.ok]
    print(
        f"\n{len(results)} results from {len(modules(args.only)) - len(failed)} modules in "
        f"{time.perf_counter() - start:.0f} s; ratio = figure / floor, goal = the most "
        "it may be (for counts and memory: the bound, floor 1)."
    )
    if failed:
        print(f"FAILED to run: {', '.join(failed)}")
        return 2
    if not ok:
        print(f"MISSED {len(missed)} goal(s): " + "; ".join(missed))
        return 1
    print("every result meets its goal")
    return 0


if __name__ == "__main__":
    sys.exit(main())
