"""Writing the processing log and the audit log.

An operation's rows wait until its own transaction has ended and are then written in a
transaction of their own (`flush`), so that a refused or failed action is still recorded
even when the action's own transaction is rolled back, and so that a read-only request never
has to upgrade its transaction to a write. A web request's write session (marked with
`context.LOGS_WITH_COMMIT`) carries the rows waiting so far in its own commit instead
(`install`): one transaction per request instead of two. They count as written only once that
commit succeeded; if it fails, they are still waiting and `flush` writes them as before.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, event, insert
from sqlalchemy.orm import Session

from app import clock
from app.auth.crypto import pseudonym
from app.auth.principal import Principal
from app.db import Database
from app.engine.statements import send
from app.privacy import context
from app.privacy.models import AuditLog, ProcessingLog


@dataclass
class Processing:
    """One processing of personal data about one subject."""

    name: str
    activity_id: str
    subject_kind: str | None = None  # "zaak" or "bsn"
    subject_value: str | None = None
    status: str = "OK"
    started: datetime | None = None
    attributes: dict[str, Any] | None = None


def write(
    db: Database,
    secret_key: str,
    *,
    processings: list[Processing] = (),
    audits: list[dict[str, Any]] = (),
) -> None:
    if not processings and not audits:
        return
    operation = context.current()
    now = clock.now()
    rows = [
        {
            "trace_id": operation.trace_id,
            "operation_id": secrets.token_hex(8),
            "parent_operation_id": operation.span_id,
            "name": p.name,
            "activity_id": p.activity_id,
            "data_subject_id": (
                pseudonym(secret_key, p.subject_kind, p.subject_value)
                if p.subject_kind and p.subject_value
                else None
            ),
            "data_subject_type": p.subject_kind,
            "status": p.status,
            "start_time": p.started or now,
            "end_time": now,
            "attributes": p.attributes or {},
        }
        for p in processings
    ]
    if operation.pending is not None:
        operation.pending.extend([("processing", r) for r in rows])
        operation.pending.extend([("audit", dict(a)) for a in audits])
        return
    _insert(db, rows, list(audits))


def flush(db: Database) -> None:
    """Write the rows an operation deferred (called when its own transaction has ended)."""
    operation = context.current()
    callbacks, operation.after = operation.after, []
    for callback in callbacks:
        callback()
    if not operation.pending:
        return
    rows = [r for kind, r in operation.pending if kind == "processing"]
    audits = [r for kind, r in operation.pending if kind == "audit"]
    operation.pending = []
    _insert(db, rows, audits)


def _insert(db: Database, rows: list[dict[str, Any]], audits: list[dict[str, Any]]) -> None:
    with db.transaction() as session:
        _execute(session, rows, audits)


# A request's rows go in one statement only up to these counts: each count pair is a statement
# kept here and in `send`'s prepared cache, which the engine's statements share (at most 64
# kept); more rows go in the two executemany statements below (one round trip each).
_COMBINED_ROWS = 16
_COMBINED_AUDITS = 4


def _execute(session: Session, rows: list[dict[str, Any]], audits: list[dict[str, Any]]) -> None:
    if (
        rows
        and audits
        and len(rows) <= _COMBINED_ROWS
        and len(audits) <= _COMBINED_AUDITS
        and session.get_bind().dialect.name == "postgresql"
        and _uniform(rows)
        and _uniform(audits)
    ):
        # Both logs in one statement (the audit rows in a WITH that PostgreSQL runs once,
        # whether or not the rest reads it): one round trip for a request's log rows.
        statement = _combined(tuple(rows[0]), len(rows), tuple(audits[0]), len(audits))
        params = {f"r{i}_{key}": value for i, row in enumerate(rows) for key, value in row.items()}
        params.update(
            {f"a{i}_{key}": value for i, row in enumerate(audits) for key, value in row.items()}
        )
        send(session.connection(), statement, params)
        return
    if rows:
        session.execute(insert(ProcessingLog), rows)
    if audits:
        session.execute(insert(AuditLog), audits)


@functools.lru_cache(maxsize=_COMBINED_ROWS * _COMBINED_AUDITS)
def _combined(
    row_keys: tuple[str, ...], rows: int, audit_keys: tuple[str, ...], audits: int
) -> Any:
    """The statement for this many rows of these columns, with a named parameter per value.
    SQLAlchemy never caches an INSERT with VALUES, and compiling this one cost ~0.9 ms of a
    request's ~8 ms of CPU; built once here, `send` keeps its SQL text (bench/README.md)."""

    def values(table: Any, keys: tuple[str, ...], count: int, prefix: str) -> list[Any]:
        return [
            {key: bindparam(f"{prefix}{i}_{key}", type_=table.c[key].type) for key in keys}
            for i in range(count)
        ]

    processing, audit = ProcessingLog.__table__, AuditLog.__table__
    audited = insert(audit).values(values(audit, audit_keys, audits, "a")).cte("audited")
    return insert(processing).values(values(processing, row_keys, rows, "r")).add_cte(audited)


