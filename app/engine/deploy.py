"""Validate diagrams and store each changed process as a new version.

`deploy(session, paths)` reads every BPMN file, refuses DTDs and entities outright (no XXE, no
entity expansion), refuses paths longer than the engine can handle (MAX_CHAIN), parses with
our Camunda-dialect parser, and checks every expression, form reference and service-task
topic. It reports file, element id, line and message for each problem; one problem anywhere
stores nothing. A process whose content (diagram, referenced
forms, called processes) is unchanged gets no new version.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.conditional import ConditionalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask, MultiInstanceTask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import handlers
from app import clock
from app.engine import hooks
from app.engine.branch_reads import check_branch_reads
from app.engine.condition_types import check_condition_types
from app.engine.dataflow import check_data_flow
from app.engine.errors import DeploymentError, Problem
from app.engine.models import ProcessDefinition, ProcessVersion, SignalStart
from app.engine.multi_instance import EXTENSION
from app.engine.parser import StroomParser
from app.engine.sandbox import check_source
from app.engine.serializer import spec_to_json
from app.engine.timer_check import check_timers
from app.engine.vocabulary import (
    ERROR_LEAVES_SCOPE,
    catches_error,
    check_vocabulary,
    escaping_errors,
    event_subprocess_catches,
    prepare,
    thrown_error_code,
)
from app.text_rules import parse_json

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN_NS}
# Ids SpiffWorkflow uses for its own task specs: a diagram element with one of these ids is
# silently disconnected (design.md), so refuse them.
RESERVED_IDS = {"Start", "End", "Root", "StartEventSplit", "StartEventJoin"}
_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.I)
# Where the forms are: one folder, or several searched in order, the first holding a file of a
# form's name winning (an upload's own forms before the server's, without copying those).
FormFolders = Path | Sequence[Path]


@dataclass
class ParsedProcess:
    key: str
    name: str
    file: Path
    spec: Any
    subprocess_specs: dict[str, Any]
    xml: bytes
    forms: dict[str, Any] = field(default_factory=dict)
    elements: dict[str, Any] = field(default_factory=dict)
    # Every element of the file, {id: BPMN type}: a catalogue covering several processes of
    # one file names the elements of all of them.
    file_elements: dict[str, str] = field(default_factory=dict, repr=False)
    content_hash: str = ""
    catalogue: Any = None  # app.catalogue.Catalogue, when the diagram has one
    catalogue_text: bytes = b""
    # The deploy's session, for checks that ask which candidate groups are teams (None when
    # only a draft is made: those checks are then the deploy's).
    session: Any = field(default=None, repr=False, compare=False)
    # What the checks derive from the process once and share (the data-flow model).
    derived: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass
class DeployResult:
    created: list[tuple[str, int]] = field(default_factory=list)
    unchanged: list[tuple[str, int]] = field(default_factory=list)


def bpmn_files(paths: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(path.glob("*.bpmn")))
        else:
            files.append(path)
    return files


def read_xml(path: Path, content: bytes) -> etree._Element:
    """Parse without DTDs, entities or network access; raise Problem-carrying errors."""
    # UTF-8 only (what the Camunda Modeler and bpmn-js write): the DTD scan below reads
    # bytes, and a UTF-16 file would slip past it; versions are stored as UTF-8 text.
    try:
        content.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        raise DeploymentError(
            [
                Problem(
                    str(path),
                    None,
                    line,
                    f"het bestand is geen UTF-8 (byte {exc.start + 1}); sla het op als UTF-8",
                )
            ]
        ) from exc
    match = _DTD.search(content)
    if match:
        line = content[: match.start()].count(b"\n") + 1
        raise DeploymentError(
            [Problem(str(path), None, line, "DTD's en entiteiten zijn niet toegestaan in BPMN")]
        )
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_blank_text=False,
    )
    try:
        return etree.fromstring(content, parser)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        raise DeploymentError(
            [Problem(str(path), None, line, f"ongeldige XML: {exc.msg}")]
        ) from exc


def parse_files(
    files: list[Path], forms_dir: FormFolders, session: Session | None = None
) -> list[ParsedProcess]:
    hooks.require()  # without the domains' checks a diagram would pass that must not
    problems: list[Problem] = []
    parser = StroomParser()
    trees: dict[Path, tuple[bytes, etree._Element]] = {}
    for path in files:
        try:
            content = path.read_bytes()
        except OSError as exc:
            problems.append(Problem(str(path), None, None, f"kan niet lezen: {exc}"))
            continue
        try:
            root = read_xml(path, content)
        except DeploymentError as exc:
            problems.extend(exc.problems)
            continue
        structural = (
            check_vocabulary(path, root)
            or _structural_problems(path, root)
            or _chain_problems(path, root)
        )
        if structural:
            problems.extend(structural)
            continue
        prepare(root)  # flows without id, links, event-based gateways
        try:
            parser.add_bpmn_xml(etree.ElementTree(root), filename=str(path))
        except ValidationException as exc:
            problems.append(_from_validation(path, root, exc))
            continue
        trees[path] = (content, root)
    problems.extend(_calls_to_unknown_processes(trees))
    if problems:
        raise DeploymentError(problems)

    processes: list[ParsedProcess] = []
    for path, (content, root) in trees.items():
        executable = root.xpath("//bpmn:process[@isExecutable='true']", namespaces=NS)
        if not executable:
            problems.append(
                Problem(str(path), None, None, 'geen uitvoerbaar proces (isExecutable="true")')
            )
        for process in executable:
            key = process.get("id")
            try:
                spec = parser.get_spec(key)
                subs = parser.get_subprocess_specs(key)
            except ValidationException as exc:
                problems.append(_from_validation(path, root, exc))
                continue
            except Exception as exc:  # noqa: BLE001 - report, do not crash the deploy
                problems.append(Problem(str(path), key, process.sourceline, str(exc)))
                continue
            catalogue, catalogue_text, problem = _load_catalogue(path, key)
            if problem:
                problems.append(problem)
                continue
            parsed = ParsedProcess(
                catalogue=catalogue,
                catalogue_text=catalogue_text,
                key=key,
                name=process.get("name") or _participant_name(root, key) or key,
                file=path,
                spec=spec,
                subprocess_specs=subs,
                xml=content,
                elements=_elements(root, process),
                file_elements={
                    el.get("id"): etree.QName(el).localname
                    for el in root.iter()
                    if isinstance(el.tag, str) and el.get("id")
                },
                session=session,
            )
            problems.extend(_check_process(parsed, root, forms_dir))
            problems.extend(_handler_error_problems(path, process))
            problems.extend(check_timers(parsed))
            problems.extend(check_data_flow(parsed))  # no read before a write on any path
            problems.extend(check_branch_reads(parsed))  # nor of a parallel branch's write
            problems.extend(check_condition_types(parsed))  # a field against its own type
            # The domains' checks (app.engine.hooks.deploy_checks): the catalogue's rules, ...
            for check in hooks.deploy_checks:
                problems.extend(check(parsed))
            processes.append(parsed)
    problems.extend(_errors_leaving_called_processes(trees))
    problems.extend(_calls_missing_inputs(processes))
    if problems:
        raise DeploymentError(problems)
    by_key = {p.key: p for p in processes}
    for parsed in processes:
        called = sorted(set(parsed.subprocess_specs) & set(by_key) - {parsed.key})
        digest = hashlib.sha256(parsed.xml)
        digest.update(parsed.catalogue_text)
        for form_key in sorted(parsed.forms):
            digest.update(
                form_key.encode() + json.dumps(parsed.forms[form_key], sort_keys=True).encode()
            )
        for other in called:
            digest.update(by_key[other].xml)
        parsed.content_hash = digest.hexdigest()
    return processes


def deploy(
    session: Session,
    paths: Iterable[str | Path],
    forms_dir: FormFolders,
    actor: str | None = None,
) -> DeployResult:
    files = bpmn_files(paths)
    if not files:
        raise DeploymentError(
            [Problem(", ".join(map(str, paths)), None, None, "geen .bpmn-bestanden gevonden")]
        )
    processes = parse_files(files, forms_dir, session)
    result = DeployResult()
    now = clock.now()
    for parsed in processes:
        definition = session.scalar(
            select(ProcessDefinition).where(ProcessDefinition.key == parsed.key)
        )
        if definition is None:
            definition = ProcessDefinition(key=parsed.key, name=parsed.name, created_at=now)
            session.add(definition)
            session.flush()
        latest = session.scalar(
            select(ProcessVersion)
            .where(ProcessVersion.definition_id == definition.id)
            .order_by(ProcessVersion.version.desc())
            .limit(1)
        )
        if latest is not None and latest.content_hash == parsed.content_hash:
            result.unchanged.append((parsed.key, latest.version))
            continue
        number = (
            session.scalar(
                select(func.max(ProcessVersion.version)).where(
                    ProcessVersion.definition_id == definition.id
                )
            )
            or 0
        ) + 1
        definition.name = parsed.name
        version = ProcessVersion(
            definition_id=definition.id,
            version=number,
            content_hash=parsed.content_hash,
            source_name=parsed.file.name,
            bpmn_xml=parsed.xml.decode("utf-8"),
            spec_json=spec_to_json(parsed.spec, parsed.subprocess_specs),
            catalogue=parsed.catalogue.to_json() if parsed.catalogue else None,
            forms=parsed.forms,
            elements=parsed.elements,
            deployed_at=now,
            deployed_by=actor,
        )
        session.add(version)
        session.flush()
        session.add_all(
            SignalStart(version_id=version.id, element_id=element, signal_name=name)
            for element, name in signal_starts(parsed.spec)
        )
        result.created.append((parsed.key, number))
    session.flush()
    return result


def signal_starts(spec: Any) -> list[tuple[str, str]]:
    """(element id, signal name) of the process's signal start events."""
    return sorted(
        (task_spec.bpmn_id, task_spec.event_definition.name)
        for task_spec in spec.task_specs.values()
        if isinstance(task_spec, StartEvent)
        and isinstance(task_spec.event_definition, SignalEventDefinition)
    )


