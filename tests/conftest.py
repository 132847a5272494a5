"""Test fixtures: every test that uses `db` runs on SQLite and on PostgreSQL.

STROOM_TEST_DATABASES=sqlite (or postgresql) limits the run to one backend while developing;
CI runs both. The PostgreSQL server at STROOM_TEST_PG (default 127.0.0.1:5432, trust auth)
gets a fresh database per test session, migrated with Alembic, dropped at the end.
"""

from __future__ import annotations

import gc
import os

# Cheap argon2 parameters (app/auth/passwords.py): set before any app module is imported.
os.environ["STROOM_PASSWORD_HASH_COST"] = "test"
os.environ["STROOM_TEST_SUITE"] = "1"
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from app import clock as clock_module
from app.config import Settings
from app.db import Database
from app.migrate import upgrade
from app.models import metadata

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
PG_SERVER = os.environ.get("STROOM_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
BACKENDS = [
    b.strip()
    for b in os.environ.get("STROOM_TEST_DATABASES", "sqlite,postgresql").split(",")
    if b.strip()
]


def pytest_configure(config: pytest.Config) -> None:
    import tests.support.handlers  # noqa: F401 - registers the test topics
    from app import assembly
    from tests.support import compose_cache, parse_cache, route_builders

    route_builders.install()
    parse_cache.install()
    compose_cache.install()

    assembly.install()  # as the web app and the command line do

    config.addinivalue_line(
        "markers",
        "process(key): scenario tests of one process; "
        "the module must cover every element of its diagram",
    )


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    _freeze_heap()


def pytest_collection_finish(session: pytest.Session) -> None:
    _freeze_heap()


def _freeze_heap() -> None:
    """What is alive once the app and the tests are imported (modules, classes, parsed
    diagrams, collected items) stays alive until the end: out of the collector's sight, the
    full collections that the many objects of each test (an app, a workflow) set off no
    longer walk it. tests/privacy and tests/auth on two xdist workers: 19-23 s of CPU before,
    14-16 s after."""
    gc.collect()
    gc.freeze()


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):  # type: ignore[no-untyped-def]
    """`--dist loadfile` hands out the most expensive files first, the longest in parts."""
    if config.getvalue("dist") != "loadfile":
        return None
    from tests.support.schedule import CostFirstScheduling

    return CostFirstScheduling(config, log)


_process_modules: dict[str, dict[str, int]] = {}
# Diagram and data coverage of the processes whose scenarios all ran, judged at the end by the
# controller: its own runs and what the xdist workers report (raw, merged here: a process's
# scenario modules may run on several workers).
_coverage: dict[str, list] = {}
# Data coverage of the same processes: optional fields left out on a path that reads them.
_data_coverage: dict[str, list] = {}


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    modules: dict[str, set[str]] = {}
    serial: set[Path] = set()
    for item in items:
        if item.get_closest_marker("serial"):
            serial.add(item.path)
        marker = item.get_closest_marker("process")
        if marker:
            counts = _process_modules.setdefault(marker.args[0], {"collected": 0, "run": 0})
            counts["collected"] += 1
            modules.setdefault(marker.args[0], set()).add(item.nodeid.split("::")[0])
    for process, found in modules.items():
        if len(found) > 1:  # run alone, one of them would be judged on part of the scenarios
            raise pytest.UsageError(
                f"process({process!r}) staat op {len(found)} modules ({', '.join(sorted(found))}):"
                " één scenariomodule per proces; andere modules roepen alleen record() aan"
            )
    # scripts/test finds the serial part's files by the text "mark.serial" in them.
    for path in sorted(serial):
        if "mark.serial" not in path.read_text(encoding="utf-8"):
            raise pytest.UsageError(
                f"{path}: tests marked serial elsewhere than in their own file "
                "(scripts/test finds them by 'mark.serial' in the file)"
            )


def pytest_runtest_teardown(item: pytest.Item) -> None:
    marker = item.get_closest_marker("process")
    if marker:
        _process_modules[marker.args[0]]["run"] += 1


def _judge(coverage: dict, data: dict) -> None:
    """Coverage of the processes whose scenario tests all ran (in this process and on the
    workers together)."""
    for process, values in coverage.items():
        counts = _process_modules.get(process)
        if counts is not None and counts["run"] == counts["collected"]:
            _coverage[process] = list(values)
    for process, values in data.items():
        counts = _process_modules.get(process)
        if counts is not None and counts["run"] == counts["collected"]:
            _data_coverage[process] = list(values)


