"""What callers do with instances: start, complete, claim, message, retry, suspend, cancel.

Each function works inside the caller's transaction and leaves the instance consistent; the
caller commits. Web requests, the CLI, workers and tests all come through here.
"""

from __future__ import annotations

import keyword
import logging
from typing import Any

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select, update
from sqlalchemy.orm import Session, contains_eager

from app import clock
from app.catalogue import check_values
from app.engine import conditions, failures, hooks
from app.engine.errors import CaseTooLarge, Conflict, EngineError, InvalidInput, NotFound
from app.engine.functions import all_functions
from app.engine.models import (
    HumanTask,
    Incident,
    IncidentStatus,
    InstanceStatus,
    Job,
    JobStatus,
    MessageSubscription,
    ProcessDefinition,
    ProcessInstance,
    ProcessVersion,
    TaskStatus,
    WaitStatus,
)
from app.engine.runtime import Execution, lock_task

log = logging.getLogger(__name__)

MAX_KEY_LENGTH = 200


def latest_version(session: Session, process_key: str) -> ProcessVersion:
    # The definition comes with it (a start reads its key): one statement, not two.
    version = session.scalar(
        select(ProcessVersion)
        .join(ProcessVersion.definition)
        .where(ProcessDefinition.key == process_key)
        .order_by(ProcessVersion.version.desc())
        .limit(1)
        .options(contains_eager(ProcessVersion.definition))
    )
    if version is None:
        raise NotFound(f"proces {process_key!r} is niet gedeployed")
    return version


def check_data(data: Any, field: str = "data") -> dict[str, Any]:
    """Data handed to the engine: an object whose keys are usable as variable names."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidInput("data moet een object zijn", {field: ["moet een JSON-object zijn"]})
    reserved = set(all_functions())
    errors: dict[str, list[str]] = {}
    for key in data:
        if not isinstance(key, str) or not key.isidentifier() or keyword.iskeyword(key):
            errors[f"{field}.{key}"] = ["is geen geldige variabelenaam"]
        elif key.startswith("_"):
            errors[f"{field}.{key}"] = ["namen met _ aan het begin zijn gereserveerd"]
        elif key in reserved:
            errors[f"{field}.{key}"] = ["is de naam van een functie voor diagrammen"]
    if errors:
        raise InvalidInput("ongeldige variabelen in data", errors)
    return data


def start_instance(
    session: Session,
    process_key: str,
    *,
    business_key: str | None = None,
    data: dict[str, Any] | None = None,
    actor: str | None = None,
    version: ProcessVersion | None = None,
) -> ProcessInstance:
    if business_key is not None and len(business_key) > MAX_KEY_LENGTH:
        raise InvalidInput("business key te lang", {"business_key": ["maximaal 200 tekens"]})
    version = version or latest_version(session, process_key)
    execution = Execution.create(session, version, business_key, check_data(data), actor)
    execution.run_engine()
    return execution.save()


def get_task(session: Session, task_id: str) -> HumanTask:
    task = session.get(HumanTask, task_id)
    if task is None:
        raise NotFound(f"taak {task_id} bestaat niet")
    return task


def _open_task(session: Session, task_id: str, actor: str | None) -> tuple[Execution, HumanTask]:
    """Lock the task's instance, then read the task under that lock."""
    execution, task = lock_task(session, task_id, actor)
    if task.status != TaskStatus.OPEN.value:
        raise Conflict(f"taak is al {task.status}")
    execution.require_active()
    return execution, task


def complete_task(
    session: Session, task_id: str, data: dict[str, Any] | None, actor: str | None
) -> ProcessInstance:
    execution, human = _open_task(session, task_id, actor)
    spiff_task = execution.task(task_id)
    if not spiff_task.has_state(TaskState.READY):
        raise Conflict("taak is niet meer open")
    values = check_data(data)
    for check in hooks.incoming_data:
        check(session, execution, values)
    stored = values
    execution.completing = human
    for take in hooks.task_data:
        stored = take(session, execution, stored, actor)
    spiff_task.set_data(**stored)
    execution.variables_written = bool(values)
    # An interrupting conditional boundary the task's own variables make true takes over
    # (Camunda 7 sets them before the task leaves): the task row closes as cancelled.
    if not conditions.before_leaving(execution, spiff_task):
        spiff_task.run()
        # The task row is closed by the wait-state diff at save, with this as completed_by.
        execution.completed_by[task_id] = actor
        execution.record("task_completed", human.element_id, human.id, {"fields": sorted(values)})
    execution.run_engine()
    return execution.save()