def replaced_publications(session: Session, created: list[tuple[str, int]]) -> list[str]:
    """For each new version: the version it replaces when a person or a token published that
    one (its actor is `kind:name`, from the browser or the API), as lines for the operator.
    A deploy of the server's files would otherwise silently undo their work."""
    found = []
    for key, number in created:
        previous = session.scalar(
            select(ProcessVersion)
            .join(ProcessDefinition)
            .where(ProcessDefinition.key == key, ProcessVersion.version == number - 1)
        )
        if previous is not None and ":" in (previous.deployed_by or ""):
            when = clock.local(previous.deployed_at).strftime("%d-%m-%Y %H:%M")
            found.append(
                f"- {key} versie {previous.version}, gepubliceerd door {previous.deployed_by} "
                f"op {when}"
            )
    return found


# -- checks ---------------------------------------------------------------------------------


def _calls_to_unknown_processes(trees: dict[Path, tuple[bytes, etree._Element]]) -> list[Problem]:
    """A call activity calls an executable process of the same deploy (SpiffWorkflow's own
    error names neither the element nor the line)."""
    known = {
        process.get("id")
        for _content, root in trees.values()
        for process in root.xpath("//bpmn:process[@isExecutable='true']", namespaces=NS)
    }
    return [
        Problem(
            str(path),
            call.get("id"),
            call.sourceline,
            f"call activity roept proces {call.get('calledElement')!r} aan, maar dat zit niet "
            'in deze deploy: deploy het bestand met dat proces (isExecutable="true") mee',
        )
        for path, (_content, root) in trees.items()
        for call in root.iter(f"{{{BPMN_NS}}}callActivity")
        if call.get("calledElement") and call.get("calledElement") not in known
    ]


