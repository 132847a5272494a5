"""`stroom demo` loaded once per test run, for the tests that need the whole demo: each works
on a copy of its own."""

from __future__ import annotations

import fcntl
import os
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner


def loaded_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`stroom demo` into a fresh SQLite database, once per run, in a file shared by the xdist
    workers (the root of their temporary folders), under a lock: the every-role walk's work
    units and the demo's own test each need it, and loading costs seconds of CPU each time.
    Use a copy (`copy_database`): the file is shared."""
    from app.cli import main

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    loaded = shared / "stroom-demo.db"
    with open(shared / "stroom-demo.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not loaded.exists():
            loading = shared / f"stroom-demo-{os.getpid()}.db"
            url = f"sqlite:///{loading}"
            result = CliRunner().invoke(main, ["--database", url, "demo"], catch_exceptions=False)
            assert result.exit_code == 0, result.output[-3000:]
            ready = shared / f"stroom-demo-{os.getpid()}-ready.db"
            copy_database(loading, ready)
            ready.rename(loaded)
    return loaded


def copy_database(source: Path, target: Path) -> None:
    """Copy an SQLite database through SQLite's backup (the source may still have pages in its
    write-ahead log, which a file copy would miss)."""
    with closing(sqlite3.connect(source)) as original, closing(sqlite3.connect(target)) as copy:
        original.backup(copy)
