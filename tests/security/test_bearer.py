"""Issue 23: a bearer token, its organisation and its groups are read in one statement on
every request, with nothing kept between requests: a revoked or expired token, a deactivated
organisation and a group that moved to another organisation are refused or seen on the very
next request."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select, update

from app.auth.models import Group, Organisation
from app.auth.principal import Principal
from app.auth.service import bearer_principal, create_group
from app.auth.tokens import create_token, revoke_token
from app.db import Database
from tests.cases.support import secret_of, seed, signal


@pytest.fixture
def world(db, clock, app):  # type: ignore[no-untyped-def]
    return seed(db, secret_of(app), [signal(1)])


def _token(db: Database, org_key: str | None, **kwargs: Any) -> tuple[int, str]:
    with db.transaction() as session:
        org_id = None
        if org_key:
            org_id = session.scalar(select(Organisation.id).where(Organisation.key == org_key))
        row, secret = create_token(
            session,
            f"{org_key or 'beheer'}-systeem",
            ["tasks:read", "tasks:write"],
            organisation_id=org_id,
            **kwargs,
        )
        return row.id, secret


@contextmanager
def _statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def test_one_statement_reads_the_token_its_organisation_and_all_its_groups(db, world) -> None:
    with db.transaction() as session:
        create_group(session, "weert-swt-2", "Tweede team", "weert-swt")
        orgs = {
            org.key: org for org in session.scalars(select(Organisation)) if org.key is not None
        }
        groups = {
            key: frozenset(
                session.scalars(select(Group.key).where(Group.organisation_id == org.id)).all()
            )
            for key, org in orgs.items()
        }
    assert groups["weert-swt"] >= {"weert-swt-2"} and len(groups["weert-swt"]) >= 2
    # Two groups or more, one group, no organisation at all.
    for org in ("weert-swt", "wonen-limburg", None):
        token_id, secret = _token(db, org)
        with db.session() as session:
            with _statements(db) as seen:
                found = bearer_principal(session, secret)
            assert [s for s in seen if s.lstrip().upper().startswith("SELECT")] == seen[-1:]
            assert found is not None
            principal, last_used = found
            assert last_used is None
        scopes = frozenset({"tasks:read", "tasks:write"})
        if org is None:  # the operator's token: the installation, no role, no group
            assert principal == Principal("token", token_id, "beheer-systeem", scopes=scopes)
            continue
        assert principal == Principal(
            kind="token",
            id=token_id,
            name=f"{org}-systeem",
            organisation_id=orgs[org].id,
            organisation_key=org,
            municipality=orgs[org].municipality,
            roles=frozenset({"partnersysteem"}),
            groups=groups[org],
            scopes=scopes,
        )
    with db.session() as session:
        assert bearer_principal(session, "stroom_" + "x" * 43) is None
        assert bearer_principal(session, "not-a-stroom-token") is None


def _request(client, secret: str) -> Callable[[], int]:  # type: ignore[no-untyped-def]
    return lambda: (
        client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {secret}"}).status_code
    )


def test_a_revoked_token_is_refused_on_the_very_next_request(client, db, world) -> None:
    token_id, secret = _token(db, "weert-swt")
    call = _request(client, secret)
    assert call() == 200
    with db.transaction() as session:
        revoke_token(session, token_id)
    assert call() == 401


def test_an_expired_token_is_refused_from_the_moment_it_expires(client, db, world, clock) -> None:
    _id, secret = _token(db, "weert-swt", expires_at=clock.now() + timedelta(minutes=5))
    call = _request(client, secret)
    clock.advance(timedelta(minutes=4, seconds=59))
    assert call() == 200
    clock.advance(timedelta(seconds=1))
    assert call() == 401


def test_a_deactivated_organisation_is_refused_on_the_next_request(client, db, world) -> None:
    _id, secret = _token(db, "weert-swt")
    call = _request(client, secret)
    assert call() == 200
    with db.transaction() as session:
        session.execute(
            update(Organisation).where(Organisation.key == "weert-swt").values(active=False)
        )
    assert call() == 401


def test_a_group_that_moves_takes_its_tasks_with_it_at_once(client, db, world) -> None:
    """The token acts for its organisation's groups as they are now: the team's task is
    listed while its group belongs to the organisation, and no longer once it does not."""
    _id, secret = _token(db, "weert-swt")
    headers = {"Authorization": f"Bearer {secret}"}
    task = world.task.id

    def listed() -> list[str]:
        answer = client.get("/api/v1/tasks", headers=headers)
        assert answer.status_code == 200
        return [item["id"] for item in answer.get_json()["items"]]

    assert listed() == [task]
    assert client.get(f"/api/v1/tasks/{task}", headers=headers).status_code == 200
    with db.transaction() as session:
        other = session.scalar(select(Organisation.id).where(Organisation.key == "haarlem-swt"))
        session.execute(update(Group).where(Group.key == "weert-swt").values(organisation_id=other))
    assert listed() == []
    assert client.get(f"/api/v1/tasks/{task}", headers=headers).status_code == 404
