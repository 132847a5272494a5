"""Deploy check: no element reads a variable that a concurrent branch writes.

Camunda 7 keeps one variable per scope: what one parallel branch writes, another branch
reads from then on. Here every branch runs on its own copy of the variables from the split
until a join (or the end of its scope) merges the copies; conditional events and the case
data read the merged view (app/engine/conditions.py), everything else reads the branch's
copy. A gateway condition, a script, an expression, a service task's input or a form
default in one branch therefore does not see what another branch wrote since the split.
Where that can change the outcome, deploy refuses the diagram: the reading element, the
variable, the writer in the other branch and what to do instead.

Concurrency comes from a fork: a parallel or inclusive gateway with two or more outgoing
flows, any other node (not an exclusive or event-based gateway) with two or more (BPMN's
implicit parallel split), a non-interrupting boundary event (its path runs beside the host
and what follows it) and a non-interrupting event sub-process (it runs beside its scope's
work, which merges what it changed only at the scope's end).

For a fork with branches i and j, a read of `v` by X in branch j is refused when an element
Y that may write `v` sits in branch i and
  1. Y can run without waiting for X: a path from branch i's start to Y that passes neither
     X nor a join X's token reaches, and
  2. X can run without having merged Y's copy: a path from branch j's start to X that passes
     neither Y nor a join Y's token reaches.
Paths never pass the fork itself again (a loop back starts a new split). A join is a
parallel or inclusive gateway with two or more incoming flows, or the end of an embedded
sub-process (it waits for all its branches). Embedded sub-processes are entered at their
starts; boundary events count as reachable from their host. A token that reaches X through
an exclusive merge without joining is refused too (it may run X with its own old copy).

What counts: everything a node may write (every field of its form, not only the required
ones; every output a handler declares; every name a script assigns or changes in place; a
call's out-mappings, or what the called process may write with `variables="all"`; the
fields the catalogue says a message brings; an error boundary's code and message variables)
and everything it reads (its expressions, input parameters, form defaults, a call's
in-mappings, or what the called process reads with `variables="all"`, the conditions of its
outgoing flows, what its script reads before setting it, guarded or not). Not refused: a
read of a value its own branch surely wrote just before it, with nothing that waits in
between (no other branch can write in between, in Camunda 7 either), and a conditional
event's own condition, which reads the merged view as Camunda 7 does. Limits:
a message may bring more catalogue fields than its `berichten` entry lists and a signal
may bring any; those extra fields are not counted as writes.
"""

from __future__ import annotations

import ast
from collections import deque
from dataclasses import dataclass
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.defaults import CallActivity
from SpiffWorkflow.bpmn.specs.event_definitions.conditional import ConditionalEventDefinition

import handlers
from app.engine.budget import dutch
from app.engine.dataflow import (
    UNPARSABLE,
    Model,
    Read,
    _element,
    _returns_all,
    input_components,
    model,
    script_effect,
)
from app.engine.errors import Problem
from app.engine.multi_instance import is_body

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_NOT_FORKS = {"exclusiveGateway", "eventBasedGateway"}
_JOINS = {"parallelGateway", "inclusiveGateway"}
# nodes that run and leave in one go, with no wait: nothing else can write in between
_INSTANT = {
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "scriptTask",
    "task",
    "intermediateThrowEvent",
}
# methods that change a list, dict or set in place: the script writes that variable
_MUTATORS = {
    "append",
    "extend",
    "insert",
    "pop",
    "remove",
    "clear",
    "update",
    "setdefault",
    "add",
    "discard",
    "sort",
    "reverse",
    "popitem",
}
_EXIT = "\x00einde:"  # the end of an embedded sub-process: a join of all its branches


@dataclass(frozen=True)
class _Fork:
    node: str  # the gateway, activity, boundary event or event sub-process
    kind: str  # "splitsing", "grens", "eventsubproces"
    branches: tuple[tuple[tuple[str, ...], frozenset[str]], ...]  # (starts, never entered)
    entry_only: frozenset[str] = frozenset()  # hosts: only their leaving conditions count


def assigned_names(source: str) -> set[str]:
    """Every variable a script may write: names assigned anywhere (also in a branch that
    may not run), and names changed in place (`x[i] = v`, `x.a = v`, `x.append(v)`)."""
    try:
        tree = ast.parse(source.strip("\n"), mode="exec")
    except UNPARSABLE:
        return set()
    inner: set[str] = set()  # comprehension and lambda variables stay inside them
    for node in ast.walk(tree):
        if isinstance(node, ast.comprehension):
            inner |= {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
        elif isinstance(node, ast.Lambda):
            inner |= {a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)}
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            if node.id not in inner:
                names.add(node.id)
        elif isinstance(node, (ast.Subscript, ast.Attribute)) and isinstance(
            node.ctx, (ast.Store, ast.Del)
        ):
            base = _base_name(node)
            if base:
                names.add(base)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _MUTATORS
        ):
            base = _base_name(node.func.value)
            if base:
                names.add(base)
    return names


