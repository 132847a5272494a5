"""A published version as files, laid out as `stroom deploy` reads them: the diagram under its
source name, its catalogue beside it, each form in the forms folder (under the name of the file
that has its id, else `<id>.form`). A file whose content already means the same is left as it
is, so its comments and layout stay."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from app import yaml_safe
from app.catalogue import catalogue_path, parse
from app.catalogue.source import rewrite
from app.engine.models import ProcessVersion
from app.modelling.models import CatalogueSource


def _form_file(forms: Path, key: str) -> Path:
    if key.endswith(".form"):
        return forms / key
    for candidate in sorted(forms.glob("*.form")) if forms.is_dir() else []:
        try:
            if json.loads(candidate.read_text("utf-8")).get("id") == key:
                return candidate
        except (OSError, ValueError):
            continue
    return forms / f"{key}.form"


def _catalogue_text(session: Session, version: ProcessVersion, existing: Path) -> str | None:
    if not version.catalogue:
        return None
    source = session.get(CatalogueSource, version.definition.key)
    if source is not None and source.version == version.version:
        return source.text
    if existing.is_file():
        text = existing.read_text("utf-8")
        try:
            if parse(yaml_safe.load(text), existing.name).to_json() == version.catalogue:
                return text
        except Exception:  # noqa: BLE001 - an unreadable file is replaced
            pass
    return rewrite("{}\n", version.catalogue).text


def _write(path: Path, text: str, same: bool) -> tuple[Path, str]:
    if same:
        return path, "ongewijzigd"
    state = "bijgewerkt" if path.exists() else "nieuw"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path, state


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None


def version_files(
    session: Session, version: ProcessVersion, diagrams: Path, forms: Path, server_dir: Path
) -> list[tuple[Path, str]]:
    """Write the version's files; [(path, 'nieuw' | 'bijgewerkt' | 'ongewijzigd')]."""
    written = []
    diagram = diagrams / version.source_name
    old = diagram.read_text("utf-8") if diagram.is_file() else None
    written.append(_write(diagram, version.bpmn_xml, old == version.bpmn_xml))
    catalogue = catalogue_path(diagram)
    text = _catalogue_text(
        session,
        version,
        catalogue if catalogue.is_file() else catalogue_path(server_dir / version.source_name),
    )
    if text is not None:
        current = catalogue.read_text("utf-8") if catalogue.is_file() else None
        written.append(_write(catalogue, text, current == text))
    for key, form in sorted((version.forms or {}).items()):
        path = _form_file(forms, key)
        text = json.dumps(form, ensure_ascii=False, indent=2) + "\n"
        written.append(_write(path, text, path.is_file() and _read_json(path) == form))
    return written