def claim_task(
    session: Session, task_id: str, user: str, actor: str | None, reason: str | None = None
) -> HumanTask:
    execution, human = _open_task(session, task_id, actor)
    if human.assignee and human.assignee != user:
        raise Conflict(f"taak is al geclaimd door {human.assignee}")
    human.assignee = user
    human.claimed_at = execution.now
    execution.record(
        "task_claimed", human.element_id, human.id, {"assignee": user, "reason": reason}
    )
    execution.save()
    return human


def unclaim_task(
    session: Session, task_id: str, actor: str | None, reason: str | None = None
) -> HumanTask:
    execution, human = _open_task(session, task_id, actor)
    previous = human.assignee
    human.assignee = None
    human.claimed_at = None
    execution.record(
        "task_unclaimed", human.element_id, human.id, {"previous": previous, "reason": reason}
    )
    execution.save()
    return human


def assign_task(
    session: Session, task_id: str, user: str | None, actor: str | None, reason: str | None = None
) -> HumanTask:
    """Reassign (or release, with user None) regardless of the current assignee."""
    execution, human = _open_task(session, task_id, actor)
    previous = human.assignee
    human.assignee = user
    human.claimed_at = execution.now if user else None
    execution.record(
        "task_assigned",
        human.element_id,
        human.id,
        {"previous": previous, "assignee": user, "reason": reason},
    )
    execution.save()
    return human


def deliver_message(
    session: Session,
    name: str,
    key: str | None,
    data: dict[str, Any] | None = None,
    actor: str | None = None,
) -> ProcessInstance:
    """Deliver a named message to the one instance waiting for it under this key."""
    values = check_data(data)
    subscriptions = session.scalars(
        select(MessageSubscription).where(
            MessageSubscription.message_name == name,
            MessageSubscription.correlation_key == key,
            MessageSubscription.status == WaitStatus.WAITING.value,
        )
    ).all()
    instances = sorted({s.instance_id for s in subscriptions})
    if not instances:
        raise NotFound(f"geen instantie wacht op bericht {name!r} met sleutel {key!r}")
    if len(instances) > 1:
        raise Conflict(
            f"{len(instances)} instanties wachten op bericht {name!r} met sleutel "
            f"{key!r}; de correlatie is niet eenduidig"
        )
    execution = Execution.open(session, instances[0], actor)
    execution.require_active()
    check_message_data(execution.catalogue, name, values)
    for check in hooks.incoming_data:
        check(session, execution, values)
    waiting = [
        t
        for t in execution.workflow.event_manager.tasks.values()
        if t.has_state(TaskState.WAITING)
        and getattr(t.task_spec.event_definition, "name", None) == name
    ]
    if not waiting:
        raise Conflict(f"instantie wacht niet meer op bericht {name!r}")
    from SpiffWorkflow.bpmn.util import BpmnEvent

    event = BpmnEvent(waiting[0].task_spec.event_definition, payload=values)
    execution.workflow.catch(event)
    execution.variables_written = bool(values)
    execution.record(
        "message_received",
        waiting[0].task_spec.bpmn_id,
        str(waiting[0].id),
        {"message": name, "key": key, "fields": sorted(values)},
    )
    execution.run_engine()
    return execution.save()


def check_message_data(catalogue: Any, name: str, values: dict[str, Any]) -> None:
    """A message brings what the catalogue says it must (`berichten`; the diagram reads it
    after the catch), each value by its field's rule."""
    if catalogue is None:
        return
    errors = {
        field: ["ontbreekt"]
        for field in catalogue.messages.get(name, [])
        if values.get(field) in (None, "")
    }
    errors.update({k: [v] for k, v in check_values(catalogue.fields, values).items()})
    if errors:
        raise InvalidInput(f"bericht {name!r} is niet compleet of niet geldig", errors)