def _base_name(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _spec_writes(spec: Any, parsed: Any, known: set[str], seen: set[str]) -> set[str]:
    """What one task spec may write (see the module's docstring)."""
    inner = spec._wf_spec.task_specs[spec.task_spec] if is_body(spec) else spec
    element = _element("", inner, None, parsed.forms, parsed.catalogue, known, {}, None)
    out = set(element.writes)
    ext = getattr(inner, "extensions", None) or {}
    form = parsed.forms.get(ext["form"]) if ext.get("form") else None
    out |= {c["key"] for c in input_components(form or {})}
    if ext.get("topic") and not ext.get("outputs"):
        declared = handlers.get(ext.get("topic") or "")
        if declared is not None:
            out |= set(declared.outputs)
    if element.script is not None:
        out |= assigned_names(element.script)
    if isinstance(inner, CallActivity) and _returns_all(inner):
        out |= _called_writes(parsed, inner.spec, known, seen)
    return out


def _called_writes(parsed: Any, key: str, known: set[str], seen: set[str]) -> set[str]:
    spec = parsed.subprocess_specs.get(key)
    if spec is None or key in seen:
        return set()
    seen.add(key)
    out: set[str] = set()
    for task_spec in spec.task_specs.values():
        out |= _spec_writes(task_spec, parsed, known, seen)
    return out


def _writes(found: Model, parsed: Any) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for node_id, element in found.elements.items():
        spec = found.specs.get(node_id)
        names = set(element.writes)
        if spec is not None:
            names |= _spec_writes(spec, parsed, found.known, set())
        names -= element.local
        if names:
            out[node_id] = names
    return out


def _called_reads(parsed: Any, key: str, known: set[str], seen: set[str]) -> set[str]:
    """Every variable a called process (and what it calls with all variables) may read."""
    spec = parsed.subprocess_specs.get(key)
    if spec is None or key in seen:
        return set()
    seen.add(key)
    out: set[str] = set()
    for task_spec in spec.task_specs.values():
        inner = (
            task_spec._wf_spec.task_specs[task_spec.task_spec] if is_body(task_spec) else task_spec
        )
        element = _element("", inner, None, parsed.forms, parsed.catalogue, known, {}, None)
        out |= {r.variable for r in element.reads}
        out |= {r.variable for reads in element.conditions.values() for r in reads}
        if element.script is not None:
            out |= {name for name, _line in script_effect(element.script, set(), known)[1]}
        ext = getattr(inner, "extensions", None) or {}
        if isinstance(inner, CallActivity) and (ext.get("call_in") or {}).get("all"):
            out |= _called_reads(parsed, inner.spec, known, seen)
    return out


def _reads(
    found: Model, parsed: Any, lines: dict[str, int]
) -> dict[str, tuple[list[Read], list[Read]]]:
    """Per node: (reads on entry and in its script, reads of its outgoing conditions)."""
    out: dict[str, tuple[list[Read], list[Read]]] = {}
    for node_id, element in found.elements.items():
        spec = found.specs.get(node_id)
        definition = getattr(spec, "event_definition", None)
        entry = [
            r
            for r in element.reads
            # a conditional event reads the scope's merged variables (conditions.py)
            if not (isinstance(definition, ConditionalEventDefinition) and r.what == "voorwaarde")
        ]
        if element.script is not None:
            entry.extend(_script_reads(node_id, element.script, lines.get(node_id), found))
        ext = getattr(spec, "extensions", None) or {}
        if isinstance(spec, CallActivity) and (ext.get("call_in") or {}).get("all"):
            # camunda:in variables="all": the called process reads the caller's copy
            entry.extend(
                Read(node_id, name, 'camunda:in variables="all"', found.nodes[node_id].line)
                for name in sorted(_called_reads(parsed, spec.spec, found.known, set()))
            )
        leaving = [r for reads in element.conditions.values() for r in reads]
        if entry or leaving:
            out[node_id] = (entry, leaving)
    return out


def _script_reads(node_id: str, script: str, first: int | None, found: Model) -> list[Read]:
    """What a script reads of the variables it starts with: a name read before the script
    itself surely set it, or a name it mentions and never assigns (a guarded read)."""
    try:
        tree = ast.parse(script.strip("\n"), mode="exec")
    except UNPARSABLE:
        return []
    local = found.elements[node_id].local
    first = first or found.nodes[node_id].line
    _after, unguarded = script_effect(script, set(local), found.known)
    lines: dict[str, int] = {}
    for name, line in unguarded:
        lines[name] = min(lines.get(name, line), line)
    assigned = assigned_names(script)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Name)
            and isinstance(node.ctx, ast.Load)
            and node.id not in found.known
            and node.id not in local
            and node.id not in assigned
        ):
            line = getattr(node, "lineno", 1)
            lines[node.id] = min(lines.get(node.id, line), line)
    return [
        Read(node_id, name, "script", (first + line - 1) if first else None)
        for name, line in sorted(lines.items())
    ]


