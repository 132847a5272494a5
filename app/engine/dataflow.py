"""Data-flow analysis at deploy: no expression reads a variable that some path leaves unset.

Every script, condition, timer, due date, priority, assignment, input parameter, correlation
key and form default reads variables. Each must be written on every path from the start to
where it is read: by the signal (its required fields), a catalogue default (`standaard`), a
domain's start fields (`hooks.start_fields`), a form (its required fields), a handler (its
declared outputs, or the element's output mapping), a message (the catalogue's `berichten`)
or a script (a name assigned on every path through the script). Otherwise the instance would
stop with a NameError on that path (a case that never reaches anyone), so deploy refuses the
diagram with the file, the element, the line, the variable and one such path.

It is a must-analysis over the diagram's sequence flows: the variables written on entry to a
node are those written on every way into it (the intersection over an exclusive or inclusive
merge, the union over a parallel join, whose branches all arrive); a boundary event starts
from what its activity started with; an embedded sub-process starts from its own entry and
leaves with what every end of it wrote. Loops are iterated to a fixed point. Inside a script
the same holds per statement (`if` without `else` writes nothing for sure); a read inside
`try: ... except NameError:` is guarded, and the guarded read counts as written after it.
Conditions are not evaluated: a read that is safe only because of an earlier choice (`a and
b` where only some paths write b) is refused too. Say it with a default or a guard.

What each element reads is stored with the version (`elements[id]["reads"]`): the incident
page offers those fields for repair, and the scenario tests' data coverage counts them.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.defaults import CallActivity
from SpiffWorkflow.bpmn.specs.event_definitions.conditional import ConditionalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

import handlers
from app.engine import hooks
from app.engine.errors import Problem
from app.engine.functions import all_functions
from app.engine.multi_instance import EXTENSION, is_body, local_names
from app.engine.sandbox import BUILTINS
from app.engine.vocabulary import prepare

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_NOT_NODES = {
    "sequenceFlow",
    "laneSet",
    "lane",
    "documentation",
    "extensionElements",
    "incoming",
    "outgoing",
    "textAnnotation",
    "association",
    "dataObject",
    "dataObjectReference",
    "dataStoreReference",
    "ioSpecification",
    "property",
}
_NAME_ERRORS = {"NameError", "Exception", "BaseException"}
MAX_ROUNDS = 10_000  # of the fixed point; a diagram of a few hundred nodes needs a few dozen


# What ast.parse raises on a source it cannot read: syntax, nesting deeper than Python's
# parser goes (a hostile `not not … x`), a source too big, a null byte. Deploy's sandbox
# check reports each of these; the analyses skip the source instead of crashing the deploy.
UNPARSABLE = (SyntaxError, RecursionError, MemoryError, ValueError)


@dataclass(frozen=True)
class Read:
    """One variable one element reads, and where."""

    element: str
    variable: str
    what: str  # "script", "voorwaarde", "timer", "camunda:dueDate", ...
    line: int | None


@dataclass
class _Node:
    id: str
    tag: str
    line: int | None
    scope: str
    incoming: list[str] = field(default_factory=list)  # node ids
    attached_to: str | None = None
    interrupting: bool = True  # a boundary event with cancelActivity="false" is not


@dataclass
class Analysis:
    """What the analysis learnt of one process."""

    reads: list[Read]
    missing: list[tuple[Read, list[str]]]  # a read and a path on which it is not written
    entry: dict[str, frozenset[str]]
    initial: frozenset[str]

    def readers(self) -> dict[str, set[str]]:
        """variable -> the elements that read it."""
        out: dict[str, set[str]] = {}
        for read in self.reads:
            out.setdefault(read.variable, set()).add(read.element)
        return out


# -- scripts and expressions -------------------------------------------------------------------


class _ScriptReads:
    """Reads before writes in a Python script, per statement, with definite assignment."""

    def __init__(self, known: set[str]) -> None:
        self.known = known
        self.reads: list[tuple[str, int]] = []

    def expression(
        self, node: ast.AST | None, defined: set[str], guarded: bool = False
    ) -> set[str]:
        """Record the names `node` reads that are not defined; returns names read."""
        if node is None:
            return set()
        read: set[str] = set()
        self._walk(node, defined, set(), guarded, read)
        return read

    def _walk(
        self, node: ast.AST, defined: set[str], local: set[str], guarded: bool, read: set[str]
    ) -> None:
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                name = node.id
                if name not in defined and name not in local and name not in self.known:
                    read.add(name)
                    if not guarded:
                        self.reads.append((name, getattr(node, "lineno", 1)))
            return
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            inner = set(local)
            for generator in node.generators:
                self._walk(generator.iter, defined, inner, guarded, read)
                inner |= _targets(generator.target)
                for condition in generator.ifs:
                    self._walk(condition, defined, inner, guarded, read)
            parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
            for part in parts:
                self._walk(part, defined, inner, guarded, read)
            return
        if isinstance(node, ast.Lambda):
            args = {a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)}
            self._walk(node.body, defined, local | args, guarded, read)
            return
        for child in ast.iter_child_nodes(node):
            self._walk(child, defined, local, guarded, read)

    def block(self, body: list[ast.stmt], defined: set[str], guarded: bool = False) -> set[str]:
        """The names defined after `body` on every way through it."""
        current = set(defined)
        for statement in body:
            current = self.statement(statement, current, guarded)
        return current

    def statement(self, node: ast.stmt, defined: set[str], guarded: bool) -> set[str]:
        read = self.expression  # shorthand
        if isinstance(node, ast.Assign):
            names = read(node.value, defined, guarded)
            for target in node.targets:
                names |= self._target_reads(target, defined, guarded)
            after = defined | names if guarded else set(defined)
            for target in node.targets:
                after |= _targets(target)
            return after
        if isinstance(node, ast.AnnAssign):
            names = read(node.value, defined, guarded)
            after = defined | names if guarded else set(defined)
            return after | (_targets(node.target) if node.value is not None else set())
        if isinstance(node, ast.AugAssign):
            names = read(node.value, defined, guarded)
            names |= read(_as_load(node.target), defined, guarded)
            after = defined | names if guarded else set(defined)
            return after | _targets(node.target)
        if isinstance(node, ast.If):
            names = read(node.test, defined, guarded)
            base = defined | names if guarded else defined
            return self.block(node.body, base, guarded) & self.block(node.orelse, base, guarded)
        if isinstance(node, (ast.For, ast.AsyncFor)):
            names = read(node.iter, defined, guarded)
            base = defined | names if guarded else set(defined)
            self.block(node.body, base | _targets(node.target), guarded)
            self.block(node.orelse, base, guarded)
            return base  # the body may not run
        if isinstance(node, ast.While):
            names = read(node.test, defined, guarded)
            base = defined | names if guarded else set(defined)
            self.block(node.body, base, guarded)
            return base
        if isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            catches = any(_catches_name_error(h) for h in node.handlers)
            body = self.block(node.body, defined, guarded or catches)
            body = self.block(node.orelse, body, guarded)
            outcomes = [body]
            for handler in node.handlers:
                start = set(defined) | ({handler.name} if handler.name else set())
                outcomes.append(self.block(handler.body, start, guarded))
            after = set.intersection(*outcomes)
            return self.block(node.finalbody, after, guarded)
        if isinstance(node, ast.With):
            base = set(defined)
            for item in node.items:
                base |= read(item.context_expr, defined, guarded) if guarded else set()
                read(item.context_expr, defined, guarded)
                if item.optional_vars is not None:
                    base |= _targets(item.optional_vars)
            return self.block(node.body, base, guarded)
        if isinstance(node, ast.Delete):
            gone = set().union(*(_targets(t) for t in node.targets))
            return defined - gone
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return defined | {node.name}  # the sandbox refuses these; nothing to read here
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            return defined | {a.asname or a.name.split(".")[0] for a in node.names}
        names = set()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                names |= read(child, defined, guarded)
        return defined | names if guarded else set(defined)

    def _target_reads(self, target: ast.AST, defined: set[str], guarded: bool) -> set[str]:
        """x[i] = v and x.a = v read x (and i)."""
        if isinstance(target, (ast.Subscript, ast.Attribute)):
            return self.expression(_as_load(target), defined, guarded)
        if isinstance(target, (ast.Tuple, ast.List)):
            names: set[str] = set()
            for element in target.elts:
                names |= self._target_reads(element, defined, guarded)
            return names
        if isinstance(target, ast.Starred):
            return self._target_reads(target.value, defined, guarded)
        return set()


def _as_load(node: ast.AST) -> ast.AST:
    """The same expression, read (for x += 1 and x[i] = v)."""
    copy = ast.parse(ast.unparse(node), mode="eval").body
    ast.copy_location(copy, node)
    for child in ast.walk(copy):
        if hasattr(child, "lineno"):
            child.lineno = getattr(node, "lineno", 1)
    return copy


def _targets(target: ast.AST) -> set[str]:
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, (ast.Tuple, ast.List)):
        return set().union(*(_targets(e) for e in target.elts)) if target.elts else set()
    if isinstance(target, ast.Starred):
        return _targets(target.value)
    return set()


def _catches_name_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(isinstance(k, ast.Name) and k.id in _NAME_ERRORS for k in kinds)


# Camunda's Java objects in expressions; never process variables.
CAMUNDA_OBJECTS = frozenset({"execution", "task"})


def known_names() -> set[str]:
    """Names every expression may use without a case writing them."""
    return set(BUILTINS) | set(all_functions()) | {"True", "False", "None"}


def script_effect(
    source: str, defined: set[str], known: set[str]
) -> tuple[set[str], list[tuple[str, int]]]:
    """(defined after the script, [(variable read before written, line in the script)])."""
    try:
        tree = ast.parse(source.strip("\n"), mode="exec")
    except UNPARSABLE:
        return set(defined), []  # deploy's sandbox check reports it
    reader = _ScriptReads(known)
    after = reader.block(tree.body, set(defined))
    return after, reader.reads


def expression_reads(source: str | None, known: set[str]) -> list[tuple[str, int]]:
    if source is None or not str(source).strip():
        return []
    try:
        tree = ast.parse(str(source).strip(), mode="eval")
    except UNPARSABLE:
        return []
    reader = _ScriptReads(known)
    reader.expression(tree.body, set())
    return reader.reads


# -- what an element reads and writes ----------------------------------------------------------


_EXPRESSIONS = (
    ("candidate_groups", "camunda:candidateGroups"),
    ("candidate_users", "camunda:candidateUsers"),
    ("assignee", "camunda:assignee"),
    ("due_date", "camunda:dueDate"),
    ("follow_up_date", "camunda:followUpDate"),
    ("priority", "camunda:priority"),
    ("correlation_key", "correlatiesleutel"),
)


def input_components(form: dict[str, Any]) -> list[dict[str, Any]]:
    """The components of a form-js schema that hold a value (they have a key)."""
    found: list[dict[str, Any]] = []
    stack = list(form.get("components") or [])
    while stack:
        item = stack.pop(0)
        if isinstance(item, dict):
            if item.get("key") and item.get("type") not in ("text", "button", "group"):
                found.append(item)
            stack.extend(item.get("components") or [])
    return found


def always_written(component: dict[str, Any]) -> bool:
    """A checkbox the user can change always gives a value: left out, it is unticked (the
    task service writes false, as form-js submits it), so a gateway after the task may read it."""
    return (
        component.get("type") == "checkbox"
        and not component.get("disabled")
        and not component.get("readonly")
    )


def _form_required(form: dict[str, Any] | None) -> set[str]:
    """Fields a form always writes: required and not hidden by a condition (the server does
    not evaluate conditions, so a conditional field may stay empty), and checkboxes the user
    can change (left out, they are written as unticked)."""
    return {
        c["key"]
        for c in input_components(form or {})
        if ((c.get("validate") or {}).get("required") and not c.get("conditional"))
        or always_written(c)
    }


def _form_defaults(form: dict[str, Any] | None) -> list[str]:
    """Form defaults that are expressions (`"defaultValue": "=aantal_bewoners"`)."""
    out = []
    for component in input_components(form or {}):
        value = component.get("defaultValue")
        if isinstance(value, str) and value.startswith("="):
            out.append(value[1:])
    return out


def _handler_writes(ext: dict[str, Any]) -> set[str]:
    mapping = ext.get("outputs") or []
    if mapping:
        return {name for name, _expr in mapping}
    known = handlers.get(ext.get("topic") or "")
    if known is None:
        return set()
    return {name for name, param in known.outputs.items() if param.required}


@dataclass
class _Element:
    """The reads and writes of one flow node, from its task spec."""

    reads: list[Read] = field(default_factory=list)  # evaluated on entry
    script: str | None = None
    script_line: int | None = None
    writes: set[str] = field(default_factory=set)
    # a multi-instance activity's own variables (element, loopCounter, nrOf...): always set
    local: set[str] = field(default_factory=set)
    # outgoing flow id -> reads of its condition (evaluated on leaving)
    conditions: dict[str, list[Read]] = field(default_factory=dict)


def _element(
    bpmn_id: str,
    spec: Any,
    line: int | None,
    forms: dict[str, Any],
    catalogue: Any,
    known: set[str],
    flow_of: dict[str, str],
    script_line: int | None,
) -> _Element:
    result = _Element()
    ext = getattr(spec, "extensions", None) or {}

    def add(source: str | None, what: str, into: list[Read]) -> None:
        for name, _line in expression_reads(source, known):
            into.append(Read(bpmn_id, name, what, line))

    for key, what in _EXPRESSIONS:
        add(ext.get(key), what, result.reads)
    for name, expr in ext.get("inputs") or []:
        add(expr, f"invoerparameter {name}", result.reads)
    for mapping in (ext.get("call_in") or {}).get("map", []):
        if "expression" in mapping:
            add(mapping["expression"], f"camunda:in {mapping['target']}", result.reads)
        elif mapping.get("source") and mapping["source"] not in known:
            result.reads.append(Read(bpmn_id, mapping["source"], "camunda:in", line))
    result.writes |= {m["target"] for m in (ext.get("call_out") or {}).get("map", [])}
    definition = getattr(spec, "event_definition", None)
    if isinstance(definition, TimerEventDefinition):
        add(definition.expression, "timer", result.reads)
    if isinstance(definition, ConditionalEventDefinition):
        add(definition.expression, "voorwaarde", result.reads)
    if isinstance(definition, MessageEventDefinition) and catalogue is not None:
        result.writes |= set(catalogue.messages.get(definition.name, []))
    for attribute, what in (("cardinality", "cardinaliteit"), ("condition", "voorwaarde")):
        value = getattr(spec, attribute, None)
        if isinstance(value, str):
            add(value, what, result.reads)
    form = forms.get(ext["form"]) if ext.get("form") else None
    for default in _form_defaults(form):
        add(default, "standaardwaarde in formulier", result.reads)
    result.writes |= _form_required(form)
    for key in ("error_code_variable", "error_message_variable"):
        if ext.get(key):
            result.writes.add(ext[key])
    if ext.get("topic"):
        result.writes |= _handler_writes(ext)
    elif ext.get("outputs"):
        result.writes |= {name for name, _expr in ext["outputs"]}
    script = getattr(spec, "script", None)
    if isinstance(script, str):
        result.script = script
        result.script_line = script_line
    for number, (condition, target) in enumerate(getattr(spec, "cond_task_specs", []) or []):
        args = getattr(condition, "args", None)
        if args:
            # SpiffWorkflow names the target spec (a boundary event's host by a split spec's
            # name), and two flows may share a target: the key only needs to be unique.
            reads: list[Read] = []
            add(args[0], "voorwaarde", reads)
            result.conditions[f"{target}#{number}"] = reads
    return result


def _multi_instance(
    bpmn_id: str,
    body: Any,
    line: int | None,
    parsed: Any,
    known: set[str],
    flow_of: dict[str, str],
    script_line: int | None,
) -> _Element:
    """A multi-instance activity: the inner activity's reads and writes, with its local
    variables (element, loopCounter, nrOf...) always set, plus what the body itself reads
    (collection, cardinality, completion condition). What an instance writes is sure after
    the body only when at least one instance surely completes: a fixed loopCardinality of 1
    or more (a collection may be empty)."""
    inner = body._wf_spec.task_specs[body.task_spec]
    settings = (getattr(inner, "extensions", None) or {}).get(EXTENSION) or {}
    local = local_names(settings)
    element = _element(
        bpmn_id, inner, line, parsed.forms, parsed.catalogue, known, flow_of, script_line
    )
    element.local = local
    element.reads = [r for r in element.reads if r.variable not in local]
    for name, _line in expression_reads(settings.get("collection"), known):
        element.reads.append(Read(bpmn_id, name, "camunda:collection", line))
    for name, _line in expression_reads(body.cardinality, known):
        element.reads.append(Read(bpmn_id, name, "loopCardinality", line))
    written = set(element.writes)
    if element.script is not None:
        written |= script_effect(element.script, set(local), known)[0]
    for name, _line in expression_reads(body.condition, known):
        if name not in local and name not in written:
            element.reads.append(Read(bpmn_id, name, "completionCondition", line))
    fixed = str(body.cardinality or "").strip()
    element.writes = written - local if fixed.isdigit() and int(fixed) > 0 else set()
    return element


# -- the graph ------------------------------------------------------------------------------


def _local(tag: Any) -> str:
    return tag.split("}", 1)[1] if isinstance(tag, str) and "}" in tag else ""


def _graph(root: etree._Element, process_id: str) -> tuple[dict[str, _Node], dict[str, Any]]:
    """Flow nodes (with their predecessors) and sequence flows of a process, sub-processes
    included; each node knows its scope (the process or the sub-process it sits in)."""
    process = root.find(f".//{{{BPMN_NS}}}process[@id='{process_id}']")
    nodes: dict[str, _Node] = {}
    flows: dict[str, Any] = {}
    if process is None:
        return nodes, flows

    def walk(scope: etree._Element) -> None:
        scope_id = scope.get("id")
        for child in scope.iterchildren():
            tag = _local(child.tag)
            if not tag or not child.get("id"):
                continue
            if tag == "sequenceFlow":
                flows[child.get("id")] = child
                continue
            if tag in _NOT_NODES:
                continue
            nodes[child.get("id")] = _Node(
                child.get("id"),
                tag,
                child.sourceline,
                scope_id,
                [],
                child.get("attachedToRef"),
                child.get("cancelActivity") not in ("false", "0"),
            )
            if tag in ("subProcess", "transaction", "adHocSubProcess"):
                walk(child)

    walk(process)
    for flow in flows.values():
        target = nodes.get(flow.get("targetRef"))
        if target is not None and flow.get("sourceRef") in nodes:
            target.incoming.append(flow.get("sourceRef"))
    return nodes, flows


def _script_lines(root: etree._Element) -> dict[str, int]:
    """The file line of the first line of each script task's script."""
    out: dict[str, int] = {}
    for script in root.iter(f"{{{BPMN_NS}}}script"):
        parent = script.getparent()
        text = script.text or ""
        # The text starts on the tag's line; the script proper starts after blank lines.
        skipped = len(text) - len(text.lstrip("\n"))
        out[parent.get("id")] = script.sourceline + text[:skipped].count("\n")
    return out


