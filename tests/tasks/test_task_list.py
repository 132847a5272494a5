"""The API's task list (`GET /api/v1/tasks`, tasks.service.list_tasks): read per group from
the group rows, it lists exactly the tasks the principal may see (offered to one of its
groups, or assigned to the person), oldest first, each once, and its pages join up."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.auth.principal import SYSTEM, Principal
from app.engine.jobs import run_due_jobs
from app.engine.models import HumanTask, HumanTaskGroup
from app.engine.service import claim_task
from app.engine.waits import GROUP_COPIES
from app.tasks import service as tasks
from tests.support.engine import SIMPLE, deploy_paths, start

SECOND = "tweede-team"


def _token(*groups: str) -> Principal:
    return Principal("token", 7, "partner", organisation_id=1, groups=frozenset(groups))


def _person(*groups: str) -> Principal:
    return Principal(
        "user",
        1,
        "sanne",
        organisation_id=1,
        roles=frozenset({"behandelaar"}),
        groups=frozenset(groups),
    )


def _every_page(db, principal: Principal, size: int, **filters) -> list[str]:  # type: ignore[no-untyped-def]
    seen: list[str] = []
    cursor = None
    with db.session() as session:
        while True:
            page = tasks.list_tasks(session, principal, limit=size, cursor=cursor, **filters)
            assert len(page.items) <= size
            seen += [t.id for t in page.items]
            cursor = page.next_cursor
            if cursor is None:
                return seen


def _expected(db, principal: Principal, candidate_group: str | None = None) -> list[str]:  # type: ignore[no-untyped-def]
    """The rule written out over all open tasks, sorted as the list promises."""
    with db.session() as session:
        offered: dict[str, set[str]] = {}
        for task_id, key in session.execute(
            select(HumanTaskGroup.task_id, HumanTaskGroup.group_key)
        ):
            offered.setdefault(task_id, set()).add(key)
        rows = session.scalars(select(HumanTask).where(HumanTask.status == "open")).all()
        visible = [
            t
            for t in rows
            if (
                principal.is_system
                or offered.get(t.id, set()) & principal.groups
                or (principal.kind == "user" and t.assignee == principal.name)
            )
            and (candidate_group is None or candidate_group in offered.get(t.id, set()))
        ]
        return [t.id for t in sorted(visible, key=lambda t: (t.created_at, t.id))]


@pytest.fixture
def tasks_in_two_groups(db, clock, settings):  # type: ignore[no-untyped-def]
    """13 open tasks, some created at the same moment (ties broken by id); every third also
    offered to a second group, every fourth claimed by sanne. Returns the first group."""
    deploy_paths(db, SIMPLE)
    for i in range(13):
        start(db, "test_simple", f"K{i}", {"bedrag": i})
        if i % 3:
            clock.advance(timedelta(minutes=1))
    run_due_jobs(db, settings, "w")
    with db.transaction() as session:
        ids = session.scalars(
            select(HumanTask.id).where(HumanTask.status == "open").order_by(HumanTask.id)
        ).all()
        first = session.get(HumanTask, ids[0]).candidate_groups[0]
        for n, task_id in enumerate(ids):
            if n % 3 == 0:
                row = session.get(HumanTaskGroup, (task_id, first))
                values = {c: getattr(row, c) for c in GROUP_COPIES}
                session.add(HumanTaskGroup(task_id=task_id, group_key=SECOND, **values))
        session.flush()
        for n, task_id in enumerate(ids):
            if n % 4 == 0:
                claim_task(session, task_id, "sanne", "user:sanne")
    assert len(ids) == 13
    return first


@pytest.mark.parametrize("size", [1, 4, 50])
def test_each_principal_pages_through_exactly_its_tasks(db, tasks_in_two_groups, size) -> None:  # type: ignore[no-untyped-def]
    first = tasks_in_two_groups
    for principal in (
        SYSTEM,
        _token(first, SECOND),
        _token(SECOND),
        _token("ander-team"),
        _person(SECOND),  # sees the second group's tasks and those assigned to sanne
        _person(first),
    ):
        for group in (None, first, SECOND, "ander-team"):
            filters = {"candidate_group": group} if group else {}
            expected = _expected(db, principal, group)
            assert _every_page(db, principal, size, **filters) == expected, (principal, group)
    # Nothing is lost to the test's own rule: the token of both groups sees all 13.
    assert len(_expected(db, _token(first, SECOND))) == 13


def test_filters_on_the_task_apply_inside_each_group(db, tasks_in_two_groups) -> None:  # type: ignore[no-untyped-def]
    first = tasks_in_two_groups
    principal = _token(first, SECOND)
    claimed = _every_page(db, principal, 2, assignee="sanne")
    with db.session() as session:
        mine = session.scalars(
            select(HumanTask.id)
            .where(HumanTask.assignee == "sanne", HumanTask.status == "open")
            .order_by(HumanTask.created_at, HumanTask.id)
        ).all()
    assert claimed == list(mine) and len(mine) == 4
    # Group rows exist for open tasks only: a token lists no closed tasks.
    assert _every_page(db, principal, 5, status="completed") == []
    assert _every_page(db, principal, 5, process="test_simple") == _expected(db, principal)
    assert _every_page(db, principal, 5, process="ander_proces") == []
