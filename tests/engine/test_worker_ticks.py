"""The worker's own scheduling: a timer due between two ticks fires at its moment, not up to a
tick late; a domain's recurring work waits while due timers and jobs are being done, but not
for ever; a timer that stays due (its instance suspended) does not wake the worker again and
again."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.config import Settings
from app.engine import hooks, worker
from app.engine.models import Timer
from app.engine.timers import next_due
from app.engine.worker import Worker
from tests.support.engine import FIXTURES, deploy_paths, start

TIMER = FIXTURES / "timer.bpmn"


def _start(db, moment: datetime) -> None:  # type: ignore[no-untyped-def]
    start(db, "test_timer", f"W-{moment.timestamp()}", {"wanneer": moment.isoformat()})


def _fired_at(db) -> list[datetime | None]:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return list(session.scalars(select(Timer.fired_at)).all())


def test_a_timer_due_between_ticks_fires_at_its_moment(db) -> None:
    """The tick is an hour; the timer, due two seconds after the worker starts, fires when it
    comes due (within the wait below, which is nothing like an hour)."""
    deploy_paths(db, TIMER)
    due = datetime.now(UTC) + timedelta(seconds=2)
    _start(db, due)
    scheduler = Worker(db, Settings(tick_seconds=3600)).start_background()
    try:
        deadline = time.monotonic() + 60
        while _fired_at(db) == [None] and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        scheduler.shutdown(wait=True)
    (fired,) = _fired_at(db)
    assert fired is not None, "the timer waited for the next tick, an hour away"
    assert fired >= due


def test_a_timer_that_stays_due_does_not_wake_the_worker(db, clock) -> None:
    """next_due looks only ahead: a due timer the worker cannot fire (its instance suspended,
    an incident) would otherwise make it wake at once, over and over."""
    deploy_paths(db, TIMER)
    now = clock.now()
    _start(db, now + timedelta(minutes=5))
    later = now + timedelta(minutes=30)
    _start(db, later)
    assert next_due(db) == now + timedelta(minutes=5)
    clock.advance(timedelta(minutes=10))  # the first is due now, not yet fired
    assert next_due(db) == later
    clock.advance(timedelta(hours=1))
    assert next_due(db) is None


def test_recurring_work_waits_for_due_timers_and_jobs_but_not_for_ever(
    db, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[int] = []
    tick = hooks.Tick("test", 5, lambda _db: ran.append(1) or 1)
    work = Worker(db, Settings())
    run = work._extra(tick)
    assert run() == 1 and len(ran) == 1  # nothing being drained
    with work._drain():
        assert run() == 0 and len(ran) == 1  # postponed: due work first
        monkeypatch.setattr(worker, "MAX_POSTPONE_SECONDS", 0.0)
        assert run() == 1 and len(ran) == 2  # postponed long enough: runs anyway
    monkeypatch.undo()
    assert run() == 1 and len(ran) == 3
