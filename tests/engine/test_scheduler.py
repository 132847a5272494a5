"""Timers that hold: Amsterdam time across DST, exactly once with several workers, after a
SIGKILL, and after downtime. The multi-process tests run real `stroom worker` processes on
PostgreSQL with the real clock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from app.db import Database
from app.engine import service
from app.engine.errors import DeploymentError
from app.engine.models import Incident, InstanceEvent, ProcessInstance, Timer
from app.engine.timers import drain_timers
from tests.support.engine import FIXTURES, deploy_paths, instance, write_variant

# Worker processes measured against the clock: run alone, after the parallel part.
pytestmark = pytest.mark.serial

TIMER = FIXTURES / "timer.bpmn"
ROOT = FIXTURES.parent.parent


def _start_many(
    db: Database,
    count: int,
    moment: Callable[[int], datetime],
    *,
    batch: int = 100,
    committed_ahead: bool = False,
) -> datetime:
    """`count` instances, instance n waiting for moment(n), asked just before it starts (the
    moment must lie in the future then: a timer already due when its instance starts fires
    during the start itself). With committed_ahead, each batch must be committed before the
    first of its moments: running workers see a timer only once it is committed. Returns the
    latest moment."""
    latest = datetime.min.replace(tzinfo=UTC)
    for offset in range(0, count, batch):
        moments = []
        with db.transaction() as session:
            for n in range(offset, min(offset + batch, count)):
                moments.append(moment(n))
                service.start_instance(
                    session,
                    "test_timer",
                    business_key=f"T-{n}",
                    data={"wanneer": moments[-1].isoformat()},
                    actor="test",
                )
        if committed_ahead:
            assert datetime.now(UTC) < min(moments), "setting up took too long for this machine"
        latest = max(latest, *moments)
    return latest


def _soon(_n: int) -> datetime:
    """A second from now: due as soon as the setup is done."""
    return datetime.now(UTC) + timedelta(seconds=1)


def test_timer_set_in_october_fires_at_amsterdam_time_in_march(db, clock) -> None:
    deploy_paths(db, TIMER)
    clock.set(datetime(2026, 10, 15, 12, 0, tzinfo=UTC))  # summer time (+02:00) in Amsterdam
    instance_id = _start(db, "2027-03-15T09:00:00+01:00")  # winter time (+01:00)
    with db.session() as session:
        timer = session.scalars(select(Timer)).one()
    assert timer.due_at == datetime(2027, 3, 15, 8, 0, tzinfo=UTC)

    clock.set(datetime(2027, 3, 15, 7, 59, 59, tzinfo=UTC))
    assert drain_timers(db, 10) == 0
    clock.set(datetime(2027, 3, 15, 8, 0, tzinfo=UTC))
    assert drain_timers(db, 10) == 1
    assert instance(db, instance_id).status == "completed"


def test_a_summer_moment_keeps_its_offset(db, clock) -> None:
    deploy_paths(db, TIMER)
    clock.set(datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    _start(db, "2027-06-01T09:00:00+02:00")
    with db.session() as session:
        assert session.scalars(select(Timer.due_at)).one() == datetime(2027, 6, 1, 7, 0, tzinfo=UTC)


def test_naive_moment_becomes_an_incident_not_a_row(db, clock) -> None:
    deploy_paths(db, TIMER)
    instance_id = _start(db, "2027-03-15T09:00:00")
    assert instance(db, instance_id).status == "error"
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Timer)) == 0
        incident = session.scalars(select(Incident)).one()
    assert "tijdzone" in incident.message and incident.element_id == "moment"


def test_database_layer_refuses_naive_datetimes(db, clock) -> None:
    deploy_paths(db, TIMER)
    instance_id = _start(db, "2027-03-15T09:00:00+01:00")
    with pytest.raises(Exception, match="naive datetime"):
        with db.transaction() as session:
            session.add(
                Timer(
                    instance_id=instance_id,
                    spiff_task_id="x",
                    element_id="x",
                    kind="date",
                    due_at=datetime(2027, 1, 1),
                    created_at=datetime.now(UTC),
                )
            )


def test_deploy_refuses_timers_that_fail_with_sample_data(db, tmp_path) -> None:
    catalogue = (FIXTURES / "timer.catalogus.yaml").read_text()
    cases = {
        "naive": (
            "${wanneer}",
            catalogue.replace('"2026-03-05T09:00:00+01:00"', '"2026-03-05T09:00:00"'),
            "tijdzone",
        ),
        "not iso": ("${'volgende week'}", catalogue, "ISO-8601"),
        "unknown variable": ("${deurwaarderdatum}", catalogue, "deurwaarderdatum"),
        "not a string": ("${42}", catalogue, "verwacht een ISO-8601-tekst"),
    }
    for name, (expression, cat, expected) in cases.items():
        folder = tmp_path / name.replace(" ", "_")
        folder.mkdir()
        path = write_variant(
            folder, "timer.bpmn", TIMER.read_text().replace("${wanneer}", expression)
        )
        (folder / "timer.catalogus.yaml").write_text(cat)
        with pytest.raises(DeploymentError) as info:
            deploy_paths(db, path)
        assert info.value.problems[0].element == "moment", name
        assert expected in info.value.problems[0].message, (name, info.value.problems)


@pytest.mark.parametrize(
    ("kind", "expression", "expected"),
    [
        ("timeDuration", "P5 dagen", "P5 dagen"),
        ("timeDuration", "${werkdagen('vijf')}", "werkdagen"),
        ("timeCycle", "R/elke maand", "ISO-8601"),
        ("timeCycle", "${onbekend_interval}", "onbekend_interval"),
    ],
)
def test_deploy_refuses_bad_durations_and_cycles(db, tmp_path, kind, expression, expected) -> None:
    xml = TIMER.read_text().replace(
        "<bpmn:timeDate>${wanneer}</bpmn:timeDate>", f"<bpmn:{kind}>{expression}</bpmn:{kind}>"
    )
    with pytest.raises(DeploymentError) as info:
        deploy_paths(db, write_variant(tmp_path, "timer.bpmn", xml))
    problem = info.value.problems[0]
    assert problem.element == "moment" and expected in problem.message, info.value.problems


def _start(db: Database, moment: str) -> str:
    with db.transaction() as session:
        return service.start_instance(
            session, "test_timer", business_key="T", data={"wanneer": moment}, actor="test"
        ).id


# -- several processes, real clock, PostgreSQL ---------------------------------------------------

TICK = 1.0


def _worker(db: Database) -> subprocess.Popen:
    env = dict(
        os.environ,
        STROOM_TICK_SECONDS=str(TICK),
        STROOM_BATCH_SIZE="50",
        STROOM_DATABASE_URL=db.url,
        PYTHONPATH=str(ROOT),
    )
    # Test handlers are not needed: the timer diagram has no service tasks. Its standard
    # output is the one line saying it started (the log goes to standard error).
    return subprocess.Popen(
        [sys.executable, "-m", "app", "worker"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def _wait(condition, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def _fired_counts(db: Database) -> Counter:
    with db.session() as session:
        return Counter(
            session.scalars(
                select(InstanceEvent.instance_id).where(InstanceEvent.kind == "timer_fired")
            ).all()
        )


def _assert_all_fired_once(db: Database, total: int) -> None:
    counts = _fired_counts(db)
    assert len(counts) == total and set(counts.values()) == {1}
    with db.session() as session:
        statuses = Counter(session.scalars(select(ProcessInstance.status)).all())
        waiting = session.scalar(
            select(func.count()).select_from(Timer).where(Timer.status == "waiting")
        )
        scripts = session.scalar(
            text("SELECT count(*) FROM instance_event WHERE kind = 'instance_completed'")
        )
    # Consistent: every instance ran its script and ended; no timer row left behind.
    assert statuses == Counter({"completed": total}) and waiting == 0 and scripts == total


def _stop(*procs: subprocess.Popen) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=30)  # a loaded machine can take a while to shut a worker down
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()  # gone before the database is cleaned for the next test
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.mark.postgres_only
@pytest.mark.slow
def test_three_workers_fire_a_thousand_timers_exactly_once_and_on_time(db) -> None:
    deploy_paths(db, TIMER)
    workers = [_worker(db) for _ in range(3)]
    try:
        for worker in workers:  # running: start-up time is not part of the lead
            assert "gestart" in _first_line(worker)
        # Due over 20 seconds, put in earliest first, a batch of 100 (2 s of the spread) at a
        # time, while the workers run. A batch takes about 0.7 s here (150 a second, three
        # times the spread's 50): the lead covers the first batch seven times over, and the
        # last batch is still ahead of its moments at up to 2.3 s a batch (43 a second); a
        # slower machine fails the setup's assertion, not the timers'.
        start = datetime.now(UTC) + timedelta(seconds=5)
        _start_many(
            db, 1000, lambda n: start + timedelta(seconds=20 * n / 1000), committed_ahead=True
        )
        _wait(lambda: sum(_fired_counts(db).values()) >= 1000, timeout=120)
    finally:
        _stop(*workers)
    _assert_all_fired_once(db, 1000)
    with db.session() as session:
        lags = [
            (fired - due).total_seconds()
            for due, fired in session.execute(select(Timer.due_at, Timer.fired_at)).all()
        ]
    assert max(lags) <= TICK + 1.0, f"slowest timer fired {max(lags):.2f}s after due"


@pytest.mark.postgres_only
@pytest.mark.slow
def test_sigkill_while_firing_loses_nothing_and_repeats_nothing(db) -> None:
    deploy_paths(db, TIMER)
    _sleep_past(_start_many(db, 600, _soon))  # every one is due
    victim = _worker(db)
    try:
        _wait(lambda: sum(_fired_counts(db).values()) >= 50, timeout=60)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        fired_before = sum(_fired_counts(db).values())
        assert fired_before < 600, "the worker finished before it could be killed"
        survivor = _worker(db)
        try:
            _wait(lambda: sum(_fired_counts(db).values()) >= 600, timeout=120)
            time.sleep(2 * TICK)  # a repeat would show up here
        finally:
            _stop(survivor)
    finally:
        _stop(victim)
    _assert_all_fired_once(db, 600)


@pytest.mark.postgres_only
@pytest.mark.slow
def test_timers_due_during_downtime_fire_once_on_start(db) -> None:
    deploy_paths(db, TIMER)
    # Nothing runs while they come due.
    _sleep_past(_start_many(db, 200, _soon))
    worker = _worker(db)
    try:
        _wait(lambda: sum(_fired_counts(db).values()) >= 200, timeout=60)
        time.sleep(2 * TICK)
    finally:
        _stop(worker)
    _assert_all_fired_once(db, 200)


def _sleep_past(moment: datetime) -> None:
    """Until `moment` has passed (a timer due then is due now)."""
    time.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()) + 0.1)


def _worker_with_output(db: Database) -> subprocess.Popen:
    env = dict(
        os.environ, STROOM_TICK_SECONDS=str(TICK), STROOM_DATABASE_URL=db.url, PYTHONPATH=str(ROOT)
    )
    return subprocess.Popen(
        [sys.executable, "-m", "app", "worker"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _first_line(proc: subprocess.Popen, timeout: float = 60) -> str:
    import selectors

    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if selector.select(timeout=0.5):
            line = proc.stdout.readline()
            if line and ("gestart" in line or "Error" in line or "draait" in line):
                return line
            if not line and proc.poll() is not None:
                return ""
    raise AssertionError("the worker said nothing")


@pytest.mark.slow
def test_one_scheduler_on_sqlite_and_a_stopped_worker_hands_over_at_once(db) -> None:
    if not db.is_sqlite:
        pytest.skip("PostgreSQL runs any number of workers")
    first = _worker_with_output(db)
    try:
        assert "gestart" in _first_line(first)
        second = _worker_with_output(db)
        out, _ = second.communicate(timeout=60)
        assert second.returncode != 0 and "gestart" not in out, out
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=30) == 0
        # The lease went with it: a new worker starts now, not when the lease expires.
        third = _worker_with_output(db)
        try:
            assert "gestart" in _first_line(third)
        finally:
            _stop(third)
    finally:
        _stop(first)


@pytest.mark.slow
def test_a_stopped_server_hands_its_worker_lease_over_at_once(db) -> None:
    """`stroom serve` runs a worker in-process; stopping it (SIGTERM, as docker stop does)
    gives the lease back, so starting it again works at once on SQLite."""
    if not db.is_sqlite:
        pytest.skip("the lease matters on SQLite")
    import socket

    def serve() -> subprocess.Popen:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        env = dict(os.environ, STROOM_DATABASE_URL=db.url, PYTHONPATH=str(ROOT))
        return subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def started(proc: subprocess.Popen) -> str:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if "draait op" in line or "Error" in line:
                return line
            if not line and proc.poll() is not None:
                return ""
        raise AssertionError("the server said nothing")

    first = serve()
    try:
        assert "draait op" in started(first)
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=30) == 0
        second = serve()
        try:
            assert "draait op" in started(second)
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=30)
    finally:
        _stop(first)
