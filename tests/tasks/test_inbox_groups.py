"""The group rows behind the inbox's group tabs: they follow the task (claim, reassign,
release, priority), a task offered to two of one's groups is one row, and pages join up."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app import clock as clock_module
from app.auth.principal import Principal
from app.engine.jobs import run_due_jobs
from app.engine.models import HumanTask, HumanTaskGroup
from app.engine.service import assign_task, claim_task
from app.engine.waits import GROUP_COPIES
from app.tasks import inbox
from tests.support.engine import SIMPLE, deploy_paths, start


def _viewer(*groups: str, roles: tuple[str, ...] = ("behandelaar",)) -> Principal:
    return Principal(
        "user", 1, "sanne", organisation_id=1, roles=frozenset(roles), groups=frozenset(groups)
    )


def _group_rows(db, task_id: str) -> list[tuple]:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return [
            (r.group_key, r.assignee, r.priority)
            for r in session.scalars(
                select(HumanTaskGroup)
                .where(HumanTaskGroup.task_id == task_id)
                .order_by(HumanTaskGroup.group_key)
            )
        ]


def _open_task(db, settings) -> str:  # type: ignore[no-untyped-def]
    run_due_jobs(db, settings, "w")  # the enrichment step before the user task
    with db.session() as session:
        return session.scalars(select(HumanTask.id).where(HumanTask.status == "open")).one()


def _second_group(db, task_id: str) -> str:  # type: ignore[no-untyped-def]
    """Offer the task to "tweede-team" too, as a diagram with two candidate groups would."""
    with db.transaction() as session:
        first = session.get(HumanTask, task_id).candidate_groups[0]
        row = session.get(HumanTaskGroup, (task_id, first))
        values = {c: getattr(row, c) for c in GROUP_COPIES}
        session.add(HumanTaskGroup(task_id=task_id, group_key="tweede-team", **values))
    return first


def test_group_rows_follow_claim_reassign_release_and_priority(db, clock, settings) -> None:
    deploy_paths(db, SIMPLE)
    start(db, "test_simple", "K1", {"bedrag": 5})
    task_id = _open_task(db, settings)
    _second_group(db, task_id)  # so that both rows are seen to move
    with db.transaction() as session:
        claim_task(session, task_id, "sanne", "user:sanne")
    assert {r[1] for r in _group_rows(db, task_id)} == {"sanne"}
    with db.transaction() as session:
        assign_task(session, task_id, "piet", "user:teamleider")
    assert {r[1] for r in _group_rows(db, task_id)} == {"piet"}
    with db.transaction() as session:
        assign_task(session, task_id, None, "user:teamleider")
    assert {r[1] for r in _group_rows(db, task_id)} == {None}
    with db.transaction() as session:
        session.get(HumanTask, task_id).priority = 90
    assert {r[2] for r in _group_rows(db, task_id)} == {90}


def test_a_task_in_two_of_ones_groups_is_listed_once(db, clock, settings) -> None:
    deploy_paths(db, SIMPLE)
    start(db, "test_simple", "K1", {"bedrag": 5})
    task_id = _open_task(db, settings)
    first = _second_group(db, task_id)
    viewer = _viewer(first, "tweede-team", roles=("behandelaar", "teamleider"))
    with db.session() as session:
        for tab in ("groep", "team"):
            page = inbox.page(session, viewer, inbox.Filters(tab=tab), clock_module.now())
            assert [r.task.id for r in page.rows] == [task_id]
        assert inbox.tab_counts(session, viewer) == {"mijn": 0, "groep": 1, "team": 1}
        # Not a team lead: the team tab stays empty.
        assert inbox.tab_counts(session, _viewer(first))["team"] == 0


def test_pages_join_up_without_gaps_or_repeats(db, clock, settings) -> None:
    deploy_paths(db, SIMPLE)
    for i in range(30):
        start(db, "test_simple", f"K{i}", {"bedrag": i})
        clock.advance(timedelta(minutes=1))
    run_due_jobs(db, settings, "w")
    with db.session() as session:
        group = session.scalars(select(HumanTaskGroup.group_key)).first()
        every = set(session.scalars(select(HumanTask.id).where(HumanTask.status == "open")))
    viewer = _viewer(group)
    for sort in inbox.SORTS:
        seen: list[str] = []
        cursor = None
        with db.session() as session:
            while True:
                page = inbox.page(
                    session,
                    viewer,
                    inbox.Filters(tab="groep", sort=sort, cursor=cursor),
                    clock_module.now(),
                    size=7,
                )
                seen += [r.task.id for r in page.rows]
                cursor = page.next_cursor
                if cursor is None:
                    break
        assert len(seen) == len(set(seen)) and set(seen) == every, sort
