"""Tasks as people and partner systems see them: only their own groups' tasks, and only
the fields the catalogue lets their party write. The engine's service does the work; this
module decides who may ask for it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, or_
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.db import Database
from app.engine import queries, service
from app.engine.errors import Conflict, InvalidInput, NotFound
from app.engine.models import HumanTask, HumanTaskGroup, ProcessInstance
from app.engine.runtime import version_catalogue
from app.privacy import access, logs


def is_candidate(principal: Principal, task: HumanTask) -> bool:
    if principal.is_system:
        return True
    if principal.kind == "user" and principal.name in (task.candidate_users or []):
        return True
    return bool(principal.groups & set(task.candidate_groups or []))


def may_see(principal: Principal, task: HumanTask) -> bool:
    return is_candidate(principal, task) or (
        principal.kind == "user" and task.assignee == principal.name
    )


def visible_task(session: Session, principal: Principal, task_id: str) -> HumanTask:
    task = session.get(HumanTask, task_id)
    if task is None or not may_see(principal, task):
        raise NotFound(f"taak {task_id} bestaat niet")
    return task


def visibility_filter(principal: Principal) -> Any:
    """SQL condition: the tasks this principal may see."""
    if principal.is_system:
        return True
    in_group = exists().where(
        and_(
            HumanTaskGroup.task_id == HumanTask.id,
            HumanTaskGroup.group_key.in_(sorted(principal.groups)),
        )
    )
    if principal.kind == "user":
        return or_(in_group, HumanTask.assignee == principal.name)
    return in_group


def list_tasks(session: Session, principal: Principal, **filters: Any) -> queries.Page:
    return queries.list_tasks(session, extra=visibility_filter(principal), **filters)


def claim(
    db: Database,
    session: Session,
    principal: Principal,
    task_id: str,
    user: str | None,
    reason: str | None,
    secret_key: str,
) -> HumanTask:
    task = visible_task(session, principal, task_id)
    if principal.kind == "user":
        if user not in (None, principal.name):
            raise InvalidInput(
                "alleen voor uzelf claimen",
                {"user": ["een taak toewijzen aan een ander is verdelen"]},
            )
        user = principal.name
        if not is_candidate(principal, task):
            raise NotFound(f"taak {task_id} bestaat niet")
    if not user:
        raise InvalidInput("gebruiker ontbreekt", {"user": ["verplicht voor een API-token"]})
    result = service.claim_task(session, task.id, user, principal.actor, reason)
    logs.audit(
        db,
        secret_key,
        principal,
        "taak.claimen",
        "taak",
        task_id,
        details={"gebruiker": user, "reden": reason},
    )
    return result


def release(
    db: Database,
    session: Session,
    principal: Principal,
    task_id: str,
    reason: str | None,
    secret_key: str,
) -> HumanTask:
    task = visible_task(session, principal, task_id)
    if principal.kind == "user" and task.assignee not in (None, principal.name):
        raise Conflict(
            f"taak is geclaimd door {task.assignee}; alleen die of een teamleider kan hem vrijgeven"
        )
    result = service.unclaim_task(session, task.id, principal.actor, reason)
    logs.audit(
        db, secret_key, principal, "taak.vrijgeven", "taak", task_id, details={"reden": reason}
    )
    return result


def complete(
    db: Database,
    session: Session,
    principal: Principal,
    task_id: str,
    data: dict[str, Any] | None,
    secret_key: str,
) -> ProcessInstance:
    task = visible_task(session, principal, task_id)
    if principal.kind == "user" and task.assignee not in (None, principal.name):
        raise Conflict(f"taak is geclaimd door {task.assignee}")
    instance = session.get(ProcessInstance, task.instance_id)
    assert instance is not None
    catalogue = version_catalogue(session, instance.version_id)
    values = service.check_data(data)
    access.check_writable(catalogue, task.party, instance.phase, values, principal)
    row = service.complete_task(session, task.id, values, principal.actor)
    access.record_write(
        db,
        secret_key,
        principal,
        row,
        sorted(values),
        catalogue,
        "taak.afronden",
        f"taak {task.name}",
    )
    return row
