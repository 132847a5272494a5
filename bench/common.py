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
