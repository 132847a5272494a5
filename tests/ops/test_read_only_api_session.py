"""An API request that only reads runs on a read-only session (app/db.py
`read_only_session`): on PostgreSQL without BEGIN and ROLLBACK round trips, and a write
through it is refused by the database instead of being rolled back unseen."""

from __future__ import annotations

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import InternalError, OperationalError, ProgrammingError

from app.auth.models import ApiToken


def test_a_task_list_sends_no_begin_on_postgresql(client, auth, db) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/v1/tasks", headers=auth).status_code == 200  # warm: first use noted
    sent: list[str] = []
    engine = db.read_only_session().get_bind() if not db.is_sqlite else db.engine

    def note(_conn, _cursor, statement, *_rest) -> None:  # type: ignore[no-untyped-def]
        sent.append(statement.split()[0])

    event.listen(engine, "before_cursor_execute", note)
    try:
        answer = client.get("/api/v1/tasks", headers=auth)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert answer.status_code == 200
    # The token (read each request) and the page; SQLite's own BEGIN (app/db.py) as before.
    assert [s for s in sent if s != "BEGIN"] == ["SELECT", "SELECT"]
    if not db.is_sqlite:  # psycopg sends no BEGIN on an autocommit connection
        with engine.connect() as conn:
            assert conn.connection.dbapi_connection.autocommit is True  # type: ignore[union-attr]


@pytest.mark.postgres_only
def test_a_write_through_the_read_only_session_is_refused(db, api_token) -> None:  # type: ignore[no-untyped-def]
    session = db.read_only_session()
    try:
        assert session.scalar(text("SHOW default_transaction_read_only")) == "on"
        token = session.query(ApiToken).first()
        token.name = "overgeschreven"
        with pytest.raises((InternalError, OperationalError, ProgrammingError)) as refused:
            session.flush()
        assert "read-only" in str(refused.value)
    finally:
        session.rollback()
        session.close()
    with db.session() as fresh:
        assert fresh.query(ApiToken).first().name == "test"
