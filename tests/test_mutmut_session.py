"""scripts/mutmut_session.py (issue 8 item 29, `make mutation` in under 30 minutes): mutmut
run with one pytest session for every mutant decides each mutant as mutmut's own
``pytest.main`` per mutant does, and really skips the per-mutant pytest start-up.

A small project is mutated twice, once each way, in a temporary folder: its tests kill
some mutants, let others survive (a test that checks too little), and one test fails in
its fixture's setup for one mutant. A conftest counts pytest configurations in a file: one
per ``pytest.main``, so the count shows whether each mutant started pytest again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUNNER = ROOT / "scripts" / "mutmut_session.py"

SOURCE = """
def add(a, b):
    return a + b


def is_adult(age):
    return age >= 18


def label(n):
    if n == 1:
        return "one"
    return "many"


def base():
    return 10
"""

TESTS = """
import pytest

from pkg import m


@pytest.fixture
def ten():
    value = m.base()
    assert value == 10  # a mutant of base() fails here, in the setup
    return value


def test_add(ten):
    assert m.add(2, 3) == 5
    assert m.add(ten, 0) == 10


def test_is_adult():
    assert m.is_adult(30) and not m.is_adult(3)  # the edge at 18 is never tried


def test_label():
    assert m.label(2) == "many"  # "one" is never checked
"""

CONFTEST = """
import os


def pytest_configure(config):
    with open(os.environ["CONFIGURES"], "a") as f:
        f.write("x")
"""


def _project(tmp: Path) -> Path:
    (tmp / "pkg").mkdir()
    (tmp / "pkg" / "__init__.py").write_text("")
    (tmp / "pkg" / "m.py").write_text(SOURCE)
    (tmp / "tests").mkdir()
    (tmp / "tests" / "__init__.py").write_text("")
    (tmp / "tests" / "conftest.py").write_text(textwrap.dedent(CONFTEST))
    (tmp / "tests" / "test_m.py").write_text(textwrap.dedent(TESTS))
    (tmp / "pyproject.toml").write_text(
        textwrap.dedent(
            """
            [tool.mutmut]
            source_paths = ["pkg"]
            only_mutate = ["pkg/m.py"]
            pytest_add_cli_args_test_selection = ["tests/test_m.py"]
            pytest_add_cli_args = ["-p", "no:cacheprovider", "-x", "-q"]
            use_git_change_detection = false
            """
        )
    )
    return tmp


def _mutate(tmp: Path, *, plain: bool) -> tuple[dict[str, int], int, str]:
    """Every mutant's exit code, how many times pytest was configured, and the kills
    the session recorded (function, test)."""
    work = _project(tmp)
    counter = tmp / "configures"
    env = {
        **os.environ,
        "CONFIGURES": str(counter),
        "PYTHONDONTWRITEBYTECODE": "1",
        "MUTATION_PLAIN": "1" if plain else "",
    }
    env.pop("DATABASE_URL", None)
    done = subprocess.run(  # noqa: S603
        [sys.executable, str(RUNNER), "run", "--max-children", "2"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    meta = json.loads((work / "mutants" / "pkg" / "m.py.meta").read_text())
    kills = work / "mutants" / "mutmut-kills.tsv"
    kills_text = kills.read_text() if kills.exists() else ""
    return meta["exit_code_by_key"], len(counter.read_text()), kills_text


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    return (
        _mutate(tmp_path_factory.mktemp("plain"), plain=True),
        _mutate(tmp_path_factory.mktemp("session"), plain=False),
    )


def _outcome(code: int) -> str:
    return "survived" if code == 0 else "killed" if code in (1, 3) else f"exit {code}"


def test_each_mutant_is_decided_as_pytest_main_decides_it(both):
    (plain, _, _), (session, _, _) = both
    assert plain.keys() == session.keys() and len(plain) >= 8
    assert {k: _outcome(v) for k, v in session.items()} == {
        k: _outcome(v) for k, v in plain.items()
    }
    outcomes = {k: _outcome(v) for k, v in session.items()}
    # killed in the fixture's setup, in the test's body; survivors of the weak tests
    assert all(outcomes[k] == "killed" for k in outcomes if ".x_base__" in k)
    assert all(outcomes[k] == "killed" for k in outcomes if ".x_add__" in k)
    assert any(outcomes[k] == "survived" for k in outcomes if ".x_is_adult__" in k)
    assert any(outcomes[k] == "survived" for k in outcomes if ".x_label__" in k)
    assert any(outcomes[k] == "killed" for k in outcomes if ".x_label__" in k)


def test_the_session_starts_pytest_once_not_once_per_mutant(both):
    (plain, plain_configures, _), (session, session_configures, _) = both
    # mutmut's own runs (stats, clean tests, forced failure) configure pytest either way;
    # each mutant adds one more only without the shared session
    assert plain_configures >= len(plain)
    assert session_configures < 6 < len(session)


def test_the_session_puts_the_tests_that_killed_a_function_first(both):
    """Each kill is recorded with its test, and the next mutant of the same function runs
    that test first: every kill of ``add`` and ``base`` is by ``test_add`` (the only test
    that calls them), and no mutant is counted twice."""
    (_, _, plain_kills), (session, _, kills) = both
    assert plain_kills == ""  # plain mutmut records nothing
    lines = [line.split("\t") for line in kills.splitlines()]
    killed = [k for k, v in session.items() if _outcome(v) == "killed"]
    assert len(lines) == len(killed)
    assert {f for f, _ in lines} <= {k.rsplit("__mutmut_", 1)[0] for k in killed}
    by_function = {f: {t for g, t in lines if g == f} for f, _ in lines}
    assert by_function["pkg.m.x_add"] == {"tests/test_m.py::test_add"}
    assert by_function["pkg.m.x_base"] == {"tests/test_m.py::test_add"}
    assert by_function["pkg.m.x_label"] == {"tests/test_m.py::test_label"}
