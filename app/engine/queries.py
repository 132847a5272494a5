"""Read side of the engine: lists and details for the API, CLI and pages."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, literal, or_, select, tuple_, union
from sqlalchemy.orm import Session

from app.engine.errors import InvalidInput, NotFound
from app.engine.models import (
    HumanTask,
    HumanTaskGroup,
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
    groups: Collection[str] | None = None,
    or_assigned_to: str | None = None,
) -> Page:
    """Tasks oldest first, a page at a time (keyset cursor on created_at, id).

    `groups`: only tasks offered to one of these candidate groups, or assigned to
    `or_assigned_to` (None: every task). Such a page is read per group from the group rows
    in list order (`ix_human_task_group_created`), cut at the page before any task is
    looked up, so it costs the same with a hundred open tasks as with a hundred thousand,
    also where the planner has no statistics yet (a semi-join from the task side was planned
    as a nested loop over all open tasks x all group rows there: 2.9 s at 6,000 open tasks,
    see bench/README.md)."""
    size = _limit(limit)
    after = decode_cursor(cursor, 2)
    start = (_parse_dt(after[0]), str(after[1])) if after else None
    if groups is None and candidate_group is None:
        query = _task_filters(select(HumanTask), status, assignee, process, due_before)
        if start:
            query = query.where(_after(HumanTask.created_at, HumanTask.id, start))
        rows = list(
            session.scalars(query.order_by(HumanTask.created_at, HumanTask.id).limit(size + 1))
        )
        return _page(rows, size)
    # The groups to read, and whether each task read must also be offered to
    # candidate_group (a group the principal does not belong to itself).
    keys, also_in = sorted(groups or []), candidate_group
    if candidate_group is not None and (groups is None or candidate_group in groups):
        keys, also_in = [candidate_group], None
    in_candidate_group = HumanTask.id.in_(
        select(HumanTaskGroup.task_id).where(HumanTaskGroup.group_key == candidate_group)
    )
    sources = []
    # Group rows exist for open tasks only (removed when a task closes).
    if status in (None, TaskStatus.OPEN.value):
        for key in keys:
            query = select(
                HumanTaskGroup.task_id.label("id"), HumanTaskGroup.created_at.label("at")
            ).where(HumanTaskGroup.group_key == key)
            if assignee or process or due_before or also_in:
                query = _task_filters(
                    query.join(HumanTask, HumanTask.id == HumanTaskGroup.task_id),
                    None,
                    assignee,
                    process,
                    due_before,
                )
                if also_in:
                    query = query.where(in_candidate_group)
            order = (HumanTaskGroup.created_at, HumanTaskGroup.task_id)
            if start:
                query = query.where(_after(*order, start))
            sources.append(query.order_by(*order).limit(size + 1).subquery().select())
    if or_assigned_to is not None:
        query = _task_filters(
            select(HumanTask.id.label("id"), HumanTask.created_at.label("at")).where(
                HumanTask.assignee == or_assigned_to
            ),
            status,
            assignee,
            process,
            due_before,
        )
        if candidate_group is not None:
            query = query.where(in_candidate_group)
        order = (HumanTask.created_at, HumanTask.id)
        if start:
            query = query.where(_after(*order, start))
        sources.append(query.order_by(*order).limit(size + 1).subquery().select())
    if not sources:
        return Page([], None)
    # UNION: a task offered to two of the groups, or also assigned, is listed once.
    merged = union(*sources).subquery()
    page = (
        select(merged.c.id, merged.c.at)
        .order_by(merged.c.at, merged.c.id)
        .limit(size + 1)
        .subquery()
    )
    # The page's tasks by id in the same statement (one round trip), once the page is cut.
    rows = session.scalars(
        select(HumanTask).join(page, page.c.id == HumanTask.id).order_by(page.c.at, page.c.id)
    )
    return _page(list(rows), size)


def _task_filters(
    query: Any,
    status: str | None,
    assignee: str | None,
    process: str | None,
    due_before: datetime | None,
) -> Any:
    if status:
        query = query.where(HumanTask.status == status)
    if assignee:
        query = query.where(HumanTask.assignee == assignee)
    if process:
        query = query.where(HumanTask.definition_key == process)
    if due_before:
        query = query.where(HumanTask.due_at < due_before)
    return query


def _after(at: Any, key: Any, start: tuple[datetime, str]) -> Any:
    """Keyset condition (at, key) > start, as one row comparison the index range starts at;
    the values bound with the columns' own types (UTC on SQLite)."""
    return tuple_(at, key) > tuple_(literal(start[0], at.type), literal(start[1], key.type))


def _page(rows: list[HumanTask], size: int) -> Page:
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
