"""Static-file URLs with a content hash, so browsers may cache them for a year.

`asset("vendor/htmx.org/htmx.min.js")` -> "/static/vendor/htmx.org/htmx.min.js?v=3f2a9c01d4".
The hash changes when the file changes (a new npm version, an edited stroom.css), so a long
Cache-Control lifetime is safe for any static URL that carries `v`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from pathlib import Path

from flask import Flask, Response, current_app, request, url_for

log = logging.getLogger(__name__)

ONE_YEAR = 365 * 24 * 3600

_lock = threading.Lock()
_hashes: dict[str, tuple[int, int, str]] = {}  # path -> (mtime_ns, size, hash)
_missing_reported: set[str] = set()


def asset(path: str) -> str:
    """URL of a file under app/static, with a cache-busting content hash."""
    path = path.lstrip("/")
    folder = current_app.static_folder
    version = _version(Path(folder) / path) if folder else None
    if version is None:
        if path not in _missing_reported:
            _missing_reported.add(path)
            log.warning(
                "static file %s not found (run scripts/setup or scripts/vendor-assets)", path
            )
        return url_for("static", filename=path)
    return url_for("static", filename=path, v=version)


def _version(file: Path) -> str | None:
    try:
        stat = os.stat(file)
    except OSError:
        return None
    key = str(file)
    with _lock:
        cached = _hashes.get(key)
        if cached and cached[0] == stat.st_mtime_ns and cached[1] == stat.st_size:
            return cached[2]
    digest = hashlib.sha256(file.read_bytes()).hexdigest()[:10]
    with _lock:
        _hashes[key] = (stat.st_mtime_ns, stat.st_size, digest)
    return digest


def register_asset_caching(app: Flask) -> None:
    """Versioned static URLs (`?v=`) are immutable: let browsers keep them for a year."""

    @app.after_request
    def _cache_versioned_static(response: Response) -> Response:
        if request.endpoint == "static" and request.args.get("v") and response.status_code == 200:
            response.cache_control.public = True
            response.cache_control.max_age = ONE_YEAR
            response.cache_control.immutable = True
            response.cache_control.no_cache = None
        return response
