"""Organisations, teams and users for tests."""

from __future__ import annotations

from app.auth import service
from app.auth.principal import Principal, partner_system
from app.cases.models import PartyBinding
from app.db import Database
from app.intake.models import IntakeRoute

PASSWORD = "Correct-Paard-Batterij-42"


def organisation(
    db: Database, key: str, kind: str, municipality: str = "weert", name: str | None = None
) -> int:
    with db.transaction() as session:
        org = service.create_organisation(session, key, name or key.title(), kind, municipality)
        service.create_group(session, key, name or key.title(), key)
        return org.id


def user(
    db: Database,
    username: str,
    org_key: str,
    roles: tuple[str, ...] = ("behandelaar",),
    groups: tuple[str, ...] | None = None,
) -> Principal:
    with db.transaction() as session:
        row = service.create_user(
            session,
            username,
            username.title(),
            org_key,
            password=PASSWORD,
            roles=roles,
            groups=groups if groups is not None else (org_key,),
        )
        return service.principal_for_user(row)


def team_member(db: Database, username: str, group: str = "team") -> Principal:
    """A user in the group `group` (the candidate group of the fixture diagrams), in an
    organisation of that name made for it when there is none."""
    from sqlalchemy import select

    from app.auth.models import Group

    with db.session() as session:
        exists = session.scalar(select(Group.id).where(Group.key == group))
    if exists is None:
        organisation(db, group, "wijkteam")
    return user(db, username, group, groups=(group,))


def partner(
    db: Database,
    org_key: str,
    process: str,
    municipality: str = "weert",
    pattern: str | None = None,
    kind: str = "woningcorporatie",
) -> Principal:
    """A reporting partner with an intake route, acting as its own principal."""
    org_id = organisation(db, org_key, kind, municipality)
    with db.transaction() as session:
        session.add(
            IntakeRoute(
                organisation_id=org_id,
                municipality=municipality,
                process_key=process,
                reference_pattern=pattern,
                settings={},
            )
        )
    return partner_system(org_id, org_key, municipality)


def bind(db: Database, process: str, municipality: str, party: str, group_key: str) -> None:
    with db.transaction() as session:
        session.add(
            PartyBinding(
                process_key=process, municipality=municipality, party=party, group_key=group_key
            )
        )