def _calls_missing_inputs(processes: list[ParsedProcess]) -> list[Problem]:
    """A called process starts with what camunda:in passes, nothing else: without
    `variables="all"`, the targets must cover what it needs from its start (the fields its
    catalogue requires at the start, and those with a `standaard`, which a called process
    does not get by itself); its own data-flow analysis counts on them."""
    by_key = {p.key: p for p in processes}
    problems = []
    for parsed in processes:
        root = etree.fromstring(
            parsed.xml, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        )
        process = root.find(f".//{{{NS['bpmn']}}}process[@id='{parsed.key}']")
        for call in process.iter(f"{{{NS['bpmn']}}}callActivity") if process is not None else ():
            called = by_key.get(call.get("calledElement") or "")
            mappings = call.findall(f"{{{NS['bpmn']}}}extensionElements/{{{CAMUNDA}}}in")
            if called is None or any(m.get("variables") == "all" for m in mappings):
                continue
            catalogue = called.catalogue
            needed = (
                set(catalogue.required_at_start()) | set(catalogue.defaults())
                if catalogue
                else set()
            )
            missing = sorted(needed - {m.get("target") for m in mappings})
            if missing:
                names = ", ".join(missing)
                problems.append(
                    Problem(
                        str(parsed.file),
                        call.get("id"),
                        call.sourceline,
                        f"proces {called.key!r} begint met {names} (verplicht bij de start of "
                        "met een standaard in zijn gegevenscatalogus), maar camunda:in geeft "
                        f'die niet door: voeg <camunda:in source="…" target="{missing[0]}"/> '
                        'toe per veld, of <camunda:in variables="all"/>',
                    )
                )
    return problems


