"""Uploads waiting for their confirmation: tied to one user and one submission, gone
after a day or once applied."""

from __future__ import annotations

import json
import time

from leap_me.exchange import uploads


def test_an_upload_is_for_its_user_and_submission_only(app, tmp_path):
    with app.app_context():
        s = uploads.store(tmp_path, b"PK-data", user_id=3, organisation="A", period="2026Q4",
                          filename="../../x.xlsx")  # fmt: skip
        folder = uploads.root(tmp_path)
        assert s.path.parent == folder and s.path.read_bytes() == b"PK-data"
        mine = dict(user_id=3, organisation="A", period="2026Q4")
        assert uploads.load(tmp_path, s.id, **mine).read() == b"PK-data"
        assert uploads.load(tmp_path, s.id, **{**mine, "user_id": 4}) is None
        assert uploads.load(tmp_path, s.id, **{**mine, "organisation": "B"}) is None
        assert uploads.load(tmp_path, s.id, **{**mine, "period": "2026Q3"}) is None
        assert uploads.load(tmp_path, "../" + s.id, **mine) is None
        uploads.delete(s)
        assert uploads.load(tmp_path, s.id, **mine) is None
        assert not list(folder.iterdir())


def test_uploads_older_than_a_day_are_swept(app, tmp_path):
    with app.app_context():
        old = uploads.store(tmp_path, b"old", user_id=1, organisation="A", period="P", filename="a")
        meta = old.path.with_suffix(".json")
        data = json.loads(meta.read_text())
        data["created"] = time.time() - uploads.MAX_AGE - 60
        meta.write_text(json.dumps(data))
        assert uploads.load(tmp_path, old.id, user_id=1, organisation="A", period="P") is None
        new = uploads.store(tmp_path, b"new", user_id=1, organisation="A", period="P", filename="b")
        assert not old.path.exists() and not meta.exists()
        assert new.path.exists()