def start_variables(catalogue: Any) -> set[str]:
    """What every instance starts with: the signal's (or `start`'s) required fields, which
    every start must bring (Execution.create), the catalogue's defaults, and what the domains
    add at start (the intake's date of the report)."""
    if catalogue is None:
        return set()
    names = set(catalogue.required_at_start()) | set(catalogue.defaults())
    for extra in hooks.start_fields:
        names |= set(extra(catalogue))
    return names


State = dict[str, frozenset[str] | None]  # None: not reached yet (the top of the lattice)


def _fixed_point(
    nodes: dict[str, _Node], elements: dict[str, _Element], initial: frozenset[str], known: set[str]
) -> tuple[State, State]:
    entry: State = dict.fromkeys(nodes)
    leave: State = dict.fromkeys(nodes)
    ends = _main_ends(nodes)
    for _round in range(MAX_ROUNDS):
        changed = False
        for node in nodes.values():
            new_entry = _entry_of(node, nodes, entry, leave, initial)
            if new_entry is None:
                continue
            element = elements[node.id]
            if element.local:  # a multi-instance body: its `writes` say what is sure
                new_leave = new_entry | element.writes
            elif element.script is not None:
                after, _reads = script_effect(element.script, set(new_entry), known)
                new_leave = frozenset(after | element.writes)
            elif node.tag in ("subProcess", "transaction", "adHocSubProcess"):
                done = [leave[e] for e in ends.get(node.id, []) if leave[e] is not None]
                new_leave = frozenset.intersection(*done) | element.writes if done else new_entry
            else:
                new_leave = new_entry | element.writes
            if new_entry != entry[node.id] or new_leave != leave[node.id]:
                entry[node.id], leave[node.id] = new_entry, new_leave
                changed = True
        if not changed:
            break
    return entry, leave


