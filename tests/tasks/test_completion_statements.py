"""Issue 23: what one completion over the API costs the database. One transaction; before
the engine writes, three reads: the token with its organisation and groups, the task with its
instance and version number, and the engine's locked read. No draft delete when the task has
no draft, no second transaction for the log rows, no read of the version for the answer."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import event, select

from app.tasks.models import TaskDraft
from tests.auth.test_login import csrf, login
from tests.cases.support import secret_of, seed, signal, token

VALID = {"toelichting": "bewoner gebeld, afspraak gemaakt", "aantal_bewoners": "3"}


@pytest.fixture
def world(db, clock, app):  # type: ignore[no-untyped-def]
    return seed(db, secret_of(app), [signal(1), signal(2)])


@pytest.fixture
def team(db, world) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {token(db, 'weert-swt', ['tasks:read', 'tasks:write'])}"}


def _complete(client, db, headers, task_id: str) -> tuple[list[str], int, int]:  # type: ignore[no-untyped-def]
    """The statements (without BEGIN), transactions and commits of one completion."""
    seen: list[str] = []
    begins: list[Any] = []
    commits: list[Any] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.startswith("BEGIN"):
            seen.append(" ".join(statement.split()))

    listeners = (("before_cursor_execute", note), ("begin", begins.append))
    listeners += (("commit", commits.append),)
    for name, listener in listeners:
        event.listen(db.engine, name, listener)
    try:
        answer = client.post(
            f"/api/v1/tasks/{task_id}/complete", headers=headers, json={"data": VALID}
        )
    finally:
        for name, listener in listeners:
            event.remove(db.engine, name, listener)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["version"] == 1
    return seen, len(begins), len(commits)


def _reads_before_the_engine(statements: list[str]) -> list[str]:
    first_write = next(i for i, s in enumerate(statements) if not s.startswith("SELECT"))
    # Named by the table of each read's first column.
    return [s.removeprefix("SELECT ").split(".")[0] for s in statements[:first_write]]


def test_a_completion_is_one_transaction_with_three_reads(client, db, world, team) -> None:
    # The first completion also notes the token's first use (a short transaction of its
    # own, once a minute) and reads the version's form and catalogue (once per process).
    _complete(client, db, team, world.tasks[0].id)
    statements, begins, commits = _complete(client, db, team, world.tasks[1].id)
    # (The API's budget is counted on connections of the rate limiter's own on PostgreSQL,
    # in-process on SQLite: tests/api/test_rate_limit.py.)
    assert (begins, commits) == (1, 1)
    assert _reads_before_the_engine(statements) == ["api_token", "human_task", "process_instance"]
    assert not any(s.startswith("DELETE FROM task_draft") for s in statements)
    assert not any(s.startswith("SELECT process_version") for s in statements)
    logged = [s for s in statements if "INSERT INTO audit_log" in s]
    assert len(logged) == 1
    if not db.is_sqlite:  # both logs' rows in one statement
        assert logged[0].startswith("WITH audited AS (INSERT INTO audit_log")
        assert "INSERT INTO processing_log" in logged[0]
    else:
        assert any(s.startswith("INSERT INTO processing_log") for s in statements)


def test_a_draft_is_removed_with_the_completion(app, client, db, world, team) -> None:
    task = world.tasks[0].id
    page = app.test_client()
    login(page, "sanne")
    saved = page.post(
        f"/taken/{task}",
        data={
            "csrf_token": csrf(page, f"/taken/{task}"),
            "actie": "concept",
            "data": json.dumps({"toelichting": "half af"}),
        },
    )
    assert saved.status_code == 302
    statements, _begins, _commits = _complete(client, db, team, task)
    assert sum(s.startswith("DELETE FROM task_draft") for s in statements) == 1
    with db.session() as session:
        assert session.scalars(select(TaskDraft).where(TaskDraft.task_id == task)).all() == []
