"""BPMN signals, broadcast as Camunda 7 broadcasts them.

A signal reaches every subscription waiting for its name at that moment, in every instance
(intermediate catch and boundary events, kept in `signal_subscription`: one indexed query, no
instance is loaded to look), and starts the latest version of every process that has a
signal start event for it (`signal_start`, written at deploy). Suspended instances do not
receive it (Camunda 7 skips them too).

It comes from outside (`POST /api/v1/bpmn-signals`, `stroom signal send`) with variables, or
from a diagram's throw (no variables; app/engine/spiff_fixes.py). Variables enter a receiving
instance only as its data catalogue allows: each must be a field of that process and pass its
rules, and the domains' checks of incoming data run, as for a message. One refusal anywhere
refuses the whole broadcast before any instance is touched; everything happens in the
caller's transaction.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from app.catalogue import check_values
from app.engine import failures, hooks
from app.engine.errors import CaseTooLarge, Conflict, InvalidInput
from app.engine.models import (
    InstanceStatus,
    ProcessDefinition,
    ProcessInstance,
    ProcessVersion,
    SignalStart,
    SignalSubscription,
    WaitStatus,
)
from app.engine.runtime import SIGNAL_DELIVERY, Execution, version_catalogue
from app.engine.service import check_data
from app.engine.waits import element_id

# A signal that wakes or starts an instance that throws a signal again, and so on: beyond
# this depth the diagrams throw in a circle (Camunda 7 would run until its stack overflows).
MAX_DEPTH = 20
_DEPTH: ContextVar[int] = ContextVar("stroom_signal_depth", default=0)


@dataclass
class Broadcast:
    name: str
    received: list[str] = field(default_factory=list)  # instances that caught it
    started: list[str] = field(default_factory=list)  # instances it started
    refused: list[str] = field(default_factory=list)  # too large to take it (an incident each)


def broadcast(
    session: Session,
    name: str,
    data: dict[str, Any] | None,
    actor: str | None,
    *,
    thrower: tuple[str, str | None] | None = None,
) -> Broadcast:
    """Send signal `name` to everyone waiting for it. `thrower` is (instance id, element id)
    of a diagram's throw: that instance caught its own share already."""
    values = check_data(data)
    depth = _DEPTH.get()
    if depth >= MAX_DEPTH:
        raise Conflict(
            f"signaal {name!r}: signalen wekken elkaar meer dan {MAX_DEPTH} keer na elkaar "
            "(de diagrammen gooien ze in een kring); niets is verstuurd"
        )
    skip = thrower[0] if thrower else None
    waiting = session.execute(
        select(SignalSubscription.instance_id, ProcessInstance.version_id)
        .join(ProcessInstance, ProcessInstance.id == SignalSubscription.instance_id)
        .where(
            SignalSubscription.signal_name == name,
            SignalSubscription.status == WaitStatus.WAITING.value,
            ProcessInstance.status != InstanceStatus.SUSPENDED.value,
        )
        .distinct()
    ).all()
    targets = sorted({(iid, vid) for iid, vid in waiting if iid != skip})
    latest = (
        select(
            ProcessVersion.definition_id,
            func.max(ProcessVersion.version).label("newest"),
        )
        .group_by(ProcessVersion.definition_id)
        .subquery()
    )
    starts = session.execute(
        select(SignalStart.element_id, ProcessVersion)
        .join(ProcessVersion, ProcessVersion.id == SignalStart.version_id)
        .join(
            latest,
            and_(
                latest.c.definition_id == ProcessVersion.definition_id,
                latest.c.newest == ProcessVersion.version,
            ),
        )
        .where(SignalStart.signal_name == name)
        .order_by(ProcessVersion.definition_id, SignalStart.element_id)
    ).all()
    _check_values(session, name, values, {v for _, v in targets} | {v.id for _, v in starts})

    details: dict[str, Any] = {"signal": name, "fields": sorted(values)}
    if thrower is not None:
        details["from"] = {"instance": thrower[0], "element": thrower[1]}
    result = Broadcast(name)
    token = _DEPTH.set(depth + 1)
    try:
        for instance_id, _version in targets:
            # One case that may not grow this large does not keep the signal from the others.
            try:
                with session.begin_nested():
                    delivered = _deliver(session, instance_id, name, values, actor, details)
            except CaseTooLarge as exc:
                failures.signal_refused(session, exc, name, actor)
                result.refused.append(instance_id)
                continue
            if delivered:
                result.received.append(instance_id)
        for start_event, version in starts:
            try:
                execution = Execution.create(
                    session, version, None, values, actor, start_event=start_event
                )
            except InvalidInput as exc:
                raise InvalidInput(
                    f"signaal {name!r} start proces {version.definition.key!r}: {exc.message}",
                    exc.fields,
                ) from exc
            execution.record("signal_received", start_event, None, details)
            execution.run_engine()
            result.started.append(execution.save().id)
    finally:
        _DEPTH.reset(token)
    return result


def _deliver(
    session: Session,
    instance_id: str,
    name: str,
    values: dict[str, Any],
    actor: str | None,
    details: dict[str, Any],
) -> bool:
    execution = Execution.open(session, instance_id, actor)
    if execution.row.status in (*InstanceStatus.ended(), InstanceStatus.SUSPENDED.value):
        return False  # changed since the query; the lock decides
    waiting = [
        t
        for t in execution.workflow.event_manager.tasks.values()
        if t.has_state(TaskState.WAITING)
        and isinstance(t.task_spec.event_definition, SignalEventDefinition)
        and t.task_spec.event_definition.name == name
    ]
    if not waiting:
        return False
    for check in hooks.incoming_data:
        check(session, execution, values)
    definition = waiting[0].task_spec.event_definition
    execution.workflow.catch(BpmnEvent(definition, payload=dict(values) if values else None))
    execution.variables_written = bool(values)
    for task in waiting:
        execution.record("signal_received", element_id(task), str(task.id), details)
    execution.run_engine()
    execution.save()
    return True


def _check_values(
    session: Session, name: str, values: dict[str, Any], version_ids: set[int]
) -> None:
    """Every value is a field of every receiving process's catalogue, valid by its rule."""
    if not values or not version_ids:
        return
    keys = dict(
        session.execute(
            select(ProcessVersion.id, ProcessDefinition.key)
            .join(ProcessDefinition)
            .where(ProcessVersion.id.in_(sorted(version_ids)))
        ).all()
    )
    errors: dict[str, list[str]] = {}
    for version_id in sorted(version_ids):
        catalogue = version_catalogue(session, version_id)
        process = keys.get(version_id, str(version_id))
        known = catalogue.fields if catalogue is not None else {}
        for field_name in values:
            if field_name not in known:
                errors.setdefault(field_name, []).append(
                    f"staat niet in de gegevenscatalogus van proces {process!r}, dat op "
                    "dit signaal wacht"
                )
        for field_name, problem in check_values(known, values).items():
            errors.setdefault(field_name, []).append(f"{problem} (proces {process!r})")
    if errors:
        raise InvalidInput(f"signaal {name!r}: gegevens die een ontvanger niet mag krijgen", errors)


def _deliver_thrown(
    session: Session, name: str, actor: str | None, thrower: tuple[str, str]
) -> None:
    broadcast(session, name, {}, actor, thrower=thrower)


if _deliver_thrown not in SIGNAL_DELIVERY:
    SIGNAL_DELIVERY[:] = [_deliver_thrown]
