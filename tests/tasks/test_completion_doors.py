"""Completing a task logs what happened, nothing more, whichever door it comes through: the
page, the API and the command line write the same history and the same processing-log lines,
no read line for a read that never happened, and no draft is left behind (issue 17)."""

from __future__ import annotations

import json

from click.testing import CliRunner
from sqlalchemy import select

from app.cli import main
from app.clock import now
from app.engine.models import InstanceEvent
from app.privacy.models import AuditLog, ProcessingLog
from app.tasks.models import TaskDraft
from tests.auth.test_login import csrf, login
from tests.cases.support import secret_of, seed, token

DATA = {"toelichting": "bewoner gebeld, afspraak gemaakt", "aantal_bewoners": "3"}
READ, WRITE = "casusgegevens inzien", "casusgegevens vastleggen"  # app/privacy/access.py


def _lines(db, since: tuple[int, int, int]) -> tuple[list, list, list]:  # type: ignore[no-untyped-def]
    """History, processing-log and audit lines written after `since`, without the parts that
    differ per door by nature (moments, ids, who)."""
    events_from, processing_from, audit_from = since
    with db.session() as session:
        events = [
            (e.kind, e.element_id, sorted((e.details or {}).get("fields", [])))
            for e in session.scalars(
                select(InstanceEvent)
                .where(InstanceEvent.id > events_from)
                .order_by(InstanceEvent.id)
            )
        ]
        processing = [
            (p.name, p.status, sorted((p.attributes or {}).get("categorieen", [])))
            for p in session.scalars(
                select(ProcessingLog)
                .where(ProcessingLog.id > processing_from)
                .order_by(ProcessingLog.id)
            )
        ]
        audit = [
            (a.action, a.object_type, a.result)
            for a in session.scalars(
                select(AuditLog).where(AuditLog.id > audit_from).order_by(AuditLog.id)
            )
        ]
    return events, processing, audit


def _marks(db) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(model.id).order_by(model.id.desc()).limit(1)) or 0
            for model in (InstanceEvent, ProcessingLog, AuditLog)
        )


def _draft(db, task_id: str, username: str) -> None:  # type: ignore[no-untyped-def]
    from app.auth.models import User

    with db.transaction() as session:
        user = session.scalar(select(User.id).where(User.username == username))
        session.add(
            TaskDraft(task_id=task_id, user_id=user, data={"toelichting": "half"}, saved_at=now())
        )


def test_page_api_and_command_line_complete_alike(db, clock, app) -> None:  # type: ignore[no-untyped-def]
    world = seed(db, secret_of(app))
    page_task, api_task, cli_task = (t.id for t in world.tasks)
    for task_id in (page_task, api_task, cli_task):
        _draft(db, task_id, "sanne")

    # the page
    client = app.test_client()
    login(client, "sanne")
    token_of_form = csrf(client, f"/taken/{page_task}")  # before the mark: that was a read
    mark = _marks(db)
    answer = client.post(
        f"/taken/{page_task}", data={"data": json.dumps(DATA), "csrf_token": token_of_form}
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)[:300]
    by_page = _lines(db, mark)

    # the API, with the team's token
    headers = {"Authorization": f"Bearer {token(db, 'weert-swt', ['tasks:write'])}"}
    mark = _marks(db)
    answer = client.post(f"/api/v1/tasks/{api_task}/complete", headers=headers, json={"data": DATA})
    assert answer.status_code == 200, answer.get_json()
    by_api = _lines(db, mark)

    # the command line
    mark = _marks(db)
    result = CliRunner().invoke(
        main, ["--database", db.url, "tasks", "complete", cli_task, "--data", json.dumps(DATA)]
    )
    assert result.exit_code == 0, result.output
    by_cli = _lines(db, mark)

    events, processing, _audit = by_page
    assert events[0] == ("task_completed", events[0][1], sorted(DATA))
    assert by_api[0] == events and by_cli[0] == events
    assert by_api[1] == processing and by_cli[1] == processing
    # what was written, not read: completing reads nothing for the person completing
    assert [name for name, *_ in processing] == [WRITE]
    with db.session() as session:
        assert session.scalars(select(TaskDraft)).all() == []


def test_a_refused_page_completion_shows_the_page_again_and_logs_that_read(db, clock, app) -> None:  # type: ignore[no-untyped-def]
    world = seed(db, secret_of(app))
    client = app.test_client()
    login(client, "sanne")
    token_of_form = csrf(client, f"/taken/{world.task.id}")
    mark = _marks(db)
    answer = client.post(
        f"/taken/{world.task.id}", data={"data": json.dumps({}), "csrf_token": token_of_form}
    )
    assert answer.status_code == 422
    _events, processing, _audit = _lines(db, mark)
    # the page was shown again, with the case's data: that read is logged, and nothing else
    assert [name for name, *_ in processing] == [READ]
