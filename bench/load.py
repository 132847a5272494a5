"""Load benchmark: Stroom as deployed, over HTTP, on PostgreSQL.

    .venv/bin/python bench/load.py [--duration 600] [--clients 8] [--rate 80]

Starts the app as `deploy/` runs it: gunicorn with `deploy/gunicorn.conf.py` (two web
processes) and two `stroom worker` processes, on a scratch PostgreSQL database, all on
127.0.0.1. A starter opens cases of bench/engine_process.bpmn (a script, a gateway and two
user tasks for the team that plays the case's party) at a fixed rate over the API; `--clients`
client threads, each with its own bearer token of the team's organisation, list the open tasks
and complete one, as a partner system does (the API lets only people claim: a token's claim
answers 403). Reports completed tasks/s, the latency of the calls (p50/p95/p99), how the
backlog of open tasks grew, and the machine's load average, then prints the table row for
bench/README.md. Stops by itself after `--duration` seconds (at most 14 minutes) and shuts
everything down. `--backlog N` starts N cases (N open tasks) before the clients begin, to
see whether the rates depend on the backlog. Where the server runs without autovacuum (CI's
configuration on the development machine), the bench vacuums and analyses the tables at
autovacuum's thresholds itself, as production's autovacuum would (deploy/README.md).
Target (issue 23): >= 150 completed tasks/s, p95 <= 150 ms, no backlog growth.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from common import ROOT, percentile, scratch_database
from sqlalchemy import create_engine, func, select, text

from app.auth import service as auth
from app.auth.principal import SYSTEM
from app.auth.tokens import create_token
from app.cases.models import PartyBinding
from app.cases.service import start_case
from app.engine.deploy import deploy
from app.engine.models import HumanTask

DIAGRAM = ROOT / "bench" / "engine_process.bpmn"
MUNICIPALITY = "haarlem"
MAX_SECONDS = 14 * 60
API = "/api/v1"


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    completed: list[float] = field(default_factory=list)  # moments of completion
    latency: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    first_error: dict[str, str] = field(default_factory=dict)  # one answer per kind, to read
    started: int = 0

    def took(self, what: str, seconds: float) -> None:
        with self.lock:
            self.latency.setdefault(what, []).append(seconds)

    def error(self, what: str, answer: httpx.Response) -> None:
        with self.lock:
            self.errors[what] = self.errors.get(what, 0) + 1
            self.first_error.setdefault(what, answer.text[:300])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prepare(db, clients: int) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    """The diagram and the team; an operator token that starts cases and one token per
    client for the team's organisation. Returns (operator token, client tokens)."""
    with db.transaction() as session:
        deploy(session, [DIAGRAM], ROOT / "forms", actor="bench")
        auth.create_organisation(session, "swt", "Sociaal Wijkteam", "gemeente", MUNICIPALITY)
        auth.create_group(session, "swt", "Sociaal Wijkteam", "swt")
        session.add(
            PartyBinding(
                process_key="bench_engine",
                municipality=MUNICIPALITY,
                party="wijkteam",
                group_key="swt",
            )
        )
        organisation = auth.organisation(session, "swt")
        _, operator = create_token(session, "bench-starter", ["instances:write"])
        people = []
        for i in range(clients):
            _, token = create_token(
                session,
                f"bench-client-{i}",
                ["tasks:read", "tasks:write"],
                organisation_id=organisation.id,
            )
            people.append(token)
    return operator, people


def _seed_backlog(db, cases: int) -> None:  # type: ignore[no-untyped-def]
    """Cases started before the clients begin (one open task each), in process through the
    same service as the API's start: the backlog the run starts from."""
    for first in range(0, cases, 200):
        with db.transaction() as session:
            for n in range(first, min(cases, first + 200)):
                start_case(
                    session,
                    SYSTEM,
                    "bench_engine",
                    business_key=f"B-{n}",
                    municipality=MUNICIPALITY,
                    data={"minderjarigen": n % 3, "bedrag": 850, "naam": "J. Jansen"},
                )