def _sure_writes(found: Model) -> dict[str, set[str]]:
    """What each node writes on every way through it (as the data-flow check counts it)."""
    out: dict[str, set[str]] = {}
    for node_id, element in found.elements.items():
        names = set(element.writes)
        if element.script is not None and not element.local:
            names |= script_effect(element.script, set(), found.known)[0]
        out[node_id] = names - element.local
    return out


# Nodes all walks of one process's check may enter. The five product processes need at most
# a few thousand; a split into thousands of branches that read what the others write would
# need billions. Beyond this the deploy is refused rather than keeping the server busy.
MAX_VISITS = 2_000_000


class _TooLarge(Exception):
    """The check would walk more than MAX_VISITS nodes."""


class _Graph:
    """Successors of each node: sequence flows, boundary events (from their host), the
    starts of an embedded sub-process (from it) and its end (from its ends) to what follows
    it."""

    def __init__(self, found: Model, xml: dict[str, etree._Element]) -> None:
        nodes = found.nodes
        self.visits = 0  # nodes entered by all walks so far, against MAX_VISITS
        self.flow: dict[str, list[str]] = {n: [] for n in nodes}
        self.boundary: dict[str, list[str]] = {n: [] for n in nodes}
        self.event_subs = {
            n for n, node in nodes.items() if node.tag == "subProcess" and _triggered(xml.get(n))
        }
        has_out: set[str] = set()
        for node in nodes.values():
            for source in node.incoming:
                self.flow[source].append(node.id)
                has_out.add(source)
            if node.attached_to in nodes:
                self.boundary[node.attached_to].append(node.id)
        self.out = {n: list(dict.fromkeys(targets)) for n, targets in self.flow.items()}
        self.joins = {
            n for n, node in nodes.items() if node.tag in _JOINS and len(set(node.incoming)) > 1
        }
        self.starts: dict[str, list[str]] = {}
        for node in nodes.values():
            if node.tag == "startEvent" and not node.incoming and node.scope in nodes:
                self.starts.setdefault(node.scope, []).append(node.id)
        for scope, starts in self.starts.items():
            self.flow[scope] = [*self.flow[scope], *starts]
        for node in nodes.values():
            scope = node.scope
            if scope not in nodes or scope in self.event_subs or node.id in self.event_subs:
                continue
            if node.tag == "endEvent" or node.id not in has_out:
                exit_id = _EXIT + scope
                self.flow[node.id] = [*self.flow[node.id], exit_id]
                self.flow.setdefault(exit_id, list(self.out.get(scope, [])))
                self.boundary.setdefault(exit_id, [])
                self.joins.add(exit_id)

    def reach(self, starts: tuple[str, ...], avoid: frozenset[str] | set[str]) -> set[str]:
        """Nodes reachable from `starts` (included) without entering `avoid`."""
        found = {s for s in starts if s not in avoid}
        todo = deque(found)
        while todo:
            current = todo.popleft()
            for following in (*self.flow.get(current, ()), *self.boundary.get(current, ())):
                if following not in found and following not in avoid:
                    found.add(following)
                    todo.append(following)
        self._spend(len(found))
        return found

    def _spend(self, visits: int) -> None:
        self.visits += visits
        if self.visits > MAX_VISITS:
            raise _TooLarge

    def joins_after(self, node: str, avoid: frozenset[str]) -> set[str]:
        """The joins a token leaving `node` may reach (by its flows, not its boundaries)."""
        found: set[str] = set()
        todo = deque(self.flow.get(node, ()))
        seen: set[str] = set()
        while todo:
            current = todo.popleft()
            if current in seen or current in avoid:
                continue
            seen.add(current)
            if current in self.joins:
                found.add(current)
            todo.extend(self.flow.get(current, ()))
        self._spend(len(seen))
        return found


