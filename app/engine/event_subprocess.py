"""Event sub-processes (`bpmn:subProcess triggeredByEvent="true"`) as Camunda 7 runs them.

Measured on SpiffWorkflow 3.2 (tests/engine/test_event_subprocess.py keeps the diagrams):
an interrupting timer event sub-process runs beside the work it should cancel (the open
user task stays); a message or signal start inside an embedded sub-process is never
started (SpiffWorkflow only looks at the top process's starts), nor is one that waits
while the process already runs; an error thrown in the scope passes the event sub-process
by; and a scope whose work is done waits for its event sub-processes' timers before it
ends.

Here every event sub-process *listens* while its scope (the process or an embedded
sub-process) is active: its sub-process is started with the scope, so its start event is
an ordinary waiting catch event (a timer counted from the scope's start, a message
subscription, a signal subscription, or an error catch) and the instance's wait-state rows,
the worker's timers and message and signal delivery reach it like any other catch. When
it fires (`settle`, after every catch and timer refresh and in every engine run):

- it starts with the scope's variables as they are now (not as they were when the scope
  began);
- interrupting: everything else active in the scope is cancelled (open tasks leave the
  inbox, timers and subscriptions are withdrawn, the other listeners too); the scope ends
  when the event sub-process ends;
- non-interrupting: a new listener takes its place (a message, a signal, the next cycle of
  a timeCycle); the running one goes on beside the scope's work, which waits for it, and
  what it changes is merged at the scope's end as a parallel branch's changes are.

When the rest of a scope is done, its listeners are withdrawn and the scope ends. An
error (an error end event, or a handler's BpmnError without an error boundary) is caught
by the innermost scope that has an error event sub-process for its code (one with the
code before a catch-all), before a boundary event further out, as in Camunda 7.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.control import BpmnStartTask
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import EventSubprocess, SubWorkflowTask
from SpiffWorkflow.bpmn.util.event import EventManager
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

HANDLED = "stroom_evsub_handled"  # on a listener's start event once it fired and was settled
FIRED_DATA = "stroom_evsub_data"  # on the event sub-process task: the variables it started with
CYCLE_NEXT = "stroom_evsub_cycle"  # on a fired cycle start: the cycle's state for the next one
_HAS = "_stroom_has_event_subprocess"


# -- parsing: every event sub-process listens from its scope's start -----------------------

_original_connect = BpmnStartTask.connect_or_add_trigger


def _connect_listener(self: Any, task_spec: Any, sp_spec: Any) -> None:
    if not isinstance(task_spec, EventSubprocess):
        _original_connect(self, task_spec, sp_spec)
        return
    # SpiffWorkflow starts only timer ones with the scope and the others on a top-level
    # event; here all of them start with their scope, their start event waiting.
    self.connect(task_spec)
    task_spec.connect(self._wf_spec.end)


BpmnStartTask.connect_or_add_trigger = _connect_listener  # type: ignore[method-assign]


# -- what is what ---------------------------------------------------------------------------


def _start_event(sub: Any) -> Task | None:
    """The start event of an event sub-process's own sub-process (its only one: deploy)."""
    for task in sub.task_tree.children:
        if isinstance(task.task_spec, StartEvent):
            return task
    return None


def listener_start(task: Task) -> Task | None:
    """The start event of event sub-process task `task`, if it is still listening."""
    if not isinstance(task.task_spec, EventSubprocess) or not task.has_state(TaskState.STARTED):
        return None
    sub = task.workflow.top_workflow.subprocesses.get(task.id)
    if sub is None:
        return None
    start = _start_event(sub)
    if start is None or not start.has_state(TaskState.WAITING):
        return None
    return start


def _event_subprocess_task(start: Task) -> Task | None:
    """The event sub-process task whose sub-process `start` is the start event of."""
    wf = start.workflow
    if wf.parent_task_id is None:
        return None
    parent = wf.top_workflow.get_task_from_id(wf.parent_task_id)
    return parent if isinstance(parent.task_spec, EventSubprocess) else None


def _interrupting(start: Task) -> bool:
    ext = getattr(start.task_spec, "extensions", None) or {}
    return not ext.get("non_interrupting", False)


def has_event_subprocesses(workflow: BpmnWorkflow) -> bool:
    """Whether the instance's process or one of its sub-processes has an event
    sub-process (worked out once per spec)."""
    for spec in (workflow.spec, *workflow.subprocess_specs.values()):
        flag = spec.__dict__.get(_HAS)
        if flag is None:
            flag = any(isinstance(s, EventSubprocess) for s in spec.task_specs.values())
            spec.__dict__[_HAS] = flag
        if flag:
            return True
    return False


# -- the scope's variables now -------------------------------------------------------------


