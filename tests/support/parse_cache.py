"""Most tests deploy the same five processes into an empty database, and parsing and checking
them is a tenth of such a test. The parse depends only on the files' bytes (diagrams, their
catalogues, the forms), today's date (catalogue date rules), what is registered (handlers,
expression functions, the domains' hooks) and which candidate groups are teams. With all of
those in the key, a second parse of the same input returns the first one's result. `deploy`
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


def _digest(files: list[Path], forms_dir: Any, session: Any) -> str | None:
    from app.catalogue import catalogue_path

    digest = hashlib.sha256()
    try:
        for path in files:
            digest.update(str(path).encode() + b"\0" + path.read_bytes())
            catalogue = catalogue_path(path)
            if catalogue.exists():
                digest.update(b"catalogue\0" + catalogue.read_bytes())
        for folder in deploy_module.form_folders(forms_dir):  # a folder or several
            if folder.is_dir():
                for form in sorted(folder.rglob("*")):
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
    if session is not None:  # which candidate groups are teams (the deploy checks ask)
        from sqlalchemy import select

        from app.auth.models import Group

        digest.update(
            repr(
                session.execute(select(Group.key, Group.organisation_id).order_by(Group.key)).all()
            ).encode()
        )
    else:
        digest.update(b"no session")
    return digest.hexdigest()


def install() -> None:
    original = deploy_module.parse_files
    if getattr(original, "_stroom_cached", False):
        return

    def cached(files: list[Path], forms_dir: Any, session: Any = None) -> list[Any]:
        key = _digest(files, forms_dir, session)
        if key is None:
            return original(files, forms_dir, session)
        if key not in _parsed:
            _parsed[key] = original(files, forms_dir, session)  # a refusal is not kept
        for parsed in _parsed[key]:
            parsed.session = session  # never an earlier test's
        return _parsed[key]

    cached._stroom_cached = True  # type: ignore[attr-defined]
    deploy_module.parse_files = cached  # type: ignore[assignment]