def _errors_leaving_called_processes(
    trees: dict[Path, tuple[bytes, etree._Element]],
) -> list[Problem]:
    """An error that leaves a sub-process of a called process without a boundary there, and
    that the call activity's error boundary catches: as within one process
    (`vocabulary._error_passes_a_scope`), the path after the sub-process would run first."""
    processes = {
        process.get("id"): (path, process)
        for path, (_content, root) in trees.items()
        for process in root.xpath("//bpmn:process[@isExecutable='true']", namespaces=NS)
    }
    problems = []
    for _key, (_path, process) in processes.items():
        for call in process.iter(f"{{{NS['bpmn']}}}callActivity"):
            called = processes.get(call.get("calledElement") or "")
            if called is None:
                continue
            path, called_process = called
            for end in escaping_errors(called_process):
                code = thrown_error_code(end)
                scopes = end.getparent().iterancestors()
                if any(event_subprocess_catches(scope, code) for scope in scopes):
                    continue  # an error event sub-process in the called process catches it
                if catches_error(call, code):
                    message = ERROR_LEAVES_SCOPE.format(
                        inner=end.getparent().get("id"),
                        catcher=f"de grensgebeurtenis op call activity '{call.get('id')}'",
                    )
                    problems.append(Problem(str(path), end.get("id"), end.sourceline, message))
    return problems


def _load_catalogue(path: Path, key: str) -> tuple[Any, bytes, Problem | None]:
    from app.catalogue import CatalogueError, catalogue_path, for_process, load

    file = catalogue_path(path)
    if not file.exists():
        return None, b"", None
    try:
        catalogue = load(file)
    except CatalogueError as exc:
        return None, b"", Problem(str(file), None, None, "; ".join(exc.problems))
    own = for_process(catalogue, key)
    if own is None:
        named = ", ".join(repr(k) for k in catalogue.processes)
        return (
            None,
            b"",
            Problem(
                str(file),
                None,
                None,
                f"catalogus is voor proces {named}, het diagram heeft proces {key!r}; "
                "noem elk proces van het bestand in 'proces' (een lijst mag)",
            ),
        )
    return own, file.read_bytes(), None