def scope_data(scope: Any) -> dict[str, Any]:
    """The variables of a scope as they are now: what its active tasks hold, the latest
    change last, looking into running embedded sub-processes."""
    found: list[Task] = []

    def collect(wf: Any) -> None:
        for task in wf.get_tasks(state=TaskState.READY | TaskState.STARTED | TaskState.WAITING):
            if task.workflow is not wf or isinstance(task.task_spec, EventSubprocess):
                continue
            sub = wf.top_workflow.subprocesses.get(task.id)
            if sub is not None and isinstance(task.task_spec, SubWorkflowTask):
                before = len(found)
                collect(sub)
                if len(found) > before:
                    continue
            found.append(task)

    collect(scope)
    data: dict[str, Any] = {}
    for task in sorted(found, key=lambda t: t.last_state_change):
        data.update(task.data)
    return deepcopy(data or scope.task_tree.data)


# -- firing ---------------------------------------------------------------------------------


def _respawn(event_sub: Task, fired: Task) -> None:
    """A fresh listener beside a non-interrupting event sub-process that fired."""
    definition = fired.task_spec.event_definition
    cycle = fired.internal_data.get(CYCLE_NEXT)
    if isinstance(definition, CycleTimerEventDefinition):
        if not cycle or cycle.get("cycles") == 0:
            return
    elif not isinstance(definition, MessageEventDefinition) and type(definition).__name__ != (
        "SignalEventDefinition"
    ):
        return  # a duration or date fires once
    child = event_sub.parent._add_child(event_sub.task_spec, TaskState.FUTURE)
    # Its path to the scope's end, as the first one's was predicted: without it what the
    # new one changes would never reach the scope's end.
    child.task_spec._predict(child, mask=TaskState.NOT_FINISHED_MASK)
    child.task_spec._update(child)
    if cycle:
        start = listener_start(child)
        if start is not None:
            start._set_internal_data(event_value=deepcopy(cycle))


def _is_error_listener(task: Task) -> bool:
    start = listener_start(task)
    return start is not None and isinstance(start.task_spec.event_definition, ErrorEventDefinition)


def _cancel_scope_except(scope: Any, keep: Task) -> None:
    for task in list(scope.task_tree.children):
        # The scope's error event sub-processes stay: in Camunda 7 they are the scope's
        # error handlers, not subscriptions, and catch an error the interrupting event
        # sub-process throws (never one it throws itself: it no longer listens).
        if task is not keep and not _is_error_listener(task):
            task.cancel()


def _scope_done(scope: Any) -> list[Task] | None:
    """The listeners of a scope whose other work is all done, else None."""
    listeners: list[Task] = []
    for task in scope.task_tree.children:
        if listener_start(task) is not None:
            listeners.append(task)
    if not listeners:
        return None
    ends = (scope.spec.end.name, "End")
    for task in scope.get_tasks(state=TaskState.NOT_FINISHED_MASK):
        if task.workflow is not scope or task.task_spec.name in ends:
            continue
        if any(task is t or task.is_descendant_of(t) for t in listeners):
            continue
        return None
    return listeners


def settle(workflow: BpmnWorkflow) -> None:
    """Act on event sub-processes that fired, and end scopes that only listen."""
    top = workflow.top_workflow
    if not has_event_subprocesses(top):
        return
    changed = True
    while changed:
        changed = False
        for sub_id, sub in list(top.subprocesses.items()):
            event_sub = top.get_task_from_id(sub_id)
            if not isinstance(event_sub.task_spec, EventSubprocess):
                continue
            if not event_sub.has_state(TaskState.STARTED) or sub.completed:
                continue
            start = _start_event(sub)
            if start is None or start.has_state(TaskState.WAITING | TaskState.CANCELLED):
                continue
            if start.internal_data.get(HANDLED):
                continue
            start.internal_data[HANDLED] = True
            _fire(event_sub, start)
            changed = True
        for scope in (top, *top.subprocesses.values()):
            if scope.completed:
                continue
            listeners = _scope_done(scope)
            if listeners:
                for task in listeners:
                    task.cancel()
                for join in scope.get_tasks(state=TaskState.WAITING):
                    if join.workflow is scope and join.task_spec.name == scope.spec.end.name:
                        join.task_spec._update(join)
                changed = True


def _fire(event_sub: Task, start: Task) -> None:
    scope = event_sub.workflow
    data = scope_data(scope)
    if start.has_state(TaskState.READY):  # a payload (message, error) is added when it runs
        start.data = deepcopy(data)
    if _interrupting(start):
        _cancel_scope_except(scope, event_sub)
    else:
        event_sub.internal_data[FIRED_DATA] = deepcopy(data)
        _respawn(event_sub, start)


_original_completed = SubWorkflowTask._on_subworkflow_completed


