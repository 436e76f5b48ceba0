"""Running and keeping the system (issue 8, items 14, 16, 26, 27 and 28): file modes,
backups that fail cleanly, gunicorn, caching, compression, start-up weight and the
declared dependencies."""

from __future__ import annotations

import gzip
import json
import os
import re
import socket
import stat
import subprocess
import sys
import time
import tomllib
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
import sqlalchemy as sa

from leap_me import create_app
from tests.conftest import PASSWORD, empty_all_tables, make_config

ROOT = Path(__file__).resolve().parents[2]


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


# --- 14: file modes and backups ----------------------------------------------------


def test_a_new_sqlite_database_file_is_private(tmp_path):
    path = tmp_path / "instance" / "leap_me.sqlite"
    old = os.umask(0o022)
    try:
        app = create_app(make_config(f"sqlite:///{path}"))
        assert path.exists() and _mode(path) == 0o600
        with app.app_context():
            from leap_me.extensions import db

            db.create_all()
            db.engine.dispose()
        assert _mode(path) == 0o600
        path.chmod(0o644)  # left readable by an older version: tightened at start
        create_app(make_config(f"sqlite:///{path}"))
        assert _mode(path) == 0o600
    finally:
        os.umask(old)


def test_backup_onto_an_existing_readable_file_ends_private(runner, tmp_path):
    out = tmp_path / "b.gz"
    out.write_bytes(b"old")
    out.chmod(0o644)
    result = runner.invoke(args=["backup", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert _mode(out) == 0o600 and gzip.decompress(out.read_bytes()).startswith(b'{"format"')
    assert [p.name for p in tmp_path.iterdir()] == ["b.gz"]  # no temporary file left


def test_backup_does_not_follow_a_symlink(runner, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    victim.chmod(0o644)
    link = tmp_path / "b.gz"
    link.symlink_to(victim)
    result = runner.invoke(args=["backup", "-o", str(link)])
    assert result.exit_code == 0, result.output
    assert victim.read_text() == "keep me" and _mode(victim) == 0o644
    assert not link.is_symlink() and _mode(link) == 0o600


def test_backup_into_a_missing_folder_is_a_clear_error(runner, tmp_path):
    result = runner.invoke(args=["backup", "-o", str(tmp_path / "nope" / "b.gz")])
    assert result.exit_code != 0
    assert "does not exist" in result.output and "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def _backup_lines(runner, tmp_path) -> list[dict]:
    path = tmp_path / "good.gz"
    assert runner.invoke(args=["backup", "-o", str(path)]).exit_code == 0
    return [json.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines()]


def _write(tmp_path, lines: list) -> Path:
    path = tmp_path / "crafted.gz"
    path.write_bytes(
        gzip.compress(
            b"".join(
                (line if isinstance(line, str) else json.dumps(line)).encode() + b"\n"
                for line in lines
            )
        )
    )
    return path


def _restore_fails(runner, db, path: Path, expected: str) -> None:
    empty_all_tables()
    result = runner.invoke(args=["restore", str(path)])
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Nothing was restored" in result.output and expected in result.output, result.output
    assert "Traceback" not in result.output
    from stakeholders.models import Province

    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Province.id))) == 0


def test_restore_with_a_bad_number_is_refused_cleanly(runner, db, tmp_path):
    lines = _backup_lines(runner, tmp_path)
    row = {
        "id": 1,
        "year": 2026,
        "khr_per_usd": "4,100.5x",
        "created_dt": "2026-01-01T00:00:00+00:00",
        "updated_dt": "2026-01-01T00:00:00+00:00",
    }
    bad = [*lines, {"t": "budget_exchange_rate", "r": row}]
    _restore_fails(runner, db, _write(tmp_path, bad), "khr_per_usd holds '4,100.5x'")
    row["khr_per_usd"] = "NaN"
    _restore_fails(
        runner,
        db,
        _write(tmp_path, [*lines, {"t": "budget_exchange_rate", "r": row}]),
        "not a valid number",
    )


