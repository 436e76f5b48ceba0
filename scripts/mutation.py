"""`make mutation`: mutmut 3 over the core modules, each with the tests that cover it.

MODULES below is the whole configuration: a module to mutate → the tests that must kill
its mutants. A new core module is one more line. For each module the script makes a
working folder ``mutants/<module>/`` that links the project's top-level folders (so
mutmut's own copy, ``mutants/<module>/mutants/``, holds leap_me/, indicators/, …,
templates/ and seeds/ as the tests expect), writes a pyproject.toml there with a
``[tool.mutmut]`` section limited to that one file and its tests, runs ``mutmut run``, and
reads the score from mutmut's CI/CD statistics. It prints one line per module and exits
1 when a module scores below THRESHOLD (2 when mutmut itself fails).

    python scripts/mutation.py [module-substring ...]   # MUTATION_JOBS: the cores, by default

mutmut keeps its results between runs and re-tests only what changed; ``make clean``
(or ``rm -rf mutants``) starts afresh. ``mutmut results`` / ``mutmut show NAME`` inside
``mutants/<module>/`` list and show the surviving mutants.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
THRESHOLD = 85.0

#: module to mutate → the tests that cover it (pytest arguments, relative to the root).
MODULES: dict[str, list[str]] = {
    "indicators/services/values.py": ["tests/indicators/test_values_mutation.py"],
    "leap_me/audit.py": [
        "tests/leap_me/test_audit_more.py",
        "tests/leap_me/test_audit_bulk_rows.py",
    ],
    "budget/calc.py": ["tests/budget/test_calc.py", "tests/budget/test_calc_more.py"],
    "indicators/services/validation.py": ["tests/submissions/test_validation_mutation.py"],
    "leap_me/reports/variance.py": ["tests/reports/test_variance_mutation.py"],
    "indicators/services/submissions.py": ["tests/submissions/test_submissions_mutation.py"],
}

#: Top-level entries the tests need beside the packages (copied by mutmut, not mutated).
ALSO_COPY = ["templates", "seeds", "babel.cfg", "README.md", "docs"]
#: Never linked into the working folder.
SKIP = {".git", ".venv", "mutants", "instance", "node_modules", "build", "dist"}


def packages() -> list[str]:
    """The top-level Python packages (folders with an __init__.py), mutmut's source_paths."""
    return sorted(
        p.name
        for p in ROOT.iterdir()
        if p.is_dir() and (p / "__init__.py").exists() and p.name != "tests"
    )


def slug(module: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", module.removesuffix(".py")).strip("-")


def toml_list(items: list[str]) -> str:
    return "[" + ", ".join(json.dumps(i) for i in items) + "]"


def prepare(module: str, tests: list[str]) -> Path:
    work = ROOT / "mutants" / slug(module)
    work.mkdir(parents=True, exist_ok=True)
    for entry in ROOT.iterdir():
        if entry.name in SKIP or entry.name == "pyproject.toml" or entry.name.startswith("."):
            continue
        link = work / entry.name
        if not link.is_symlink():
            if link.exists():
                shutil.rmtree(link) if link.is_dir() else link.unlink()
            link.symlink_to(entry)
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    text = re.sub(r"(?ms)^\[tool\.mutmut\].*?(?=^\[|\Z)", "", text)
    text += (
        "\n[tool.mutmut]\n"
        f"source_paths = {toml_list(packages())}\n"
        f"only_mutate = {toml_list([module])}\n"
        f"also_copy = {toml_list([a for a in ALSO_COPY if (ROOT / a).exists()])}\n"
        f"pytest_add_cli_args_test_selection = {toml_list(tests)}\n"
        # no end-of-run garbage collection hunting unraisable exceptions: 0.3–0.6 s per
        # mutant, more than most tests take
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "no:unraisableexception",'
        ' "-p", "no:threadexception", "-x", "-q"]\n'
        "use_git_change_detection = false\n"
    )
    target = work / "pyproject.toml"
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")
    return work


def run(module: str, tests: list[str], jobs: int) -> dict:
    work = prepare(module, tests)
    mutmut = Path(sys.executable).with_name("mutmut")
    # mutmut's own command line, with one pytest session for all the mutants' tests
    fast = [sys.executable, str(ROOT / "scripts" / "mutmut_session.py")]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    start = time.perf_counter()
    log = work / "mutmut-run.log"
    with open(log, "w", encoding="utf-8") as out:
        code = subprocess.call(  # noqa: S603
            [*fast, "run", "--max-children", str(jobs)],
            cwd=work,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        if code == 0:
            code = subprocess.call(  # noqa: S603
                [str(mutmut), "export-cicd-stats"],
                cwd=work,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
    stats_file = work / "mutants" / "mutmut-cicd-stats.json"
    if code != 0 or not stats_file.exists():
        return {"module": module, "error": f"mutmut failed (exit {code}); see {log}"}
    stats = json.loads(stats_file.read_text())
    survivors = subprocess.run(  # noqa: S603
        [str(mutmut), "results"], cwd=work, env=env, capture_output=True, text=True
    ).stdout
    stats["survivors"] = [ln.strip() for ln in survivors.splitlines() if ln.strip()]
    stats["module"] = module
    stats["seconds"] = time.perf_counter() - start
    return stats


def score(stats: dict) -> float:
    """Killed (and timed out, which is also a failing test run) over the mutants tested."""
    tested = stats["total"] - stats.get("skipped", 0)
    caught = stats["killed"] + stats.get("timeout", 0) + stats.get("segfault", 0)
    return 100.0 * caught / tested if tested else 100.0


def main(argv: list[str]) -> int:
    jobs = int(os.environ.get("MUTATION_JOBS", "0")) or os.cpu_count() or 1
    chosen = {m: t for m, t in MODULES.items() if not argv or any(a in m for a in argv)}
    worst = 0
    lines = []
    for module, tests in chosen.items():
        print(f"… mutating {module} with {' '.join(tests)}", flush=True)
        stats = run(module, tests, jobs)
        if "error" in stats:
            print(f"  {stats['error']}", flush=True)
            lines.append(f"{module:<36} ERROR")
            worst = 2
            continue
        s = score(stats)
        ok = s >= THRESHOLD
        worst = max(worst, 0 if ok else 1)
        lines.append(
            f"{module:<36}{s:>7.1f} %  killed {stats['killed']:>4} of {stats['total']:>4}"
            f"  survived {stats['survived']:>3}  no tests {stats['no_tests']:>3}"
            f"  timeout {stats['timeout']:>2}  {stats['seconds']:>5.0f} s  "
            f"{'ok' if ok else 'BELOW ' + str(THRESHOLD) + ' %'}"
        )
        print("  " + lines[-1], flush=True)
        for survivor in stats["survivors"]:
            print(f"    {survivor}")
    print("\nmutation score (killed / mutants), threshold", THRESHOLD, "%")
    print("\n".join(lines))
    return worst


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