# Production runs autovacuum with the scale factors deploy/README.md gives; the development
# server may have it off (CI's conf.d does), and then no table is ever analysed or vacuumed:
# the planner works without statistics and dead rows pile up in the partial indexes. The
# bench then does what autovacuum would, with the same thresholds, so it measures the app as
# deployed rather than a database nobody maintains.
AUTOVACUUM_EVERY = 15.0
SCALE_FACTOR = 0.02
_DUE = text(
    "SELECT relname, n_dead_tup > 50 + :f * n_live_tup, "
    "n_mod_since_analyze > 50 + :f * n_live_tup FROM pg_stat_user_tables"
)


def _autovacuum(url: str, stop: threading.Event, done: list[str]) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if conn.execute(text("SHOW autovacuum")).scalar() == "on":
                return
            while not stop.wait(AUTOVACUUM_EVERY):
                for table, vacuum, analyse in conn.execute(_DUE, {"f": SCALE_FACTOR}).all():
                    if vacuum:
                        conn.execute(text(f'VACUUM {"(ANALYZE) " if analyse else ""}"{table}"'))
                        done.append(f"vacuum {table}")
                    elif analyse:
                        conn.execute(text(f'ANALYZE "{table}"'))
                    if analyse:
                        done.append(f"analyze {table}")
    finally:
        engine.dispose()


def _open_tasks(db) -> int:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return int(
            session.scalar(
                select(func.count()).select_from(HumanTask).where(HumanTask.status == "open")
            )
            or 0
        )


def _wait_for(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"the web processes did not answer at {url} within {seconds:.0f} s")


