"""Corrections to SpiffWorkflow 3.2 where it runs a diagram differently from Camunda 7.

Imported by `app.engine.parser` (and so by everything that parses or restores a spec).

- A non-interrupting cycle timer (`R/PT1H`, `cancelActivity="false"`) spawns each branch as a
  child of the waiting timer task. When the host activity completes, SpiffWorkflow cancels
  the waiting timer, and with it every branch it spawned that is still running. Camunda 7
  only stops the timer: what it spawned runs on. Here the timer is marked completed instead
  of cancelled when it has spawned branches, so it stops firing and they keep running.
- A non-interrupting signal, message or conditional boundary event listens as long as its
  host is active, as in Camunda 7: each signal, matching message or variable change that
  makes its condition true spawns its path beside the host (SpiffWorkflow fires it once).
  Like a cycle timer, it keeps what it spawned when the host completes.
- A conditional event fires when the engine says so (app/engine/conditions.py: on arrival
  and after every change of the variables, over the case's variables); SpiffWorkflow would
  evaluate the condition on its own, over the waiting task's stale copy of the data.
- An error boundary event with `camunda:errorCodeVariable` / `errorMessageVariable` stores
  the code of the error it caught and its message: a handler's BpmnError message, else the
  error's `camunda:errorMessage` (the parser keeps them in the boundary event's
  `extensions`); SpiffWorkflow has no such variables.
- A cycle counted in months or years (`R/P3M`) fires on the same day of the month each time
  (below).
- A parallel or inclusive join merges what each branch *changed* since the branches split.
  SpiffWorkflow gives every branch its own copy of the variables and merged the copies
  whole, the last branch to arrive winning: a variable one branch wrote was overwritten by
  the other branch's stale copy. Camunda 7 keeps one variable per scope, so a write in one
  branch stays unless another branch writes the same variable later.
- A sequence flow's condition must come out true or false, as in Camunda 7 ("condition
  expression returns non-Boolean"); anything else is an error at the gateway (an incident).
  SpiffWorkflow took Python's truthiness: the text "false" chose the path as if true.
- A signal thrown by a diagram (intermediate throw or end event) carries no variables, as in
  Camunda 7 without `camunda:in` (SpiffWorkflow copies the thrower's whole data into every
  catcher), and reaches every waiting subscription: those of this instance here, those of
  other instances (and signal start events) by the engine once this instance is saved
  (`THROWN_SIGNALS`, app/engine/signals.py).
"""

from __future__ import annotations

import calendar
import logging
import re
from copy import deepcopy
from datetime import UTC, datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.bpmn_task_spec import _BpmnCondition
from SpiffWorkflow.bpmn.specs.control import BoundaryEventJoin, BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.base import EventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.conditional import ConditionalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import (
    ErrorEventDefinition,
    ItemAwareEventDefinition,
    SignalEventDefinition,
)
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity
from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.util.task import TaskState

from app import clock

# SpiffWorkflow builds every log record's extras before it logs, and while its loggers' own
# level is below INFO (NOTSET counts) it walks the whole tree into them ("Workflow completed":
# one walk per finished instance) and attaches each task's data. Their INFO lines (every
# state change of every task) are for debugging the engine: WARNING unless someone set a
# level (app/log_config.py sets DEBUG when the log level is DEBUG).
SPIFF_LOGGERS = ("spiff.task", "spiff.workflow", "spiff.data", "spiff.dmn")
for _name in SPIFF_LOGGERS:
    if logging.getLogger(_name).level == logging.NOTSET:
        logging.getLogger(_name).setLevel(logging.WARNING)

CYCLE_STOPPED = "stroom_cycle_stopped"
# Non-interrupting boundary events that stay subscribed while their host is active.
REPEATING = (SignalEventDefinition, MessageEventDefinition, ConditionalEventDefinition)
_original = BoundaryEventJoin._check_threshold_structured


