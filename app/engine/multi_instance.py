"""Multi-instance activities as Camunda 7 runs them.

A `bpmn:multiInstanceLoopCharacteristics` on a user task, an external service or send task,
a script task or a plain task makes the activity a multi-instance body: it starts one
instance per element of `camunda:collection` (a variable holding a list, or a `${...}`
expression giving one), or `loopCardinality` instances; all at once, or one after the other
with `isSequential="true"`. Each instance has its own local variables: `camunda:elementVariable`
(its element), `loopCounter` (0, 1, ...), and the body's `nrOfInstances`,
`nrOfActiveInstances` and `nrOfCompletedInstances`. After each instance completes the
`completionCondition` is evaluated; when it holds, the instances still open are cancelled
and the flow continues. An empty collection (or cardinality 0) passes straight on.

What an instance writes (a form, a handler's outputs, a script) goes to the process scope as
in Camunda 7, where a variable that is not local to the instance is set where it lives: the
body merges what the instance *changed* into the process variables when it completes, and
the instances still open see the new value at once (one variable per scope, not a stale
copy per instance). The local variables never leave the instance: one instance cannot
overwrite another's element, and after the body they are gone. Deploy refuses a form, a
handler output or a script that writes a local variable (the value would be lost).

Why our own task spec and not SpiffWorkflow 3.2's Camunda multi-instance
(`SpiffWorkflow.camunda.specs.multiinstance_task`): that one rewrites the *shared* task spec
while an instance runs (specs are cached per version here, so instances would change each
other's diagram), writes the element variable back into the collection, drops everything
else an instance wrote when there is an element variable, knows none of Camunda's loop
variables and evaluates the completion condition without them. Its BPMN base
(`SpiffWorkflow.bpmn.specs.mixins.multiinstance_task.MultiInstanceTask`) is kept: instances
are child tasks of the body in the task tree, each with its own task id (its own row in the
inbox), serialised by SpiffWorkflow's own converter; what we add is how instances are
created, merged and counted.

Sub-processes and call activities are refused as hosts (app/engine/vocabulary.py): an
instance of one runs on SpiffWorkflow's copy of the variables in its own workflow, copied
back whole at its end, so parallel instances would put back each other's old values; the
merge here only sees the instance task itself.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from copy import deepcopy
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.mixins.bpmn_spec_mixin import BpmnSpecMixin
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.util.task import TaskState

LOCALS = "stroom_locals"  # internal data of an instance: the names local to it
LOOP_VARIABLES = ("loopCounter", "nrOfInstances", "nrOfActiveInstances", "nrOfCompletedInstances")
MAX_INSTANCES = 1000  # per multi-instance activity run

EXTENSION = "multi_instance"  # in `extensions` of the body and of its inner task spec


class CamundaMultiInstanceTask(MultiInstanceTask, BpmnSpecMixin):
    """The multi-instance body. `cardinality` and `condition` are Python expressions
    (translated from JUEL by the parser); `extensions["multi_instance"]` holds
    `collection` (an expression), `element_variable` and `sequential`."""

    @property
    def settings(self) -> dict[str, Any]:
        return (getattr(self, "extensions", None) or {}).get(EXTENSION) or {}

    def connect_instances(self) -> None:
        """Completing an instance merges it into the body. SpiffWorkflow's spec converter
        connects this when it restores a spec; a spec fresh from the parser is connected
        when its first body starts."""
        inner = self._wf_spec.task_specs[self.task_spec]
        if not inner.completed_event.is_connected(self.merge_child):
            inner.completed_event.connect(self.merge_child)

    def _update_hook(self, my_task: Any) -> bool | None:
        super()._update_hook(my_task)
        self.connect_instances()
        count, items = self._resolve(my_task)
        my_task.internal_data["merged"] = []
        my_task.internal_data["count"] = count
        if items is not None:
            my_task.internal_data["items"] = items
        if count == 0:
            return True  # Camunda 7: no instances, the flow continues
        for index in range(1 if self.settings.get("sequential") else count):
            self._add_instance(my_task, index)
        my_task._set_state(TaskState.STARTED)
        return None

    def _resolve(self, my_task: Any) -> tuple[int, list[Any] | None]:
        count, items = self._resolve_unbounded(my_task)
        if count > MAX_INSTANCES:
            # Each instance is a task with its own copy of the variables, saved with the
            # case: a collection of a million would make one transition unbounded.
            raise WorkflowTaskException(
                f"multi-instance met {count} instanties: meer dan {MAX_INSTANCES} per "
                "activiteit kan niet; verdeel het werk (bijvoorbeeld per groep van zaken)",
                task=my_task,
            )
        return count, items

    def _resolve_unbounded(self, my_task: Any) -> tuple[int, list[Any] | None]:
        engine = my_task.workflow.script_engine
        collection = self.settings.get("collection")
        if collection:
            value = engine.evaluate(my_task, collection)
            if not isinstance(value, list | tuple):
                raise WorkflowTaskException(
                    f"camunda:collection {collection!r} is geen lijst maar "
                    f"{type(value).__name__}: {value!r}",
                    task=my_task,
                )
            return len(value), list(value)
        value = engine.evaluate(my_task, self.cardinality)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise WorkflowTaskException(
                f"loopCardinality {self.cardinality!r} is geen geheel getal van 0 of meer: "
                f"{value!r}",
                task=my_task,
            )
        return value, None

    def _counts(self, my_task: Any, active: int) -> dict[str, int]:
        return {
            "nrOfInstances": my_task.internal_data["count"],
            "nrOfActiveInstances": active,
            "nrOfCompletedInstances": len(my_task.internal_data["merged"]),
        }

    def _open(self, my_task: Any) -> list[Any]:
        return [c for c in self._instances(my_task) if not c.has_state(TaskState.FINISHED_MASK)]

    def _add_instance(self, my_task: Any, index: int) -> None:
        inner = my_task.workflow.spec.task_specs[self.task_spec]
        child = my_task._add_child(inner, TaskState.WAITING)
        child.triggered = True
        child.internal_data["key_or_index"] = index
        child.task_spec._update(child)  # inherits the process variables from the body
        active = 1 if self.settings.get("sequential") else my_task.internal_data["count"]
        local = {"loopCounter": index, **self._counts(my_task, active)}
        variable = self.settings.get("element_variable")
        if variable:
            local[variable] = deepcopy(my_task.internal_data["items"][index])
        # Set after the inheritance: a local variable hides a process variable of that name.
        child.data.update(local)
        child.internal_data[LOCALS] = sorted(local)

    def merge_child(self, workflow: Any, child: Any) -> None:
        my_task = child.parent
        if my_task is None or my_task.task_spec is not self:
            return
        local = set(child.internal_data.get(LOCALS) or ())
        changed = {
            name: value
            for name, value in child.data.items()
            if name not in local and (name not in my_task.data or my_task.data[name] != value)
        }
        my_task.data.update(deepcopy(changed))
        split = my_task.parent
        if split is not None and isinstance(split.task_spec, BoundaryEventSplit):
            # A boundary event that fires later (and interrupts the body, whose data goes
            # with it) starts its path with what completed instances wrote: in Camunda 7
            # that is in the process scope by then. Its path inherits from the split.
            split.data.update(deepcopy(changed))
            for boundary in split.children:
                if boundary is not my_task and not boundary.has_state(TaskState.FINISHED_MASK):
                    boundary.data.update(deepcopy(changed))
        my_task.internal_data["merged"].append(str(child.id))
        sequential = bool(self.settings.get("sequential"))
        still_open = self._open(my_task)
        counts = self._counts(my_task, 1 if sequential else len(still_open))
        for sibling in still_open:  # they see the process variables as they are now
            sibling.data.update(deepcopy(changed))
            sibling.data.update(counts)
        child.data.update(counts)
        if self.condition and self._holds(child):
            for sibling in still_open:
                sibling.cancel()
            my_task._set_state(TaskState.READY)
        elif len(my_task.internal_data["merged"]) >= my_task.internal_data["count"]:
            my_task._set_state(TaskState.READY)
        elif sequential:
            self._add_instance(my_task, len(my_task.internal_data["merged"]))

    def _holds(self, child: Any) -> bool:
        value = child.workflow.script_engine.evaluate(child, self.condition)
        if not isinstance(value, bool):
            raise WorkflowTaskException(
                f"completionCondition {self.condition!r} geeft geen waar/onwaar maar {value!r}",
                task=child,
            )
        return value


def is_body(spec: Any) -> bool:
    """Whether a task spec is a multi-instance body (its inner spec has the element's
    extensions; the body only the loop's)."""
    return isinstance(spec, MultiInstanceTask)


def local_names(settings: dict[str, Any] | None) -> set[str]:
    """The variables local to each instance of a multi-instance activity."""
    if not settings:
        return set()
    names = set(LOOP_VARIABLES)
    if settings.get("element_variable"):
        names.add(settings["element_variable"])
    return names


def process_data(task: Any) -> dict[str, Any]:
    """A task's variables without those local to it (an instance's element and counters)."""
    local = task.internal_data.get(LOCALS)
    if not local:
        return task.data
    return {k: v for k, v in task.data.items() if k not in local}


def _collection_names(settings: dict[str, Any]) -> set[str]:
    try:
        tree = ast.parse(settings.get("collection") or "", mode="eval")
    except SyntaxError:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


def forget_elements(task: Any, keep: Callable[[str], bool]) -> set[str]:
    """Erasure: a multi-instance body keeps a copy of its collection (for the instances
    still to come) and each instance its element; when a field the collection is read from
    is erased, those copies go too. Returns the names removed."""
    spec = task.task_spec
    if is_body(spec):
        settings = spec.settings
        if "items" in task.internal_data and not all(map(keep, _collection_names(settings))):
            task.internal_data["items"] = [None] * len(task.internal_data["items"])
        return set()
    settings = (getattr(spec, "extensions", None) or {}).get(EXTENSION) or {}
    variable = settings.get("element_variable")
    if not variable or variable not in task.data or all(map(keep, _collection_names(settings))):
        return set()
    del task.data[variable]
    return {variable}
