"""Firing due timers exactly once.

A batch locks the instances that have a due timer (`FOR UPDATE SKIP LOCKED LIMIT n` on
PostgreSQL, so several workers split the work; on SQLite the write transaction itself is
exclusive and only one scheduler runs), advances each in memory, writes all their rows with a
few statements (`batched_writes`: one executemany per statement kind) and commits once. A
worker killed mid-batch commits nothing and its locks go with its connection, so every timer
in the batch fires later, once. If the batch fails as a whole (one instance's write refused),
it is rolled back and done again one instance per savepoint, so one broken instance cannot
hold up the others. An instance whose firing fails there (its load, engine run or save
raised) is retried with the jobs' backoff and then gets a `timer_firing` incident, recorded in
a savepoint of its own after the failed one rolled back (app/engine/failures.py); while that
incident is open the worker leaves its timers alone, and retrying the incident fires them.
A failed firing is not counted as fired, so `drain_timers` ends even when broken instances
fill a batch.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import func, select

from app import clock
from app.config import Settings
from app.db import Database
from app.engine.failures import blocked_by_firing_incident, timer_failed
from app.engine.models import InstanceStatus, ProcessInstance, Timer, WaitStatus
from app.engine.runtime import Execution
from app.engine.statements import batched_writes

log = logging.getLogger(__name__)


def fire_due_timers(
    db: Database, limit: int, actor: str = "timer", settings: Settings | None = None
) -> int:
    """Fire the timers of up to `limit` instances; returns how many instances advanced (one
    whose firing failed is not counted: it waits for its retry or has an incident)."""
    return len(_fire_due(db, limit, actor, settings or Settings()))


def _fire_due(db: Database, limit: int, actor: str, settings: Settings) -> list[str]:
    try:
        return _fire(db, limit, actor, settings, batched=True)
    except Exception:  # noqa: BLE001 - retried one by one, where a failure stays with its instance
        log.warning("timerbatch mislukt; de instanties worden één voor één gedaan", exc_info=True)
        return _fire(db, limit, actor, settings, batched=False)


def _fire(db: Database, limit: int, actor: str, settings: Settings, batched: bool) -> list[str]:
    """The ids of the instances that advanced."""
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
                blocked_by_firing_incident(),
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
            return [row.id for row in rows]
        advanced = []
        for instance_id in [row.id for row in rows]:
            try:
                with session.begin_nested():
                    execution = Execution.open(session, instance_id, actor)
                    execution.run_engine()
                    execution.save()
                advanced.append(instance_id)
            except Exception as exc:  # noqa: BLE001 - one broken instance must not stop the batch
                log.exception("timer firing failed for instance %s", instance_id)
                try:
                    timer_failed(session, instance_id, exc, settings, now, actor)
                except Exception:  # noqa: BLE001 - not recorded: tried again at the next tick
                    log.exception("recording the failed firing of %s failed", instance_id)
        return advanced


def next_due(db: Database) -> datetime | None:
    """The earliest moment after now at which a waiting timer comes due (the worker wakes for
    it). Timers already due are the next tick's: one that stays due (its instance suspended,
    or blocked by an incident) must not wake the worker over and over."""
    with db.session() as session:
        return session.scalar(
            select(func.min(Timer.due_at)).where(
                Timer.status == WaitStatus.WAITING.value, Timer.due_at > clock.now()
            )
        )


def drain_timers(
    db: Database, batch_size: int, actor: str = "timer", settings: Settings | None = None
) -> int:
    """Fire batches until the due timers are done; returns how many instances advanced.
    Ends when a batch advanced fewer instances it had not advanced before than it could
    take: failures wait for their retry, and an instance that stays due after firing
    (which would be a bug) cannot keep the loop going."""
    settings = settings or Settings()
    seen: set[str] = set()
    total = 0
    while True:
        advanced = _fire_due(db, batch_size, actor, settings)
        fresh = [i for i in advanced if i not in seen]
        seen.update(advanced)
        total += len(advanced)
        if len(fresh) < batch_size:
            return total