def _main_ends(nodes: dict[str, _Node]) -> dict[str, list[str]]:
    """Per sub-process, the ends (end events, or nodes without outgoing flow) its main token
    can end at: reached from its start
    along flows and interrupting boundary events. A branch that a non-interrupting boundary
    event starts runs beside the main path; the sub-process leaves once both ended, so what
    it leaves with is decided by the main path's ends."""
    following: dict[str, list[str]] = {}
    has_flow_out: set[str] = set()
    for node in nodes.values():
        for source in node.incoming:
            following.setdefault(source, []).append(node.id)
            has_flow_out.add(source)
        if node.attached_to is not None and node.interrupting:
            following.setdefault(node.attached_to, []).append(node.id)
    ends: dict[str, list[str]] = {}
    for scope in {n.scope for n in nodes.values()}:
        todo = [
            n.id
            for n in nodes.values()
            if n.scope == scope and n.tag == "startEvent" and not n.incoming
        ]
        seen = set(todo)
        while todo:
            current = todo.pop()
            # An end event, or any node without outgoing flow (BPMN's implicit end).
            if nodes[current].tag == "endEvent" or current not in has_flow_out:
                ends.setdefault(scope, []).append(current)
            for successor in following.get(current, []):
                if successor not in seen and nodes[successor].scope == scope:
                    seen.add(successor)
                    todo.append(successor)
    return ends


