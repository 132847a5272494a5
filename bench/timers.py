"""Timer benchmark: 10,000 timers due at the same moment, drained by 2 and by 3 workers.

    .venv/bin/python bench/timers.py [--n 10000] [--workers 2,3] [--tick 1]

For each worker count: a scratch PostgreSQL database, n instances waiting for one moment,
then that many `stroom worker` processes started just before it. Prints the time from the
moment to the last firing, and the lag (fired - due) percentiles.
Targets: drained within 60 s; p99 lag at most one tick plus one second.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from common import ROOT, CpuParts, percentile, scratch_database
from sqlalchemy import func, select

from app.engine import service
from app.engine.deploy import deploy
from app.engine.models import Timer

DIAGRAM = ROOT / "bench" / "timer_process.bpmn"


def memory_fire_rate(n: int) -> float:
    """Timers fired per second by SpiffWorkflow alone on one core, no database: load the
    waiting workflow from the state format instances are stored in, fire its timer, run to
    the end, store it again (what a worker does per timer besides its SQL)."""
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.util.task import TaskState

    from app import clock
    from app.engine import spiff_clock
    from app.engine.parser import StroomParser
    from app.engine.script_engine import script_engine
    from app.engine.serializer import workflow_from_json, workflow_to_json

    spiff_clock.install()
    virtual = clock.VirtualClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    previous = clock.set_clock(virtual)
    try:
        parser = StroomParser()
        parser.add_bpmn_file(str(DIAGRAM))
        spec = parser.get_spec("bench_timer")
        subprocesses = parser.get_subprocess_specs("bench_timer")
        engine = script_engine()
        due = (virtual.now() + timedelta(hours=1)).isoformat()
        states = []
        for _ in range(n):
            workflow = BpmnWorkflow(spec, subprocesses, script_engine=engine)
            workflow.get_tasks(state=TaskState.READY)[0].data["wanneer"] = due
            workflow.do_engine_steps()
            states.append(workflow_to_json(workflow))
        virtual.advance(timedelta(hours=2))
        start = time.perf_counter()
        for state in states:
            workflow = workflow_from_json(state, spec, subprocesses)
            workflow.script_engine = engine
            workflow.refresh_timers()
            workflow.do_engine_steps()
            if not workflow.completed:
                raise SystemExit("the in-memory timer did not fire")
            workflow_to_json(workflow)
        return n / (time.perf_counter() - start)
    finally:
        clock.set_clock(previous)


def run(n: int, workers: int, tick: float, lead: float = 0) -> dict[str, float]:
    with scratch_database("postgresql") as db:
        with db.transaction() as session:
            deploy(session, [DIAGRAM], ROOT / "forms", actor="bench")
        # Room to start every instance before the moment, even on a busy machine.
        due = datetime.now(UTC) + timedelta(seconds=lead if lead else 30 + n / 40)
        t0 = time.perf_counter()
        for offset in range(0, n, 250):
            with db.transaction() as session:
                for i in range(offset, min(n, offset + 250)):
                    service.start_instance(
                        session,
                        "bench_timer",
                        business_key=f"T{i}",
                        data={"wanneer": due.isoformat()},
                    )
        setup = time.perf_counter() - t0
        if datetime.now(UTC) > due - timedelta(seconds=3):
            raise SystemExit(f"setting up {n} instances took {setup:.0f}s; too slow (--lead)")
        time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds() - 2))
        env = dict(
            os.environ,
            STROOM_DATABASE_URL=db.url,
            STROOM_TICK_SECONDS=str(tick),
            PYTHONPATH=str(ROOT),
        )
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "app", "worker"],
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(workers)
        ]
        cpu = CpuParts(None, [p.pid for p in procs], db.url)
        try:
            while True:
                with db.session() as session:
                    left = session.scalar(
                        select(func.count()).select_from(Timer).where(Timer.status == "waiting")
                    )
                if not left:
                    break
                if datetime.now(UTC) > due + timedelta(minutes=10):
                    raise SystemExit(f"{left} timers still waiting after 10 minutes")
                time.sleep(0.5)
            used = cpu.measure()
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                p.wait()
        with db.session() as session:
            rows = session.execute(select(Timer.due_at, Timer.fired_at)).all()
        lags = [(fired - d).total_seconds() for d, fired in rows]
        last = max(fired for _d, fired in rows)
        return {
            "setup_s": setup,
            "drain_s": (last - due).total_seconds(),
            "p50": percentile(lags, 50),
            "p90": percentile(lags, 90),
            "p99": percentile(lags, 99),
            "max": max(lags),
            "per_s": n / max((last - due).total_seconds(), 1e-9),
            "first": min(lags),
            **{f"cpu_{k}": v for k, v in used.items()},
        }


_PARTS = {"clients": "this bench"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--workers", default="2,3")
    parser.add_argument("--tick", type=float, default=1.0)
    parser.add_argument(
        "--lead", type=float, default=0, help="seconds from now to the moment (default 30 + n/40)"
    )
    args = parser.parse_args()
    print(f"timer benchmark: {args.n} timers due at one moment, tick {args.tick}s, PostgreSQL")
    print(
        f"{'workers':>8}{'drain s':>9}{'fired/s':>9}{'p50 s':>8}{'p90 s':>8}{'p99 s':>8}"
        f"{'max s':>8}  targets (drain <= 60 s, p99 <= {args.tick + 1:.0f} s)"
    )
    memory = memory_fire_rate(min(args.n, 2000))
    cores = os.cpu_count() or 1
    least = 0.99 * args.n / (memory * cores)
    print(
        f"SpiffWorkflow alone, no database: {memory:.0f} timers/s on one core; with all "
        f"{cores} cores busy and no SQL at all, the 99th percentile of {args.n} timers fires "
        f"at least {least:.1f} s after its moment"
    )
    for workers in (int(w) for w in args.workers.split(",")):
        r = run(args.n, workers, args.tick, args.lead)
        verdict = (
            ("drain met" if r["drain_s"] <= 60 else "drain NOT met")
            + ", "
            + ("p99 met" if r["p99"] <= args.tick + 1 else "p99 NOT met")
        )
        print(
            f"{workers:>8}{r['drain_s']:>9.1f}{r['per_s']:>9.0f}{r['p50']:>8.1f}"
            f"{r['p90']:>8.1f}{r['p99']:>8.1f}{r['max']:>8.1f}  {verdict}; "
            f"p99 / bound {r['p99'] / least:.2f}"
        )
        print(
            f"{'':>8}first timer fired {r['first']:.2f} s after the moment; CPU seconds from the "
            "workers' start to the last firing: "
            + ", ".join(
                f"{_PARTS.get(k[4:], k[4:])} {v:.1f}"
                for k, v in r.items()
                if k.startswith("cpu_") and k != "cpu_web"
            )
        )


if __name__ == "__main__":
    main()