def _keep_what_cycles_spawned(self: Any, my_task: Any) -> tuple[bool, list[Any]]:
    finished, cancel = _original(self, my_task)
    if not finished:
        return finished, cancel
    kept = []
    for task in cancel:
        spec = task.task_spec
        if (
            isinstance(
                getattr(spec, "event_definition", None),
                (CycleTimerEventDefinition, *REPEATING),
            )
            and not getattr(spec, "cancel_activity", True)
            and task.children
        ):
            # Cycle timers and repeating signal and message boundaries predict no children:
            # these are the branches it spawned.
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


# A cycle in months or years (`R/P3M`, "ieder kwartaal") fires on the same day of the month
# each time, counted from its first firing, as Camunda computes each next date from the
# period; SpiffWorkflow turns the period into days once (3 months = 89 to 92 days) and then
# drifts (twelve talks later, weeks off the quarter).
_CALENDAR_PERIOD = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")
_original_cycle_complete = CycleTimerEventDefinition.cycle_complete


def _calendar_period(expression: str) -> tuple[int, int] | None:
    """(months, days) of the cycle's period when it counts months or years, else None."""
    for part in expression.upper().strip().split("/"):
        match = _CALENDAR_PERIOD.match(part)
        if match and (match.group(1) or match.group(2)):
            years, months, weeks, days = (int(g or 0) for g in match.groups())
            return 12 * years + months, 7 * weeks + days
    return None


def _shifted(first: datetime, months: int, days: int) -> datetime:
    """`first` plus months (the month's last day when the day does not exist) and days, on
    Amsterdam's calendar, so a firing at midnight stays at midnight across summer time."""
    local = first.astimezone(clock.AMSTERDAM)
    total = local.month - 1 + months
    year, month = local.year + total // 12, total % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    moved = local.replace(year=year, month=month, day=day) + timedelta(days=days)
    return moved.replace(tzinfo=None).replace(tzinfo=clock.AMSTERDAM).astimezone(UTC)


def _calendar_cycle_complete(self: Any, my_task: Any) -> bool:
    event_value = my_task._get_internal_data("event_value")
    if event_value is None:
        expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
        period = _calendar_period(str(expression))
        if period is None:
            return _original_cycle_complete(self, my_task)
        cycles, start, duration = self.parse_iso_recurring_interval(str(expression))
        if len(str(expression).strip().split("/")) == 2:  # R/P3M: the first one period from now
            start = _shifted(clock.now(), *period)
        event_value = {
            "cycles": cycles,
            "next": start.isoformat(),
            "duration": duration.total_seconds(),
            "first": start.isoformat(),
            "period": list(period),
            "fired": 0,
        }
        my_task._set_internal_data(event_value=event_value)
    if "period" not in event_value:  # a fixed period, or stored before this correction
        return _original_cycle_complete(self, my_task)
    ready = False
    if event_value["cycles"] != 0:
        if datetime.fromisoformat(event_value["next"]) <= clock.now():  # as spiff_clock
            fired = event_value["fired"] + 1
            months, days = event_value["period"]
            first = datetime.fromisoformat(event_value["first"])
            event_value["next"] = _shifted(first, months * fired, days * fired).isoformat()
            event_value["fired"] = fired
            event_value["cycles"] -= 1
            ready = True
    else:
        my_task.internal_data.pop("event_value", None)
        my_task.internal_data["event_fired"] = True
        return False
    my_task._set_internal_data(event_value=event_value)
    return ready


CycleTimerEventDefinition.cycle_complete = _calendar_cycle_complete  # type: ignore[method-assign]


def _lineage(task: Any) -> list[Any]:
    """The task and its ancestors, through the sub-process task a sub-workflow runs in."""
    found = []
    node = task
    while node is not None:
        found.append(node)
        parent = node.parent
        if parent is None and getattr(node.workflow, "parent_task_id", None) is not None:
            parent = node.workflow.top_workflow.get_task_from_id(node.workflow.parent_task_id)
        node = parent
    return found