def _entry_of(
    node: _Node, nodes: dict[str, _Node], entry: State, leave: State, initial: frozenset[str]
) -> frozenset[str] | None:
    if node.attached_to is not None:
        return entry.get(node.attached_to)
    if node.incoming:
        arrived = [leave[p] for p in node.incoming if leave[p] is not None]
        if not arrived:
            return None
        if node.tag == "parallelGateway" and len(node.incoming) > 1:
            return frozenset().union(*arrived)  # a parallel join waits for every branch
        return frozenset.intersection(*arrived)
    scope = nodes.get(node.scope)
    if scope is not None and node.tag == "startEvent":
        return entry.get(scope.id)  # the start of a sub-process: what the sub-process got
    return initial


def _path(
    nodes: dict[str, _Node], entry: State, leave: State, node_id: str, variable: str
) -> list[str]:
    """A way from the start to `node_id` on which nothing writes `variable`."""
    path = [node_id]
    seen = {node_id}
    current = nodes[node_id]
    while True:
        if current.attached_to is not None:
            options = [(current.attached_to, entry)]
        elif current.incoming:
            options = [(p, leave) for p in current.incoming]
        elif current.tag == "startEvent" and current.scope in nodes:
            options = [(current.scope, entry)]
        else:
            break
        step = next(
            (
                p
                for p, state in options
                if p not in seen and state[p] is not None and variable not in state[p]
            ),
            None,
        )
        if step is None:
            break
        path.insert(0, step)
        seen.add(step)
        current = nodes[step]
    return path