def _triggered(element: etree._Element | None) -> bool:
    return element is not None and element.get("triggeredByEvent") in ("true", "1")


def _forks(found: Model, graph: _Graph, xml: dict[str, etree._Element]) -> list[_Fork]:
    forks: list[_Fork] = []
    for node_id, node in found.nodes.items():
        targets = graph.out.get(node_id, [])
        if len(targets) > 1 and node.tag not in _NOT_FORKS:
            avoid = frozenset({node_id})
            forks.append(
                _Fork(node_id, "splitsing", tuple(((t,), avoid) for t in targets if t != node_id))
            )
        if node.attached_to in found.nodes and not node.interrupting:
            host = node.attached_to
            forks.append(
                _Fork(
                    node_id,
                    "grens",
                    (((host,), frozenset({node_id})), ((node_id,), frozenset({host}))),
                    frozenset({host}),
                )
            )
    for event_sub in sorted(graph.event_subs):
        starts = graph.starts.get(event_sub, [])
        if not any(xml[s].get("isInterrupting") in ("false", "0") for s in starts if s in xml):
            continue
        scope = found.nodes[event_sub].scope
        main = tuple(
            n
            for n, node in found.nodes.items()
            if node.scope == scope and node.tag == "startEvent" and not node.incoming
        )
        forks.append(
            _Fork(
                event_sub,
                "eventsubproces",
                ((main, frozenset({event_sub})), ((event_sub,), frozenset())),
            )
        )
    return forks


def _fresh(
    found: Model,
    sure: dict[str, set[str]],
    node: str,
    variable: str,
    stop: frozenset[str],
) -> bool:
    """Whether every way into `node` comes from a node of the same branch that surely wrote
    `variable`, with nothing in between that waits (so no other branch can write it in
    between, in Camunda 7 either): then the read sees its own branch's value in both."""
    seen: set[str] = set()
    todo = [node]
    while todo:
        current = found.nodes[todo.pop()]
        if current.attached_to is not None:
            return False  # a boundary path starts from what its host started with
        if current.incoming:
            before = current.incoming
        elif current.tag == "startEvent" and current.scope in found.nodes:
            before = found.nodes[current.scope].incoming  # a sub-process starts with its entry
        else:
            return False
        if not before:
            return False
        for previous in before:
            if previous in seen or variable in sure.get(previous, ()):
                continue
            node_of = found.nodes[previous]
            joins = node_of.tag in _JOINS and len(set(node_of.incoming)) > 1
            if previous in stop or node_of.tag not in _INSTANT or joins:
                return False
            seen.add(previous)
            todo.append(previous)
    return True


def _conflicts(
    found: Model,
    graph: _Graph,
    forks: list[_Fork],
    writes: dict[str, set[str]],
    reads: dict[str, tuple[list[Read], list[Read]]],
) -> list[tuple[Read, str, _Fork, int]]:
    """(the read, the writer, the fork, the writer's branch) per element and variable: for
    each read the first writer found going through the writer's branches in order, then the
    reader's branches, then the reads of the element, then the writers by id. Each read is
    paired only with the writers of its own variable, so a wide split costs its reads times
    their writers, not its branches squared; what that still costs is on the graph's budget."""
    out: list[tuple[Read, str, _Fork, int]] = []
    reported: set[tuple[str, str]] = set()
    sure = _sure_writes(found)
    for fork in forks:
        everything = frozenset().union(*(avoid for _starts, avoid in fork.branches))
        stop = everything | {fork.node}
        members = [graph.reach(starts, avoid) for starts, avoid in fork.branches]
        joins: dict[str, set[str]] = {}
        writers: dict[str, list[tuple[int, str]]] = {}  # variable -> (branch, writer), in order
        for i, member in enumerate(members):
            for writer in sorted(member & writes.keys()):
                for variable in writes[writer]:
                    writers.setdefault(variable, []).append((i, writer))
        # (reader, variable) -> (writer's branch, reader's branch, reader, read's place), writer
        best: dict[tuple[str, str], tuple[tuple[int, int, str, int], Read, str]] = {}
        for j, (starts_j, avoid_j) in enumerate(fork.branches):
            unmerged_reach: dict[str, set[str]] = {}
            for reader in sorted(members[j] & reads.keys()):
                entry, leaving = reads[reader]
                tagged = [(r, True) for r in leaving]
                if reader not in fork.entry_only:
                    tagged = [(r, False) for r in entry] + tagged
                node = found.nodes[reader]
                before_reach: dict[int, set[str]] = {}
                for place, (read, on_leaving) in enumerate(tagged):
                    key = (reader, read.variable)
                    if key in reported or read.variable not in writers:
                        continue
                    if on_leaving and read.variable in sure.get(reader, ()):
                        continue  # the node wrote it itself just before it leaves
                    if (not on_leaving or node.tag in _INSTANT) and _fresh(
                        found, sure, reader, read.variable, stop
                    ):
                        continue
                    for i, writer in writers[read.variable]:
                        if i == j or writer == reader:
                            continue
                        if key in best and best[key][0] <= (i, j, reader, place):
                            break  # a branch found earlier wins
                        if i not in before_reach:
                            starts_i, avoid_i = fork.branches[i]
                            before = avoid_i | {reader} | _joins(graph, joins, reader, everything)
                            before_reach[i] = graph.reach(starts_i, before)
                        if writer not in before_reach[i]:
                            continue
                        if writer not in unmerged_reach:
                            unmerged = avoid_j | {writer} | _joins(graph, joins, writer, everything)
                            unmerged_reach[writer] = graph.reach(starts_j, unmerged)
                        if reader not in unmerged_reach[writer]:
                            continue
                        best[key] = ((i, j, reader, place), read, writer)
                        break
        for key, (order, read, writer) in sorted(best.items(), key=lambda item: item[1][0]):
            reported.add(key)
            out.append((read, writer, fork, order[0]))
    return out


