"""Firing due timers exactly once.

A batch locks the instances that have a due timer (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so
several workers split the work; on SQLite the write transaction itself is exclusive and only
one scheduler runs). Each instance is advanced in its own savepoint and the batch commits
once. A worker killed mid-batch commits nothing, so every timer in it fires later, once.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from app import clock
from app.db import Database
from app.engine.models import InstanceStatus, ProcessInstance, Timer, WaitStatus
from app.engine.runtime import Execution

log = logging.getLogger(__name__)


def fire_due_timers(db: Database, limit: int, actor: str = "timer") -> int:
    """Fire the timers of up to `limit` instances; returns how many instances advanced."""
    with db.transaction() as session:
        now = clock.now()
        due = select(Timer.instance_id).where(
            Timer.status == WaitStatus.WAITING.value, Timer.due_at <= now
        )
        query = (
            select(ProcessInstance.id)
            .where(
                ProcessInstance.id.in_(due),
                ProcessInstance.status.not_in(
                    [InstanceStatus.SUSPENDED.value, *InstanceStatus.ended()]
                ),
            )
            .limit(limit)
        )
        if not db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        instance_ids = session.scalars(query).all()
        for instance_id in instance_ids:
            try:
                with session.begin_nested():
                    execution = Execution.open(session, instance_id, actor)
                    execution.run_engine()
                    execution.save()
            except Exception:  # noqa: BLE001 - one broken instance must not stop the batch
                log.exception("timer firing failed for instance %s", instance_id)
        return len(instance_ids)


def drain_timers(db: Database, batch_size: int, actor: str = "timer") -> int:
    total = 0
    while True:
        fired = fire_due_timers(db, batch_size, actor)
        total += fired
        if fired < batch_size:
            return total
