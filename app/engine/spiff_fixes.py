"""Corrections to SpiffWorkflow 3.2 where it runs a diagram differently from Camunda 7.

Imported by `app.engine.parser` (and so by everything that parses or restores a spec).

- A non-interrupting cycle timer (`R/PT1H`, `cancelActivity="false"`) spawns each branch as a
  child of the waiting timer task. When the host activity completes, SpiffWorkflow cancels
  the waiting timer, and with it every branch it spawned that is still running. Camunda 7
  only stops the timer: what it spawned runs on. Here the timer is marked completed instead
  of cancelled when it has spawned branches, so it stops firing and they keep running.
- An error boundary event with `camunda:errorCodeVariable` / `errorMessageVariable` stores
  the code of the error it caught and its message: a handler's BpmnError message, else the
  error's `camunda:errorMessage` (the parser keeps them in the boundary event's
  `extensions`); SpiffWorkflow has no such variables.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.control import BoundaryEventJoin
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import (
    ErrorEventDefinition,
    ItemAwareEventDefinition,
)
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition
from SpiffWorkflow.util.task import TaskState

CYCLE_STOPPED = "stroom_cycle_stopped"
_original = BoundaryEventJoin._check_threshold_structured


def _keep_what_cycles_spawned(self: Any, my_task: Any) -> tuple[bool, list[Any]]:
    finished, cancel = _original(self, my_task)
    if not finished:
        return finished, cancel
    kept = []
    for task in cancel:
        spec = task.task_spec
        if (
            isinstance(getattr(spec, "event_definition", None), CycleTimerEventDefinition)
            and not getattr(spec, "cancel_activity", True)
            and task.children
        ):
            # Cycle timers predict no children: these are the branches it spawned.
            task.workflow.top_workflow.event_manager.remove_task(task)
            task.internal_data.pop("event_value", None)
            task.internal_data["event_fired"] = True
            task.internal_data[CYCLE_STOPPED] = True  # for the history: stopped, not fired
            task._set_state(TaskState.COMPLETED)
        else:
            kept.append(task)
    return finished, kept


if getattr(BoundaryEventJoin._check_threshold_structured, "__name__", "") != (
    _keep_what_cycles_spawned.__name__
):
    BoundaryEventJoin._check_threshold_structured = _keep_what_cycles_spawned  # type: ignore[method-assign]


ERROR_CODE = "stroom_error_code"
ERROR_MESSAGE = "stroom_error_message"  # a handler's BpmnError message (app.engine.jobs)


def _catch_error(self: Any, my_task: Any, event: Any = None) -> None:
    my_task.internal_data[ERROR_CODE] = getattr(event.event_definition, "code", None)
    my_task.internal_data[ERROR_MESSAGE] = getattr(event, "stroom_message", None)
    ItemAwareEventDefinition.catch(self, my_task, event)


def _error_data(self: Any, my_task: Any) -> None:
    ItemAwareEventDefinition.update_task_data(self, my_task)
    ext = getattr(my_task.task_spec, "extensions", None) or {}
    code = my_task.internal_data.get(ERROR_CODE)
    if ext.get("error_code_variable"):
        my_task.data[ext["error_code_variable"]] = code
    if ext.get("error_message_variable"):
        thrown = my_task.internal_data.get(ERROR_MESSAGE)
        modelled = (ext.get("error_messages") or {}).get(code)
        my_task.data[ext["error_message_variable"]] = thrown or modelled


ErrorEventDefinition.catch = _catch_error  # type: ignore[method-assign]
ErrorEventDefinition.update_task_data = _error_data  # type: ignore[method-assign]
