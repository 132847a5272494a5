"""Issue 23: a write request's processing- and audit-log rows go in with the request's own
commit instead of a second transaction after it. They count as written only once that commit
has worked: when it fails, `logs.flush` writes them after the request as before, so a
refused or failed action is still recorded, and no row is written twice."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError

from app import clock
from app.auth.models import Organisation
from app.auth.principal import SYSTEM
from app.db import Database
from app.privacy import context, logs
from app.privacy.models import AuditLog
from tests.cases.support import audits, log_counts, secret_of, seed, signal, token
from tests.support.orgs import organisation

VALID = {"toelichting": "bewoner gebeld, afspraak gemaakt", "aantal_bewoners": "3"}


def _audit_count(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(AuditLog)) or 0


@pytest.fixture
def operation(db):  # type: ignore[no-untyped-def]
    """A deferred operation, as a web request has, and a write session marked as the
    request's."""
    logs.install()
    context.begin("test", deferred=True)
    session = db.session(write=True)
    session.info[context.LOGS_WITH_COMMIT] = True
    yield session
    session.close()
    context.end()


def _log(db: Database, action: str) -> None:
    logs.audit(db, "geheim", SYSTEM, action, "zaak", "Z-1")


def test_the_rows_go_in_with_the_commit_and_not_again(db, operation) -> None:
    operation.begin()
    _log(db, "zaak.lezen")
    assert _audit_count(db) == 0  # waiting for the commit
    operation.commit()
    assert _audit_count(db) == 1
    _log(db, "zaak.na.de.commit")  # logged after the commit: still waits for flush
    logs.flush(db)
    assert [a.action for a in audits(db)] == ["zaak.lezen", "zaak.na.de.commit"]


def test_a_failed_commit_leaves_the_rows_to_flush(db, operation) -> None:
    organisation(db, "dubbel", "wijkteam")
    operation.begin()
    _log(db, "zaak.lezen")
    operation.add(
        Organisation(key="dubbel", name="Dubbel", kind="wijkteam", created_at=clock.now())
    )
    with pytest.raises(IntegrityError):
        operation.commit()
    operation.rollback()
    assert _audit_count(db) == 0
    logs.flush(db)
    assert [a.action for a in audits(db)] == ["zaak.lezen"]


def test_a_rolled_back_request_leaves_the_rows_to_flush(db, operation) -> None:
    operation.begin()
    _log(db, "zaak.lezen")
    operation.rollback()
    logs.flush(db)
    assert [a.action for a in audits(db)] == ["zaak.lezen"]


def test_a_savepoint_does_not_carry_the_rows(db, operation) -> None:
    """Rows in a savepoint would go with a rollback of the transaction around it."""
    operation.begin()
    _log(db, "zaak.lezen")
    with operation.begin_nested():
        pass
    operation.rollback()
    logs.flush(db)
    assert [a.action for a in audits(db)] == ["zaak.lezen"]


def test_an_unmarked_session_carries_nothing(db) -> None:
    """Sessions of their own (workers, the command line, a read-only request) write their
    operation's rows after the operation, as before."""
    logs.install()
    context.begin("test", deferred=True)
    try:
        with db.transaction() as session:
            _log(db, "zaak.lezen")
            session.execute(select(1))
        assert _audit_count(db) == 0
        logs.flush(db)
        assert _audit_count(db) == 1
    finally:
        context.end()


@pytest.fixture
def world(db, clock, app):  # type: ignore[no-untyped-def]
    return seed(db, secret_of(app), [signal(1)])


def test_a_completion_over_the_api_logs_in_its_own_commit(client, db, world) -> None:
    headers = {"Authorization": f"Bearer {token(db, 'weert-swt', ['tasks:read', 'tasks:write'])}"}
    assert client.get("/api/v1/tasks", headers=headers).status_code == 200  # notes first use
    before = log_counts(db)
    commits: list[Any] = []

    def note(conn: Any) -> None:
        commits.append(conn)

    event.listen(db.engine, "commit", note)
    try:
        answer = client.post(
            f"/api/v1/tasks/{world.task.id}/complete", headers=headers, json={"data": VALID}
        )
    finally:
        event.remove(db.engine, "commit", note)
    assert answer.status_code == 200, answer.get_json()
    assert len(commits) == 1  # the completion and its log rows together
    processing, audit = log_counts(db)
    assert (processing - before[0], audit - before[1]) == (1, 1)
    row = audits(db, "taak.afronden")[-1]
    assert row.object_id == world.case and row.actor == "token:weert-swt-systeem"


@pytest.mark.parametrize("processings", [1, 3, 40])
def test_processing_and_audit_rows_are_written_as_given(db, clock, processings: int) -> None:
    """A request's rows in one statement (PostgreSQL, a statement per shape, kept), or in
    two when there are many: every row once, with its JSON and its moments."""
    from app.privacy.models import ProcessingLog

    context.begin("test", deferred=False)
    try:
        logs.write(
            db,
            "geheim",
            processings=[
                logs.Processing(
                    f"lezen {i}", "zaak-lezen", "zaak", f"Z-{i}", attributes={"veld": [i, "é"]}
                )
                for i in range(processings)
            ],
            audits=[
                logs.audit_row(SYSTEM, "zaak.lezen", "zaak", "Z-0", details={"n": processings})
            ],
        )
    finally:
        context.end()
    with db.session() as session:
        rows = session.execute(
            select(ProcessingLog.name, ProcessingLog.attributes, ProcessingLog.end_time).order_by(
                ProcessingLog.id
            )
        ).all()
        (audit,) = session.execute(select(AuditLog.details, AuditLog.at)).all()
    assert [(r.name, r.attributes) for r in rows] == [
        (f"lezen {i}", {"veld": [i, "é"]}) for i in range(processings)
    ]
    assert {r.end_time for r in rows} == {clock.now()}
    assert audit == ({"n": processings}, clock.now())
