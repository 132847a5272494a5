"""Read side of the engine: lists and details for the API, CLI and pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from app.engine.errors import InvalidInput, NotFound
from app.engine.models import (
    HumanTask,
    Incident,
    InstanceEvent,
    Job,
    MessageSubscription,
    ProcessDefinition,
    ProcessInstance,
    ProcessVersion,
    SignalSubscription,
    TaskStatus,
    Timer,
)
from app.pagination import decode_cursor, encode_cursor

MAX_PAGE = 200


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None


def list_definitions(session: Session) -> list[tuple[ProcessDefinition, ProcessVersion]]:
    rows = session.execute(
        select(ProcessDefinition, ProcessVersion)
        .join(ProcessVersion, ProcessVersion.definition_id == ProcessDefinition.id)
        .order_by(ProcessDefinition.key, ProcessVersion.version.desc())
    ).all()
    latest: dict[int, tuple[ProcessDefinition, ProcessVersion]] = {}
    for definition, version in rows:
        latest.setdefault(definition.id, (definition, version))
    return list(latest.values())


def get_definition(session: Session, key: str) -> ProcessDefinition:
    definition = session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == key))
    if definition is None:
        raise NotFound(f"proces {key!r} bestaat niet")
    return definition


def get_version(session: Session, key: str, number: int) -> ProcessVersion:
    version = session.scalar(
        select(ProcessVersion)
        .join(ProcessDefinition)
        .where(ProcessDefinition.key == key, ProcessVersion.version == number)
    )
    if version is None:
        raise NotFound(f"versie {number} van proces {key!r} bestaat niet")
    return version


def _limit(limit: int | None) -> int:
    if limit is None:
        return 50
    if limit < 1 or limit > MAX_PAGE:
        raise InvalidInput("ongeldige limit", {"limit": [f"tussen 1 en {MAX_PAGE}"]})
    return limit


def list_instances(
    session: Session,
    *,
    process: str | None = None,
    status: str | None = None,
    business_key: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    organisation_id: int | None = None,
) -> Page:
    """Instances, newest first; with an organisation, only those it plays a party in."""
    size = _limit(limit)
    query = select(ProcessInstance)
    if organisation_id is not None:
        from app.engine.models import InstanceParty

        query = query.where(
            ProcessInstance.id.in_(
                select(InstanceParty.instance_id).where(
                    InstanceParty.organisation_id == organisation_id
                )
            )
        )
    if process:
        query = query.where(ProcessInstance.definition_key == process)
    if status:
        query = query.where(ProcessInstance.status == status)
    if business_key:
        query = query.where(ProcessInstance.business_key == business_key)
    after = decode_cursor(cursor, 2)
    if after:
        started = _parse_dt(after[0])
        query = query.where(
            or_(
                ProcessInstance.started_at < started,
                and_(ProcessInstance.started_at == started, ProcessInstance.id < after[1]),
            )
        )
    rows = session.scalars(
        query.order_by(ProcessInstance.started_at.desc(), ProcessInstance.id.desc()).limit(size + 1)
    ).all()
    more = len(rows) > size
    rows = rows[:size]
    return Page(
        list(rows), encode_cursor([rows[-1].started_at.isoformat(), rows[-1].id]) if more else None
    )


def get_instance(session: Session, instance_id: str) -> ProcessInstance:
    row = session.get(ProcessInstance, instance_id)
    if row is None:
        raise NotFound(f"procesinstantie {instance_id} bestaat niet")
    return row


class InstanceDetails:
    """An instance with its wait states and history, readable like the row itself."""

    def __init__(self, row: ProcessInstance, parts: dict[str, list[Any]]) -> None:
        self.instance = row
        self.__dict__.update(parts)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.instance, name)


def instance_details(session: Session, row: ProcessInstance) -> InstanceDetails:
    def rows(model: Any, order: Any) -> list[Any]:
        return list(
            session.scalars(select(model).where(model.instance_id == row.id).order_by(order)).all()
        )

    open_tasks = [
        t for t in rows(HumanTask, HumanTask.created_at) if t.status == TaskStatus.OPEN.value
    ]
    return InstanceDetails(
        row,
        {
            "tasks": open_tasks,
            "timers": rows(Timer, Timer.due_at),
            "jobs": rows(Job, Job.id),
            "subscriptions": rows(MessageSubscription, MessageSubscription.id),
            "signal_subscriptions": rows(SignalSubscription, SignalSubscription.id),
            "incidents": rows(Incident, Incident.id),
            "history": rows(InstanceEvent, InstanceEvent.id),
        },
    )


def list_tasks(
    session: Session,
    *,
    status: str | None = "open",
    candidate_group: str | None = None,
    assignee: str | None = None,
    process: str | None = None,
    due_before: datetime | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    extra: Any = None,
) -> Page:
    from app.engine.models import HumanTaskGroup

    size = _limit(limit)
    query = select(HumanTask)
    if extra is not None and extra is not True:
        query = query.where(extra)
    if status:
        query = query.where(HumanTask.status == status)
    if candidate_group:
        query = query.where(
            HumanTask.id.in_(
                select(HumanTaskGroup.task_id).where(HumanTaskGroup.group_key == candidate_group)
            )
        )
    if assignee:
        query = query.where(HumanTask.assignee == assignee)
    if process:
        query = query.where(HumanTask.definition_key == process)
    if due_before:
        query = query.where(HumanTask.due_at < due_before)
    after = decode_cursor(cursor, 2)
    if after:
        created = _parse_dt(after[0])
        query = query.where(
            or_(
                HumanTask.created_at > created,
                and_(HumanTask.created_at == created, HumanTask.id > after[1]),
            )
        )
    rows = session.scalars(query.order_by(HumanTask.created_at, HumanTask.id).limit(size + 1)).all()
    more = len(rows) > size
    rows = rows[:size]
    return Page(
        list(rows), encode_cursor([rows[-1].created_at.isoformat(), rows[-1].id]) if more else None
    )


def _parse_dt(value: Any) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise InvalidInput("ongeldige cursor", {"cursor": ["is geen geldige cursor"]}) from exc
    if moment.tzinfo is None:
        raise InvalidInput("ongeldige cursor", {"cursor": ["is geen geldige cursor"]})
    return moment