def _structural_problems(path: Path, root: etree._Element) -> list[Problem]:
    problems: list[Problem] = []
    if root.tag != f"{{{BPMN_NS}}}definitions":
        return [Problem(str(path), None, root.sourceline, "geen bpmn:definitions-document")]
    seen: dict[str, int] = {}
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        element_id = element.get("id")
        if element_id is None or not element.tag.startswith(f"{{{BPMN_NS}}}"):
            continue
        if element_id in seen:
            problems.append(
                Problem(
                    str(path),
                    element_id,
                    element.sourceline,
                    f"id komt twee keer voor (ook op regel {seen[element_id]})",
                )
            )
        seen[element_id] = element.sourceline
        if element_id in RESERVED_IDS or ".BoundaryEvent" in element_id:
            problems.append(
                Problem(
                    str(path),
                    element_id,
                    element.sourceline,
                    f"id {element_id!r} is gereserveerd door de engine; kies een andere id",
                )
            )
    return problems


# Flow elements one after another that a process may have. SpiffWorkflow parses a diagram by
# recursion along its sequence flows (and builds and runs instances that way), so a long chain
# meets Python's recursion limit: measured, a chain of about 480 tasks fails to parse from a
# shallow stack, and an instance of 480 script tasks takes ~3 s to run. 300 leaves room for
# deeper stacks (web requests, worker threads); real processes have a few dozen.
MAX_CHAIN = 300


def _chain_problems(path: Path, root: etree._Element) -> list[Problem]:
    problems: list[Problem] = []
    for process in root.iterchildren(f"{{{BPMN_NS}}}process"):
        length, chain = _longest_chain(process)
        if length > MAX_CHAIN:
            element = _element_at(chain, MAX_CHAIN + 1)
            problems.append(
                Problem(
                    str(path),
                    element.get("id"),
                    element.sourceline,
                    f"meer dan {MAX_CHAIN} elementen achter elkaar (een pad van {length} vanaf "
                    f"{chain[0].get('id')!r}); de engine verwerkt een diagram recursief en kan "
                    f"er hoogstens {MAX_CHAIN} aan: verdeel het proces over deelprocessen "
                    "(call activity)",
                )
            )
    return problems


def _element_at(chain: list[etree._Element], position: int) -> etree._Element:
    """The element where a chain (a sub-process counting its own chain) passes `position`."""
    count = 0
    for element in chain:
        count += _weight(element)
        if count >= position:
            return element
    return chain[-1]


def _weight(element: etree._Element) -> int:
    if element.tag == f"{{{BPMN_NS}}}subProcess":
        return 1 + _longest_chain(element)[0]
    return 1


def _longest_chain(scope: etree._Element) -> tuple[int, list[etree._Element]]:
    """The longest path of flow elements in a process or sub-process along sequence flows and
    boundary events, loops cut where they close; an embedded sub-process counts its own path
    too. Iterative: the point is not to recurse as deep as the diagram is long."""
    nodes: dict[str, etree._Element] = {}
    edges: dict[str, list[str]] = {}
    for child in scope.iterchildren():
        if isinstance(child.tag, str) and child.get("id"):
            nodes[child.get("id")] = child
    for child in nodes.values():
        if child.tag == f"{{{BPMN_NS}}}sequenceFlow":
            source, target = child.get("sourceRef"), child.get("targetRef")
        elif child.tag == f"{{{BPMN_NS}}}boundaryEvent":
            source, target = child.get("attachedToRef"), child.get("id")
        else:
            continue
        if source in nodes and target in nodes:
            edges.setdefault(source, []).append(target)
    flows = {i for i, n in nodes.items() if n.tag == f"{{{BPMN_NS}}}sequenceFlow"}
    targets = {t for ts in edges.values() for t in ts}
    order = [i for i in nodes if i not in flows and i not in targets]
    order += [i for i in nodes if i not in flows and i in targets]
    # Depth-first, finishing each element after everything it leads to; an edge back to an
    # element still being visited closes a loop and is not followed.
    longest: dict[str, int] = {}
    following: dict[str, str | None] = {}
    visiting: set[str] = set()
    for root in order:
        if root in longest:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        visiting.add(root)
        while stack:
            node, index = stack[-1]
            successors = edges.get(node, [])
            if index < len(successors):
                stack[-1] = (node, index + 1)
                successor = successors[index]
                if successor not in longest and successor not in visiting:
                    visiting.add(successor)
                    stack.append((successor, 0))
                continue
            stack.pop()
            visiting.discard(node)
            best = max((s for s in successors if s in longest), key=longest.get, default=None)
            longest[node] = _weight(nodes[node]) + (longest[best] if best else 0)
            following[node] = best
    if not longest:
        return 0, []
    start = max(order, key=lambda i: longest.get(i, 0))
    chain, current = [], start
    while current is not None:
        chain.append(nodes[current])
        current = following.get(current)
    return longest[start], chain


