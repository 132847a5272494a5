"""Diagrams from elsewhere in tests: a BPMN text plus a draft data catalogue that covers it
(every flow node in one phase, every user task done by the party `behandelaar` through the
catalogue's `taken`, candidate groups left as the teams they name, the fields the test
names), so a test can deploy a Camunda diagram unchanged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
NOT_NODES = {
    "sequenceFlow",
    "laneSet",
    "lane",
    "childLaneSet",
    "flowNodeRef",
    "extensionElements",
    "documentation",
    "incoming",
    "outgoing",
    "conditionExpression",
    "text",
    "textAnnotation",
    "association",
    "script",
    "timeDate",
    "timeDuration",
    "timeCycle",
    "multiInstanceLoopCharacteristics",
}


def _kind(example: Any) -> str:
    if isinstance(example, bool):
        return "ja_nee"
    if isinstance(example, int | float):
        return "getal"
    return "tekst"


def draft_catalogue(xml: bytes | str, fields: dict[str, Any], start: list[str]) -> str:
    root = etree.fromstring(xml.encode() if isinstance(xml, str) else xml)
    process = next(
        p for p in root.iter(f"{{{BPMN_NS}}}process") if p.get("isExecutable") in ("true", "1")
    )
    nodes: list[str] = []
    parties = {"behandelaar"}
    unassigned: list[str] = []
    for element in process.iter():
        if not isinstance(element.tag, str) or not element.tag.startswith(f"{{{BPMN_NS}}}"):
            continue
        tag = element.tag.split("}", 1)[1]
        if tag == "userTask":
            unassigned.append(element.get("id"))
        if (
            element.get("id")
            and element is not process
            and tag not in NOT_NODES
            and not tag.endswith("EventDefinition")
        ):
            nodes.append(element.get("id"))
    rights = ", ".join(f"{json.dumps(p)}: '*'" for p in sorted(parties))
    lines = [
        f"proces: {process.get('id')}",
        "verwerkingsactiviteit: conformiteit",
        "partijen:",
        *(f"  {json.dumps(p)}: {{naam: {json.dumps(p)}}}" for p in sorted(parties)),
        "fasen:",
        f"  alles: [{', '.join(nodes)}]",
        "velden:" if fields else "velden: {}",
    ]
    for name, example in fields.items():
        lines.append(
            f"  {name}: {{omschrijving: {name}, categorie: proces, type: {_kind(example)}, "
            f"doel: test, grondslag: publieke_taak, bewaartermijn: P1M, "
            f"voorbeeld: {json.dumps(example)}, lezen: {{{rights}}}, schrijven: {{{rights}}}}}"
        )
    if start:
        lines.append(f"start: {{verplicht: [{', '.join(start)}]}}")
    if unassigned:  # the diagram names nobody: the catalogue says who does them
        lines.append("taken:")
        lines.extend(f"  {element}: behandelaar" for element in unassigned)
    return "\n".join(lines) + "\n"


def write_diagram(
    directory: Path,
    name: str,
    xml: str | bytes,
    fields: dict[str, Any] | None = None,
    start: list[str] | None = None,
) -> Path:
    """The diagram (unchanged) and its draft catalogue, side by side in `directory`."""
    path = directory / f"{name}.bpmn"
    if isinstance(xml, bytes):
        path.write_bytes(xml)
    else:
        path.write_text(xml)
    try:
        catalogue = draft_catalogue(xml, fields or {}, start or [])
    except (StopIteration, etree.XMLSyntaxError):
        return path  # deploy says what is wrong
    path.with_name(f"{name}.catalogus.yaml").write_text(catalogue)
    return path
