"""How large an instance's stored state may grow.

A diagram can make an instance grow without end: a non-interrupting message event
sub-process or boundary event that fires again and again, a loop that appends to a list
variable. Every save serializes the whole task tree, so such an instance would cost more on
every transition until the database or the worker gives out. `stored_state` is what the
save writes: the serialized state, checked against the settings `state_max_chars` (of JSON)
and `state_max_tasks` (of the task tree, sub-processes included). A transition that would
pass either is refused with `CaseTooLarge` (a 422) before any of it is written: the
caller's transaction rolls back, so nothing of it is stored. A person who caused it (a task
completion) gets the message; the worker (a timer, a job's result) opens an incident on the
instance instead (app/engine/failures.py).

A transition that does not make the state larger is never refused, nor one that ends the
instance: a case that is already too large (a limit lowered) can still be repaired, moved
or cancelled.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from SpiffWorkflow.bpmn import BpmnWorkflow

from app.config import Settings
from app.engine.budget import dutch
from app.engine.errors import CaseTooLarge
from app.engine.models import InstanceStatus, ProcessInstance
from app.engine.serializer import workflow_to_json

log = logging.getLogger(__name__)

MESSAGE = (
    "Deze zaak is te groot geworden om nog te wijzigen; er is niets opgeslagen. "
    "Neem contact op met de proceseigenaar."
)


@dataclass(frozen=True)
class StateLimits:
    max_chars: int
    max_tasks: int

    @classmethod
    def of(cls, settings: Settings) -> StateLimits:
        return cls(settings.state_max_chars, settings.state_max_tasks)


_LIMITS: list[StateLimits] = []


def limits() -> StateLimits:
    """The limits of this process: from the settings (STROOM_STATE_MAX_CHARS,
    STROOM_STATE_MAX_TASKS), read once."""
    if not _LIMITS:
        _LIMITS.append(StateLimits.of(Settings()))
    return _LIMITS[0]


def configure(value: StateLimits | None) -> None:
    """Set the limits (None: read them from the settings again); for tests and tools."""
    _LIMITS.clear()
    if value is not None:
        _LIMITS.append(value)


def task_count(workflow: BpmnWorkflow) -> int:
    return len(workflow.tasks) + sum(len(sub.tasks) for sub in workflow.subprocesses.values())


def stored_state(row: ProcessInstance, workflow: BpmnWorkflow) -> str:
    """The state to store for `row`, or CaseTooLarge when it may not grow this large."""
    text = workflow_to_json(workflow)
    before = len(row.state or "")
    if len(text) <= before or workflow.completed or row.status in InstanceStatus.ended():
        return text
    allowed = limits()
    problems = []
    if len(text) > allowed.max_chars:
        problems.append(
            f"de opgeslagen toestand zou {dutch(len(text))} tekens worden "
            f"(grens {dutch(allowed.max_chars)})"
        )
    tasks = task_count(workflow)
    if tasks > allowed.max_tasks:
        problems.append(f"{dutch(tasks)} stappen in de boom (grens {dutch(allowed.max_tasks)})")
    if not problems:
        return text
    detail = "; ".join(problems)
    log.warning("instance %s refused: state too large (%s)", row.id, detail)
    raise CaseTooLarge(MESSAGE, detail, row.id)