def _names_loaded(source: str, known: set[str]) -> set[str]:
    """Every variable a script mentions as a value, guarded or not (for data coverage)."""
    try:
        tree = ast.parse(source.strip("\n"), mode="exec")
    except UNPARSABLE:
        return set()
    return {
        n.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id not in known
    }


def _called_writes(parsed: Any, key: str, known: set[str], seen: set[str]) -> set[str]:
    """Every variable a called process (and what it calls) may write."""
    spec = parsed.subprocess_specs.get(key)
    if spec is None or key in seen:
        return set()
    seen.add(key)
    writes: set[str] = set()
    for task_spec in spec.task_specs.values():
        element = _element(
            getattr(task_spec, "bpmn_id", None) or "",
            task_spec,
            None,
            parsed.forms,
            parsed.catalogue,
            known,
            {},
            None,
        )
        writes |= element.writes
        if element.script is not None:
            writes |= script_effect(element.script, set(), known)[0]
        if isinstance(task_spec, CallActivity) and _returns_all(task_spec):
            writes |= _called_writes(parsed, task_spec.spec, known, seen)
    return writes


def _returns_all(spec: Any) -> bool:
    """camunda:out variables="all": what the called process writes comes back (without it,
    only the mapped targets, which the call activity's element writes)."""
    mapping = (getattr(spec, "extensions", None) or {}).get("call_out")
    return mapping is None or bool(mapping.get("all"))


