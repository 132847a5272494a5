"""The processing log and the audit log are append-only in the database itself: triggers
(migration 0002) refuse every UPDATE and DELETE, also from a database console, on SQLite and
on PostgreSQL. Adding lines keeps working."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError

from app.db import Database
from app.privacy.models import AuditLog, ProcessingLog

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
LINES: dict[Any, dict[str, Any]] = {
    ProcessingLog: {
        "trace_id": "a" * 32,
        "operation_id": "b" * 16,
        "name": "casusgegevens inzien",
        "activity_id": "vroegsignalering-weert",
        "status": "OK",
        "start_time": NOW,
        "end_time": NOW,
        "attributes": {"doel": "test"},
    },
    AuditLog: {
        "at": NOW,
        "actor": "user:anna",
        "action": "casus.lezen",
        "object_type": "procesinstantie",
        "object_id": "zaak-1",
        "result": "gelukt",
        "channel": "web",
        "details": {},
    },
}
CHANGES = {ProcessingLog: {"status": "ERROR"}, AuditLog: {"result": "geweigerd"}}
TABLES = pytest.mark.parametrize("model", [ProcessingLog, AuditLog], ids=lambda m: m.__tablename__)


def _add(db: Database, model: Any) -> int:
    with db.transaction() as session:
        return session.execute(insert(model).returning(model.id), [LINES[model]]).scalar_one()


def _snapshot(db: Database, model: Any) -> list[tuple[Any, ...]]:
    with db.session() as session:
        return [tuple(r) for r in session.execute(select(model.__table__)).all()]


@TABLES
def test_update_is_refused(db: Database, model: Any) -> None:
    row_id = _add(db, model)
    before = _snapshot(db, model)
    with pytest.raises(DBAPIError, match="append-only"), db.transaction() as session:
        session.execute(update(model).where(model.id == row_id).values(**CHANGES[model]))
    assert _snapshot(db, model) == before


@TABLES
def test_delete_is_refused(db: Database, model: Any) -> None:
    _add(db, model)
    before = _snapshot(db, model)
    with pytest.raises(DBAPIError, match="append-only"), db.transaction() as session:
        session.execute(delete(model))
    assert _snapshot(db, model) == before


@TABLES
def test_plain_sql_and_the_orm_are_refused_too(db: Database, model: Any) -> None:
    """What someone at a database console would type, and what application code would do."""
    row_id = _add(db, model)
    table = model.__tablename__
    statements = [
        f"UPDATE {table} SET id = id WHERE id = {row_id}",
        f"DELETE FROM {table} WHERE id = {row_id}",
    ]
    for sql in statements:
        with pytest.raises(DBAPIError, match="append-only"), db.transaction() as session:
            session.execute(text(sql))
    with pytest.raises(DBAPIError, match="append-only"), db.transaction() as session:
        session.delete(session.get(model, row_id))
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(model)) == 1


@TABLES
def test_adding_lines_keeps_working(db: Database, model: Any) -> None:
    first = _add(db, model)
    second = _add(db, model)
    assert second > first
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(model)) == 2
