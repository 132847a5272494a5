"""Which elements and sequence flows an instance has taken, read from its task tree.

SpiffWorkflow keeps completed tasks in the tree; a flow counts as taken when its target task
was activated (ready, started, waiting, completed, in error, or cancelled after activation)
with its source completed before it. Boundary events that never fired are cancelled without
having been activated, and do not count.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy.orm import Session

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
