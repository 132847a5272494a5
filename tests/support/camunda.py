"""Diagrams from elsewhere in tests: the diagram unchanged, with the draft catalogue
`stroom catalogue init` writes (app/engine/draft.py) completed the way a process owner
would for a test: one party `behandelaar` who may read and write every field, every topic
may read every field and write its outputs, the example values the test names, and the
fields every start brings."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

import handlers
from app.engine.draft import draft_catalogue
from app.engine.errors import DeploymentError

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _kind(example: Any) -> str:
    if isinstance(example, list):
        return "lijst"
    if isinstance(example, bool):
        return "ja_nee"
    if isinstance(example, int | float):
        return "getal"
    return "tekst"


def _field(name: str, example: Any) -> dict[str, Any]:
    return {
        "omschrijving": name,
        "categorie": "proces",
        "type": _kind(example),
        "doel": "test",
        "grondslag": "publieke_taak",
        "bewaartermijn": "P1M",
        "voorbeeld": example,
        "lezen": {"behandelaar": "*"},
        "schrijven": {"behandelaar": "*"},
    }


def completed_catalogue(
    path: Path,
    fields: dict[str, Any],
    start: list[str],
    others: Sequence[Path] = (),
    defaults: dict[str, Any] | None = None,
) -> str:
    raw = yaml.safe_load(draft_catalogue(path, FIXTURES, others))
    raw["verwerkingsactiviteit"] = "conformiteit"
    raw["partijen"] = {"behandelaar": {"naam": "Behandelaar"}}
    names = sorted(set(raw.get("velden") or {}) | set(fields))
    raw["velden"] = {name: _field(name, fields.get(name, "x")) for name in names}
    for name, value in (defaults or {}).items():  # what an instance starts with
        raw["velden"][name]["standaard"] = value
    for topic in raw.get("systemen") or {}:
        handler = handlers.get(topic)
        outputs = sorted(handler.outputs) if handler else []
        raw["systemen"][topic] = {"lezen": sorted(raw["velden"]), "schrijven": outputs}
    raw.pop("start", None)
    if start:
        raw["start"] = {"verplicht": list(start)}
    return yaml.safe_dump(raw, allow_unicode=True, sort_keys=False)


ORG = "gemeente-teams"


def teams_for(db: Any, *paths: Path) -> list[str]:
    """A team (all in one organisation) for every fixed candidate group the
    diagrams name: deploy refuses a group that is neither a team nor a party. Returns the
    keys made."""
    from lxml import etree
    from sqlalchemy import select

    from app.auth import service
    from app.auth.models import Group, Organisation

    keys: set[str] = set()
    for path in paths:
        for element in etree.parse(str(path)).iter():
            value = element.get("{http://camunda.org/schema/1.0/bpmn}candidateGroups") or ""
            if "${" not in value and "#{" not in value:
                keys |= {g.strip() for g in value.split(",") if g.strip()}
    made = []
    with db.transaction() as session:
        for key in sorted(keys):
            if session.scalar(select(Group.id).where(Group.key == key)) is None:
                # One organisation for all of them, as a municipality's own teams: the
                # teams of one party in a case must belong to one organisation.
                owner = session.scalar(select(Organisation.id).where(Organisation.key == ORG))
                if owner is None:
                    service.create_organisation(
                        session, ORG, "Gemeente (teams)", "gemeente", "weert"
                    )
                service.create_group(session, key, key, ORG)
                made.append(key)
    return made


def write_diagram(
    directory: Path,
    name: str,
    xml: str | bytes,
    fields: dict[str, Any] | None = None,
    start: list[str] | None = None,
    others: Sequence[Path] = (),
    defaults: dict[str, Any] | None = None,
) -> Path:
    """The diagram (unchanged) and its completed draft catalogue, side by side; `others` are
    diagrams of processes it calls."""
    path = directory / f"{name}.bpmn"
    if isinstance(xml, bytes):
        path.write_bytes(xml)
    else:
        path.write_text(xml)
    try:
        catalogue = completed_catalogue(path, fields or {}, start or [], others, defaults)
    except DeploymentError:
        return path  # deploy says what is wrong with the diagram
    path.with_name(f"{name}.catalogus.yaml").write_text(catalogue)
    return path
