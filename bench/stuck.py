"""Stuck-list benchmark: 100,000 instances in PostgreSQL, the list opened over HTTP.

    .venv/bin/python bench/stuck.py [--n 100000] [--requests 30] [--database NAME]

Fills a scratch database with rows inserted directly (SQLAlchemy Core, no engine runs): a
realistic mix of completed, cancelled, waiting, running, failed and suspended instances with
their tasks, timers, jobs, message subscriptions, incidents, parties and history events.
Then serves the application with werkzeug in a thread, logs in as a manager (one
municipality's quarter of the cases) and as an operator (all cases), and times
GET /processen/ and a filtered page (for the manager also the overview and the heatmap, which
use the same scope). Prints p50/p95 per case and EXPLAIN ANALYZE of the hot
queries. Target: the stuck list within 300 ms.

With --database NAME the filled database is kept under that name and used again by the next
run with the same name (filling 100,000 instances takes minutes); drop it yourself after.

The rows are inserted past the engine, but the database's triggers mark every instance they
touch (migration 0021): before measuring, the stuck list's facts of the marked instances are
built as the worker's tick would (`stuck_reasons.refresh`), and the time that took is printed.
Each measured line ends with the load average when it started (a shared machine: compare
A/B runs in alternating pairs, with their loads).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from common import PG_SERVER, ROOT, percentile, scratch_database
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.sql.elements import TextClause
from werkzeug.serving import make_server

import tests.support.handlers  # noqa: F401 - the fixture diagram's topics
from app.auth import service as auth
from app.config import Settings
from app.db import Database
from app.engine.deploy import deploy
from app.engine.models import (
    HumanTask,
    HumanTaskGroup,
    Incident,
    InstanceEvent,
    InstanceParty,
    Job,
    MessageSubscription,
    ProcessInstance,
    ProcessVersion,
    Timer,
)

DIAGRAM = ROOT / "tests" / "fixtures" / "simple.bpmn"
PASSWORD = "Correct-Paard-Batterij-42"
MUNICIPALITIES = ("weert", "roermond", "venlo", "echt")
CORPORATIONS = ("wonen-limburg", "woonwenz", "antares")
# Share of the instances per situation. Open work is mostly recent (exponentially
# distributed ages), so a tenth or so of it is late or idle, as in a busy but working office.
MIX = {
    "completed": 0.56,
    "cancelled": 0.05,
    "task": 0.24,  # waiting at the user task (due 10 working days after it was created)
    "message": 0.06,  # waiting for a message, with its boundary timer (5 days)
    "message_no_timer": 0.02,  # waiting for a message without a term
    "running": 0.04,  # a pending job
    "error": 0.01,  # an open incident
    "suspended": 0.005,
    "timer": 0.015,  # only a timer (waiting until a moment)
}
TASK_AGE_DAYS = 6.0  # mean age of an open task
MESSAGE_AGE_DAYS = 10.0  # mean age of a message awaited without a term
STATE = json.dumps(
    {"tasks": {str(uuid.uuid4()): {"state": 64, "task_spec": "x" * 40} for _ in range(30)}}
)


# -- filling --------------------------------------------------------------------------------


def _organisations(db: Database) -> tuple[dict[str, int], dict[str, str]]:
    ids: dict[str, int] = {}
    groups: dict[str, str] = {}
    with db.transaction() as session:
        for key in (*MUNICIPALITIES, *CORPORATIONS):
            kind = "gemeente" if key in MUNICIPALITIES else "woningcorporatie"
            org = auth.create_organisation(session, key, key.title(), kind, "weert")
            group = auth.create_group(session, f"{key}-team", f"Team {key.title()}", key)
            session.flush()
            ids[key], groups[key] = org.id, group.key
        auth.create_user(
            session,
            "manager",
            "Manager Weert",
            "weert",
            password=PASSWORD,
            roles=("manager",),
            groups=("weert-team",),
        )
        auth.create_user(
            session,
            "analist",
            "Analist",
            "weert",
            password=PASSWORD,
            roles=("procesbeheerder",),
            groups=(),
        )
    return ids, groups


def _rows(
    n: int, version_id: int, orgs: dict[str, int], groups: dict[str, str], now: datetime, seed: int
) -> Iterator[dict[str, list[dict[str, Any]]]]:
    rnd = random.Random(seed)
    kinds = list(MIX)
    weights = [MIX[k] for k in kinds]
    batch: dict[str, list[dict[str, Any]]] = {}

    def add(table: str, row: dict[str, Any]) -> None:
        batch.setdefault(table, []).append(row)

    for i in range(n):
        kind = rnd.choices(kinds, weights)[0]
        iid, key = str(uuid.uuid4()), f"B{i:07d}"
        started = now - timedelta(days=rnd.uniform(0, 730))
        municipality = rnd.choice(MUNICIPALITIES)
        ended = kind in ("completed", "cancelled")
        # The moment the instance last moved (its updated_at and its last event).
        if ended:
            last = min(started + timedelta(days=rnd.uniform(1, 90)), now)
        elif kind in ("task", "suspended"):
            last = now - timedelta(days=rnd.expovariate(1 / TASK_AGE_DAYS))
        elif kind == "message":
            last = now - timedelta(days=rnd.uniform(0, 4.5))
        elif kind == "message_no_timer":
            last = now - timedelta(days=rnd.expovariate(1 / MESSAGE_AGE_DAYS))
        else:
            last = now - timedelta(hours=rnd.expovariate(1 / 6))
        last = max(last, started + timedelta(minutes=1))
        status = {
            "completed": "completed",
            "cancelled": "cancelled",
            "running": "running",
            "error": "error",
            "suspended": "suspended",
        }.get(kind, "waiting")
        add(
            "instance",
            {
                "id": iid,
                "version_id": version_id,
                "definition_key": "test_simple",
                "business_key": key,
                "status": status,
                "state": STATE,
                "revision": 3,
                "started_at": started,
                "updated_at": last,
                "ended_at": last if ended else None,
                "started_by": "bench",
                "suspended_status": "waiting" if kind == "suspended" else None,
                "phase": "beoordeling",
                "municipality": municipality,
                "data": {"bedrag": rnd.randint(100, 5000), "verdubbeld": 2, "akkoord": True},
            },
        )
        for party, org in (("beoordelaar", municipality), ("melder", rnd.choice(CORPORATIONS))):
            add(
                "party",
                {
                    "instance_id": iid,
                    "party": party,
                    "organisation_id": orgs[org],
                    "group_key": groups[org],
                },
            )
        events = [("instance_started", None, started), ("job_created", "verrijken", started)]
        if kind == "running":
            add("job", _job(iid, "pending", 0, last, None))
        elif kind == "error":
            add("job", _job(iid, "incident", 4, last, "register tijdelijk onbereikbaar"))
            add(
                "incident",
                {
                    "instance_id": iid,
                    "job_id": None,
                    "spiff_task_id": str(uuid.uuid4()),
                    "element_id": "verrijken",
                    "kind": "job",
                    "status": "open",
                    "message": "test.echo: register tijdelijk onbereikbaar",
                    "details": None,
                    "created_at": last,
                    "resolved_at": None,
                    "resolved_by": None,
                },
            )
            events.append(("incident_raised", "verrijken", last))
        else:
            task_open = kind in ("task", "suspended")
            created = last if task_open else started + timedelta(minutes=1)
            done = None if task_open else (last if kind == "completed" else created)
            task_id = str(uuid.uuid4())
            assignee = f"user{rnd.randint(1, 50)}" if rnd.random() < 0.4 else None
            add("job", _job(iid, "done", 1, started, None))
            add(
                "task",
                {
                    "id": task_id,
                    "instance_id": iid,
                    "definition_key": "test_simple",
                    "element_id": "beoordelen",
                    "name": "Beoordelen",
                    "lane": None,
                    "party": "beoordelaar",
                    "form_key": None,
                    "candidate_groups": [groups[municipality]],
                    "candidate_users": [],
                    "assignee": assignee,
                    "priority": rnd.randint(1, 99),
                    "due_at": created + timedelta(days=14),
                    "follow_up_at": None,
                    "status": "open" if task_open else "completed",
                    "created_at": created,
                    "claimed_at": created if assignee else None,
                    "completed_at": done,
                    "completed_by": None if task_open else "bench",
                },
            )
            events += [
                ("job_completed", "verrijken", created),
                ("task_created", "beoordelen", created),
            ]
            if task_open:
                add(
                    "group",
                    {
                        "task_id": task_id,
                        "group_key": groups[municipality],
                        "definition_key": "test_simple",
                        "element_id": "beoordelen",
                        "name": "Beoordelen",
                    },
                )
            else:
                events.append(("task_completed", "beoordelen", done))
        if kind in ("message", "message_no_timer", "completed"):
            waiting = kind != "completed"
            add(
                "message",
                {
                    "instance_id": iid,
                    "spiff_task_id": str(uuid.uuid4()),
                    "element_id": "wachten",
                    "message_name": "betalingsregeling",
                    "correlation_key": key,
                    "status": "waiting" if waiting else "done",
                    "created_at": last,
                    "delivered_at": None if waiting else last,
                },
            )
            events.append(("message_awaited", "wachten", last))
            if kind != "message_no_timer":
                add(
                    "timer",
                    _timer(
                        iid,
                        "termijn",
                        last + timedelta(days=5),
                        "waiting" if waiting else "cancelled",
                        last,
                    ),
                )
        if kind == "timer":
            add(
                "timer",
                _timer(iid, "termijn", last + timedelta(days=rnd.uniform(1, 30)), "waiting", last),
            )
        if ended:
            events.append(
                ("instance_completed" if kind == "completed" else "instance_cancelled", None, last)
            )
        for kind_name, element, at in events:
            add(
                "event",
                {
                    "instance_id": iid,
                    "at": at,
                    "kind": kind_name,
                    "element_id": element,
                    "task_id": None,
                    "actor": "bench",
                    "details": {},
                },
            )
        if (i + 1) % 2000 == 0:
            yield batch
            batch = {}
    if batch:
        yield batch


def _job(iid: str, status: str, attempts: int, at: datetime, error: str | None) -> dict[str, Any]:
    return {
        "instance_id": iid,
        "spiff_task_id": str(uuid.uuid4()),
        "element_id": "verrijken",
        "topic": "test.echo",
        "inputs": {"waarde": 21},
        "status": status,
        "attempts": attempts,
        "next_attempt_at": at,
        "locked_by": None,
        "locked_until": None,
        "last_error": error,
        "created_at": at,
        "completed_at": None,
    }


def _timer(iid: str, element: str, due: datetime, status: str, at: datetime) -> dict[str, Any]:
    return {
        "instance_id": iid,
        "spiff_task_id": str(uuid.uuid4()),
        "element_id": element,
        "name": "Termijn verstreken",
        "kind": "duration",
        "due_at": due,
        "status": status,
        "created_at": at,
        "fired_at": None,
    }


TABLES = {
    "instance": ProcessInstance,
    "party": InstanceParty,
    "task": HumanTask,
    "group": HumanTaskGroup,
    "job": Job,
    "timer": Timer,
    "message": MessageSubscription,
    "incident": Incident,
    "event": InstanceEvent,
}


def fill(db: Database, n: int, seed: int = 1) -> dict[str, int]:
    with db.transaction() as session:
        deploy(session, [DIAGRAM], ROOT / "tests" / "fixtures", actor="bench")
        version_id = session.scalar(select(ProcessVersion.id))
    orgs, groups = _organisations(db)
    counts: dict[str, int] = {}
    now = datetime.now(UTC)
    for batch in _rows(n, version_id, orgs, groups, now, seed):
        with db.engine.begin() as conn:
            for name, model in TABLES.items():
                if batch.get(name):
                    conn.execute(insert(model.__table__), batch[name])
                    counts[name] = counts.get(name, 0) + len(batch[name])
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    return counts


# -- measuring ------------------------------------------------------------------------------


class Server:
    def __init__(self, db: Database) -> None:
        from app.manage import register_manage
        from app.web import create_app

        settings = Settings(database_url=db.url, cookie_secure=False, totp_roles=frozenset())
        app = create_app(settings, db)
        register_manage(app)
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        return f"http://127.0.0.1:{self.server.server_port}"

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)


def login(base: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    page = client.get("/inloggen").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    response = client.post(
        "/inloggen", data={"gebruikersnaam": username, "wachtwoord": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, response.text[:500]
    return client


def measure(client: httpx.Client, path: str, requests: int) -> dict[str, float]:
    client.get(path).raise_for_status()  # warm up (catalogues, plans)
    times = []
    for _ in range(requests):
        t0 = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - t0) * 1000)
        response.raise_for_status()
    return {"p50": percentile(times, 50), "p95": percentile(times, 95), "max": max(times)}


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def build_facts(db: Database) -> None:
    """The stuck list's facts for every marked instance, as the worker's ticks would build
    them (app/manage/stuck_reasons.py), then VACUUM ANALYZE of their tables."""
    from app.manage import stuck_reasons

    with db.session() as session:
        pending = stuck_reasons.pending(session)
    if not pending:
        return
    t0, cpu0 = time.perf_counter(), time.process_time()
    done = stuck_reasons.refresh_all(db)
    print(
        f"stuck facts built for {done:,} instances ({pending:,} marks) in "
        f"{time.perf_counter() - t0:.1f} s ({time.process_time() - cpu0:.1f} s CPU here), {load()}"
    )
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE stuck_fact"))
        conn.execute(text("VACUUM ANALYZE stuck_mark"))


def per_reason(db: Database, rounds: int = 5) -> None:
    """In process, without HTTP: the list's SQL per reason, for the manager's scope (one
    organisation) and the operator's (everything), medians in ms. Shows what the scope costs."""
    from app import clock
    from app.manage import stuck
    from app.manage.scope import Scope

    with db.session() as session:
        org = session.scalar(text("SELECT id FROM organisation WHERE key = 'weert'"))
    scopes = {"manager": Scope(org), "beheerder": Scope(None)}
    times: dict[str, dict[str, list[float]]] = {name: {} for name in scopes}
    counts: dict[str, dict[str, int]] = {name: {} for name in scopes}
    for _ in range(rounds):
        for name, scope in scopes.items():
            with db.session() as session:
                session.execute(text("SET LOCAL jit = off"))
                built = stuck._Queries(session, scope, stuck.Filters(), clock.now())
                for reason in stuck.REASONS:
                    # The tab's count as the list runs it (the rule's part and the facts').
                    query = select(
                        *(
                            select(func.count()).select_from(part.subquery()).scalar_subquery()
                            for part in built.counted(reason)
                        )
                    )
                    t0 = time.perf_counter()
                    counts[name][reason] = sum(session.execute(query).one())
                    times[name].setdefault(reason, []).append((time.perf_counter() - t0) * 1000)
            with db.session() as session:
                t0 = time.perf_counter()
                stuck.stuck_list(session, scope)
                times[name].setdefault("stuck_list()", []).append((time.perf_counter() - t0) * 1000)
    print(
        f"\n{'SQL per reason (median ms, rows)':34}"
        + "".join(f"{n:>20}" for n in scopes)
        + f"   ({load()})"
    )
    for reason in [*stuck.REASONS, "stuck_list()"]:
        cells = "".join(
            f"{percentile(times[n][reason], 50):11.1f} ({counts[n].get(reason, ''):>5})"
            if reason in counts[n]
            else f"{percentile(times[n][reason], 50):11.1f}        "
            for n in scopes
        )
        print(f"{reason:34}{cells}")


