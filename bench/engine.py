"""Engine benchmark: SpiffWorkflow alone in memory vs. Stroom's persisted path.

    .venv/bin/python bench/engine.py [--n 1000] [--clients 1,2]

For one diagram (bench/engine_process.bpmn: script, gateway, two user tasks) it measures
  start   create an instance and run it to its first wait state
  step    load it, complete the waiting user task, run to the next wait state, save it
in memory (states in a Python list, in the format instances are stored in), through Stroom
on SQLite and PostgreSQL (one committed transaction per operation, as in production), and
the floor: the same locked read and write of each instance's state with nothing else, which
bounds the ratio any persisted step can reach on the machine. With `--clients 2` the same work
is split over two processes, for both the in-memory and the persisted runs, and the rates are
totals. Ratios are persisted / in-memory at the same number
of clients. Target: the persisted step on PostgreSQL reaches at least half the in-memory rate.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import io
import multiprocessing as mp
import pstats
import re
import time
from pathlib import Path

from common import ROOT, scratch_database
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, event, select, update

from app.auth import service as auth
from app.auth.principal import SYSTEM
from app.cases.models import PartyBinding
from app.cases.service import start_case
from app.db import Database
from app.engine import service
from app.engine.deploy import deploy
from app.engine.models import HumanTask, ProcessInstance
from app.engine.parser import StroomParser
from app.engine.script_engine import script_engine

DIAGRAM = ROOT / "bench" / "engine_process.bpmn"
DATA = {"minderjarigen": 2, "bedrag": 850, "naam": "J. Jansen"}
MUNICIPALITY = "haarlem"


def _prepare(db: Database) -> None:
    """The diagram, and the team that plays its party `wijkteam`, as in production."""
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


def _memory_worker(n: int, barrier, out) -> None:  # type: ignore[no-untyped-def]
    # The state format instances are stored in (without the diagram), as the persisted path.
    from app.engine.serializer import workflow_from_json, workflow_to_json

    parser = StroomParser()
    parser.add_bpmn_file(str(DIAGRAM))
    spec = parser.get_spec("bench_engine")
    subprocesses = parser.get_subprocess_specs("bench_engine")
    engine = script_engine()
    states: list[str] = []
    barrier.wait()
    t0 = time.perf_counter()
    for _ in range(n):
        workflow = BpmnWorkflow(spec, subprocesses, script_engine=engine)
        workflow.get_tasks(state=TaskState.READY)[0].data.update(DATA)
        workflow.do_engine_steps()
        states.append(workflow_to_json(workflow))
    t1 = time.perf_counter()
    barrier.wait()
    t2 = time.perf_counter()
    for i in range(n):
        workflow = workflow_from_json(states[i], spec, subprocesses)
        workflow.script_engine = engine
        task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
        task.set_data(contact=True)
        task.run()
        workflow.do_engine_steps()
        states[i] = workflow_to_json(workflow)
    out.put((t0, t1, t2, time.perf_counter()))


@functools.cache
def _statement_kind(sql: str) -> str:
    """`SELECT process_instance`, `UPDATE human_task`, `WITH 4 CTEs UPDATE process_instance`."""
    head, rest = sql.split(None, 1)
    if head == "WITH":
        mains = re.findall(r"\)\s+(UPDATE|INSERT INTO|DELETE FROM|SELECT)\s+(\w+)", sql)
        ctes = len(re.findall(r"\w+ AS\s+\(", sql))
        return f"WITH {ctes} CTEs " + (" ".join(mains[-1]) if mains else "?")
    if head in ("UPDATE", "INSERT", "DELETE"):
        return f"{head} {rest.split()[1 if head != 'UPDATE' else 0]}"
    found = re.search(r"\bFROM\s+(\w+)", rest)
    return f"{head} {found.group(1)}" if found else head


def _persisted_worker(url: str, n: int, offset: int, profile: bool, barrier, out) -> None:  # type: ignore[no-untyped-def]
    db = Database(url)
    statements: list[str] = []
    ids: list[str] = []
    barrier.wait()
    t0 = time.perf_counter()
    for i in range(n):
        with db.transaction() as session:
            ids.append(
                start_case(
                    session,
                    SYSTEM,
                    "bench_engine",
                    business_key=f"B-{offset + i}",
                    data=DATA,
                    municipality=MUNICIPALITY,
                ).id
            )
    t1 = time.perf_counter()
    with db.session() as session:
        task_of = dict(
            session.execute(
                select(HumanTask.instance_id, HumanTask.id).where(
                    HumanTask.status == "open", HumanTask.instance_id.in_(ids)
                )
            ).all()
        )
    barrier.wait()
    if len(task_of) != len(ids):
        raise SystemExit(f"{len(ids) - len(task_of)} instances did not reach their user task")
    profiler = cProfile.Profile() if profile else None

    def count(conn, cursor, statement, *rest) -> None:  # type: ignore[no-untyped-def]
        statements.append(_statement_kind(statement))

    if profiler is not None:
        # Every statement sent during the steps, to count the round trips a step costs
        # (BEGIN on PostgreSQL and every COMMIT are no cursor executions: one more each).
        event.listen(db.engine, "before_cursor_execute", count)
        profiler.enable()
    t2 = time.perf_counter()
    for instance_id in ids:
        with db.transaction() as session:
            service.complete_task(session, task_of[instance_id], {"contact": True}, "bench")
    t3 = time.perf_counter()
    if profiler is not None:
        profiler.disable()
        event.remove(db.engine, "before_cursor_execute", count)
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.sort_stats("tottime").print_stats(10)
        stats.sort_stats("cumulative").print_stats("/app/", 15)  # where our own time goes
        kinds: dict[str, int] = {}
        for statement in statements:
            kinds[statement] = kinds.get(statement, 0) + 1
        per_step = "\n".join(
            f"  {times / len(ids):6.2f}  {kind}" for kind, times in sorted(kinds.items())
        )
        print(
            f"--- {db.engine.dialect.name}, {len(ids)} steps: "
            f"{len(statements) / len(ids):.2f} statements per step\n{per_step}\n"
            f"{text.getvalue()}",
            flush=True,
        )
    barrier.wait()
    # The floor: the same locked read and write of each instance's state with no engine and
    # no other row, one committed transaction each. No persisted step can be faster.
    lock = select(ProcessInstance.state).where(ProcessInstance.id == bindparam("iid"))
    if db.engine.dialect.name == "postgresql":
        lock = lock.with_for_update()
    write = (
        update(ProcessInstance)
        .where(ProcessInstance.id == bindparam("iid"))
        .values(state=bindparam("s"), revision=ProcessInstance.revision + 1)
    )
    t4 = time.perf_counter()
    for instance_id in ids:
        with db.engine.begin() as conn:
            state = conn.execute(lock, {"iid": instance_id}).scalar_one()
            conn.execute(write, {"iid": instance_id, "s": state})
    out.put((t0, t1, t2, t3, t4, time.perf_counter()))
    db.dispose()


def _run(clients: int, n: int, target, args) -> dict[str, float]:  # type: ignore[no-untyped-def]
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(clients), ctx.Queue()
    per = n // clients
    procs = [ctx.Process(target=target, args=(*args(c, per), barrier, out)) for c in range(clients)]
    for p in procs:
        p.start()
    times = []
    for _ in procs:
        try:
            times.append(out.get(timeout=1800))
        except Exception as exc:  # noqa: BLE001 - a worker died: say so instead of hanging
            for p in procs:
                p.kill()
            raise SystemExit(f"a benchmark worker did not finish: {exc!r}") from exc
    for p in procs:
        p.join()
    start_span = max(t[1] for t in times) - min(t[0] for t in times)
    step_span = max(t[3] for t in times) - min(t[2] for t in times)
    rates = {"start": per * clients / start_span, "step": per * clients / step_span}
    if len(times[0]) == 6:  # the persisted workers also measured the floor
        floor_span = max(t[5] for t in times) - min(t[4] for t in times)
        rates["floor"] = per * clients / floor_span
    return rates


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--clients", default="1,2")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile the persisted steps (cProfile, top ten by own time) and count their "
        "statements; the step rates of such a run include the profiler's overhead",
    )
    args = parser.parse_args()

    print(f"engine benchmark, {args.n} instances, diagram {Path(DIAGRAM).name}")
    print(f"{'':22}{'start/s':>9}{'step/s':>9}{'start ratio':>13}{'step ratio':>12}")
    for clients in (int(c) for c in args.clients.split(",")):
        memory = _run(clients, args.n, _memory_worker, lambda c, per: (per,))
        rows = {f"memory x{clients}": memory}
        for backend in args.backends.split(","):
            if backend == "sqlite" and clients > 1:
                continue  # one writer at a time by design on SQLite
            with scratch_database(backend) as db:
                _prepare(db)
                rows[f"{backend} x{clients}"] = _run(
                    clients,
                    args.n,
                    _persisted_worker,
                    lambda c, per, url=db.url: (url, per, c * per, args.profile),
                )
        for name, values in rows.items():
            print(
                f"{name:22}{values['start']:>9.0f}{values['step']:>9.0f}"
                f"{values['start'] / memory['start']:>13.2f}"
                f"{values['step'] / memory['step']:>12.2f}"
            )
        for name, values in rows.items():
            if "floor" in values:
                # A step is at least the engine's own work plus the floor's round trips and
                # commit: the best ratio any persisted step could reach on this machine.
                bound = 1 / (1 + memory["step"] / values["floor"])
                # The best persisted rate: the engine's work plus the floor, per step.
                best = 1 / (1 / memory["step"] + 1 / values["floor"])
                print(
                    f"{name + ' floor':22}{'':9}{values['floor']:>9.0f}{'':13}"
                    f"{values['floor'] / memory['step']:>12.2f}"
                    f"   (locked read + write + commit, no engine; step ratio bound {bound:.2f})"
                )
                print(
                    f"{name + ' bound':22}{'':9}{best:>9.0f}{'':13}"
                    f"{values['step'] / best:>12.2f}   (= 1/(1/memory + 1/floor); the ratio "
                    f"is step / bound, target >= 0.7)"
                )
        pg = rows.get(f"postgresql x{clients}")
        if pg:
            met = pg["step"] >= 0.5 * memory["step"]
            print(
                f"  target with {clients} client(s) (PostgreSQL step >= 0.5 x in-memory): "
                f"{'met' if met else 'NOT met'}"
            )


if __name__ == "__main__":
    main()
