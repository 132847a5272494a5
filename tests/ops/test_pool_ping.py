"""Pooled PostgreSQL connections are checked before use only after being idle a while
(app/db.py `ping_when_idle`), not on every checkout: a dropped idle connection is still
replaced before a request meets it."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from app import db as db_module
from app.db import Database

pytestmark = pytest.mark.postgres_only


def _backend(database: Database) -> int:
    with database.session() as session:
        return int(session.scalar(text("SELECT pg_backend_pid()")))


def _terminate(db: Database, pid: int) -> None:
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()
        conn.commit()


def test_a_connection_dropped_while_idle_is_replaced_before_use(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    own = Database(db.url)  # a pool of its own, one connection in it
    try:
        first = _backend(own)
        _terminate(db, first)
        monkeypatch.setattr(db_module, "PING_AFTER_IDLE", 0.0)  # it has been idle long enough
        second = _backend(own)  # no error: the ping found it dead, the pool opened another
        assert second != first
    finally:
        own.dispose()


def test_a_connection_used_moments_ago_is_not_pinged(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The price of no ping per checkout: a connection that died within PING_AFTER_IDLE of
    its last use fails the one request that meets it; the pool is then invalidated, so the
    next request gets a fresh connection."""
    own = Database(db.url)
    try:
        first = _backend(own)
        _terminate(db, first)
        monkeypatch.setattr(db_module, "PING_AFTER_IDLE", 3600.0)
        with pytest.raises(OperationalError):
            _backend(own)
        assert _backend(own) != first
    finally:
        own.dispose()