def _split_data(branches: list[Any]) -> dict[str, Any]:
    """The variables as they were where the branches split: the data of the deepest task
    all of them descend from."""
    ancestors = _lineage(branches[0])
    common = set(map(id, ancestors))
    for branch in branches[1:]:
        common &= set(map(id, _lineage(branch)))
    for node in ancestors:
        if id(node) in common:
            return node.data
    return {}


def merged_changes(tasks: list[Any]) -> dict[str, Any]:
    """The variables of several branches as one scope, as Camunda 7 keeps them: where they
    split, with what each branch changed since (a later change wins). A branch's untouched
    copy of a variable is not a change, so it does not bring back an old value."""
    if not tasks:
        return {}
    base = _split_data(tasks)
    merged = dict(base)
    for task in sorted(tasks, key=lambda t: t.last_state_change):
        for name, value in task.data.items():
            if name not in base or base[name] != value:
                merged[name] = value
    return merged


def _earlier_arrivals(join: Any) -> list[Any]:
    """The join tasks of the branches that reached the join of `join` before it (SpiffWorkflow
    cancels each when the next arrives; only the latest waits), oldest first."""
    others = [
        t
        for t in join.workflow.tasks.values()
        if t.task_spec == join.task_spec
        and t.has_state(TaskState.FINISHED_MASK)
        and not join.is_descendant_of(t)
    ]
    others.sort(key=lambda t: t.last_state_change)
    return others


def waiting_branches(workflow: Any) -> list[Any]:
    """The last task of every branch waiting at a join of `workflow` (one scope) that has
    not fired yet (an end event's path waits at its scope's end join): what the join will
    merge. A join task holds no variables until it fires, so without these a branch that
    ended in an earlier transition would be invisible until then."""
    found = []
    for join in workflow.tasks.values():  # this scope's own tasks only
        if join.state == TaskState.WAITING and isinstance(join.task_spec, UnstructuredJoin):
            found.extend(t.parent for t in (*_earlier_arrivals(join), join) if t.parent)
    return found


def _join_changes(self: Any, my_task: Any) -> bool:
    others = _earlier_arrivals(my_task)
    arriving = [t.parent for t in others] + [my_task.parent]
    base = _split_data(arriving)
    merged = deepcopy(base)
    for branch in arriving:  # in the order they arrived: a later write wins, as in Camunda
        for name, value in branch.data.items():
            if name not in base or base[name] != value:
                merged[name] = deepcopy(value)
    for task in others:
        if task.has_state(TaskState.COMPLETED):  # as SpiffWorkflow: a reset branch's rest
            task._drop_children(force=True)
    my_task.data = merged
    return True


UnstructuredJoin._run_hook = _join_changes  # type: ignore[method-assign]

# (signal name, element id, task id) of the signals a run threw, kept on the top workflow
# object (not serialised) until the Execution saves the instance and broadcasts them.
THROWN_SIGNALS = "stroom_thrown_signals"


def _throw_signal(self: Any, my_task: Any) -> None:
    top = my_task.workflow.top_workflow
    unhandled = len(top.bpmn_events)
    top.catch(BpmnEvent(self, payload=None))
    del top.bpmn_events[unhandled:]  # nobody here waits: not an event for the host to keep
    thrown = top.__dict__.setdefault(THROWN_SIGNALS, [])
    thrown.append((self.name, my_task.task_spec.bpmn_id, str(my_task.id)))


SignalEventDefinition.throw = _throw_signal  # type: ignore[method-assign]


_original_boundary_catch = BoundaryEvent.catch


_LIVE = TaskState.WAITING | TaskState.READY | TaskState.STARTED


