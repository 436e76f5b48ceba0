"""The instance folder (database file, evidence, uploads) can live outside the code."""

from __future__ import annotations

from pathlib import Path

from leap_me import ROOT, create_app, instance_path
from tests.conftest import INSTANCE, make_config


def test_the_folder_comes_from_the_configuration_then_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("LEAP_INSTANCE_PATH", raising=False)
    assert instance_path() == str(ROOT / "instance")
    monkeypatch.setenv("LEAP_INSTANCE_PATH", str(tmp_path / "var"))
    assert instance_path() == str(tmp_path / "var")
    assert instance_path({"INSTANCE_PATH": str(tmp_path / "given")}) == str(tmp_path / "given")


def test_an_app_keeps_its_files_in_its_instance_folder(monkeypatch, tmp_path):
    from indicators.services.submissions import evidence_root

    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("LEAP_INSTANCE_PATH", str(tmp_path / "data"))
    app = create_app({"TESTING": True, "SECRET_KEY": "x"})
    assert app.instance_path == str(tmp_path / "data")
    assert Path(app.instance_path).is_dir()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///" + str(
        tmp_path / "data" / "leap_me.sqlite"
    )
    assert evidence_root(app.instance_path) == tmp_path / "data" / "evidence"


def test_the_tests_never_write_into_the_developers_instance_folder(app):
    assert make_config("sqlite://")["INSTANCE_PATH"] == INSTANCE
    assert app.instance_path == INSTANCE != str(ROOT / "instance")
