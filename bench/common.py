"""Shared set-up for benchmarks: scratch databases, timing."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import assembly  # noqa: E402
from app.db import Database  # noqa: E402
from app.migrate import upgrade  # noqa: E402

assembly.install()  # the domains' parts of the engine, as the app has them

PG_SERVER = os.environ.get("STROOM_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")


@contextmanager
def scratch_database(backend: str) -> Iterator[Database]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/bench.db"
            upgrade(url)
            db = Database(url)
            try:
                yield db
            finally:
                db.dispose()
        return
    name = f"stroom_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"{PG_SERVER}/{name}"
    try:
        upgrade(url)
        db = Database(url)
        try:
            yield db
        finally:
            db.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def rate(n: int, func: Callable[[int], object]) -> float:
    """Operations per second for n calls of func(i)."""
    start = time.perf_counter()
    for i in range(n):
        func(i)
    return n / (time.perf_counter() - start)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def median(values: list[float]) -> float:
    return statistics.median(values)


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a process has used; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def _children(parent: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rpartition(")")[2].split()[1]) == parent:
                found.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def _machine_busy() -> tuple[float, float]:
    """(busy, all) CPU seconds of the whole machine since boot, from /proc/stat."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return (sum(ticks) - idle) / _TICK, sum(ticks) / _TICK


class CpuParts:
    """Where the machine's CPU went during a run: the web processes (gunicorn's and its
    children), the `stroom worker`s, the PostgreSQL backends of the bench's database (those
    alive at the end; the pools keep theirs; what a backend used before the run, setting it
    up, is not counted), this process (the starters and clients), and everything else (other
    users of the machine). Core-seconds. Without web processes (the timer bench) "web" stays
    0."""

    def __init__(self, web: int | None, workers: list[int], url: str) -> None:
        self.web, self.workers, self.url = web, workers, url
        self.before = self._parts()
        self.backends0 = {pid: _cpu_of(pid) for pid in self._backends()}
        self.busy0, self.all0 = _machine_busy()

    def _backends(self) -> list[int]:
        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                return [
                    int(pid)
                    for (pid,) in conn.execute(
                        text(
                            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                            "AND pid <> pg_backend_pid()"
                        )
                    )
                ]
        finally:
            engine.dispose()

    def _parts(self) -> dict[str, float]:
        web = [self.web, *_children(self.web)] if self.web else []
        me = os.times()
        return {
            "web": sum(_cpu_of(p) for p in web),
            "workers": sum(_cpu_of(p) for p in self.workers),
            "PostgreSQL": 0.0,  # per backend, in measure()
            "clients": me.user + me.system,
        }

    def measure(self) -> dict[str, float]:
        after = self._parts()
        busy, every = _machine_busy()
        used = {k: after[k] - self.before.get(k, 0.0) for k in after}
        backends = self._backends()
        used["PostgreSQL"] = sum(_cpu_of(p) - self.backends0.get(p, 0.0) for p in backends)
        used["other"] = max(0.0, busy - self.busy0 - sum(used.values()))
        used["idle"] = (every - self.all0) - (busy - self.busy0)
        return used