@dataclass
class Model:
    """A process's flow nodes, sequence flows, task specs and the reads and writes of each
    node, as the analyses here (and app.engine.branch_reads) see them."""

    root: etree._Element
    nodes: dict[str, _Node]
    flows: dict[str, Any]
    specs: dict[str, Any]
    elements: dict[str, _Element]
    known: set[str]


def model(parsed: Any) -> Model:
    """The graph and the per-node reads and writes of one parsed process, built once per
    deploy and shared by the checks that need it (nothing changes it once built)."""
    derived = getattr(parsed, "derived", None)
    if derived is not None and "dataflow_model" in derived:
        return derived["dataflow_model"]
    built = _build_model(parsed)
    if derived is not None:
        derived["dataflow_model"] = built
    return built


def _build_model(parsed: Any) -> Model:
    root = etree.fromstring(
        parsed.xml, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    )
    prepare(root)  # flows without id, links, event-based gateways
    nodes, flows = _graph(root, parsed.key)
    specs: dict[str, Any] = {}
    for wf_spec in (parsed.spec, *parsed.subprocess_specs.values()):
        for spec in wf_spec.task_specs.values():
            bpmn_id = getattr(spec, "bpmn_id", None)
            if bpmn_id in nodes and bpmn_id not in specs:
                specs[bpmn_id] = spec
    known = known_names()
    scripts = _script_lines(root)
    leaving: dict[str | None, dict[str | None, str]] = {}  # source -> {target: flow}
    for flow_id, flow in flows.items():
        leaving.setdefault(flow.get("sourceRef"), {})[flow.get("targetRef")] = flow_id
    elements: dict[str, _Element] = {}
    for node in nodes.values():
        spec = specs.get(node.id)
        flow_of = dict(leaving.get(node.id, {}))
        if spec is not None and is_body(spec):
            elements[node.id] = _multi_instance(
                node.id, spec, node.line, parsed, known, flow_of, scripts.get(node.id)
            )
            continue
        elements[node.id] = (
            _element(
                node.id,
                spec,
                node.line,
                parsed.forms,
                parsed.catalogue,
                known,
                flow_of,
                scripts.get(node.id),
            )
            if spec is not None
            else _Element()
        )
    for node_id, spec in specs.items():
        if isinstance(spec, CallActivity) and node_id in elements and _returns_all(spec):
            # camunda:out variables="all": what the called process writes comes back
            elements[node_id].writes |= _called_writes(parsed, spec.spec, known, set())
    return Model(root, nodes, flows, specs, elements, known)


