"""mutmut 3's command line, with each mutant's tests run in one pytest session collected
once (scripts/mutation.py runs ``python scripts/mutmut_session.py run …`` instead of
``mutmut run …``).

Why: mutmut forks a child per mutant, and each child calls ``pytest.main``, which parses
the options, registers some thirty plugins, loads the conftests and collects the test
files again before the first test runs: about 0.15 s, with 7,000 mutants about nine
minutes of the whole run on two cores, often more than the tests themselves. Here the
parent builds that session once, just before mutmut starts forking (after its own stats
and clean runs), and every child runs its tests through the session's own
``pytest_runtest_protocol`` hook, item by item, stopping at the first failure as ``-x``
does: first the tests that killed the most of the same function's mutants so far in the
run, then the rest in mutmut's order (fastest first). The hooks are pytest's: fixtures,
setup and teardown, warnings, skips and xfails behave as in ``pytest.main``, and a failed
setup counts as a failure.

Anything unexpected (a test id the session did not collect, an error in this module)
falls back to mutmut's own ``pytest.main`` call, so a mutant is never counted as killed
because of this shortcut. mutmut's internals used here (``PytestRunner.run_tests``,
``ForkRunner.startup``) are checked on import; on another mutmut they are left alone.
"""

from __future__ import annotations

import os
import sys
from contextlib import redirect_stdout

from mutmut.__main__ import cli
from mutmut.configuration import config
from mutmut.runners import harness
from mutmut.utils.file_utils import change_cwd
from mutmut.workers import isolation

_session = None  # the pytest Session, built in the parent before the first fork
_items: dict[str, object] = {}  # node id → collected item


def _build_session() -> None:
    """Configure pytest and collect the module's test selection once, in the parent."""
    global _session
    import pytest
    from _pytest.config import _prepareconfig
    from _pytest.main import Session

    cfg = config()
    args = [
        "--rootdir=.",
        "--tb=native",
        "-x",
        "-q",
        "-p",
        "no:randomly",
        "-p",
        "no:random-order",
        # the parent keeps its own terminal: the children send stdout to /dev/null
        "--capture=no",
        *cfg.pytest_add_cli_args,
        *cfg.pytest_add_cli_args_test_selection,
    ]
    # the session's terminal output (a child's dots and reports) goes nowhere
    quiet = open(os.devnull, "w")  # noqa: SIM115 - the session writes to it until the end
    with change_cwd("mutants"), redirect_stdout(quiet):
        pconfig = _prepareconfig(args)
        pconfig._do_configure()
        session = Session.from_config(pconfig)
        pconfig.hook.pytest_sessionstart(session=session)
        session.perform_collect()
        if session.testsfailed:  # a collection error: leave mutmut to its own way
            return
    _items.update((item.nodeid, item) for item in session.items)
    kills = os.path.abspath(os.path.join("mutants", "mutmut-kills.tsv"))
    if os.path.exists(kills):
        os.unlink(kills)  # this run's kills only
    _KILLS[:] = [kills]
    _session = session
    del pytest


#: Which test killed which function's mutants in this run, one "function<TAB>test" line
#: per kill, appended by the children (mutants/mutmut-kills.tsv).
_KILLS: list[str] = []


def _kills(function: str) -> dict[str, int]:
    """How many of ``function``'s mutants each test has killed so far in this run."""
    counts: dict[str, int] = {}
    try:
        with open(_KILLS[0], encoding="utf-8") as f:
            for line in f:
                name, _, test = line.rstrip("\n").partition("\t")
                if name == function:
                    counts[test] = counts.get(test, 0) + 1
    except (OSError, IndexError):
        pass
    return counts


def _order(tests: list[str], function: str) -> list[str]:
    """The tests that killed the most of this function's mutants so far first, then
    mutmut's own order (fastest first).

    Most mutants are killed by one of a few broad tests, which are seldom the fastest: on
    30 killed mutants of the submission service's ``_save`` (every test run against
    each), the tests before and including the first failing one took 0.65 s fastest
    first and 0.55 s in a random order. mutmut tests a function's mutants one after
    another, so what killed the last ones is the best guess for the next. A survivor
    runs every test whatever the order, and the order changes no outcome."""
    kills = _kills(function)
    if not kills:
        return tests
    rank = {t: i for i, t in enumerate(tests)}
    return sorted(tests, key=lambda t: (-kills.get(t, 0), rank[t]))


def _record_kill(function: str, test: str) -> None:
    if not _KILLS:
        return
    line = f"{function}\t{test}\n".encode()
    fd = os.open(_KILLS[0], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)  # one short append: whole lines, whoever writes at once
    finally:
        os.close(fd)


def _run_in_session(tests: list[str], mutant_name: str = "") -> int | None:
    """Run ``tests`` in the prepared session: 1 at the first failure, 0 when all pass,
    None when the session cannot run them (mutmut's own call takes over)."""
    if _session is None or not tests or any(t not in _items for t in tests):
        return None
    function = mutant_name.rsplit("__mutmut_", 1)[0]
    items = [_items[t] for t in _order(tests, function)]
    hook = _session.config.hook
    with change_cwd("mutants"):
        for i, item in enumerate(items):
            following = items[i + 1] if i + 1 < len(items) else None
            hook.pytest_runtest_protocol(item=item, nextitem=following)
            if _session.testsfailed or _session.shouldfail or _session.shouldstop:
                _record_kill(function, item.nodeid)
                return 1
    return 0


_original_run_tests = harness.PytestRunner.run_tests
_original_startup = isolation.ForkRunner.startup


def run_tests(self, *, mutant_name, tests):
    if mutant_name is not None and _session is not None:
        try:
            code = _run_in_session(list(tests), mutant_name)
        except Exception:  # noqa: BLE001 - never let the shortcut decide a mutant's fate
            code = None
        if code is not None:
            return code
    return _original_run_tests(self, mutant_name=mutant_name, tests=tests)


def startup(self) -> None:
    try:
        _build_session()
    except Exception as exc:  # noqa: BLE001 - mutmut's own way still works
        print(f"(one pytest session could not be prepared: {exc}; using pytest.main)")
    _original_startup(self)


def install() -> bool:
    """Patch mutmut when its internals are the ones this module knows."""
    if not (
        hasattr(harness, "PytestRunner")
        and hasattr(isolation, "ForkRunner")
        and callable(getattr(harness.PytestRunner, "run_tests", None))
        and callable(getattr(isolation.ForkRunner, "startup", None))
    ):
        return False
    harness.PytestRunner.run_tests = run_tests
    isolation.ForkRunner.startup = startup
    return True


if __name__ == "__main__":
    if not install() or os.environ.get("MUTATION_PLAIN"):
        harness.PytestRunner.run_tests = _original_run_tests
        isolation.ForkRunner.startup = _original_startup
    sys.argv[0] = "mutmut"
    sys.exit(cli())