def test_restore_with_a_bad_whole_number_is_refused_cleanly(runner, db, tmp_path):
    lines = _backup_lines(runner, tmp_path)
    province = next(i for i in lines[1:] if i["t"] == "province")
    province["r"]["id"] = "12x"
    _restore_fails(runner, db, _write(tmp_path, lines), "not a valid whole number")


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (["province", {}], "not a row"),
        ({"t": "province"}, "not a row"),
        ({"t": "province", "r": "x"}, "not a row"),
        ("{not json", "not valid JSON"),
        ({"t": "no_such_table", "r": {}}, "unknown table"),
        ({"t": "province", "r": {"nope": 1}}, "has no column nope"),
    ],
)
def test_restore_with_a_malformed_row_is_refused_cleanly(runner, db, tmp_path, row, expected):
    lines = _backup_lines(runner, tmp_path)
    _restore_fails(runner, db, _write(tmp_path, [lines[0], row, *lines[1:]]), expected)


def test_restore_of_a_header_only_backup_is_refused(runner, db, tmp_path):
    lines = _backup_lines(runner, tmp_path)
    _restore_fails(runner, db, _write(tmp_path, lines[:1]), "holds no rows")


def test_restore_of_a_backup_without_a_revision_into_a_migrated_database(runner, db, tmp_path):
    lines = _backup_lines(runner, tmp_path)
    assert lines[0]["revision"] is None  # the test schema is made without migrations
    db.session.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
    db.session.execute(sa.text("INSERT INTO alembic_version VALUES ('0006_sessions')"))
    db.session.commit()
    try:
        _restore_fails(runner, db, _write(tmp_path, lines), "does not say which migration")
        lines[0]["revision"] = "0001_foundation"
        _restore_fails(runner, db, _write(tmp_path, lines), "made at migration 0001_foundation")
    finally:
        db.session.rollback()
        db.session.execute(sa.text("DROP TABLE alembic_version"))
        db.session.commit()


# --- 16 and 26: headers, caching and compression (test client) ----------------------


def test_signed_in_pages_are_not_stored_static_files_are(client, login):
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")
    login("viewer")
    for url in ("/", "/organisations", "/profile"):
        assert client.get(url).headers["Cache-Control"] == "no-store", url
    page = client.get("/").get_data(as_text=True)
    css = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', page)
    assert css, "the stylesheet's name carries its content hash"
    response = client.get(css[1])
    cache = response.headers["Cache-Control"]
    assert response.status_code == 200 and "max-age=31536000" in cache and "immutable" in cache
    assert "no-store" not in cache
    assert response.data == (ROOT / "leap_me/static/css/app.css").read_bytes()


def test_a_stale_fingerprint_gets_the_current_file_without_long_caching(client):
    response = client.get("/static/css/app.000000000000.css")
    assert response.status_code == 200
    assert "max-age=31536000" not in response.headers.get("Cache-Control", "")
    assert response.data == (ROOT / "leap_me/static/css/app.css").read_bytes()
    assert client.get("/static/css/none.0123456789ab.css").status_code == 404


def test_every_static_reference_in_a_page_is_fingerprinted(client, login):
    login("planner")
    client.post("/language", data={"lang": "km"})
    page = client.get("/").get_data(as_text=True)
    refs = re.findall(r'(?:href="|src="|url\(")(/static/[^"\s)]+)', page)
    assert len(refs) >= 8
    assert all(re.search(r"\.[0-9a-f]{12}\.\w+$", r) for r in refs), refs