def _from_validation(path: Path, root: etree._Element, exc: ValidationException) -> Problem:
    element = getattr(exc, "id", None) or None
    line = getattr(exc, "line_number", None) or None
    if element and not line:
        found = root.xpath("//*[@id=$id]", id=element)
        line = found[0].sourceline if found else None
    message = str(exc).split("\n")[0]
    if "RecursionError" in message:  # a shape _chain_problems does not foresee
        message = (
            "het diagram is te diep of te lang voor de engine (recursielimiet van Python "
            "bereikt); verdeel het proces over deelprocessen (call activity)"
        )
    return Problem(str(path), element, line, message)


def _participant_name(root: etree._Element, process_key: str) -> str | None:
    found = root.xpath("//bpmn:participant[@processRef=$key]", namespaces=NS, key=process_key)
    return found[0].get("name") if found else None


CAMUNDA = "http://camunda.org/schema/1.0/bpmn"


def _elements(root: etree._Element, process: etree._Element) -> dict[str, Any]:
    lanes: dict[str, str] = {}
    for lane in process.iter(f"{{{BPMN_NS}}}lane"):
        for ref in lane.iter(f"{{{BPMN_NS}}}flowNodeRef"):
            lanes[(ref.text or "").strip()] = lane.get("name") or lane.get("id")
    out: dict[str, Any] = {}
    skip = {
        "lane",
        "laneSet",
        "flowNodeRef",
        "extensionElements",
        "documentation",
        "incoming",
        "outgoing",
        "conditionExpression",
        "text",
        "script",
    }
    for element in process.iter():
        if not isinstance(element.tag, str) or not element.tag.startswith(f"{{{BPMN_NS}}}"):
            continue
        tag = element.tag.split("}", 1)[1]
        element_id = element.get("id")
        if element_id is None or tag in skip or tag.endswith("EventDefinition"):
            continue
        info: dict[str, Any] = {
            "type": tag,
            "name": element.get("name"),
            "line": element.sourceline,
        }
        if element_id in lanes:
            info["lane"] = lanes[element_id]
        if tag == "sequenceFlow":
            info["source"] = element.get("sourceRef")
            info["target"] = element.get("targetRef")
            condition = element.find(f"{{{BPMN_NS}}}conditionExpression")
            if condition is not None and (condition.text or "").strip():
                info["condition"] = condition.text.strip()
        form = element.get(f"{{{CAMUNDA}}}formRef") or element.get(f"{{{CAMUNDA}}}formKey")
        if form:
            info["form"] = form
        out[element_id] = info
    return out


