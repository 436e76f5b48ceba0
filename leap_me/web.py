"""How responses leave the application: the signed-in user loaded first, no caching of
signed-in pages, fingerprinted static files cached for a year, and gzip for text.

Everything here is plain Flask hooks, so it works the same under gunicorn, the
development server and the test client.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
from pathlib import Path

from flask import Flask, g, request, send_from_directory
from flask_login import current_user

#: A year: fingerprinted files never change under the same name.
LONG_MAX_AGE = 365 * 24 * 3600
HASH_LEN = 12
_HASHED = re.compile(rf"(?P<stem>.+)\.(?P<digest>[0-9a-f]{{{HASH_LEN}}})(?P<ext>\.[A-Za-z0-9]+)")

COMPRESSIBLE = frozenset(
    {
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/json",
        "image/svg+xml",
        "text/plain",
        "text/csv",
    }
)
#: Smaller bodies gain nothing from gzip.
MIN_COMPRESS = 500


class StaticFiles:
    """Content hashes of the files under ``static/``, cached by size and mtime."""

    def __init__(self, folder: str):
        self.folder = Path(folder)
        self._cache: dict[str, tuple[int, int, str]] = {}

    def digest(self, filename: str) -> str | None:
        path = self.folder / filename
        try:
            st = path.stat()
        except OSError:
            return None
        if not path.is_file() or not path.resolve().is_relative_to(self.folder.resolve()):
            return None
        cached = self._cache.get(filename)
        if cached and cached[:2] == (st.st_size, st.st_mtime_ns):
            return cached[2]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:HASH_LEN]
        self._cache[filename] = (st.st_size, st.st_mtime_ns, digest)
        return digest

    def fingerprinted(self, filename: str) -> str:
        """``css/app.css`` -> ``css/app.<hash>.css`` (unchanged if there is no such file)."""
        digest = self.digest(filename)
        if digest is None:
            return filename
        stem, dot, ext = filename.rpartition(".")
        if not dot or "/" in ext:
            return f"{filename}.{digest}"
        return f"{stem}.{digest}.{ext}"

    def original(self, filename: str) -> tuple[str, bool] | None:
        """The file a fingerprinted name stands for, and whether the hash is current."""
        m = _HASHED.fullmatch(filename)
        if m is None:
            return None
        name = m["stem"] + m["ext"]
        digest = self.digest(name)
        if digest is None:
            return None
        return name, digest == m["digest"]


def init_app(app: Flask) -> None:
    if n := app.config.get("PROXY_COUNT"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        # The client's address (sign-in throttling, sessions) and scheme, as the proxy saw it.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    static = StaticFiles(app.static_folder or "")
    app.extensions["leap_static"] = static

    @app.url_defaults
    def fingerprint_static(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values:
            values["filename"] = static.fingerprinted(values["filename"])

    def send_static_file(filename: str):
        folder = app.static_folder or ""
        if not os.path.isfile(os.path.join(folder, filename)) and (
            found := static.original(filename)
        ):
            name, current = found
            if current:
                response = send_from_directory(folder, name, max_age=LONG_MAX_AGE)
                response.cache_control.public = True
                response.cache_control.immutable = True
                return response
            # A page from before a deployment asks for an old version: give the current
            # file, but let nobody keep it under the old name.
            return send_from_directory(folder, name, max_age=0)
        return send_from_directory(folder, filename)  # unhashed: revalidate every time

    app.send_static_file = send_static_file  # the "static" route calls this

    @app.before_request
    def load_signed_in_user() -> None:
        """Check the session cookie before the view runs, so that refreshing a session's
        last_seen commits nothing of the view's. The API signs in by token instead."""
        from leap_me.auth.services import touch_session
        from leap_me.extensions import db

        # Each request is signed in by its own cookie or token, even where the
        # application context is reused across requests (a test holding one open).
        g.pop("_login_user", None)
        if request.endpoint == "static" or request.path.startswith("/api/"):
            return
        user = current_user._get_current_object()
        if user.is_authenticated and touch_session(db.session, user):
            db.session.commit()

    @app.after_request
    def cache_and_compress(response):
        if request.endpoint != "static" and current_user.is_authenticated:
            # A signed-in page must not be kept by the browser or a proxy: after logout,
            # the Back button or the next person at the computer would see it.
            response.headers["Cache-Control"] = "no-store"
        return _compress(response)


def _compress(response):
    if response.mimetype not in COMPRESSIBLE:
        return response
    response.vary.add("Accept-Encoding")
    if (
        response.status_code != 200
        or "Content-Encoding" in response.headers
        or "Content-Range" in response.headers
        or not request.accept_encodings["gzip"]
    ):
        return response
    if response.direct_passthrough:
        response.direct_passthrough = False  # a static file: read it to compress it
    elif response.is_streamed:
        return response  # a streamed download stays streamed
    data = response.get_data()
    if len(data) < MIN_COMPRESS:
        return response
    response.set_data(gzip.compress(data, compresslevel=6, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    etag, weak = response.get_etag()
    if etag:
        # The bytes differ from the file's, so the tag may only be a weak one.
        response.set_etag(etag, weak=True)
    return response