def _uniform(rows: list[dict[str, Any]]) -> bool:
    """Whether the rows name the same columns (a multi-row VALUES needs that)."""
    first = rows[0].keys()
    return all(row.keys() == first for row in rows)


# session.info key: the pending entries this commit carries, until it is known to have worked.
_CARRIED = "stroom_logs_carried"


def _carry(session: Session) -> None:
    """before_commit: put the operation's waiting rows in the commit of a marked session.
    (A savepoint's release fires this too; its rows would be lost with a later rollback of
    the transaction around it, so only the outer commit carries them.)"""
    if not session.info.get(context.LOGS_WITH_COMMIT) or session.in_nested_transaction():
        return
    operation = context.running()
    if operation is None or not operation.pending:
        return
    carried = list(operation.pending)
    _execute(
        session,
        [r for kind, r in carried if kind == "processing"],
        [r for kind, r in carried if kind == "audit"],
    )
    session.info[_CARRIED] = carried


def _carried(session: Session) -> None:
    """after_commit: the carried rows are in; they no longer wait for `flush`. Rows logged
    after this commit still do."""
    carried = session.info.pop(_CARRIED, None)
    operation = context.running()
    if not carried or operation is None or operation.pending is None:
        return
    done = {id(entry) for entry in carried}
    operation.pending = [entry for entry in operation.pending if id(entry) not in done]


def _dropped(session: Session) -> None:
    """after_rollback: the commit failed (or never came); the rows still wait for `flush`."""
    session.info.pop(_CARRIED, None)


def install() -> None:
    """Let marked sessions carry the log rows in their commit (see the module's text);
    called once by the web app, idempotent."""
    for name, listener in (
        ("before_commit", _carry),
        ("after_commit", _carried),
        ("after_rollback", _dropped),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def _clip(value: str | None, column: str) -> str | None:
    """A value longer than its column (an id someone made up, a 5 kB URL segment) is still
    logged: cut, and marked as cut, instead of failing the request on PostgreSQL."""
    length = AuditLog.__table__.c[column].type.length
    if value is None or len(value) <= length:
        return value
    return value[: length - 1] + "…"


def audit_row(
    principal: Principal | None,
    action: str,
    object_type: str,
    object_id: str | int | None,
    result: str = "gelukt",
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    operation = context.current()
    return {
        "at": clock.now(),
        "actor": _clip(principal.actor if principal else "anoniem", "actor"),
        "organisation": principal.organisation_key if principal else None,
        "action": action,
        "object_type": object_type,
        "object_id": _clip(None if object_id is None else str(object_id), "object_id"),
        "result": result,
        "origin": operation.origin,
        "channel": operation.channel,
        "details": details or {},
    }


def audit(
    db: Database,
    secret_key: str,
    principal: Principal | None,
    action: str,
    object_type: str,
    object_id: str | int | None,
    result: str = "gelukt",
    details: dict[str, Any] | None = None,
) -> None:
    write(
        db,
        secret_key,
        audits=[audit_row(principal, action, object_type, object_id, result, details)],
    )


@contextmanager
def command_operation(db: Database, command: str) -> Iterator[tuple[Session, Principal]]:
    """One transaction of a command-line command, with the rules the page and the API
    follow; the audit and processing-log lines are written once it has committed (SQLite has
    one writer)."""
    from app.auth.principal import cli_principal

    context.begin("cli", command, deferred=True)
    try:
        with db.transaction() as session:
            yield session, cli_principal()
        flush(db)
    finally:
        context.end()