def _expression_problems(
    path: Path,
    element: str,
    line: int | None,
    source: str | None,
    mode: str = "eval",
    what: str = "expressie",
) -> list[Problem]:
    if source is None or not source.strip():
        return []
    problems = [
        Problem(str(path), element, line, f"{what}: {msg}")
        for msg in check_source(source.strip(), mode)
    ]
    if mode == "eval" and not problems and _is_set_literal(source.strip()):
        # `${{a > 5}}` is no JUEL (Camunda 7 refuses it); translated it is a Python set,
        # which as a condition is always true.
        problems.append(
            Problem(
                str(path),
                element,
                line,
                f"{what}: dubbele accolades (${{{{…}}}}) maken er een verzameling van, die "
                "altijd waar is; schrijf ${…} met één paar accolades",
            )
        )
    return problems


def _is_set_literal(source: str) -> bool:
    try:
        body = ast.parse(source, mode="eval").body
    except SyntaxError:
        return False
    return isinstance(body, (ast.Set, ast.SetComp))


def _check_process(
    parsed: ParsedProcess, root: etree._Element, forms_dir: FormFolders
) -> list[Problem]:
    problems: list[Problem] = []
    path = parsed.file
    all_specs = [parsed.spec, *parsed.subprocess_specs.values()]
    for wf_spec in all_specs:
        for spec in wf_spec.task_specs.values():
            bpmn_id = getattr(spec, "bpmn_id", None)
            if bpmn_id is None:
                continue
            ext = getattr(spec, "extensions", None) or {}
            line = ext.get("line") or parsed.elements.get(bpmn_id, {}).get("line")

            def check(
                source: str | None,
                what: str,
                mode: str = "eval",
                _id: str = bpmn_id,
                _line: int | None = line,
            ) -> None:
                problems.extend(_expression_problems(path, _id, _line, source, mode, what))

            script = getattr(spec, "script", None)
            if isinstance(script, str):
                check(script, "script", "exec")
            for condition, _target in getattr(spec, "cond_task_specs", []) or []:
                args = getattr(condition, "args", None)
                check(args[0] if args else None, "voorwaarde")
            definition = getattr(spec, "event_definition", None)
            if isinstance(definition, TimerEventDefinition):
                check(definition.expression, "timer")
            if isinstance(definition, ConditionalEventDefinition):
                check(definition.expression, "voorwaarde")
            if isinstance(spec, MultiInstanceTask):
                check(spec.cardinality, "loopCardinality")
                check(spec.condition, "completionCondition")
                check((ext.get(EXTENSION) or {}).get("collection"), "camunda:collection")
            if isinstance(spec, LoopTask):
                check(getattr(spec, "condition", None), "lusvoorwaarde")
            for key in (
                "candidate_groups",
                "candidate_users",
                "assignee",
                "due_date",
                "follow_up_date",
                "priority",
                "correlation_key",
            ):
                check(ext.get(key), f"camunda:{key}")
            for name, expr in ext.get("inputs", []):
                check(expr, f"invoerparameter {name}")
            for name, expr in ext.get("outputs", []):
                check(expr, f"uitvoerparameter {name}")
            for kind in ("in", "out"):
                for mapping in (ext.get(f"call_{kind}") or {}).get("map", []):
                    check(mapping.get("expression"), f"camunda:{kind} {mapping['target']}")
            if "form" in ext:
                form, problem = _load_form(forms_dir, ext["form"])
                if problem:
                    problems.append(Problem(str(path), bpmn_id, line, problem))
                else:
                    parsed.forms[ext["form"]] = form
            problems.extend(_topic_problems(path, bpmn_id, line, spec, ext))
    return problems