@pytest.mark.parametrize("url", ["/login", "/static/css/app.css", "/static/js/indicators.js"])
def test_text_is_gzipped_when_the_browser_accepts_it(client, url):
    plain = client.get(url)
    assert "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in plain.headers.get("Vary", "")
    packed = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert int(packed.headers["Content-Length"]) < len(plain.data)
    if url == "/login":  # the CSRF token differs; the rest is the same page
        assert b"<form" in gzip.decompress(packed.data)
    else:
        assert gzip.decompress(packed.data) == plain.data
    refused = client.get(url, headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers


def test_fonts_and_images_are_not_gzipped(client):
    font = client.get(
        "/static/fonts/noto-sans-khmer-khmer-400-normal.woff2",
        headers={"Accept-Encoding": "gzip"},
    )
    assert font.status_code == 200 and "Content-Encoding" not in font.headers


def test_english_pages_do_not_reference_the_khmer_font(client, login):
    login("planner")
    for url in ("/", "/organisations", "/profile"):
        assert "noto-sans-khmer" not in client.get(url).get_data(as_text=True).lower()
    client.post("/language", data={"lang": "km"})
    assert "noto-sans-khmer" in client.get("/").get_data(as_text=True)


# --- 27 and 28: start-up weight, make run, dependencies ------------------------------


def test_the_application_starts_without_pandas(tmp_path):
    code = (
        "import sys, leap_me; leap_me.create_app(); "
        "print('pandas' in sys.modules, 'xhtml2pdf' in sys.modules)"
    )
    env = {**os.environ, "SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.split() == ["False", "False"], out.stderr


def test_make_run_is_one_process():
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^run:.*\n((?:\t.*\n)+)", makefile, re.M)[1]
    assert recipe.count("leap-me") == 1 and "run --setup" in recipe


#: Declared dependencies that no ``import`` names, each with the reason it is kept.
JUSTIFIED = {
    "psycopg": "the PostgreSQL driver SQLAlchemy loads for a postgresql:// DATABASE_URL",
    "openpyxl": "on the design card: pandas' .xlsx engine; the tests read exports with it",
    "weasyprint": "PDF reports (Khmer shaping, see docs/architecture.md)",
}
IMPORT_NAMES = {
    "flask-sqlalchemy": "flask_sqlalchemy",
    "flask-migrate": "flask_migrate",
    "flask-login": "flask_login",
    "flask-wtf": "flask_wtf",
    "flask-babel": "flask_babel",
    "python-calamine": "python_calamine",
    "pyicu": "icu",
    "pyyaml": "yaml",
    "email-validator": "email_validator",
}


def test_every_declared_dependency_is_used_or_justified():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    names = [re.split(r"[<>=\[ ]", d, maxsplit=1)[0].lower() for d in deps]
    assert "xhtml2pdf" not in names
    source = "\n".join(
        p.read_text()
        for pkg in ("leap_me", "indicators", "logframe", "budget", "stakeholders")
        for p in (ROOT / pkg).rglob("*.py")
    )
    architecture = (ROOT / "docs/architecture.md").read_text()
    for name in names:
        module = IMPORT_NAMES.get(name, name)
        imported = re.search(rf"^\s*(from|import) {module}\b", source, re.M)
        if name in JUSTIFIED:
            assert name in architecture.lower(), f"{name}: say in docs/architecture.md why"
        else:
            assert imported, f"{name} is declared but never imported"
    assert "xhtml2pdf" in architecture  # the reason it is not used stays written down


# --- 16 and 27: `leap-me run` serves with gunicorn, after setting up in one process ---


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(os.environ.get("DATABASE_URL") is not None, reason="uses its own SQLite")
def test_leap_me_run_serves_with_gunicorn(tmp_path):
    port = _free_port()
    db_file = tmp_path / "run.sqlite"
    env = {**os.environ, "SECRET_KEY": "run-test", "DATABASE_URL": f"sqlite:///{db_file}"}
    leap_me = Path(sys.executable).with_name("leap-me")
    proc = subprocess.Popen(
        [str(leap_me), "run", "--setup", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        jar = CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                login = opener.open(base + "/login", timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError("the server did not start") from None
                time.sleep(0.5)
        server = login.headers.get("Server", "")
        assert "Werkzeug" not in server and "Python" not in server and "gunicorn" in server
        csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login.read().decode())[1]
        body = f"csrf_token={csrf}&username=Planner&password={PASSWORD}".encode()
        home = opener.open(base + "/login", data=body, timeout=10)
        assert home.geturl().rstrip("/") == base and "Log out" in home.read().decode()
        assert home.headers["Cache-Control"] == "no-store"
        request = urllib.request.Request(base + "/", headers={"Accept-Encoding": "gzip"})  # noqa: S310
        packed = opener.open(request, timeout=10)
        assert packed.headers["Content-Encoding"] == "gzip"
        assert "Log out" in gzip.decompress(packed.read()).decode()
        assert _mode(db_file) == 0o600
    finally:
        os.killpg(proc.pid, 15)
        output = proc.communicate(timeout=30)[0]
    # One process did the migration, the seed and the account listing before serving.
    assert "Seed loaded" in output and "admin        password:" in output, output
    assert output.index("Demo accounts") < output.index("Listening at")
    assert "development server" not in output