def analyse(parsed: Any) -> Analysis:
    """The analysis of one parsed process (app.engine.deploy.ParsedProcess)."""
    found = model(parsed)
    nodes, elements, known = found.nodes, found.elements, found.known
    initial = frozenset(start_variables(parsed.catalogue))
    entry, leave = _fixed_point(nodes, elements, initial, known)
    reads: list[Read] = []
    missing: list[tuple[Read, list[str]]] = []

    def check(read: Read, state: State, node_id: str) -> None:
        reads.append(read)
        available = state[node_id]
        if available is not None and read.variable not in available:
            missing.append((read, _path(nodes, entry, leave, node_id, read.variable)))

    for node_id, element in elements.items():
        for read in element.reads:
            check(read, entry, node_id)
        for condition_reads in element.conditions.values():
            for read in condition_reads:
                check(read, leave, node_id)
        if element.script is None or entry[node_id] is None:
            continue
        defined = set(entry[node_id] or ()) | element.local
        _after, unguarded = script_effect(element.script, defined, known)
        first = element.script_line or nodes[node_id].line
        for name, line in unguarded:
            read = Read(node_id, name, "script", (first + line - 1) if first else None)
            reads.append(read)
            missing.append((read, _path(nodes, entry, leave, node_id, name)))
        loaded = _names_loaded(element.script, known) - element.local
        for name in sorted(loaded - {n for n, _ in unguarded}):
            reads.append(Read(node_id, name, "script", first))
    entries = {k: v for k, v in entry.items() if v is not None}
    return Analysis(reads, _first_per_variable(missing), entries, initial)


