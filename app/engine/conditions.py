"""Conditional events (intermediate catch and boundary), evaluated as Camunda 7 does.

A condition is evaluated when its event is reached (true: it fires at once) and again
whenever the process's variables change: a task completed, a message or signal with
variables, a service task's result, a script. Never on a clock. The variables are the
case's as one scope (`spiff_fixes.merged_changes` over the live tasks and what completed
in this transition), not the waiting task's own copy: a variable another branch writes
reaches the condition, as in Camunda's process scope, also when that branch ended in an
earlier transition: its last copy waits at a join (or its scope's end join) until the join
merges it, and is read from there (`spiff_fixes.waiting_branches`).

`Execution.run_engine` calls `check` after each round of engine steps. An activity that
completes with variables sets them while it is still active, so its own conditional
boundary events see them (`before_leaving`): an interrupting one then takes the path of the
boundary instead of completing the activity, as Camunda 7 does.

A non-interrupting boundary fires each time a change leaves its condition true (each time a
new path, app/engine/spiff_fixes.py); an interrupting boundary or an intermediate event
fires once. A transition that wrote variables (`written`: a completion, message, signal or
result with data, a script) evaluates every waiting condition, as Camunda 7 does at every
write; otherwise only those whose variables changed since they were last evaluated.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.conditional import ConditionalEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from app.engine.errors import Conflict, describe_error
from app.engine.spiff_fixes import merged_changes, waiting_branches
from app.engine.waits import element_id, jsonable

if TYPE_CHECKING:
    from app.engine.runtime import Execution

# internal data of a waiting conditional event: the variables it was last evaluated with
SEEN = "stroom_condition_seen"
_LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


def _waiting(execution: Execution) -> list[Task]:
    return [
        t
        for t in execution.workflow.event_manager.tasks.values()
        if t.has_state(TaskState.WAITING)
        and isinstance(t.task_spec.event_definition, ConditionalEventDefinition)
    ]


def _variables(execution: Execution) -> dict[str, Any]:
    """The live branches' variables, what tasks completed in this transition wrote (a
    branch that ended here, e.g. at the message it received, still changed them), and what
    branches waiting at a join wrote (one that ended at an end event in an earlier
    transition waits at its scope's end join)."""
    workflow = execution.workflow
    since = execution.now.timestamp()
    scopes = (workflow, *workflow.subprocesses.values())
    tasks = [
        t
        for wf in scopes
        for t in wf.tasks.values()
        if t.has_state(_LIVE) or (t.has_state(TaskState.COMPLETED) and t.last_state_change >= since)
    ]
    seen = {id(t) for t in tasks}
    for task in (t for wf in scopes for t in waiting_branches(wf)):
        if id(task) not in seen:
            seen.add(id(task))
            tasks.append(task)
    return merged_changes(tasks)


def _fingerprint(view: dict[str, Any]) -> str:
    return json.dumps(jsonable(view), sort_keys=True, default=str)


def _holds(execution: Execution, task: Task, view: dict[str, Any]) -> bool:
    definition = task.task_spec.event_definition
    env = execution.workflow.script_engine.environment
    value = env.evaluate(definition.expression, {**task.data, **view})
    if not isinstance(value, bool):
        # As a sequence flow's (spiff_fixes): Camunda 7 refuses a non-boolean condition.
        raise WorkflowTaskException(
            f"voorwaarde {definition.expression!r} geeft geen waar of onwaar maar {value!r}",
            task=task,
        )
    return value


def _fire(execution: Execution, task: Task, view: dict[str, Any]) -> None:
    """The event happens: the path after it starts with the variables that made it true."""
    definition = task.task_spec.event_definition
    task.task_spec.catch(task, BpmnEvent(definition, payload=dict(view)))
    task.task_spec._update(task)
    # After the update: it inherits its parent's (older) copy of the data.
    task.data.update(view)
    execution.record("condition_met", element_id(task), str(task.id))


def check(execution: Execution, written: bool) -> bool:
    """Evaluate every waiting condition that has not seen the variables as they are now
    (or all of them, when the transition wrote variables); True when one fired."""
    waiting = _waiting(execution)
    if not waiting:
        return False
    view = _variables(execution)
    seen = _fingerprint(view)
    fired = False
    for task in waiting:
        if not task.has_state(TaskState.WAITING):
            continue  # withdrawn by one that fired before it (an interrupting boundary)
        if not written and task.internal_data.get(SEEN) == seen:
            continue
        holds = _holds(execution, task, view)  # a failure: an incident, evaluated again
        task.internal_data[SEEN] = seen
        if holds:
            _fire(execution, task, view)
            fired = True
    return fired


def before_leaving(execution: Execution, host: Task) -> bool:
    """The variables `host` completes with reach its own conditional boundary events first.
    True when an interrupting one fired: the activity does not complete, its boundary's path
    runs instead."""
    split = host.parent
    if split is None or not isinstance(split.task_spec, BoundaryEventSplit):
        return False
    boundaries = [
        t
        for t in split.children
        if t is not host
        and t.has_state(TaskState.WAITING)
        and isinstance(t.task_spec, BoundaryEvent)
        and isinstance(t.task_spec.event_definition, ConditionalEventDefinition)
    ]
    if not boundaries:
        return False
    view = {**_variables(execution), **host.data}
    interrupted = False
    for task in boundaries:
        try:
            holds = _holds(execution, task, view)
        except Exception as exc:  # noqa: BLE001 - said to the caller; nothing is completed
            raise Conflict(
                f"de voorwaarde van {element_id(task)!r} kan niet geëvalueerd worden met deze "
                f"gegevens: {describe_error(exc)}"
            ) from exc
        task.internal_data[SEEN] = _fingerprint(view)
        if holds:
            _fire(execution, task, view)
            interrupted = interrupted or task.task_spec.cancel_activity
    return interrupted
