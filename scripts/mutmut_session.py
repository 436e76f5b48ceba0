"""mutmut 3's command line, with each mutant's tests run in one pytest session collected
once (scripts/mutation.py runs ``python scripts/mutmut_session.py run …`` instead of
``mutmut run …``).

Why: mutmut forks a child per mutant, and each child calls ``pytest.main``, which parses
the options, registers some thirty plugins, loads the conftests and collects the test
files again before the first test runs: about 0.15 s, with 7,000 mutants about nine
minutes of the whole run on two cores, often more than the tests themselves. Here the
parent builds that session once, just before mutmut starts forking (after its own stats
and clean runs), and every child runs its tests through the session's own
``pytest_runtest_protocol`` hook, item by item, in the order mutmut chose, stopping at the
first failure as ``-x`` does. The hooks are pytest's: fixtures, setup and teardown,
warnings, skips and xfails behave as in ``pytest.main``, and a failed setup counts as a
failure.

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
    _session = session
    del pytest


def _run_in_session(tests: list[str]) -> int | None:
    """Run ``tests`` in the prepared session: 1 at the first failure, 0 when all pass,
    None when the session cannot run them (mutmut's own call takes over)."""
    if _session is None or not tests or any(t not in _items for t in tests):
        return None
    items = [_items[t] for t in tests]  # mutmut's order: fastest first
    hook = _session.config.hook
    with change_cwd("mutants"):
        for i, item in enumerate(items):
            following = items[i + 1] if i + 1 < len(items) else None
            hook.pytest_runtest_protocol(item=item, nextitem=following)
            if _session.testsfailed or _session.shouldfail or _session.shouldstop:
                return 1
    return 0


_original_run_tests = harness.PytestRunner.run_tests
_original_startup = isolation.ForkRunner.startup


def run_tests(self, *, mutant_name, tests):
    if mutant_name is not None and _session is not None:
        try:
            code = _run_in_session(list(tests))
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
