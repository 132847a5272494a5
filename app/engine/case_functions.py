"""Functions diagrams use to ask about the case's own course: `element_bereikt("element")`
(done) and `element_gestart("element")` (begun: open or done). Names no case variable is
likely to have: a function name shadows a variable of that name.

Task data is per branch: what a parallel branch or a boundary event's branch set is not seen
by the other branches. Whether an element has been passed is a fact of the instance, read
from its task tree.
"""

from __future__ import annotations

from SpiffWorkflow.util.task import TaskState

from app.engine.functions import register
from app.engine.runtime import current_execution
from app.engine.waits import element_id


@register("element_bereikt")
def element_bereikt(element: str) -> bool:
    """True when this case has completed the element with this id (in any sub-process): a
    boundary event that fired, a task that was done."""
    return _has_task(element, TaskState.COMPLETED)


@register("element_gestart")
def element_gestart(element: str) -> bool:
    """True when this case has begun the element with this id (in any sub-process): a task
    that is open now or was done. For "is this already being handled in another branch?",
    where `element_bereikt` would wait until it is done."""
    return _has_task(element, _BEGUN)


_BEGUN = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.COMPLETED


def _has_task(element: str, states: int) -> bool:
    execution = current_execution()
    if execution is None:
        return False  # evaluated outside a case (deployment checks with sample data)
    workflow = execution.workflow
    # Every task, not get_tasks(state=...): that walk stops at a waiting task, and a
    # non-interrupting boundary event that still listens holds the branches it spawned.
    for flow in (workflow, *workflow.subprocesses.values()):
        for task in flow.tasks.values():
            if task.has_state(states) and element_id(task) == element:
                return True
    return False
