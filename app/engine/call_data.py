"""What a call activity passes to the process it calls and takes back, as Camunda 7 does.

Camunda 7 passes nothing by itself: `<camunda:in variables="all"/>` passes every variable of
the caller, `<camunda:in source="a" target="b"/>` (or `sourceExpression="${…}"`) one value
under the called process's name for it, and `camunda:out` the same way back. A source
variable that does not exist gives null, as in Camunda. SpiffWorkflow 3.2 always copies
everything both ways; the parser keeps the mappings in the call activity's `extensions`
(`call_in`, `call_out`), and this module makes the copies follow them. Imported by
`app.engine.parser`.

The caller keeps its own variables: without `camunda:out variables="all"`, only the mapped
targets change in the caller, whatever the called process wrote.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity


def _values(task: Any, mappings: list[dict[str, Any]]) -> dict[str, Any]:
    """The mapped values, read in `task`'s variables (a source expression is evaluated
    there by the sandboxed script engine, like any other expression)."""
    out: dict[str, Any] = {}
    for mapping in mappings:
        if "expression" in mapping:
            value = task.workflow.script_engine.evaluate(task, mapping["expression"])
        else:
            value = task.data.get(mapping["source"])
        out[mapping["target"]] = deepcopy(value)
    return out


def _mapping(spec: Any, kind: str) -> dict[str, Any] | None:
    return (getattr(spec, "extensions", None) or {}).get(f"call_{kind}")


_original_copy = CallActivity.copy_data
_original_update = CallActivity.update_data


def _copy_in(self: Any, my_task: Any, subworkflow: Any) -> None:
    mapping = _mapping(self, "in")
    if mapping is None:  # a spec stored before mappings were kept: it passed everything
        _original_copy(self, my_task, subworkflow)
        return
    start = subworkflow.get_next_task(
        subworkflow.task_tree, skip_subprocesses=True, spec_name="Start"
    )
    data = deepcopy(my_task.data) if mapping["all"] else {}
    data.update(_values(my_task, mapping["map"]))
    start.set_data(**data)


def _copy_out(self: Any, my_task: Any, subworkflow: Any) -> None:
    mapping = _mapping(self, "out")
    if mapping is None:
        _original_update(self, my_task, subworkflow)
        return
    end = subworkflow.last_task
    if mapping["all"]:
        my_task.data = deepcopy(end.data)
    my_task.data.update(_values(end, mapping["map"]))


if getattr(CallActivity.copy_data, "__name__", "") != _copy_in.__name__:
    CallActivity.copy_data = _copy_in  # type: ignore[method-assign]
    CallActivity.update_data = _copy_out  # type: ignore[method-assign]