def _first_per_variable(
    missing: list[tuple[Read, list[str]]],
) -> list[tuple[Read, list[str]]]:
    """One report per element and variable (a script may read it on ten lines)."""
    seen: set[tuple[str, str]] = set()
    out = []
    for read, path in missing:
        if (read.element, read.variable) not in seen:
            seen.add((read.element, read.variable))
            out.append((read, path))
    return out


def check_data_flow(parsed: Any) -> list[Problem]:
    """The deploy check: one problem per variable read where some path leaves it unset.
    Records what each element reads in `parsed.elements[id]["reads"]` (stored with the
    version: the incident page offers those fields for repair, the tests' data coverage
    counts them)."""
    analysis = analyse(parsed)
    for element, variables in _by_element(analysis).items():
        if element in parsed.elements:
            parsed.elements[element]["reads"] = variables
    names = {k: (v.get("name") or k) for k, v in (parsed.elements or {}).items()}
    problems = []
    for read, path in analysis.missing:
        route = " → ".join(names.get(p, p) for p in path)
        problems.append(
            Problem(
                str(parsed.file),
                read.element,
                read.line,
                f"{read.what} leest {read.variable!r}, maar die is niet op elk pad hierheen "
                f"geschreven; pad zonder {read.variable!r}: {route}. Geef het veld een "
                "'standaard' in de gegevenscatalogus, maak het verplicht, of vang het "
                "ontbreken af (try: ... except NameError:)",
            )
        )
    return problems


def _by_element(analysis: Analysis) -> dict[str, list[str]]:
    out: dict[str, set[str]] = {}
    for read in analysis.reads:
        out.setdefault(read.element, set()).add(read.variable)
    return {k: sorted(v) for k, v in sorted(out.items())}
