"""Functions diagrams use to ask about the case's own course: `bereikt("element")`.

Task data is per branch: what a parallel branch or a boundary event's branch set is not seen
by the other branches. Whether an element has been passed is a fact of the instance, read
from its task tree.
"""

from __future__ import annotations

from SpiffWorkflow.util.task import TaskState

from app.engine.functions import register
from app.engine.runtime import current_execution
from app.engine.waits import element_id


@register("bereikt")
def bereikt(element: str) -> bool:
    """True when this case has completed the element with this id (in any sub-process): a
    boundary event that fired, a task that was done."""
    execution = current_execution()
    if execution is None:
        return False  # evaluated outside a case (deployment checks with sample data)
    workflow = execution.workflow
    for flow in (workflow, *workflow.subprocesses.values()):
        for task in flow.get_tasks(state=TaskState.COMPLETED):
            if element_id(task) == element:
                return True
    return False
