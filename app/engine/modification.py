"""Process instance modification: cancel here, start there (what Camunda Cockpit calls it).

`modify(..., dry_run=True)` says what would happen without changing anything: which waiting
steps are cancelled (a task, a timer, a message, a job, a failed step), where the new token
starts and which steps are left as they are. Without the dry run it does exactly that in one
transition, with the reason in the history. The new token starts beside the first cancelled
one, in the same branch: a parallel join further on counts it as that branch's token.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.engine.errors import Conflict, InvalidInput
from app.engine.models import Incident, IncidentStatus, InstanceStatus
from app.engine.multi_instance import LOCALS
from app.engine.runtime import Execution

ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
# Where no token can be put by hand: a start event starts a process, a boundary event belongs
# to its activity, an event sub-process starts on its event.
NOT_A_TARGET = {"StartEvent", "BoundaryEvent", "EventSubprocess"}


@dataclass
class Step:
    element: str
    name: str


@dataclass
class Modification:
    cancelled: list[Step] = field(default_factory=list)
    started: Step | None = None
    kept: list[Step] = field(default_factory=list)
    done: bool = False


def _step(task: Any) -> Step:
    spec = task.task_spec
    return Step(spec.bpmn_id, spec.bpmn_name or spec.bpmn_id)


def active_steps(workflow: Any) -> list[Any]:
    """The tasks of flow nodes where the instance is now (one per token)."""
    return [
        t
        for t in workflow.get_tasks(state=ACTIVE)
        if getattr(t.task_spec, "bpmn_id", None)
        and type(t.task_spec).__name__ not in ("SubWorkflowTask", "EventSubprocess")
        # An event sub-process that listens (app/engine/event_subprocess.py) is no step.
        and not (type(t.task_spec).__name__ == "StartEvent" and t.state == TaskState.WAITING)
        and not t.task_spec.bpmn_id.startswith(workflow.spec.name + ".")
        # An instance of a multi-instance activity is part of its body's token: stopping
        # the activity stops the body, and with it every instance.
        and not t.internal_data.get(LOCALS)
    ]


def steps(workflow: Any) -> list[Step]:
    """Where the instance is now, for people (one per element)."""
    return list({s.element: s for s in map(_step, active_steps(workflow))}.values())


def targets(workflow: Any) -> list[Step]:
    """The elements of the main process a token may be started at."""
    out = []
    for spec in workflow.spec.task_specs.values():
        bpmn_id = getattr(spec, "bpmn_id", None)
        if bpmn_id and type(spec).__name__ not in NOT_A_TARGET:
            out.append(Step(bpmn_id, spec.bpmn_name or bpmn_id))
    return sorted(out, key=lambda s: s.name.lower())


def modify(
    session: Session,
    instance_id: str,
    cancel: list[str],
    start_at: str,
    actor: str | None,
    reason: str | None = None,
    dry_run: bool = True,
) -> Modification:
    execution = Execution.open(session, instance_id, actor)
    if execution.row.status in InstanceStatus.ended():
        raise Conflict(f"procesinstantie is al {execution.row.status}")
    if execution.row.status == InstanceStatus.SUSPENDED.value:
        raise Conflict("procesinstantie is opgeschort; hervat eerst")
    active = active_steps(execution.workflow)
    chosen = [t for t in active if t.task_spec.bpmn_id in set(cancel)]
    if not chosen:
        raise InvalidInput(
            "kies wat moet stoppen", {"stoppen": ["kies een of meer stappen waar de zaak nu is"]}
        )
    spec = next(
        (
            s
            for s in chosen[0].workflow.spec.task_specs.values()
            if getattr(s, "bpmn_id", None) == start_at and type(s).__name__ not in NOT_A_TARGET
        ),
        None,
    )
    if spec is None:
        raise InvalidInput(
            "onbekende stap",
            {"starten": ["kies een stap van hetzelfde (deel)proces als wat stopt"]},
        )
    plan = Modification(
        cancelled=[_step(t) for t in chosen],
        started=Step(spec.bpmn_id, spec.bpmn_name or spec.bpmn_id),
        kept=[_step(t) for t in active if t not in chosen],
    )
    if dry_run:
        session.rollback()  # release the lock; nothing changed
        return plan
    parent = chosen[0].parent
    for task in chosen:
        task.cancel()
        # Its boundary events listen only while it runs (Camunda 7 removes them with the
        # activity): left waiting, a conditional one fired on a later change and a timer
        # or message one took its path for an activity that was gone. A path a
        # non-interrupting one already started is not the activity's and runs on.
        split = task.parent
        if split is not None and isinstance(split.task_spec, BoundaryEventSplit):
            for sibling in split.children:
                if sibling is not task and sibling.has_state(TaskState.WAITING):
                    sibling.cancel()
    new = parent._add_child(spec, TaskState.FUTURE)
    new.data = dict(chosen[0].data)
    # Predict the branch from the new task on (as SpiffWorkflow does for a new workflow), so
    # the joins and ends after it know it.
    spec._predict(new, mask=TaskState.NOT_FINISHED_MASK)
    spec._update(new)
    ids = [str(t.id) for t in chosen]
    session.execute(
        update(Incident)
        .where(
            Incident.instance_id == instance_id,
            Incident.status == IncidentStatus.OPEN.value,
            Incident.spiff_task_id.in_(ids),
        )
        .values(status=IncidentStatus.RESOLVED.value, resolved_at=execution.now, resolved_by=actor)
    )
    session.flush()
    execution.record(
        "instance_modified",
        start_at,
        str(new.id),
        {
            "gestopt": [s.element for s in plan.cancelled],
            "gestart": start_at,
            "reden": reason,
        },
    )
    if execution.row.status == InstanceStatus.ERROR.value:
        execution.row.status = InstanceStatus.RUNNING.value
    execution.run_engine()
    execution.save()
    plan.done = True
    return plan