def _on_completed(self: Any, subworkflow: Any, my_task: Task) -> None:
    if my_task.has_state(TaskState.CANCELLED):
        return  # its scope was interrupted while a task inside it was finishing
    _original_completed(self, subworkflow, my_task)
    fired = my_task.internal_data.get(FIRED_DATA)
    if isinstance(self, EventSubprocess) and fired is not None:
        # Non-interrupting: what it changed since it started, on the variables its scope
        # began with, so the scope's end merges that as a parallel branch's changes
        # (app/engine/spiff_fixes.py) and does not undo later writes of the scope's work.
        changed = {k: v for k, v in my_task.data.items() if k not in fired or fired[k] != v}
        my_task.data = {**deepcopy(my_task.parent.data), **changed}


if getattr(SubWorkflowTask._on_subworkflow_completed, "__name__", "") != _on_completed.__name__:
    SubWorkflowTask._on_subworkflow_completed = _on_completed  # type: ignore[method-assign]


# A cycle start of an event sub-process fires the sub-process (SpiffWorkflow would run its
# path again and again under one waiting start event, which never counts as started).
_original_cycle_update = CycleTimerEventDefinition.update_task


def _cycle_update(self: Any, my_task: Task) -> None:
    if not isinstance(my_task.task_spec, StartEvent) or _event_subprocess_task(my_task) is None:
        _original_cycle_update(self, my_task)
        return
    if self.cycle_complete(my_task):
        my_task.internal_data[CYCLE_NEXT] = deepcopy(my_task._get_internal_data("event_value"))
        my_task._set_internal_data(event_fired=True)
        for output in my_task.task_spec.outputs:  # a cycle's path is never predicted
            child = my_task._add_child(output, TaskState.FUTURE)
            child.task_spec._predict(child, mask=TaskState.NOT_FINISHED_MASK)
        my_task._ready()


CycleTimerEventDefinition.update_task = _cycle_update  # type: ignore[method-assign]


# -- errors ---------------------------------------------------------------------------------


def error_listener(workflow: Any, code: str | None) -> Task | None:
    """The start event of the error event sub-process of `workflow` (a scope) that catches
    `code`: one with that code before a catch-all."""
    found = []
    for task in workflow.task_tree.children:
        start = listener_start(task)
        if start is None:
            continue
        definition = start.task_spec.event_definition
        if isinstance(definition, ErrorEventDefinition) and definition.code in (None, code):
            found.append(start)
    found.sort(key=lambda t: t.task_spec.event_definition.code is None)
    return found[0] if found else None


def catch_error_in_scopes(workflow: Any, event: Any) -> bool:
    """An error thrown in `workflow`: caught by the innermost scope's error event
    sub-process, unless an error boundary event of a scope on the way catches it first
    (then SpiffWorkflow's own catch delivers it, from that scope: `event.target`)."""
    manager = workflow.top_workflow.event_manager
    code = getattr(event.event_definition, "code", None)
    scope = workflow
    while scope is not None:
        start = error_listener(scope, code)
        if start is not None:
            start.task_spec.catch(start, event)
            start.task_spec._update(start)
            settle(scope)
            return True
        parent = scope.parent_workflow
        if any(
            t.workflow in (scope, parent) and t.task_spec.catches(t, event)
            for t in manager.tasks.values()
        ):
            event.target = scope
            return False
        scope = parent
    return False


_original_start_catches = StartEvent.catches


def _start_catches(self: Any, my_task: Task, event: Any) -> bool:
    # An error reaches an error event sub-process only through its scope (above); without
    # this, an error nobody in its scope catches would wake one anywhere in the instance.
    if isinstance(self.event_definition, ErrorEventDefinition):
        return False
    return bool(_original_start_catches(self, my_task, event))


StartEvent.catches = _start_catches  # type: ignore[method-assign]


_original_catch = EventManager.catch


def _catch(self: Any, event: Any, internal: bool = True) -> int:
    top = self.workflow
    if (
        event.target is not None
        and isinstance(event.event_definition, ErrorEventDefinition)
        and has_event_subprocesses(top)
        and catch_error_in_scopes(event.target, event)
    ):
        return 1
    caught = _original_catch(self, event, internal)
    settle(top)
    return caught


if getattr(EventManager.catch, "__name__", "") != _catch.__name__:
    EventManager.catch = _catch  # type: ignore[method-assign]

_original_refresh = BpmnWorkflow.refresh_timers


def _refresh_timers(self: Any) -> None:
    _original_refresh(self)
    settle(self)


if getattr(BpmnWorkflow.refresh_timers, "__name__", "") != _refresh_timers.__name__:
    BpmnWorkflow.refresh_timers = _refresh_timers  # type: ignore[method-assign]