def _handler_error_problems(path: Path, process: etree._Element) -> list[Problem]:
    """An error boundary event on an external service task fires when the topic's handler
    throws a BpmnError with its code: a code the handler does not declare never comes."""
    problems: list[Problem] = []
    root = process.getroottree().getroot()
    errors = {e.get("id"): e.get("errorCode") for e in root.iter(f"{{{BPMN_NS}}}error")}
    for boundary in process.iter(f"{{{BPMN_NS}}}boundaryEvent"):
        definition = boundary.find(f"{{{BPMN_NS}}}errorEventDefinition")
        host = root.xpath("//*[@id=$id]", id=boundary.get("attachedToRef"))
        if definition is None or not host or host[0].get(f"{{{CAMUNDA}}}type") != "external":
            continue
        topic = host[0].get(f"{{{CAMUNDA}}}topic")
        known = handlers.get(topic or "")
        if known is None:
            continue  # the service task's own check names the unknown topic
        code = errors.get(definition.get("errorRef"))
        declared = sorted(known.errors)
        if (code is None and not declared) or (code is not None and code not in known.errors):
            what = f"BPMN-fout {code!r}" if code else "BPMN-fouten"
            problems.append(
                Problem(
                    str(path),
                    boundary.get("id"),
                    boundary.sourceline,
                    f"topic {topic!r} gooit geen {what} (wel: {', '.join(declared) or 'geen'}); "
                    "deze grensgebeurtenis zou nooit vuren",
                )
            )
    return problems


def _topic_problems(
    path: Path, element: str, line: int | None, spec: Any, ext: dict[str, Any]
) -> list[Problem]:
    tag = type(spec).__name__
    topic = ext.get("topic")
    if tag == "ServiceTask" and not topic:
        return [
            Problem(
                str(path),
                element,
                line,
                'service task zonder camunda:type="external" en camunda:topic',
            )
        ]
    if not topic:
        return []
    known = handlers.get(topic)
    if known is None:
        return [
            Problem(
                str(path),
                element,
                line,
                f"onbekend topic {topic!r}: geen handler in handlers/ behandelt dit topic",
            )
        ]
    problems: list[Problem] = []
    given = {name for name, _ in ext.get("inputs", [])}
    for name in sorted(given - set(known.inputs)):
        problems.append(
            Problem(
                str(path),
                element,
                line,
                f"topic {topic!r} declareert geen invoer {name!r} "
                f"(wel: {', '.join(sorted(known.inputs)) or 'geen'})",
            )
        )
    for name, param in sorted(known.inputs.items()):
        if param.required and name not in given:
            problems.append(
                Problem(
                    str(path), element, line, f"topic {topic!r} vereist invoerparameter {name!r}"
                )
            )
    return problems


def form_folders(forms: FormFolders) -> list[Path]:
    return [forms] if isinstance(forms, Path) else list(forms)


def _load_form(forms: FormFolders, key: str) -> tuple[dict[str, Any] | None, str | None]:
    """A form by file name (`intake.form`) or by the `id` inside a .form file (formRef). Of
    several folders the first with a file of a name wins. A file of the key's own name is
    looked up directly: listing the folder (85 forms) for every user task is only for an id."""
    folders = form_folders(forms)
    if key.endswith(".form"):
        for folder in folders:
            candidate = folder / key
            if candidate.is_file():
                return _read_form(candidate, key)
    files: dict[str, Path] = {}
    for folder in reversed(folders):  # the first folder's file of a name stays
        files |= {p.name: p for p in folder.glob("*.form")}
    for name in sorted(files):
        candidate = files[name]
        if name == key or not candidate.is_file():
            continue  # of the key's name: not a file (a folder, a broken link)
        try:
            form = parse_json(candidate.read_text("utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(form, dict) and form.get("id") == key:
            return _read_form(candidate, key, form)
    if len(folders) == 1:
        return None, f"formulier {key!r} niet gevonden in {folders[0]}"
    return None, f"formulier {key!r} niet gevonden: niet meegestuurd en niet op de server"


def _read_form(path: Path, key: str, form: Any = None) -> tuple[dict[str, Any] | None, str | None]:
    if form is None:
        try:
            form = parse_json(path.read_text("utf-8"))  # too deep: a ValueError, not a crash
        except (OSError, ValueError) as exc:
            return None, f"formulier {key!r} is geen geldige JSON: {exc}"
    if not isinstance(form, dict) or not isinstance(form.get("components"), list):
        return None, f"formulier {key!r} heeft geen components (geen form-js schema)"
    return form, None