def explain(db: Database) -> None:
    """EXPLAIN ANALYZE of each query the list runs, for the manager's scope."""
    from app.manage import stuck
    from app.manage.scope import Scope

    with db.session() as session:
        org = session.scalar(text("SELECT id FROM organisation WHERE key = 'weert'"))
        statements: list[Any] = []
        original = session.execute

        def capture(statement: Any, *args: Any, **kwargs: Any) -> Any:
            statements.append(statement)
            return original(statement, *args, **kwargs)

        session.execute = capture  # type: ignore[method-assign]
        stuck.stuck_list(session, Scope(org))
        session.execute = original  # type: ignore[method-assign]
        for statement in statements:
            if not hasattr(statement, "compile") or isinstance(statement, TextClause):
                continue  # SET LOCAL jit = off
            compiled = statement.compile(
                dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True}
            )
            sql = str(compiled)
            if "FROM process_version" in sql or "process_setting" in sql:
                continue
            plan = (
                session.connection()
                .exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + sql, compiled.params)
                .scalars()
                .all()
            )
            first = sql.split("\n", 1)[0][:110]
            total = next((line for line in plan if "Execution Time" in line), "")
            print(f"\n-- {first}...\n   {total.strip()}")
            for line in plan[:14]:
                print("   " + (line if len(line) < 160 else line[:157] + "..."))