def _inner_writes(my_task: Any) -> dict[str, Any]:
    """What the embedded sub-process a boundary event is attached to wrote since it was
    entered: its live tasks, branches waiting at its joins and its last finished task, as one
    scope. In Camunda 7 those variables are the process's by then; SpiffWorkflow keeps them
    in the sub-workflow, which the interruption throws away."""
    split = my_task.parent
    if split is None or not isinstance(split.task_spec, BoundaryEventSplit):
        return {}
    hosts = [c for c in split.children if not isinstance(c.task_spec, BoundaryEvent)]
    # A called process's variables reach the caller only through its out-mappings, which an
    # interruption does not apply (as in Camunda 7).
    # (Camunda's parser makes an embedded sub-process a CallActivity spec too: it is the one
    # whose sub-workflow is its own element.)
    if not hosts or not isinstance(hosts[0].task_spec, CallActivity):
        return {}
    if hosts[0].task_spec.spec != hosts[0].task_spec.bpmn_id:
        return {}
    host = hosts[0]
    top = my_task.workflow.top_workflow
    inner = top.subprocesses.get(host.id)
    if inner is None:
        return {}
    scopes = [inner]
    for scope in scopes:  # nested sub-processes still running inside it
        scopes += [w for w in top.subprocesses.values() if w.parent_workflow is scope]
    tasks = [t for w in scopes for t in w.tasks.values() if t.has_state(_LIVE)]
    for scope in scopes:
        tasks += waiting_branches(scope)
    finished = [t for t in inner.tasks.values() if t.has_state(TaskState.FINISHED_MASK)]
    if finished:
        tasks.append(max(finished, key=lambda t: t.last_state_change))
    merged = merged_changes(tasks)
    entered = host.data
    return {k: v for k, v in merged.items() if k not in entered or entered[k] != v}


def _repeating_boundary(self: Any, my_task: Any, event: Any) -> None:
    if self.cancel_activity or not isinstance(self.event_definition, REPEATING):
        _original_boundary_catch(self, my_task, event)
        return
    payload = event.payload or {}
    for output in self.outputs:
        child = my_task._add_child(output, TaskState.FUTURE)
        child.task_spec._predict(child, mask=TaskState.NOT_FINISHED_MASK)
        child.task_spec._update(child)
        child.data.update(payload)
    # Still waiting (not fired): the next signal or message spawns another path.


_original_boundary_predict = BoundaryEvent._predict_hook


def _predict_no_single_path(self: Any, my_task: Any) -> None:
    # Like a cycle timer's: what it spawns is added when an event comes, not predicted once.
    if self.cancel_activity or not isinstance(self.event_definition, REPEATING):
        _original_boundary_predict(self, my_task)


_original_boundary_run = BoundaryEvent._run_hook


def _interrupting_run(self: Any, my_task: Any) -> Any:
    # Before the host is cancelled (when this event's path reaches the boundary join).
    if self.cancel_activity:
        my_task.data.update(deepcopy(_inner_writes(my_task)))
    return _original_boundary_run(self, my_task)


if getattr(BoundaryEvent.catch, "__name__", "") != _repeating_boundary.__name__:
    BoundaryEvent._run_hook = _interrupting_run  # type: ignore[method-assign]
    BoundaryEvent.catch = _repeating_boundary  # type: ignore[method-assign]
    BoundaryEvent._predict_hook = _predict_no_single_path  # type: ignore[method-assign]


# Fired by app/engine/conditions.py (catch), never by evaluating on its own.
ConditionalEventDefinition.has_fired = EventDefinition.has_fired  # type: ignore[method-assign]


def _boolean_condition(self: Any, task: Any) -> bool:
    value = task.workflow.script_engine.evaluate(
        task, self.args[0], external_context=task.workflow.data_objects
    )
    if not isinstance(value, bool):
        raise WorkflowTaskException(
            f"voorwaarde {self.args[0]!r} geeft geen waar of onwaar maar {value!r}: "
            "vergelijk de waarde, bijvoorbeeld ${akkoord == true} of ${bedrag > 0}",
            task=task,
        )
    return value


_BpmnCondition._matches = _boolean_condition  # type: ignore[method-assign]
