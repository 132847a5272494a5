"""Most tests deploy the same five processes into an empty database, and parsing and checking
them is a tenth of such a test. The parse depends only on the files' bytes (diagrams, their
catalogues, the forms), today's date (catalogue date rules), what is registered (handlers,
expression functions, the domains' hooks) and which candidate groups are teams. With all of
those in the key, a second parse of the same input returns the first one's result. `deploy`
only reads it. Tests only; the tests that expect a refusal use their own files and miss.

The web's checks and publishes (app/modelling/publish.py) stage each upload in a temporary
folder of its own: the key names their files by their place in it, and a result used for
another staging folder gets that folder's paths (the process's file and its specs'), so that
it is what a parse of those files would have given. The form editor's check of each unchanged
form stages the server's own files again: one parse per process instead of one per form.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import handlers
from app import clock
from app.engine import deploy as deploy_module
from app.engine import functions, hooks

_parsed: dict[str, tuple[str | None, list[Any]]] = {}
STAGED = "stroom-publish-"  # app/modelling/publish.py's staging folders


def _staging_root(path: Path) -> str | None:
    for parent in path.parents:
        if parent.name.startswith(STAGED):
            return str(parent)
    return None


def _named(path: Path, root: str | None) -> str:
    text = str(path)
    return "<staged>" + text[len(root) :] if root and text.startswith(root + "/") else text


def _digest(files: list[Path], forms_dir: Any, session: Any) -> str | None:
    from app.catalogue import catalogue_path

    digest = hashlib.sha256()
    root = _staging_root(files[0]) if files else None
    try:
        for path in files:
            digest.update(_named(path, root).encode() + b"\0" + path.read_bytes())
            catalogue = catalogue_path(path)
            if catalogue.exists():
                digest.update(b"catalogue\0" + catalogue.read_bytes())
        # The forms as deploy finds them (deploy.form_folders, _load_form): by their place in
        # a folder, the first folder's of a place. Uploads of different forms, each the same
        # as the server's, are then the same input.
        folders = deploy_module.form_folders(forms_dir)  # a folder or several
        digest.update(f"{len(folders)} folders\0".encode())
        found: dict[Path, Path] = {}
        for folder in folders:
            if folder.is_dir():
                for form in folder.rglob("*"):
                    found.setdefault(form.relative_to(folder), form)
        for place, form in sorted(found.items()):
            content = form.read_bytes() if form.is_file() else b"not a file"
            digest.update(str(place).encode() + b"\0" + content + b"\0")
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
        root = _staging_root(files[0]) if files else None
        if key not in _parsed:
            _parsed[key] = (root, original(files, forms_dir, session))  # a refusal is not kept
        first_root, result = _parsed[key]
        for parsed in result:
            parsed.session = session  # never an earlier test's
            if first_root and root and first_root != root:  # this upload's folder
                if str(parsed.file).startswith(first_root + "/"):
                    parsed.file = Path(root + str(parsed.file)[len(first_root) :])
                for spec in [parsed.spec, *parsed.subprocess_specs.values()]:
                    if isinstance(spec.file, str) and spec.file.startswith(first_root + "/"):
                        spec.file = root + spec.file[len(first_root) :]
        _parsed[key] = (root, result)
        return result

    cached._stroom_cached = True  # type: ignore[attr-defined]
    deploy_module.parse_files = cached  # type: ignore[assignment]
