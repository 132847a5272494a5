"""Database access: declarative base, the UTC datetime type and sessions.

SQLite is the embedded single-node default, PostgreSQL the production database. On SQLite a
write transaction starts with BEGIN IMMEDIATE so that two writers queue instead of failing
halfway; on PostgreSQL transitions take row locks (see app/engine/runtime.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, MetaData, create_engine, event, make_url
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes only; stored in UTC. A naive datetime never reaches the database."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime refused by the database layer: {value!r}")
        value = value.astimezone(UTC)
        # SQLite compares text: store one uniform UTC format without offset.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def ensure_sqlite_folder(url: str) -> None:
    """SQLite creates its file but not the folder around it (instance/ on a fresh clone)."""
    if not url.startswith("sqlite"):
        return
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


class Database:
    def __init__(self, url: str, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        ensure_sqlite_folder(url)
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if self.is_sqlite:
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            kwargs.update(pool_size=10, max_overflow=20)
        self.engine: Engine = create_engine(url, **kwargs)
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        else:
            ping_when_idle(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(
            self.engine.execution_options(sqlite_immediate=True), expire_on_commit=False
        )

        self._read_only_engine: Engine | None = None
        self._read_only_sessions: sessionmaker[Session] | None = None

    def session(self, write: bool = False) -> Session:
        return (self._write_sessions if write else self._sessions)()

    def read_only_session(self) -> Session:
        """A session for a request that only reads (an API GET): on PostgreSQL on
        connections of their own that send each statement by itself, without BEGIN and
        ROLLBACK round trips around them (two of a task list's five), and that refuse any
        write (`default_transaction_read_only`), so a read path that writes fails loudly
        instead of having its write rolled back unseen. Under READ COMMITTED every
        statement had its own snapshot already; nothing is locked. On SQLite: `session()`."""
        if self.is_sqlite:
            return self.session()
        if self._read_only_sessions is None:
            engine = create_engine(
                self.url,
                pool_size=4,
                max_overflow=8,
                isolation_level="AUTOCOMMIT",
                connect_args={"options": "-c default_transaction_read_only=on"},
            )
            ping_when_idle(engine)
            self._read_only_engine = engine
            self._read_only_sessions = sessionmaker(engine, expire_on_commit=False)
        return self._read_only_sessions()

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[Session]:
        """One unit of work: committed when the block ends, rolled back on any error."""
        with self.session(write=write) as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
        if self._read_only_engine is not None:
            self._read_only_engine.dispose()


# A pooled connection idle longer than this is pinged before use; one used more recently is
# handed out as it is.
PING_AFTER_IDLE = 10.0


def ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection before use only when it has been idle for a while
    (`PING_AFTER_IDLE` seconds), instead of SQLAlchemy's `pool_pre_ping`, which costs a round
    trip on every checkout: a sixth of an API request's time under load (bench/README.md).
    A connection the server or a firewall dropped while it sat in the pool is replaced
    before use, as with pre-ping. One that breaks within seconds of its last use (a database
    restart under load) fails the request that meets it, and SQLAlchemy then invalidates
    the whole pool, so the next requests get fresh connections."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["stroom_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("stroom_idle_since", None)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE:
            return  # new, or used moments ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # noqa: BLE001 - any failure: let the pool reconnect
            # As pre-ping: a dead idle connection means the server went away; the pool
            # drops every connection older than now and opens a fresh one for this use.
            raise InvalidatePoolError(f"pooled connection did not answer: {exc}") from exc


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # We emit BEGIN ourselves (below); pysqlite's implicit transactions get in the way.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("sqlite_immediate")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
