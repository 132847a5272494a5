"""What the instance page shows: the diagram with where the instance is and where it went,
its wait states and its history (who may be given its tasks: app.tasks.service). No case
data: that is read through the access layer by the view, and only when asked for."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.conditional import ConditionalEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine.models import (
    HumanTask,
    Incident,
    IncidentStatus,
    InstanceEvent,
    InstanceStatus,
    Job,
    JobStatus,
    MessageSubscription,
    ProcessInstance,
    ProcessVersion,
    SignalSubscription,
    TaskStatus,
    Timer,
    WaitStatus,
)
from app.engine.runtime import load_workflow
from app.manage import queries
from app.simulation.coverage import instance_coverage


@dataclass
class InstancePage:
    instance: ProcessInstance
    version: ProcessVersion
    process_name: str
    tasks: list[HumanTask]
    incidents: list[Incident]
    jobs: list[Job]
    timers: list[Timer]
    subscriptions: list[MessageSubscription]
    signals: list[SignalSubscription]
    # (element id, condition) of the conditional events waiting: no table holds them
    conditions: list[tuple[str, str]]
    history: list[InstanceEvent]
    diagram: dict[str, Any]
    element_names: dict[str, str] = field(default_factory=dict)
    group_names: dict[str, str] = field(default_factory=dict)
    user_names: dict[str, str] = field(default_factory=dict)

    def element(self, element_id: str | None) -> str:
        return self.element_names.get(element_id or "", element_id or "")

    @property
    def open_incidents(self) -> list[Incident]:
        return [i for i in self.incidents if i.status == IncidentStatus.OPEN.value]

    @property
    def ended(self) -> bool:
        return self.instance.status in InstanceStatus.ended()

    def holders(self, task: HumanTask) -> list[str]:
        if task.assignee:
            return [self.user_names.get(task.assignee, task.assignee)]
        return [self.group_names.get(g, g) for g in task.candidate_groups or []]


def _rows(session: Session, model: Any, instance_id: str, order: Any) -> list[Any]:
    return list(
        session.scalars(select(model).where(model.instance_id == instance_id).order_by(order))
    )


def waiting_conditions(workflow: Any) -> list[tuple[str, str]]:
    """The conditional events the instance waits at, with their conditions: they wait for a
    change of the case's data, which no wait-state table records."""
    found = []
    for wf in (workflow, *workflow.subprocesses.values()):
        for task in wf.get_tasks(state=TaskState.WAITING):
            definition = getattr(task.task_spec, "event_definition", None)
            if isinstance(definition, ConditionalEventDefinition):
                found.append((task.task_spec.bpmn_id, str(definition.expression)))
    return sorted(set(found))


def markers(
    workflow: Any,
    version: ProcessVersion,
    waits: dict[str, list[Any]],
    conditions: list[tuple[str, str]],
) -> dict[str, list[str]]:
    """Element ids for the diagram: where the instance waits now (`conditions`: the
    conditional events it waits at), where it has a failure, and the elements and sequence
    flows it has taken (from its task tree)."""
    current = sorted(
        {t.element_id for t in waits["tasks"] if t.status == TaskStatus.OPEN.value}
        | {j.element_id for j in waits["jobs"] if j.status == JobStatus.PENDING.value}
        | {t.element_id for t in waits["timers"] if t.status == WaitStatus.WAITING.value}
        | {s.element_id for s in waits["subscriptions"] if s.status == WaitStatus.WAITING.value}
        | {s.element_id for s in waits["signals"] if s.status == WaitStatus.WAITING.value}
        | {element for element, _condition in conditions}
    )
    failing = sorted(
        {
            i.element_id
            for i in waits["incidents"]
            if i.status == IncidentStatus.OPEN.value and i.element_id
        }
    )
    taken = instance_coverage(workflow, version.elements)
    return {
        "current": current,
        "incidents": failing,
        "done": sorted(taken.elements - set(current) - set(failing)),
        "flows": sorted(taken.flows),
    }


def instance_page(session: Session, row: ProcessInstance) -> InstancePage:
    version = session.get(ProcessVersion, row.version_id)
    assert version is not None
    waits = {
        "tasks": [
            t
            for t in _rows(session, HumanTask, row.id, HumanTask.created_at)
            if t.status == TaskStatus.OPEN.value
        ],
        "incidents": _rows(session, Incident, row.id, Incident.id),
        "jobs": _rows(session, Job, row.id, Job.id),
        "timers": _rows(session, Timer, row.id, Timer.due_at),
        "subscriptions": _rows(session, MessageSubscription, row.id, MessageSubscription.id),
        "signals": _rows(session, SignalSubscription, row.id, SignalSubscription.id),
    }
    history = _rows(session, InstanceEvent, row.id, InstanceEvent.id)
    workflow = load_workflow(session, row.version_id, row.state)
    conditions = waiting_conditions(workflow)
    groups = {g for t in waits["tasks"] for g in t.candidate_groups or []}
    people = {t.assignee for t in waits["tasks"] if t.assignee}
    people |= {e.actor.split(":", 1)[1] for e in history if (e.actor or "").startswith("user:")}
    return InstancePage(
        instance=row,
        version=version,
        process_name=queries.process_names(session).get(row.definition_key, row.definition_key),
        tasks=waits["tasks"],
        incidents=waits["incidents"],
        jobs=waits["jobs"],
        timers=waits["timers"],
        subscriptions=waits["subscriptions"],
        signals=waits["signals"],
        conditions=conditions,
        history=history,
        diagram={
            "xml": session.scalar(
                select(ProcessVersion.bpmn_xml).where(ProcessVersion.id == version.id)
            ),
            "markers": markers(workflow, version, waits, conditions),
        },
        element_names={k: str(v.get("name") or k) for k, v in (version.elements or {}).items()},
        group_names=queries.group_names(session, groups),
        user_names=queries.user_names(session, people),
    )
