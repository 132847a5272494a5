"""A case's history as one viewer may see it: what happened and to which task, without the
diagram's element ids; people only from the viewer's organisation; consent events only for the
scopes the viewer may see. For the case page and the task page's side panel."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.principal import Principal, actor_label
from app.cases.sight import Sight, own_actors
from app.engine.models import HumanTask, InstanceEvent, ProcessInstance


def case_timeline(
    session: Session,
    principal: Principal,
    row: ProcessInstance,
    seen: Sight,
    newest_first: bool = False,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """The case's history as the viewer may see it (see the module's docstring): for the
    case page and the task page's side panel."""
    query = select(InstanceEvent).where(InstanceEvent.instance_id == row.id)
    query = query.order_by(InstanceEvent.id.desc() if newest_first else InstanceEvent.id)
    events = [e for e in session.scalars(query) if _event_shown(e, seen)][:limit]
    task_ids = sorted({e.task_id for e in events if e.task_id})
    names: dict[str, str] = {
        task_id: name
        for task_id, name in session.execute(
            select(HumanTask.id, HumanTask.name).where(HumanTask.id.in_(task_ids))
        )
    }
    own = own_actors(session, principal, {e.actor for e in events if e.actor})
    return [_event(e, seen, own, names) for e in events]


def _event_shown(event: InstanceEvent, seen: Sight) -> bool:
    if event.kind.startswith("toestemming_"):
        return (event.details or {}).get("scope") in seen.consent_scopes
    return True


def _event(
    event: InstanceEvent, seen: Sight, own: set[str], task_names: dict[str, str]
) -> dict[str, Any]:
    subject = None
    if event.task_id and event.task_id in task_names:
        subject = task_names[event.task_id]
    elif event.kind.startswith("toestemming_") and seen.catalogue:
        scope = (event.details or {}).get("scope")
        subject = seen.catalogue.consents.get(scope, scope)
    return {"at": event.at, "kind": event.kind, "subject": subject, "actor": _own(event.actor, own)}


def _own(actor: str | None, own: set[str]) -> str | None:
    return actor_label(actor) if actor and actor in own else None