def _joins(graph: _Graph, cache: dict[str, set[str]], node: str, avoid: frozenset[str]) -> set[str]:
    if node not in cache:
        cache[node] = graph.joins_after(node, avoid)
    return cache[node]


def check_branch_reads(parsed: Any) -> list[Problem]:
    """The deploy check (see the module's docstring): one problem per element and variable."""
    found = model(parsed)
    xml = {
        el.get("id"): el
        for el in found.root.iter()
        if isinstance(el.tag, str) and el.get("id") is not None
    }
    lines = {node_id: element.script_line for node_id, element in found.elements.items()}
    graph = _Graph(found, xml)
    forks = _forks(found, graph, xml)
    if not forks:
        return []
    try:
        conflicts = _conflicts(
            found,
            graph,
            forks,
            _writes(found, parsed),
            _reads(found, parsed, {k: v for k, v in lines.items() if v}),
        )
    except _TooLarge:
        return [
            Problem(
                str(parsed.file),
                parsed.key,
                getattr(xml.get(parsed.key), "sourceline", None),
                "het proces is te groot om te controleren op gelijktijdige takken die "
                f"elkaars variabelen lezen (meer dan {dutch(MAX_VISITS)} stappen, "
                f"{dutch(len(forks))} {'splitsing' if len(forks) == 1 else 'splitsingen'}): "
                "verdeel het over deelprocessen (call activities) of gebruik minder "
                "parallelle takken",
            )
        ]
    names = {k: (v.get("name") or k) for k, v in (parsed.elements or {}).items()}

    def name(node: str) -> str:
        return repr(names.get(node, node))

    problems = []
    for read, writer, fork, branch in conflicts:
        where = _where(fork, branch, found, name)
        problems.append(
            Problem(
                str(parsed.file),
                read.element,
                read.line,
                f"{read.what} leest {read.variable!r}, dat {name(writer)} schrijft {where}. "
                "Een parallelle tak ziet tot de samenvoeging alleen zijn eigen kopie van de "
                "variabelen, waar Camunda 7 de nieuwe waarde zou zien. Lees "
                f"{read.variable!r} pas na de samenvoegende gateway, of schrijf het in de tak "
                "die het leest",
            )
        )
    return problems


def _where(fork: _Fork, branch: int, found: Model, name: Any) -> str:
    """Where the writer runs, beside the reader."""
    if fork.kind == "splitsing":
        return f"in een andere tak van de splitsing {name(fork.node)}"
    if fork.kind == "grens":
        host = name(found.nodes[fork.node].attached_to)
        if branch == 1:
            return (
                f"in de tak van niet-onderbrekende grensgebeurtenis {name(fork.node)}, "
                f"die naast {host} loopt"
            )
        return (
            f"in {host} of erna, terwijl de tak van niet-onderbrekende grensgebeurtenis "
            f"{name(fork.node)} loopt"
        )
    if branch == 1:
        return f"in niet-onderbrekend event-subproces {name(fork.node)}, dat tegelijk loopt"
    return f"in de rest van het proces, terwijl event-subproces {name(fork.node)} loopt"