def _starter(
    base: str, token: str, rate: float, stop: threading.Event, stats: Stats, number: int
) -> None:
    """Cases at a fixed rate (each brings two tasks), as signals arrive in production."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        next_at = time.monotonic()
        n = 0
        while not stop.is_set():
            body = {
                "business_key": f"L-{number}-{n}",
                "municipality": MUNICIPALITY,
                "data": {"minderjarigen": n % 3, "bedrag": 850, "naam": "J. Jansen"},
            }
            t0 = time.perf_counter()
            answer = client.post(f"{API}/processes/bench_engine/instances", json=body)
            stats.took("start", time.perf_counter() - t0)
            if answer.status_code == 201:
                with stats.lock:
                    stats.started += 1
            else:
                stats.error(f"start {answer.status_code}", answer)
            n += 1
            next_at += 1 / rate
            stop.wait(max(0.0, next_at - time.monotonic()))


def _client(base: str, token: str, stop: threading.Event, stats: Stats, seed: int) -> None:
    """List the open tasks and complete one, as a partner system does; again. (A token
    cannot claim: the API hands tasks to people only, a token's claim answers 403.)"""
    pick = random.Random(seed)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        while not stop.is_set():
            t0 = time.perf_counter()
            answer = client.get(f"{API}/tasks", params={"limit": 50})
            stats.took("list", time.perf_counter() - t0)
            if answer.status_code != 200:
                stats.error(f"list {answer.status_code}", answer)
                stop.wait(0.2)
                continue
            items = answer.json()["items"]
            if not items:
                stop.wait(0.05)
                continue
            task = pick.choice(items)
            data: dict[str, object] = {}  # the diagram's tasks have no form fields
            t0 = time.perf_counter()
            answer = client.post(f"{API}/tasks/{task['id']}/complete", json={"data": data})
            done = time.perf_counter()
            stats.took("complete", done - t0)
            if answer.status_code == 200:
                with stats.lock:
                    stats.completed.append(done)
            else:
                # 409: another client completed it first, the answer the API gives for that.
                stats.error(f"complete {answer.status_code}", answer)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=600, help="seconds of load")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument("--rate", type=float, default=80, help="cases started per second")
    parser.add_argument("--web", type=int, default=2, help="gunicorn web processes")
    parser.add_argument("--workers", type=int, default=2, help="`stroom worker` processes")
    parser.add_argument(
        "--backlog", type=int, default=0, help="cases started before the clients begin"
    )
    parser.add_argument(
        "--py-spy",
        metavar="FILE",
        help="sample the web processes with py-spy during the middle half of the run (needs "
        "py-spy and ptrace); collapsed stacks to FILE and the top frames printed",
    )
    args = parser.parse_args()
    if args.duration > MAX_SECONDS:
        raise SystemExit(f"--duration at most {MAX_SECONDS} s: the bench stops by itself")
    load_start = os.getloadavg()
    with scratch_database("postgresql") as db:
        operator, people = _prepare(db, args.clients)
        if args.backlog:
            seeding = time.perf_counter()
            _seed_backlog(db, args.backlog)
            print(f"backlog: {args.backlog} cases in {time.perf_counter() - seeding:.0f} s")
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        env = dict(
            os.environ,
            STROOM_DATABASE_URL=db.url,
            STROOM_SECRET_KEY="bench-" + os.urandom(16).hex(),
            STROOM_BIND=f"127.0.0.1:{port}",
            STROOM_WEB_WORKERS=str(args.web),
            # The API's per-token limit protects partners from each other; here every request
            # is wanted load.
            STROOM_API_RATE_LIMIT="1000000 per minute",
            STROOM_LOG_LEVEL="WARNING",
            PYTHONPATH=str(ROOT),
        )
        bindir = Path(sys.executable).parent
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": ROOT}
        procs = [
            subprocess.Popen(
                [str(bindir / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "app.wsgi:app"],
                env=env,
                **quiet,  # type: ignore[arg-type]
            ),
            *(
                subprocess.Popen([sys.executable, "-m", "app", "worker"], env=env, **quiet)  # type: ignore[call-overload]
                for _ in range(args.workers)
            ),
        ]
        stop = threading.Event()
        stats = Stats()
        maintained: list[str] = []
        maintenance = threading.Thread(
            target=_autovacuum, args=(db.url, stop, maintained), daemon=True
        )
        maintenance.start()
        try:
            _wait_for(f"{base}{API}/openapi.json", 60)
            # Several starters, so one slow answer does not hold back the rate.
            starters = max(1, min(8, round(args.rate / 10)))
            threads = [
                *(
                    threading.Thread(
                        target=_starter,
                        args=(base, operator, args.rate / starters, stop, stats, s),
                        daemon=True,
                    )
                    for s in range(starters)
                ),
                *(
                    threading.Thread(
                        target=_client, args=(base, token, stop, stats, i), daemon=True
                    )
                    for i, token in enumerate(people)
                ),
            ]
            backlog = [(0.0, _open_tasks(db))]
            loads = [os.getloadavg()[0]]
            t0 = time.perf_counter()
            for thread in threads:
                thread.start()
            timer = threading.Timer(args.duration, stop.set)
            timer.start()
            spy = None
            if args.py_spy:
                spy = threading.Timer(
                    args.duration / 4, _sample, args=(procs[0].pid, args.duration / 2, args.py_spy)
                )
                spy.start()
            while not stop.wait(min(30.0, args.duration / 4)):
                backlog.append((time.perf_counter() - t0, _open_tasks(db)))
                loads.append(os.getloadavg()[0])
                done = len(stats.completed)
                print(
                    f"  {backlog[-1][0]:5.0f} s: {done} tasks completed, "
                    f"{backlog[-1][1]} open, load {loads[-1]:.1f}",
                    flush=True,
                )
            elapsed = time.perf_counter() - t0
            for thread in threads:
                thread.join(timeout=60)
            if spy is not None:
                spy.join()
            backlog.append((elapsed, _open_tasks(db)))
        finally:
            stop.set()
            maintenance.join(timeout=120)  # a VACUUM under way ends before the drop
            for p in procs:
                p.send_signal(signal.SIGTERM)
            for p in procs:
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
    load_end = os.getloadavg()
    _report(args, stats, elapsed, backlog, load_start, loads, load_end)
    if maintained:
        print(
            f"autovacuum is off on this server: the bench ran {len(maintained)} "
            f"VACUUM/ANALYZE at autovacuum's thresholds (scale factor {SCALE_FACTOR}), e.g. "
            + ", ".join(sorted(set(maintained))[:8])
        )
    if args.py_spy:
        _top_frames(Path(args.py_spy))


def _sample(pid: int, seconds: float, out: str) -> None:
    spy = Path(sys.executable).parent / "py-spy"
    subprocess.run(
        [str(spy), "record", "--subprocesses", "--idle", "-p", str(pid), "-d", str(int(seconds))]
        + ["-r", "50", "-f", "raw", "-o", out],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )


def _top_frames(path: Path) -> None:
    """Top ten frames by own samples, and our own functions (app/) by samples inside them."""
    if not path.exists():
        print(f"py-spy wrote nothing to {path} (is ptrace allowed?)")
        return
    own: dict[str, int] = {}
    inside: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        total += n
        own[frames[-1]] = own.get(frames[-1], 0) + n
        for frame in set(frames):
            if "/app/" in frame or "(app/" in frame:
                inside[frame] = inside.get(frame, 0) + n
    print(f"py-spy, web processes, {total} samples (idle included: waiting on the database)")
    for title, table in (("own samples", own), ("inside (app/)", inside)):
        print(f"  top ten by {title}:")
        for frame, n in sorted(table.items(), key=lambda x: -x[1])[:10]:
            print(f"    {100 * n / max(total, 1):5.1f}%  {frame}")


def _report(args, stats, elapsed, backlog, load_start, loads, load_end) -> None:  # type: ignore[no-untyped-def]
    rate = len(stats.completed) / elapsed
    # Backlog growth over the second half: the first includes filling the pipeline.
    half = [b for b in backlog if b[0] >= elapsed / 2] or backlog[-1:]
    growth = (backlog[-1][1] - half[0][1]) / max(backlog[-1][0] - half[0][0], 1e-9)
    ops = ("complete",)
    both = [s for op in ops for s in stats.latency.get(op, [])]
    print(
        f"load benchmark: {args.web} web + {args.workers} workers on PostgreSQL, "
        f"{args.clients} clients, {args.rate:.0f} cases/s started (2 tasks each), "
        f"{elapsed:.0f} s"
    )
    print(f"{'call':>10}{'count':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for op in ("start", "list", *ops):
        values = stats.latency.get(op, [])
        print(
            f"{op:>10}{len(values):>8}{percentile(values, 50) * 1000:>9.0f}"
            f"{percentile(values, 95) * 1000:>9.0f}{percentile(values, 99) * 1000:>9.0f}"
        )
    print(
        f"cases started: {stats.started} ({stats.started / elapsed:.1f}/s of "
        f"{args.rate:.0f}/s asked); errors: {stats.errors or 'none'}"
    )
    for what, answer in stats.first_error.items():
        print(f"  first {what}: {answer}")
    print(
        "backlog of open tasks (s: open): "
        + ", ".join(f"{t:.0f}: {n}" for t, n in backlog)
        + f"; growth over the second half {growth:+.2f} tasks/s"
    )
    print(
        f"load average: {load_start[0]:.1f} at the start, "
        f"{max(loads):.1f} highest sampled, {load_end[0]:.1f} at the end"
    )
    p95 = percentile(both, 95) * 1000
    print(
        "| HTTP, {w} web + {k} workers, {c} clients, {d:.0f} min | {r:.0f} tasks/s, complete "
        "p50/p95/p99 {a:.0f}/{b:.0f}/{e:.0f} ms, backlog {g:+.1f} tasks/s, load {l0:.1f}-{l1:.1f} "
        "| >= 150/s, p95 <= 150 ms: {v} |".format(
            w=args.web,
            k=args.workers,
            c=args.clients,
            d=elapsed / 60,
            r=rate,
            a=percentile(both, 50) * 1000,
            b=p95,
            e=percentile(both, 99) * 1000,
            g=growth,
            l0=min(loads),
            l1=max(loads),
            v="met" if rate >= 150 and p95 <= 150 and growth <= 0.5 else "NOT met",
        )
    )


if __name__ == "__main__":
    main()
