"""Small lookups the monitoring pages share: diagram elements, names of processes, teams
and people."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import Group, Organisation, User
from app.engine.models import ProcessDefinition, ProcessVersion


def version_elements(session: Session, version_id: int) -> dict[str, Any]:
    """{element id: {type, name, lane, ...}} of a deployed version, read once per session."""
    cache: dict[int, dict[str, Any]] = session.info.setdefault("manage_elements", {})
    if version_id not in cache:
        elements = session.scalar(
            select(ProcessVersion.elements).where(ProcessVersion.id == version_id)
        )
        cache[version_id] = dict(elements or {})
    return cache[version_id]


def element_name(session: Session, version_id: int, element_id: str | None) -> str:
    if not element_id:
        return ""
    info = version_elements(session, version_id).get(element_id) or {}
    return str(info.get("name") or element_id)


def element_type(session: Session, version_id: int, element_id: str | None) -> str | None:
    if not element_id:
        return None
    info = version_elements(session, version_id).get(element_id) or {}
    return info.get("type")


def process_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(ProcessDefinition.key, ProcessDefinition.name)).all())


def processes(session: Session) -> list[tuple[str, str]]:
    """(key, name) of every deployed process, by name."""
    return sorted(process_names(session).items(), key=lambda item: item[1].lower())


def versions(session: Session, process_key: str) -> list[ProcessVersion]:
    return list(
        session.scalars(
            select(ProcessVersion)
            .join(ProcessDefinition)
            .where(ProcessDefinition.key == process_key)
            .order_by(ProcessVersion.version.desc())
        ).all()
    )


def group_names(session: Session, keys: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    return dict(session.execute(select(Group.key, Group.name).where(Group.key.in_(wanted))).all())


def user_names(session: Session, usernames: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(usernames))
    if not wanted:
        return {}
    return dict(
        session.execute(select(User.username, User.name).where(User.username.in_(wanted))).all()
    )


def organisations(session: Session) -> list[tuple[int, str]]:
    return [
        (row.id, row.name)
        for row in session.scalars(select(Organisation).order_by(Organisation.name))
    ]
