"""The worker: fires due timers and runs due jobs, on APScheduler ticks.

APScheduler keeps only in-memory interval jobs (the ticks); the database decides what is due
and who gets it (design.md: a shared APScheduler job store double-fires). Timers that came due
while nothing ran fire on the first tick after start-up. On SQLite only one scheduler may run:
it holds a lease row and refuses to start while another holds it.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select

from app import clock
from app.config import Settings
from app.db import Database
from app.engine import hooks
from app.engine.jobs import drain_jobs
from app.engine.models import SchedulerLease
from app.engine.timers import drain_timers, next_due

log = logging.getLogger(__name__)
LEASE = "scheduler"
# A domain's recurring work waits while this worker fires due timers or runs due jobs (they
# share its two threads and the machine's cores), but never longer than this.
MAX_POSTPONE_SECONDS = 60.0
# Woken for a timer, the tick starts this much after its moment: a tick started a hair early
# would find nothing due and leave the timer to the next tick.
WAKE_MARGIN_SECONDS = 0.005


class SchedulerBusy(RuntimeError):
    pass


class Worker:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        worker_id: str | None = None,
        topics: list[str] | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}"
        self.topics = topics
        self._stop = threading.Event()
        self._scheduler: BackgroundScheduler | None = None
        self._draining = 0  # drains of timers or jobs running now (threads of this worker)
        self._drain_lock = threading.Lock()

    # SQLite: one scheduler at a time ---------------------------------------------------------

    def acquire_lease(self) -> None:
        if not self.db.is_sqlite:
            return
        with self.db.transaction() as session:
            now = clock.now()
            lease = session.get(SchedulerLease, LEASE)
            if lease is not None and lease.holder != self.worker_id and lease.expires_at > now:
                raise SchedulerBusy(
                    f"een andere scheduler ({lease.holder}) draait al op deze SQLite-database; "
                    "op SQLite mag er maar één draaien (gebruik PostgreSQL voor meer workers)"
                )
            expires = now + timedelta(seconds=self.settings.tick_seconds * 5 + 30)
            if lease is None:
                session.add(SchedulerLease(name=LEASE, holder=self.worker_id, expires_at=expires))
            else:
                lease.holder, lease.expires_at = self.worker_id, expires

    def release_lease(self) -> None:
        if not self.db.is_sqlite:
            return
        with self.db.transaction() as session:
            lease = session.scalar(
                select(SchedulerLease).where(
                    SchedulerLease.name == LEASE, SchedulerLease.holder == self.worker_id
                )
            )
            if lease is not None:
                session.delete(lease)

    # Ticks ------------------------------------------------------------------------------------

    def tick_timers(self) -> int:
        self.acquire_lease()
        with self._drain():
            fired = drain_timers(self.db, self.settings.batch_size, "timer", self.settings)
        self._wake_for_next_timer()
        return fired

    def tick_jobs(self) -> int:
        with self._drain():
            return drain_jobs(
                self.db, self.settings, self.worker_id, self.topics, self._stop.is_set
            )

    @contextmanager
    def _drain(self) -> Iterator[None]:
        with self._drain_lock:
            self._draining += 1
        try:
            yield
        finally:
            with self._drain_lock:
                self._draining -= 1

    def _wake_for_next_timer(self) -> None:
        """A timer that comes due before the next tick fires at its moment, not up to a tick
        late: the timer tick is moved to that moment. Only on the real clock (a simulation's
        moments are not the scheduler's)."""
        scheduler = self._scheduler
        if scheduler is None or not isinstance(clock.get_clock(), clock.SystemClock):
            return
        due = next_due(self.db)
        if due is None:
            return
        wait = max((due - clock.now()).total_seconds(), 0.0) + WAKE_MARGIN_SECONDS
        if wait >= self.settings.tick_seconds:
            return
        job = scheduler.get_job("timers")
        at = datetime.now(UTC) + timedelta(seconds=wait)
        if job is not None and job.next_run_time is not None and job.next_run_time > at:
            scheduler.modify_job("timers", next_run_time=at)

    def tick(self) -> int:
        """One full pass: everything due now. Used by tests, simulation and the scheduler."""
        return self.tick_timers() + self.tick_jobs()

    def _safe(self, name: str, func: Callable[[], int]) -> None:
        """One tick; a line in the log for each batch that did something, none for the
        ticks that found nothing (every few seconds)."""
        started = time.perf_counter()
        try:
            count = func()
        except SchedulerBusy:
            raise
        except Exception:  # noqa: BLE001 - a tick must never kill the scheduler thread
            log.exception("worker: %s mislukt", name)
            return
        if count:
            seconds = time.perf_counter() - started
            log.info(
                "worker: %s %d verwerkt in %.2f s",
                name,
                count,
                seconds,
                extra={"tick": name, "count": count, "seconds": round(seconds, 3)},
            )

    def _extra(self, tick: hooks.Tick) -> Any:
        """A domain's recurring work (app.engine.hooks.worker_ticks), under the lease."""

        last = [time.monotonic()]

        def run() -> int:
            if self._draining and time.monotonic() - last[0] < MAX_POSTPONE_SECONDS:
                return 0  # due timers and jobs first; this tick comes round again
            self.acquire_lease()
            last[0] = time.monotonic()
            return tick.run(self.db)

        return run

    def _schedule(self, scheduler: BackgroundScheduler) -> None:
        self._scheduler = scheduler
        every = self.settings.tick_seconds
        for name, func, seconds in (
            ("timers", self.tick_timers, every),
            ("jobs", self.tick_jobs, every),
            *((t.name, self._extra(t), t.seconds) for t in hooks.worker_ticks),
        ):
            scheduler.add_job(
                self._safe,
                "interval",
                args=[name, func],
                id=name,
                seconds=seconds,
                max_instances=1,
                coalesce=True,
                next_run_time=datetime.now(UTC),
            )

    def run_forever(self, announce: Callable[[], None] | None = None) -> None:
        """Run until SIGTERM, SIGINT or stop(); the lease is released on the way out, so a
        restarted worker can take over at once instead of waiting for the lease to expire."""
        self.acquire_lease()
        main = threading.current_thread() is threading.main_thread()
        stops = {signal.SIGTERM, signal.SIGINT}
        # The stop signals stay blocked and the main thread takes them with sigtimedwait: a
        # handler raising SystemExit could land in APScheduler's hand-over of a tick to its
        # threads, which catches every BaseException and ran on (killed after a timeout, the
        # lease kept). Threads started from here inherit the mask.
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, stops) if main else None
        scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(2)}, timezone="UTC"
        )
        try:
            self._schedule(scheduler)
            scheduler.start()
            if announce is not None:
                announce()
            log.info("worker %s gestart (tick %s s)", self.worker_id, self.settings.tick_seconds)
            while not self._stop.is_set():
                if main:
                    if signal.sigtimedwait(stops, 0.5) is not None:
                        break
                else:
                    self._stop.wait(0.5)
        finally:
            if scheduler.running:
                scheduler.shutdown(wait=True)
            self.release_lease()
            log.info("worker %s gestopt", self.worker_id)
            if previous is not None:
                signal.pthread_sigmask(signal.SIG_SETMASK, previous)

    def start_background(self) -> BackgroundScheduler:
        self.acquire_lease()
        scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(2)}, timezone="UTC"
        )
        self._schedule(scheduler)
        scheduler.start()
        return scheduler

    def stop(self) -> None:
        self._stop.set()
