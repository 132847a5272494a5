"""Which elements and sequence flows an instance has taken, read from its task tree.

SpiffWorkflow keeps completed tasks in the tree; a flow counts as taken when its target task
was activated (ready, started, waiting, completed, in error, or cancelled after activation)
with its source completed before it. Boundary events that never fired are cancelled without
having been activated, and do not count.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy.orm import Session

from app.engine.dataflow import input_components
from app.engine.models import ProcessInstance, ProcessVersion
from app.engine.runtime import load_workflow

_ACTIVATED = (
    TaskState.READY | TaskState.STARTED | TaskState.WAITING | TaskState.COMPLETED | TaskState.ERROR
)


@dataclass
class Coverage:
    """Taken elements and flows, summed over instances of one process."""

    elements: set[str] = field(default_factory=set)
    flows: set[str] = field(default_factory=set)

    def add(self, other: Coverage) -> None:
        self.elements |= other.elements
        self.flows |= other.flows


def _bpmn_id(task: Task) -> str | None:
    return getattr(task.task_spec, "bpmn_id", None)


def _activated(task: Task) -> bool:
    if task.has_state(_ACTIVATED):
        return True
    if task.has_state(TaskState.CANCELLED):
        # A boundary event that did not fire is cancelled with its activity; it never ran.
        return not (
            isinstance(task.task_spec, CatchingEvent)
            and "BoundaryEventSplit" in (task.parent.task_spec.name if task.parent else "")
        )
    return False


def _all_tasks(workflow: Any) -> Iterator[Task]:
    yield from workflow.get_tasks()
    for sub in workflow.subprocesses.values():
        yield from sub.get_tasks()


def instance_coverage(workflow: Any, elements: dict[str, Any]) -> Coverage:
    flows_by_pair: dict[tuple[str, str], list[str]] = {}
    for flow_id, info in elements.items():
        if info.get("type") == "sequenceFlow":
            flows_by_pair.setdefault((info["source"], info["target"]), []).append(flow_id)
    result = Coverage()
    for task in _all_tasks(workflow):
        element = _bpmn_id(task)
        if element is None or element not in elements or not _activated(task):
            continue
        result.elements.add(element)
        source = task.parent
        while source is not None and _bpmn_id(source) is None:
            source = source.parent
        if source is not None and source.has_state(TaskState.COMPLETED):
            result.flows.update(flows_by_pair.get((_bpmn_id(source), element), []))
    return result


def ended_at(session: Session, row: ProcessInstance) -> list[str]:
    """The end events this instance reached."""
    version = session.get(ProcessVersion, row.version_id)
    assert version is not None
    workflow = load_workflow(session, row.version_id, row.state)
    return sorted(
        {
            _bpmn_id(t)
            for t in _all_tasks(workflow)
            if t.has_state(TaskState.COMPLETED)
            and _bpmn_id(t)
            and version.elements.get(_bpmn_id(t), {}).get("type") == "endEvent"
        }
    )


def process_coverage(session: Session, rows: Iterable[ProcessInstance]) -> Coverage:
    total = Coverage()
    for row in rows:
        version = session.get(ProcessVersion, row.version_id)
        assert version is not None
        workflow = load_workflow(session, row.version_id, row.state)
        total.add(instance_coverage(workflow, version.elements))
    return total


def uncovered(elements: dict[str, Any], coverage: Coverage) -> tuple[list[str], list[str]]:
    """Flow nodes and sequence flows of the diagram that no instance took."""
    nodes = sorted(
        e
        for e, info in elements.items()
        if info.get("type")
        not in (
            "sequenceFlow",
            "participant",
            "process",
            "collaboration",
            "messageFlow",
            "message",
            "dataObject",
            "dataObjectReference",
            "textAnnotation",
            "association",
        )
        and e not in coverage.elements
    )
    flows = sorted(
        e
        for e, info in elements.items()
        if info.get("type") == "sequenceFlow" and e not in coverage.flows
    )
    return nodes, flows


# -- data coverage ------------------------------------------------------------------------------
#
# Flow coverage is not data coverage: a path taken only with every optional field filled in
# says nothing about the same path without them. An optional field (of the signal, or of a
# form: not required, or required only under a condition) counts as covered once some
# instance ran an element that reads it (the deploy analysis's `reads`) while it had no value
# of its own there: none or empty, false for a yes/no field (a checkbox left alone), or the
# catalogue's `standaard` (what a field left out starts with).
#
# Proven safe, so covered without a scenario: a field no element reads; and a field a form
# requires whenever it shows it (hidden unless checkbox X is ticked) whose readers cannot be
# reached from that form's task but through a flow taken only when X (condition `${X}`).

EMPTY: tuple[Any, ...] = (None, "", [], {})
_SHOWN_WHEN = re.compile(r"^=\s*not\s*\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$")
_OPAQUE = ("subProcess", "callActivity", "transaction", "adHocSubProcess")


def optional_fields(catalogue: Any, forms: dict[str, Any]) -> dict[str, list[str]]:
    """{field: where it may be left out}: 'melding' and/or 'formulier <key>'."""
    found: dict[str, list[str]] = {}
    signal = (catalogue.signal if catalogue is not None else None) or {}
    for name in signal.get("velden", []):
        if name not in signal.get("verplicht", []):
            found.setdefault(name, []).append("melding")
    for key, form in sorted((forms or {}).items()):
        for component in input_components(form or {}):
            required = (component.get("validate") or {}).get("required")
            if not required or component.get("conditional"):
                found.setdefault(str(component["key"]), []).append(f"formulier {key}")
    return found


def no_value(catalogue: Any, forms: dict[str, Any], names: Iterable[str]) -> dict[str, list[Any]]:
    """{field: the values that mean it was left out} (see above)."""
    checkboxes = {
        str(c["key"])
        for form in (forms or {}).values()
        for c in input_components(form or {})
        if c.get("type") == "checkbox"
    }
    fields = catalogue.fields if catalogue is not None else {}
    out: dict[str, list[Any]] = {}
    for name in names:
        values = list(EMPTY)
        field_ = fields.get(name)
        if name in checkboxes or (field_ is not None and field_.type == "ja_nee"):
            values.append(False)
        if field_ is not None and field_.has_default:
            values.append(field_.default)
        out[name] = values
    return out


def field_readers(elements: dict[str, Any]) -> dict[str, list[str]]:
    """{variable: the elements that read it}, from what deploy stored with the version."""
    readers: dict[str, list[str]] = {}
    for element, info in sorted(elements.items()):
        if info.get("type") == "sequenceFlow":
            continue  # a condition is read by the gateway it leaves
        for name in info.get("reads") or []:
            readers.setdefault(name, []).append(element)
    return readers


def left_out(workflow: Any, elements: dict[str, Any], fields: dict[str, list[Any]]) -> set[str]:
    """The fields among `fields` that some element of this instance read while they had no
    value of their own: in the data the element ran with (its parent's, before it changed
    anything)."""
    reads = {e: set(info.get("reads") or []) & set(fields) for e, info in elements.items()}
    found: set[str] = set()
    for task in _all_tasks(workflow):
        element = _bpmn_id(task)
        names = reads.get(element or "")
        if not names or not _activated(task):
            continue
        data = task.parent.data if task.parent is not None else task.data
        found |= {n for n in names if any(_same(data.get(n), v) for v in fields[n])}
    return found


def _same(value: Any, other: Any) -> bool:
    return type(value) is type(other) and value == other


def _plain_condition(text: str) -> str:
    text = text.strip()
    if text.startswith("${") and text.endswith("}"):
        text = text[2:-1]
    return "".join(text.split())


def proven_safe(
    elements: dict[str, Any], forms: dict[str, Any], name: str, signal_optional: bool
) -> bool:
    """A form field shown (and then required) only when checkbox X is ticked, that no
    reader can reach from its form's task but through a flow whose condition is X."""
    if signal_optional:
        return False
    readers = set(field_readers(elements).get(name, []))
    shown_when: dict[str, str] = {}
    for key, form in (forms or {}).items():
        for c in input_components(form or {}):
            if str(c.get("key")) != name:
                continue
            match = _SHOWN_WHEN.match(str((c.get("conditional") or {}).get("hide") or ""))
            if not match or not (c.get("validate") or {}).get("required"):
                return False
            shown_when[key] = match.group(1)
    if not shown_when:
        return False
    outgoing: dict[str, list[tuple[str, str]]] = {}
    for info in elements.values():
        if info.get("type") == "sequenceFlow":
            outgoing.setdefault(info["source"], []).append(
                (info["target"], _plain_condition(info.get("condition") or ""))
            )
    for key, guard in shown_when.items():
        todo = [e for e, info in elements.items() if info.get("form") == key]
        if not todo:
            return False
        seen = set(todo)
        while todo:
            node = todo.pop()
            if node in readers or elements.get(node, {}).get("type") in _OPAQUE:
                return False
            for target, condition in outgoing.get(node, []):
                if condition != guard and target not in seen:
                    seen.add(target)
                    todo.append(target)
    return True