def pytest_testnodedown(node, error) -> None:  # type: ignore[no-untyped-def]
    from tests.support import coverage

    output = getattr(node, "workeroutput", {})
    coverage.merge(output.get("raw_coverage", {}))
    for process, counts in output.get("process_modules", {}).items():
        mine = _process_modules.setdefault(process, {"collected": 0, "run": 0})
        mine["collected"] = counts["collected"]  # every worker collects the whole suite
        mine["run"] += counts["run"]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from tests.support import coverage

    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: the controller judges
        workeroutput["raw_coverage"] = coverage.export()
        workeroutput["process_modules"] = _process_modules
        return
    _judge(coverage.report(), coverage.data_report())
    if session.exitstatus == 0 and any(nodes or flows for nodes, flows, *_ in _coverage.values()):
        session.exitstatus = 1  # below 100% coverage of a diagram fails the suite
    if session.exitstatus == 0 and any(missing for missing, *_ in _data_coverage.values()):
        session.exitstatus = 1  # so does an optional field never left out where it is read


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # type: ignore[no-untyped-def]
    if not _coverage:
        return
    terminalreporter.section("diagramdekking (elementen en sequence flows)")
    for process, (nodes, flows, taken, total) in sorted(_coverage.items()):
        terminalreporter.write_line(
            f"{process}: {taken}/{total} ({100 * taken / max(total, 1):.0f}%)"
            + (f"  niet genomen: {', '.join(nodes + flows)}" if nodes or flows else "")
        )
    if not _data_coverage:
        return
    terminalreporter.section(
        "gegevensdekking (optionele velden van melding en formulieren weggelaten op een pad "
        "dat ze leest)"
    )
    for process, (missing, covered, safe, total) in sorted(_data_coverage.items()):
        terminalreporter.write_line(
            f"{process}: {covered}/{total} ({100 * covered / max(total, 1):.0f}%;"
            f" {safe} aantoonbaar veilig)"
            + (f"  nooit weggelaten: {', '.join(missing)}" if missing else "")
        )


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    urls: dict[str, str] = {}
    created_pg: str | None = None
    if "sqlite" in BACKENDS:
        urls["sqlite"] = f"sqlite:///{tmp_path_factory.mktemp('db') / 'stroom.db'}"
    if "postgresql" in BACKENDS:
        name = f"stroom_test_{uuid.uuid4().hex[:10]}"
        admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
            # A commit need not wait for the disk in a database dropped at the end (1-2 ms a
            # commit here, and a test commits many times); locks and visibility are the same.
            conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
        admin.dispose()
        created_pg = name
        urls["postgresql"] = f"{PG_SERVER}/{name}"
    for url in urls.values():
        upgrade(url)
    yield urls
    if created_pg:
        admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{created_pg}" WITH (FORCE)'))
        admin.dispose()


_databases: dict[str, Database] = {}


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, database_urls: dict[str, str]) -> Iterator[Database]:
    backend = request.param
    if request.node.get_closest_marker("postgres_only") and backend != "postgresql":
        pytest.skip("needs PostgreSQL")
    if backend not in _databases:
        _databases[backend] = Database(database_urls[backend])
    database = _databases[backend]
    yield database
    truncate(database)


def truncate(database: Database) -> None:
    from app.engine.runtime import clear_spec_cache

    clear_spec_cache()
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    deleted: list[str] = []
    with database.engine.begin() as conn:
        if database.is_sqlite:
            # The logs' append-only triggers would refuse the DELETE: lift them meanwhile.
            triggers = conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
            ).all()
            for name, _sql in triggers:
                conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
            for name in tables:
                conn.exec_driver_sql(f'DELETE FROM "{name}"')
            for _name, sql in triggers:
                conn.exec_driver_sql(sql)
        else:
            # Only the tables this test filled, found in one round trip; then every sequence
            # a test advanced (even by a rolled-back insert) starts at 1 again, as after
            # TRUNCATE ... RESTART IDENTITY.
            probe = " UNION ALL ".join(
                f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables
            )
            used = [row[0] for row in conn.exec_driver_sql(probe)]
            if used and _superuser(conn):
                # DELETE and VACUUM of a test's few rows take milliseconds, TRUNCATE 100-300
                # ms (new files for every table, and the commit waits for them). As replica
                # the session skips the triggers (the logs' append-only ones, foreign keys).
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
                conn.exec_driver_sql("; ".join(f'DELETE FROM "{t}"' for t in used))
                deleted = used
            elif used:
                _truncate(conn, used)
            conn.exec_driver_sql(
                "SELECT setval(quote_ident(schemaname) || '.' || quote_ident(sequencename), 1, "
                "false) FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL"
            )
    if deleted:
        # Tests (and queries without ORDER BY) see rows in the order they were inserted into
        # an empty file, as after TRUNCATE: VACUUM cuts the emptied tables back to no pages;
        # a table it could not empty (an open snapshot) is truncated after all.
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM " + ", ".join(f'"{t}"' for t in deleted))
            left = conn.exec_driver_sql(
                "SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = "
                "'public'::regnamespace AND pg_relation_size(oid) > 0 AND relname IN ("
                + ", ".join(f"'{t}'" for t in deleted)
                + ")"
            ).all()
        if left:
            with database.engine.begin() as conn:
                _truncate(conn, [row[0] for row in left])


def _truncate(conn, tables: list[str]) -> None:  # type: ignore[no-untyped-def]
    conn.exec_driver_sql(
        "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
    )


_superusers: dict[str, bool] = {}


def _superuser(conn) -> bool:  # type: ignore[no-untyped-def]
    """Whether the test server's user may switch triggers off (STROOM_TEST_PG may name
    another user than postgres)."""
    url = str(conn.engine.url)
    if url not in _superusers:
        _superusers[url] = conn.exec_driver_sql("SHOW is_superuser").scalar() == "on"
    return _superusers[url]


@pytest.fixture
def clock() -> Iterator[clock_module.VirtualClock]:
    """A virtual clock at Monday 2 March 2026, 09:00 in Amsterdam."""
    virtual = clock_module.VirtualClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    previous = clock_module.set_clock(virtual)
    yield virtual
    clock_module.set_clock(previous)


@pytest.fixture
def settings(db: Database) -> Settings:
    return Settings(
        database_url=db.url,
        job_backoff_seconds=10,
        job_retries=3,
        bpmn_dir=ROOT / "bpmn",
        forms_dir=ROOT / "forms",
    )


@pytest.fixture
def app(db: Database, settings: Settings):  # type: ignore[no-untyped-def]
    from app.web import create_app

    return create_app(settings, db, testing=True)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def api_token(db: Database) -> str:
    from app.auth.tokens import create_token

    with db.transaction() as session:
        _row, secret = create_token(session, "test")
    return secret


@pytest.fixture
def auth(api_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token}"}
