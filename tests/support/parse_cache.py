"""Most tests deploy the same five processes into an empty database, and parsing and checking
them is a tenth of such a test. The parse depends only on the files' bytes (diagrams, their
catalogues, the forms), today's date (catalogue date rules), and what is registered: handlers,
expression functions and the domains' hooks. With all of those in the key, a second parse of
the same input returns the first one's result. The result is not changed by `deploy`, which
only reads it. Tests only; the tests that expect a refusal use their own files and miss.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import handlers
from app import clock
from app.engine import deploy as deploy_module
from app.engine import functions, hooks

_parsed: dict[str, list[Any]] = {}


def _digest(files: list[Path], forms_dir: Path) -> str | None:
    from app.catalogue import catalogue_path

    digest = hashlib.sha256()
    try:
        for path in files:
            digest.update(str(path).encode() + b"\0" + path.read_bytes())
            catalogue = catalogue_path(path)
            if catalogue.exists():
                digest.update(b"catalogue\0" + catalogue.read_bytes())
        if forms_dir.is_dir():
            for form in sorted(forms_dir.rglob("*")):
                if form.is_file():
                    digest.update(str(form).encode() + b"\0" + form.read_bytes())
    except OSError:
        return None  # let the parse report it
    digest.update(str(clock.local(clock.now()).date()).encode())
    handlers.get("")  # loads the handler modules, so the snapshot below is complete
    registered = (
        sorted((topic, id(handler)) for topic, handler in handlers._HANDLERS.items()),
        sorted((name, id(f)) for name, f in functions._FUNCTIONS.items()),
        [
            [id(item) for item in value]
            for _name, value in sorted(vars(hooks).items())
            if isinstance(value, list)
        ],
    )
    digest.update(repr(registered).encode())
    return digest.hexdigest()


def install() -> None:
    original = deploy_module.parse_files
    if getattr(original, "_stroom_cached", False):
        return

    def cached(files: list[Path], forms_dir: Path) -> list[Any]:
        key = _digest(files, forms_dir)
        if key is None:
            return original(files, forms_dir)
        if key not in _parsed:
            _parsed[key] = original(files, forms_dir)  # a refusal raises and is not kept
        return _parsed[key]

    cached._stroom_cached = True  # type: ignore[attr-defined]
    deploy_module.parse_files = cached  # type: ignore[assignment]