def retry_incident(
    session: Session,
    incident_id: int,
    actor: str | None,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> ProcessInstance:
    """Run the failed step again, with `data` added to it first (a repair: the caller checked
    who may write it). A step that fails again keeps its open incident, with the new error
    (no second incident); `incident.status` tells the caller. A timer the worker could not
    fire (`timer_firing`) fires now; when that fails again (its save refused, its state too
    large) the transition is rolled back and the incident stays open saying why."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"incident {incident_id} bestaat niet")
    if incident.kind != failures.FIRING:
        return _retry(session, incident, actor, reason, data)
    failed: Exception
    try:
        with session.begin_nested():
            return _retry(session, incident, actor, reason, data)
    except CaseTooLarge as exc:
        failed = exc
    except EngineError:
        raise  # already resolved, suspended, bad data: the caller's answer
    except Exception as exc:  # noqa: BLE001 - the firing failed again: the incident says why
        log.exception("retry of incident %s failed", incident_id)
        failed = exc
    failures.retry_failed(session, incident_id, failed, actor, reason, clock.now())
    row = session.get(ProcessInstance, incident.instance_id, populate_existing=True)
    assert row is not None
    return row


def _retry(
    session: Session,
    incident: Incident,
    actor: str | None,
    reason: str | None,
    data: dict[str, Any] | None,
) -> ProcessInstance:
    execution = Execution.open(session, incident.instance_id, actor)
    session.refresh(incident)
    if incident.status != IncidentStatus.OPEN.value:
        raise Conflict("incident is al opgelost")
    if execution.row.status == InstanceStatus.SUSPENDED.value:
        raise Conflict("procesinstantie is opgeschort")
    incident.status = IncidentStatus.RESOLVED.value
    incident.resolved_at = execution.now
    incident.resolved_by = actor
    session.flush()  # the status computed at save must see this incident as resolved
    if data:
        if incident.spiff_task_id is None:
            raise Conflict("deze storing hoort bij geen stap; er is niets aan te vullen")
        execution.task(incident.spiff_task_id).data.update(check_data(data))
        execution.record(
            "incident_data_added",
            incident.element_id,
            incident.spiff_task_id,
            {"incident": incident.id, "fields": sorted(data), "reason": reason},
        )
    if incident.job_id is not None:
        # The job runs again from the start of its backoff, at the next worker tick.
        session.execute(
            update(Job)
            .where(Job.id == incident.job_id)
            .values(
                status=JobStatus.PENDING.value,
                attempts=0,
                next_attempt_at=execution.now,
                locked_by=None,
                locked_until=None,
            )
        )
    elif incident.spiff_task_id is not None and incident.kind != failures.FIRING:
        # (A timer the worker could not fire still waits, with its row: run_engine fires it.)
        task = execution.task(incident.spiff_task_id)
        if task.has_state(TaskState.ERROR):
            task._set_state(TaskState.READY)
        else:
            # The wait row could not be made (bad expression): make it now.
            for kind in ("task", "job", "timer", "message", "signal"):
                execution.forget_wait(kind, incident.spiff_task_id)
    if execution.row.status == InstanceStatus.ERROR.value:
        execution.row.status = InstanceStatus.RUNNING.value
    execution.run_engine()
    again = execution.take_incident(incident.spiff_task_id) if incident.spiff_task_id else None
    if again is not None:
        incident.status = IncidentStatus.OPEN.value
        incident.resolved_at = incident.resolved_by = None
        incident.message, incident.details = again.message, again.details
        execution.record(
            "incident_retry_failed",
            incident.element_id,
            incident.spiff_task_id,
            {"incident": incident.id, "reason": reason, "message": again.message[:500]},
        )
    else:
        execution.record(
            "incident_resolved",
            incident.element_id,
            incident.spiff_task_id,
            {"incident": incident.id, "reason": reason},
        )
    return execution.save()


def suspend_instance(
    session: Session, instance_id: str, actor: str | None, reason: str | None = None
) -> ProcessInstance:
    execution = Execution.open(session, instance_id, actor)
    execution.require_active()
    execution.row.suspended_status = execution.row.status
    execution.row.status = InstanceStatus.SUSPENDED.value
    execution.record("instance_suspended", details={"reason": reason})
    return execution.save()


def resume_instance(
    session: Session, instance_id: str, actor: str | None, reason: str | None = None
) -> ProcessInstance:
    execution = Execution.open(session, instance_id, actor)
    if execution.row.status != InstanceStatus.SUSPENDED.value:
        raise Conflict("procesinstantie is niet opgeschort")
    execution.row.status = execution.row.suspended_status or InstanceStatus.RUNNING.value
    execution.row.suspended_status = None
    execution.record("instance_resumed", details={"reason": reason})
    # Timers that came due while suspended fire now.
    execution.run_engine()
    return execution.save()


def cancel_instance(
    session: Session, instance_id: str, actor: str | None, reason: str | None = None
) -> ProcessInstance:
    execution = Execution.open(session, instance_id, actor)
    if execution.row.status in InstanceStatus.ended():
        raise Conflict(f"procesinstantie is al {execution.row.status}")
    execution.workflow.cancel()
    execution.row.status = InstanceStatus.CANCELLED.value
    execution.row.ended_at = execution.now
    execution.record("instance_cancelled", details={"reason": reason})
    session.execute(
        update(Incident)
        .where(Incident.instance_id == instance_id, Incident.status == IncidentStatus.OPEN.value)
        .values(status=IncidentStatus.RESOLVED.value, resolved_at=clock.now(), resolved_by=actor)
    )
    return execution.save()
