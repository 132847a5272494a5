"""What one API request of bench/load.py costs in the web process, without the machine's
other load in the figures: CPU time per call and where it goes.

    .venv/bin/python bench/api_profile.py [--n 300] [--backlog 500]

In one process, on a scratch PostgreSQL database with load.py's diagram, team and tokens, the
app as gunicorn runs it (`create_app` from the environment's settings, database rate-limit
counters) is called through Flask's test client (no sockets): `--n` times each of the three
calls load.py makes (start a case, list the open tasks, complete one), after a warm-up.
Prints per call the wall and CPU time (process time) per request, the statements sent (on the
app's and the counters' connections), and a cProfile of each call's requests: the top ten
functions by own time and our own (app/) by cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import time
from collections.abc import Callable

from common import scratch_database
from load import DIAGRAM, MUNICIPALITY, _prepare, _seed_backlog
from sqlalchemy import event, select

from app.config import Settings
from app.engine.models import HumanTask
from app.ratelimit import counter_engine
from app.web import create_app

API = "/api/v1"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300, help="requests of each kind profiled")
    parser.add_argument("--backlog", type=int, default=500, help="open cases before the start")
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    with scratch_database("postgresql") as db:
        operator, (person,) = _prepare(db, 1)
        _seed_backlog(db, args.backlog + 2 * args.n)
        os.environ.update(
            STROOM_DATABASE_URL=db.url,
            STROOM_SECRET_KEY="bench-" + os.urandom(16).hex(),
            STROOM_API_RATE_LIMIT="1000000 per minute",
            STROOM_LOG_LEVEL="WARNING",
        )
        app = create_app(Settings(), db)
        client = app.test_client()
        starter = {"Authorization": f"Bearer {operator}"}
        worker = {"Authorization": f"Bearer {person}"}
        numbers = iter(range(10**9))

        def start() -> None:
            n = next(numbers)
            answer = client.post(
                f"{API}/processes/bench_engine/instances",
                json={
                    "business_key": f"P-{n}",
                    "municipality": MUNICIPALITY,
                    "data": {"minderjarigen": n % 3, "bedrag": 850, "naam": "J. Jansen"},
                },
                headers=starter,
            )
            assert answer.status_code == 201, answer.text

        pages: list[list[str]] = []

        def listing() -> None:
            answer = client.get(f"{API}/tasks", query_string={"limit": 50}, headers=worker)
            assert answer.status_code == 200, answer.text
            pages.append([item["id"] for item in answer.json["items"]])

        done: set[str] = set()

        def complete() -> None:
            task = next(t for t in pages[0] if t not in done)
            done.add(task)
            answer = client.post(f"{API}/tasks/{task}/complete", json={"data": {}}, headers=worker)
            assert answer.status_code == 200, answer.text

        statements: list[str] = []

        def note(_conn, _cursor, statement, *_rest) -> None:  # type: ignore[no-untyped-def]
            statements.append(statement)

        ours = app.extensions["stroom"].db
        # The app's pool, the counters' and (on PostgreSQL) the read-only requests' (a code
        # without them, for an A/B against an older commit, counts the first two).
        engines = {ours.engine, counter_engine(ours.engine)}
        if hasattr(ours, "read_only_session"):
            engines.add(ours.read_only_session().get_bind())
        print(f"API profile, {args.n} requests each, diagram {DIAGRAM.name}, PostgreSQL")
        for name, call in (("start", start), ("list", listing), ("complete", complete)):
            for _ in range(20):  # warm-up: caches, prepared statements, pools
                call()
            if name == "complete":  # tasks to complete: the oldest open ones, each once
                with db.session() as session:
                    pages[:] = [
                        list(
                            session.scalars(
                                select(HumanTask.id)
                                .where(HumanTask.status == "open")
                                .order_by(HumanTask.created_at)
                                .limit(2 * args.n + 50)
                            )
                        )
                    ]
            _measure(name, call, args, engines, statements, note)


def _measure(name: str, call: Callable[[], None], args, engines, statements, note) -> None:  # type: ignore[no-untyped-def]
    statements.clear()
    for engine in engines:
        event.listen(engine, "before_cursor_execute", note)
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(args.n):
        call()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    for engine in engines:
        event.remove(engine, "before_cursor_execute", note)
    kinds: dict[str, int] = {}
    for statement in statements:
        words = statement.split()
        kind = " ".join(words[:3] if words[0] in ("INSERT", "DELETE") else words[:1])
        kinds[kind] = kinds.get(kind, 0) + 1
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(args.n):
        call()
    profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("tottime").print_stats(args.top)
    stats.sort_stats("cumulative").print_stats("/app/", args.top)
    print(
        f"--- {name}: wall {1000 * wall / args.n:.2f} ms, CPU {1000 * cpu / args.n:.2f} ms per "
        f"request; {len(statements) / args.n:.1f} statements per request: "
        + ", ".join(f"{k} {v / args.n:.1f}" for k, v in sorted(kinds.items()))
    )
    print(_trim(text.getvalue()))


def _trim(report: str) -> str:
    """pstats' tables without its preamble lines."""
    keep = [
        line
        for line in report.splitlines()
        if line.strip() and not line.lstrip().startswith(("Ordered by", "List reduced"))
    ]
    return "\n".join(keep)


if __name__ == "__main__":
    main()
