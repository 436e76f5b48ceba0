"""Uploaded workbooks waiting for their "write these values" confirmation.

The dry run and the write must read the very same file, so the upload is kept on the
server, under ``instance/imports/``, named by a random id, with a small JSON beside it
naming the user and the submission it belongs to. It is deleted once applied, and any
upload older than a day is swept away whenever a new one is stored.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

MAX_AGE = 24 * 3600
_ID = re.compile(r"[A-Za-z0-9_-]{20,64}")


@dataclass
class Stored:
    id: str
    user_id: int
    organisation: str
    period: str
    filename: str
    size: int
    sha256: str
    created: float
    path: Path
    #: {sheet: cells holding a formula with a saved value}, as the guard found them when
    #: the file was stored (None for an upload stored without them)
    formulas: dict[str, list[str]] | None = field(default=None)

    def read(self) -> bytes:
        return self.path.read_bytes()

    def read_checked(self) -> tuple[bytes | None, dict[str, set[str]] | None]:
        """(the bytes, the guard's findings) when the file is still the very one that was
        uploaded (its SHA-256 compared) — the guard need not run again when its findings
        were kept; (None, None) when the file changed on the server."""
        try:
            data = self.read()
        except OSError:
            return None, None
        if hashlib.sha256(data).hexdigest() != self.sha256:
            return None, None
        if self.formulas is None:
            return data, None
        return data, {sheet: set(cells) for sheet, cells in self.formulas.items()}


def root(instance_path: str | Path) -> Path:
    """``instance/imports`` (``LEAP_IMPORTS_DIR`` in the configuration overrides it)."""
    from flask import current_app, has_app_context

    if has_app_context() and current_app.config.get("LEAP_IMPORTS_DIR"):
        return Path(current_app.config["LEAP_IMPORTS_DIR"])
    return Path(instance_path) / "imports"


def _sweep(folder: Path, now: float) -> None:
    for meta in folder.glob("*.json"):
        try:
            created = json.loads(meta.read_text()).get("created", 0)
        except (OSError, ValueError):
            created = 0
        if now - created > MAX_AGE:
            meta.unlink(missing_ok=True)
            meta.with_suffix(".xlsx").unlink(missing_ok=True)


def store(
    instance_path,
    data: bytes,
    *,
    user_id: int,
    organisation: str,
    period: str,
    filename: str,
    formulas: dict[str, set[str]] | None = None,
) -> Stored:
    """Keep an upload that passed the guard (``formulas``: what the guard found in it)."""
    folder = root(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    now = time.time()
    _sweep(folder, now)
    upload_id = secrets.token_urlsafe(24)
    path = folder / f"{upload_id}.xlsx"
    path.write_bytes(data)
    meta = {
        "user_id": user_id,
        "organisation": organisation,
        "period": period,
        "filename": (filename or "workbook.xlsx")[-120:],
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "created": now,
        "formulas": None
        if formulas is None
        else {sheet: sorted(cells) for sheet, cells in formulas.items()},
    }
    path.with_suffix(".json").write_text(json.dumps(meta))
    return Stored(upload_id, path=path, **meta)


def load(instance_path, upload_id: str, *, user_id: int, organisation: str, period: str):
    """The stored upload, or None when it is unknown, expired, or someone else's."""
    if not upload_id or not _ID.fullmatch(upload_id):
        return None
    path = root(instance_path) / f"{upload_id}.xlsx"
    meta_path = path.with_suffix(".json")
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError):
        return None
    if (
        meta.get("user_id") != user_id
        or meta.get("organisation") != organisation
        or meta.get("period") != period
        or time.time() - meta.get("created", 0) > MAX_AGE
        or not path.exists()
    ):
        return None
    return Stored(upload_id, path=path, **meta)


def delete(stored: Stored) -> None:
    stored.path.unlink(missing_ok=True)
    stored.path.with_suffix(".json").unlink(missing_ok=True)
