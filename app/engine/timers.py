"""Firing due timers exactly once.

A batch locks the instances that have a due timer (`FOR UPDATE SKIP LOCKED LIMIT n` on
PostgreSQL, so several workers split the work; on SQLite the write transaction itself is
exclusive and only one scheduler runs), advances each in memory, writes all their rows with a
few statements (`batched_writes`: one executemany per statement kind) and commits once. A
worker killed mid-batch commits nothing and its locks go with its connection, so every timer
in the batch fires later, once. If the batch fails as a whole (one instance's write refused),
it is rolled back and done again one instance per savepoint, so one broken instance cannot
hold up the others.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from app import clock
from app.db import Database
from app.engine.models import InstanceStatus, ProcessInstance, Timer, WaitStatus
from app.engine.runtime import Execution
from app.engine.statements import batched_writes

log = logging.getLogger(__name__)


def fire_due_timers(db: Database, limit: int, actor: str = "timer") -> int:
    """Fire the timers of up to `limit` instances; returns how many instances advanced."""
    try:
        return _fire(db, limit, actor, batched=True)
    except Exception:  # noqa: BLE001 - retried one by one, where a failure stays with its instance
        log.warning("timerbatch mislukt; de instanties worden één voor één gedaan", exc_info=True)
        return _fire(db, limit, actor, batched=False)


def _fire(db: Database, limit: int, actor: str, batched: bool) -> int:
    with db.transaction() as session:
        now = clock.now()
        due = select(Timer.instance_id).where(
            Timer.status == WaitStatus.WAITING.value, Timer.due_at <= now
        )
        query = (
            select(ProcessInstance)
            .where(
                ProcessInstance.id.in_(due),
                ProcessInstance.status.not_in(
                    [InstanceStatus.SUSPENDED.value, *InstanceStatus.ended()]
                ),
            )
            .limit(limit)
            .execution_options(populate_existing=True)
        )
        if not db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        rows = session.scalars(query).all()
        if batched:
            with batched_writes(session):
                for row in rows:
                    execution = Execution.for_row(session, row, actor)
                    execution.run_engine()
                    execution.save()
            return len(rows)
        for row in rows:
            try:
                with session.begin_nested():
                    execution = Execution.open(session, row.id, actor)
                    execution.run_engine()
                    execution.save()
            except Exception:  # noqa: BLE001 - one broken instance must not stop the batch
                log.exception("timer firing failed for instance %s", row.id)
        return len(rows)


def drain_timers(db: Database, batch_size: int, actor: str = "timer") -> int:
    total = 0
    while True:
        fired = fire_due_timers(db, batch_size, actor)
        total += fired
        if fired < batch_size:
            return total