@contextmanager
def kept_database(name: str) -> Iterator[tuple[Database, bool]]:
    """A database kept between runs: (db, whether it still needs filling)."""
    from app.migrate import upgrade

    admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = f"{PG_SERVER}/{name}"
    upgrade(url)
    db = Database(url)
    try:
        with db.session() as session:
            empty = not session.scalar(select(func.count()).select_from(ProcessInstance))
        yield db, empty
    finally:
        db.dispose()


@contextmanager
def database(name: str | None) -> Iterator[tuple[Database, bool]]:
    if name:
        with kept_database(name) as found:
            yield found
    else:
        with scratch_database("postgresql") as db:
            yield db, True


def _exists(db: Database, username: str) -> bool:
    from app.auth.models import User

    with db.session() as session:
        return session.scalar(select(User.id).where(User.username == username)) is not None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--no-explain", action="store_true")
    parser.add_argument("--database", help="keep the filled database under this name, reuse it")
    parser.add_argument(
        "--per-row-scope",
        action="store_true",
        help="filter every query's scope with a probe per row (as before issue 9), to compare",
    )
    args = parser.parse_args()
    if args.per_row_scope:
        from app.manage.scope import Scope

        condition = Scope.condition
        Scope.condition = lambda self, instance_id, per_row=False: condition(  # type: ignore[method-assign]
            self, instance_id, True
        )
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with database(args.database) as (db, empty):
        if empty:
            t0 = time.perf_counter()
            counts = fill(db, args.n)
            print(
                f"filled in {time.perf_counter() - t0:.0f} s: "
                + ", ".join(f"{k} {v:,}" for k, v in counts.items())
            )
        else:
            with db.session() as session:
                n = session.scalar(select(func.count()).select_from(ProcessInstance))
            print(f"using the filled database {args.database}: {n:,} instances")
        build_facts(db)
        with Server(db) as base:
            for who, paths in (
                (
                    "manager (1 gemeente)",
                    [
                        "/processen/",
                        "/processen/?reden=te-laat",
                        "/processen/?reden=stil&pagina=3",
                        "/processen/overzicht",
                        "/processen/warmtekaart/test_simple",
                    ],
                ),
                ("beheerder (alles)", ["/processen/", "/processen/?reden=storing"]),
            ):
                username = "manager" if who.startswith("manager") else "beheer"
                if username == "beheer" and not _exists(db, "beheer"):
                    with db.transaction() as session:
                        auth.create_organisation(session, "beheer", "Beheer", "beheer")
                        auth.create_user(
                            session,
                            "beheer",
                            "Beheer",
                            "beheer",
                            password=PASSWORD,
                            roles=("beheerder",),
                            groups=(),
                        )
                client = login(base, username)
                for path in paths:
                    started = load()
                    result = measure(client, path, args.requests)
                    size = len(client.get(path).content)
                    print(
                        f"{who:22} GET {path:34} p50 {result['p50']:6.1f} ms  "
                        f"p95 {result['p95']:6.1f} ms  max {result['max']:6.1f} ms  "
                        f"({size // 1024} KB)  {started}"
                    )
        per_reason(db)
        if not args.no_explain:
            explain(db)


if __name__ == "__main__":
    main()
