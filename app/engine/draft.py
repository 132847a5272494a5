"""A draft data catalogue for a diagram drawn elsewhere (`stroom catalogue init`).

The draft lists what the diagram needs from its catalogue: every flow node (one phase to
split), a party for every user task the diagram names none for (`taken`), every variable the
diagram reads or writes (expressions, scripts, forms, handler outputs, error variables) and
the ones it reads before any path writes them (`start: verplicht`), and the service-task
topics with what they read and write (as a comment). What only the process
owner can say (description, purpose, legal basis, retention, example, who may read and
write) is `IN TE VULLEN`: the catalogue loader refuses that text, so a draft never deploys
before it is completed, and nobody may read a field until the owner says who may.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from lxml import etree

import handlers
from app.catalogue import PLACEHOLDER
from app.engine.dataflow import (
    CAMUNDA_OBJECTS,
    analyse,
    expression_reads,
    input_components,
    known_names,
    script_effect,
)
from app.engine.errors import DeploymentError, Problem
from app.engine.multi_instance import EXTENSION, is_body, local_names
from app.engine.vocabulary import FLOW_NODE_TYPES

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def draft_catalogue(path: Path, forms_dir: Path, others: Sequence[Path] = ()) -> str:
    """The draft catalogue (YAML text) of the executable processes in `path`, one catalogue
    for all of them; a diagram deploy would refuse for its BPMN is refused here with the same
    problems. `others` are the diagrams of the processes it calls (deployed with it)."""
    from app.engine.deploy import ParsedProcess, _elements, _from_validation, _load_form, read_xml
    from app.engine.parser import StroomParser
    from app.engine.vocabulary import check_vocabulary, prepare

    content = path.read_bytes()
    root = read_xml(path, content)
    problems = check_vocabulary(path, root)
    if problems:
        raise DeploymentError(problems)
    prepare(root)  # flows without id, links, event-based gateways
    processes = root.xpath("//bpmn:process[@isExecutable='true']", namespaces={"bpmn": BPMN_NS})
    if not processes:
        raise DeploymentError(
            [Problem(str(path), None, None, 'geen uitvoerbaar proces (isExecutable="true")')]
        )
    parser = StroomParser()
    try:
        parser.add_bpmn_xml(etree.ElementTree(root), filename=str(path))
        for other in others:
            other_root = read_xml(other, other.read_bytes())
            prepare(other_root)
            parser.add_bpmn_xml(etree.ElementTree(other_root), filename=str(other))
        specs = [
            (p, parser.get_spec(p.get("id")), parser.get_subprocess_specs(p.get("id")))
            for p in processes
        ]
    except Exception as exc:  # noqa: BLE001 - reported as deploy would
        from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

        if isinstance(exc, ValidationException):
            raise DeploymentError([_from_validation(path, root, exc)]) from exc
        raise DeploymentError([Problem(str(path), None, None, str(exc))]) from exc
    # Several executable processes in one file (pools of a collaboration): one catalogue for
    # all of them (`proces: [..]`), with what each reads, writes and starts with.
    variables: set[str] = set()
    tasks: list[str] = []
    systems: dict[str, tuple[set[str], set[str]]] = {}
    at_start: set[str] = set()
    nodes: list[str] = []
    known = known_names()
    for process, spec, subs in specs:
        parsed = ParsedProcess(
            key=process.get("id"),
            name=process.get("name") or process.get("id"),
            file=path,
            spec=spec,
            subprocess_specs=subs,
            xml=content,
            elements=_elements(root, process),
        )
        for wf_spec in (spec, *subs.values()):
            for task_spec in wf_spec.task_specs.values():
                ext = getattr(task_spec, "extensions", None) or {}
                bpmn_id = getattr(task_spec, "bpmn_id", None)
                if ext.get("form"):
                    form, _problem = _load_form(forms_dir, ext["form"])
                    if form is not None:
                        parsed.forms[ext["form"]] = form
                        variables |= {c["key"] for c in input_components(form)}
                script = getattr(task_spec, "script", None)
                if isinstance(script, str):
                    after, _reads = script_effect(script, set(), known)
                    variables |= after
                for condition, _target in getattr(task_spec, "cond_task_specs", None) or []:
                    args = getattr(condition, "args", None)  # the analysis leaves them out
                    reads = expression_reads(args[0] if args else None, known)
                    variables |= {name for name, _line in reads} - CAMUNDA_OBJECTS
                handler = handlers.get(ext["topic"]) if ext.get("topic") else None
                if handler is not None:
                    reads, writes = systems.setdefault(ext["topic"], (set(), set()))
                    local = local_names(ext.get(EXTENSION))  # an instance's own variables
                    for _name, expression in ext.get("inputs") or []:
                        reads |= {n for n, _line in expression_reads(expression, known)} - local
                    mapping = [name for name, _expression in ext.get("outputs") or []]
                    writes |= set(mapping or handler.outputs)
                    variables |= writes
                for key in ("error_code_variable", "error_message_variable"):
                    if ext.get(key):
                        variables.add(ext[key])
                variables |= {m["target"] for m in (ext.get("call_out") or {}).get("map", [])}
                kind = parsed.elements.get(bpmn_id or "", {}).get("type")
                if is_body(task_spec):
                    continue  # a multi-instance body: its inner task spec is the task
                if kind == "userTask" and not (ext.get("properties") or {}).get("partij"):
                    tasks.append(bpmn_id)
        analysis = analyse(parsed)
        variables |= {read.variable for read in analysis.reads}
        at_start |= {read.variable for read, _path in analysis.missing}
        nodes += [
            e
            for e, info in parsed.elements.items()
            if info["type"] in FLOW_NODE_TYPES and e not in nodes
        ]
    return _yaml(
        [p.get("id") for p, _spec, _subs in specs],
        nodes,
        sorted(set(tasks)),
        sorted(variables - CAMUNDA_OBJECTS),
        sorted(at_start),
        systems,
    )


def _yaml(
    keys: list[str],
    nodes: list[str],
    tasks: list[str],
    fields: list[str],
    start: list[str],
    systems: dict[str, tuple[set[str], set[str]]],
) -> str:
    todo = json.dumps(PLACEHOLDER)
    lines = [
        f"# Concept-gegevenscatalogus voor {', '.join(keys)}, gemaakt met `stroom catalogue init`.",
        f"# Vul elke {todo} in (en verdeel de fasen); zolang er een staat, weigert deploy hem.",
        f"proces: {keys[0]}" if len(keys) == 1 else f"proces: [{', '.join(keys)}]",
        f"verwerkingsactiviteit: {todo}",
        "partijen:",
        f"  behandelaar: {{naam: {todo}}}",
        "fasen:",
        f"  alles: [{', '.join(nodes)}]",
        "velden:" if fields else "velden: {}",
    ]
    for name in fields:
        lines += [
            f"  {name}:",
            f"    omschrijving: {todo}",
            f"    categorie: {todo}",
            f"    type: {todo}",
            f"    doel: {todo}",
            f"    grondslag: {todo}",
            f"    bewaartermijn: {todo}",
            f"    voorbeeld: {todo}",
            f"    lezen: {todo}",
            f"    schrijven: {todo}",
        ]
    if systems:
        lines.append("systemen:  # wat elk topic mag lezen en schrijven")
        for topic, (reads, writes) in sorted(systems.items()):
            lines.append(
                f"  # {topic} leest {', '.join(sorted(reads)) or 'niets'}, "
                f"schrijft {', '.join(sorted(writes)) or 'niets'}"
            )
            lines.append(f"  {json.dumps(topic)}: {todo}")
    if start:
        lines.append(f"start: {{verplicht: [{', '.join(start)}]}}")
    if tasks:
        lines.append("taken:  # wie doet de taken die het diagram aan geen partij geeft")
        lines += [f"  {task}: behandelaar" for task in tasks]
    return "\n".join(lines) + "\n"


def draft_to_file(
    path: Path, forms_dir: Path, force: bool = False, others: Sequence[Path] = ()
) -> Path:
    from app.catalogue import catalogue_path

    target = catalogue_path(path)
    if target.exists() and not force:
        raise DeploymentError(
            [Problem(str(target), None, None, "bestaat al; gebruik --force om te overschrijven")]
        )
    target.write_text(draft_catalogue(path, forms_dir, others), encoding="utf-8")
    return target
