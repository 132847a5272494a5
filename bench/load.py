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

The bound (`--floor SECONDS`, default 60; 0 skips it): first the same starters and clients
against bench/floor_app.py under the same gunicorn config (a token check and the least SQL
each call needs, nothing of ours), then SpiffWorkflow alone in memory on the same diagram;
bound = 1/(1/floor + 1/memory), as bench/engine.py's. Every run also reports the CPU
seconds of each part (web, workers, the database's PostgreSQL backends, this process, the
machine's other users) and the CPU bound: the tasks/s the machine's cores could serve at the
run's CPU cost per request, which the other users' load does not enter.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from common import ROOT, CpuParts, percentile, scratch_database
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
    # core-seconds per part, see common.CpuParts
    cpu: dict[str, float] = field(default_factory=dict)

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


def _servers(url: str, args, app: str, workers: int) -> tuple[str, list[subprocess.Popen]]:  # type: ignore[type-arg, no-untyped-def]
    """gunicorn with deploy/gunicorn.conf.py serving `app`, and `workers` `stroom worker`
    processes, on url's database; returns (base URL, processes) once the web answers."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(
        os.environ,
        STROOM_DATABASE_URL=url,
        STROOM_SECRET_KEY="bench-" + os.urandom(16).hex(),
        STROOM_BIND=f"127.0.0.1:{port}",
        STROOM_WEB_WORKERS=str(args.web),
        # The API's per-token limit protects partners from each other; here every request
        # is wanted load.
        STROOM_API_RATE_LIMIT="1000000 per minute",
        STROOM_LOG_LEVEL="WARNING",
        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "bench")]),
    )
    bindir = Path(sys.executable).parent
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": ROOT}
    procs = [
        subprocess.Popen(
            [str(bindir / "gunicorn"), "-c", "deploy/gunicorn.conf.py", app],
            env=env,
            **quiet,  # type: ignore[arg-type]
        ),
        *(
            subprocess.Popen([sys.executable, "-m", "app", "worker"], env=env, **quiet)  # type: ignore[call-overload]
            for _ in range(workers)
        ),
    ]
    try:
        _wait_for(f"{base}{API}/openapi.json", 60)
    except BaseException:
        _stop(procs)
        raise
    return base, procs


def _stop(procs: list[subprocess.Popen]) -> None:  # type: ignore[type-arg]
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()


def _drive(
    base: str,
    operator: str,
    people: list[str],
    args,  # type: ignore[no-untyped-def]
    duration: float,
    open_tasks,  # type: ignore[no-untyped-def]
    procs: list[subprocess.Popen],  # type: ignore[type-arg]
    url: str,
    spy_pid: int | None = None,
) -> tuple[Stats, float, list[tuple[float, int]], list[float]]:
    """The starters and the clients against `base` for `duration` seconds; returns the
    stats, the elapsed time, the backlog samples and the load samples."""
    stop = threading.Event()
    stats = Stats()
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
            threading.Thread(target=_client, args=(base, token, stop, stats, i), daemon=True)
            for i, token in enumerate(people)
        ),
    ]
    backlog = [(0.0, open_tasks())]
    loads = [os.getloadavg()[0]]
    cpu = CpuParts(procs[0].pid if procs else None, [p.pid for p in procs[1:]], url)
    t0 = time.perf_counter()
    for thread in threads:
        thread.start()
    timer = threading.Timer(duration, stop.set)
    timer.start()
    spy = None
    if spy_pid is not None:
        spy = threading.Timer(duration / 4, _sample, args=(spy_pid, duration / 2, args.py_spy))
        spy.start()
    try:
        while not stop.wait(min(30.0, duration / 4)):
            backlog.append((time.perf_counter() - t0, open_tasks()))
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
        stats.cpu = cpu.measure()
        backlog.append((elapsed, open_tasks()))
    finally:
        stop.set()
        timer.cancel()
    return stats, elapsed, backlog, loads


@dataclass
class Floor:
    """What this machine does at best with the same layout and traffic (see `_floor`)."""

    http: float  # completed tasks/s of the floor app (bench/floor_app.py)
    requests: float  # its API requests/s
    complete_p95: float  # its completion p95, seconds
    memory: float  # SpiffWorkflow in memory, tasks/s (a step and half a start each), x web
    cpu_bound: float  # tasks/s at its CPU cost per request, see _cpu_bound
    loads: tuple[float, float]

    @property
    def bound(self) -> float:
        """The best completed tasks/s a Stroom over HTTP could reach here: the floor's
        requests plus SpiffWorkflow's own work per task, as engine.py's bound."""
        return 1 / (1 / self.http + 1 / self.memory)


def _floor(db, operator: str, people: list[str], args) -> Floor:  # type: ignore[no-untyped-def]
    """The bound for this run: (1) bench/floor_app.py served by the same gunicorn config,
    driven by the same starters and clients for `--floor` seconds: a token check and the
    least SQL each call must do (see its text), nothing of ours; (2) SpiffWorkflow alone in
    memory on the same diagram in `--web` processes (bench/engine.py's measurement): per
    completed task one step and half a start (each case brings two tasks)."""
    import floor_app
    from engine import _memory_worker, _run

    # The best of three short runs: the machine is shared, and this is a bound.
    memory_tasks = max(
        1 / (1 / m["step"] + 0.5 / m["start"])
        for m in (_run(args.web, 1000, _memory_worker, lambda c, per: (per,)) for _ in range(3))
    )
    floor_app.prepare(db.url)

    def open_tasks() -> int:
        with db.engine.connect() as conn:
            return int(
                conn.execute(text("SELECT count(*) FROM floor_task WHERE status = 'open'")).scalar()
                or 0
            )

    base, procs = _servers(db.url, args, "floor_app:app", 0)
    try:
        print(f"floor: bench/floor_app.py, same gunicorn config, {args.floor:.0f} s", flush=True)
        stats, elapsed, backlog, loads = _drive(
            base, operator, people, args, args.floor, open_tasks, procs, db.url
        )
    finally:
        _stop(procs)
    _report(args, stats, elapsed, backlog, loads, label="floor")
    requests = sum(len(v) for v in stats.latency.values()) / elapsed
    return Floor(
        http=len(stats.completed) / elapsed,
        requests=requests,
        complete_p95=percentile(stats.latency.get("complete", []), 95),
        memory=memory_tasks,
        cpu_bound=_cpu_bound(stats, requests * elapsed),
        loads=(min(loads), max(loads)),
    )


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
        "--floor",
        type=float,
        default=60,
        metavar="SECONDS",
        help="first measure the bound for `SECONDS` (bench/floor_app.py under the same "
        "gunicorn config and traffic, and SpiffWorkflow in memory); 0: skip it",
    )
    parser.add_argument(
        "--py-spy",
        metavar="FILE",
        help="sample the web processes with py-spy during the middle half of the run (needs "
        "py-spy and ptrace); collapsed stacks to FILE and the top frames printed",
    )
    args = parser.parse_args()
    if args.duration + args.floor > MAX_SECONDS:
        raise SystemExit(f"--duration + --floor at most {MAX_SECONDS} s: the bench stops by itself")
    load_start = os.getloadavg()
    floor = None
    with scratch_database("postgresql") as db:
        operator, people = _prepare(db, args.clients)
        if args.floor:
            floor = _floor(db, operator, people, args)
        if args.backlog:
            seeding = time.perf_counter()
            _seed_backlog(db, args.backlog)
            print(f"backlog: {args.backlog} cases in {time.perf_counter() - seeding:.0f} s")
        maintained: list[str] = []
        done = threading.Event()
        maintenance = threading.Thread(
            target=_autovacuum, args=(db.url, done, maintained), daemon=True
        )
        maintenance.start()
        try:
            base, procs = _servers(db.url, args, "app.wsgi:app", args.workers)
            try:
                stats, elapsed, backlog, loads = _drive(
                    base,
                    operator,
                    people,
                    args,
                    args.duration,
                    lambda: _open_tasks(db),
                    procs,
                    db.url,
                    procs[0].pid if args.py_spy else None,
                )
            finally:
                _stop(procs)
        finally:
            done.set()
            maintenance.join(timeout=120)  # a VACUUM under way ends before the drop
    load_end = os.getloadavg()
    _report(args, stats, elapsed, backlog, loads, load_start=load_start, load_end=load_end)
    if floor is not None:
        rate = len(stats.completed) / elapsed
        requests = sum(len(v) for v in stats.latency.values()) / elapsed
        print(
            f"bound: floor {floor.http:.0f} tasks/s ({floor.requests:.0f} requests/s, complete "
            f"p95 {floor.complete_p95 * 1000:.0f} ms, load {floor.loads[0]:.1f}-"
            f"{floor.loads[1]:.1f}); SpiffWorkflow in memory x{args.web} {floor.memory:.0f} "
            f"tasks/s; bound = 1/(1/floor + 1/memory) = {floor.bound:.0f} tasks/s"
        )
        print(
            f"Stroom: {rate:.0f} tasks/s ({requests:.0f} requests/s) = {rate / floor.bound:.2f} "
            f"of the bound, {rate / floor.http:.2f} of the floor; the target 150/s is "
            f"{150 / floor.bound:.2f} of the bound"
        )
        ours = _cpu_bound(stats, requests * elapsed)
        print(
            f"CPU bounds (load-independent): floor {floor.cpu_bound:.0f} tasks/s, Stroom "
            f"{ours:.0f} tasks/s = {ours / floor.cpu_bound:.2f} of the floor's"
        )
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
    """Of the samples inside a request (`Flask.wsgi_app`; the idle threads, the arbiter and
    the script watchdog left out): the share spent waiting on PostgreSQL, the top frames by
    own samples, and our own functions (app/) and the libraries' entry points by samples
    inside them."""
    if not path.exists():
        print(f"py-spy wrote nothing to {path} (is ptrace allowed?)")
        return
    own: dict[str, int] = {}
    inside: dict[str, int] = {}
    total = requests = waiting = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        total += n
        if not any("Flask.wsgi_app" in frame for frame in frames):
            continue
        requests += n
        waiting += n if frames[-1].startswith("Connection.wait ") else 0
        own[frames[-1]] = own.get(frames[-1], 0) + n
        # A function's samples at all its lines: "name (file)".
        for function in {re.sub(r":\d+\)$", ")", frame) for frame in frames}:
            if "(app/" in function or "limiter" in function:
                inside[function] = inside.get(function, 0) + n
    print(
        f"py-spy, web processes: {total} samples, {requests} inside requests, of which "
        f"{100 * waiting / max(requests, 1):.0f}% waiting on PostgreSQL (Connection.wait)"
    )
    for title, table, top in (("own samples", own, 10), ("inside", inside, 30)):
        print(f"  top {top} by {title} (% of request samples):")
        for frame, n in sorted(table.items(), key=lambda x: -x[1])[:top]:
            print(f"    {100 * n / max(requests, 1):5.1f}%  {frame}")


# Requests per completed task with no backlog growth: a list, a completion, half a start.
REQUESTS_PER_TASK = 2.5


def _cpu_bound(stats: Stats, requests: float) -> float:
    """Completed tasks/s the machine's cores could serve at this run's CPU cost per request
    (the web processes', the workers' and the PostgreSQL backends'; not the clients'), at
    REQUESTS_PER_TASK requests a task. The machine's other users do not enter it, so unlike
    the tasks/s it compares runs taken at different loads."""
    per_request = sum(stats.cpu.get(k, 0.0) for k in ("web", "workers", "PostgreSQL")) / requests
    return (os.cpu_count() or 1) / (per_request * REQUESTS_PER_TASK)


def _report(  # type: ignore[no-untyped-def]
    args, stats, elapsed, backlog, loads, label="Stroom", load_start=None, load_end=None
) -> None:
    rate = len(stats.completed) / elapsed
    # Backlog growth over the second half: the first includes filling the pipeline.
    half = [b for b in backlog if b[0] >= elapsed / 2] or backlog[-1:]
    growth = (backlog[-1][1] - half[0][1]) / max(backlog[-1][0] - half[0][0], 1e-9)
    ops = ("complete",)
    both = [s for op in ops for s in stats.latency.get(op, [])]
    workers = 0 if label == "floor" else args.workers
    print(
        f"{label}: {args.web} web + {workers} workers on PostgreSQL, "
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
    requests = sum(len(v) for v in stats.latency.values()) / elapsed
    print(f"API requests: {requests:.1f}/s")
    if stats.cpu:
        machine = sum(stats.cpu.values())
        print(
            "CPU, core-seconds (share of the machine's): "
            + ", ".join(f"{k} {v:.0f} ({100 * v / machine:.0f}%)" for k, v in stats.cpu.items())
            + (
                f"; web per API request {1000 * stats.cpu['web'] / (requests * elapsed):.1f} "
                f"ms, PostgreSQL {1000 * stats.cpu['PostgreSQL'] / (requests * elapsed):.1f} ms"
                if requests
                else ""
            )
        )
        if requests:
            print(
                f"CPU bound: {_cpu_bound(stats, requests * elapsed):.0f} tasks/s if the "
                f"machine's {os.cpu_count()} cores did nothing else (web + workers + "
                f"PostgreSQL CPU per request x {REQUESTS_PER_TASK} requests per task)"
            )
    if label == "floor":
        print(f"load average sampled: {min(loads):.1f}-{max(loads):.1f}")
        return
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
    if sys.argv[1:2] == ["--frames"]:  # `load.py --frames FILE`: read a kept py-spy file again
        _top_frames(Path(sys.argv[2]))
    else:
        main()
