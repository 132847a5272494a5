"""A hostile script in a deployed diagram ends as an incident within its budget, naming the
element and the line, while other instances go on: it no longer holds SQLite's write lock for
minutes, nor a worker that was told to stop (issue 16, item 8)."""

from __future__ import annotations

import signal
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.engine.budget import Budget
from app.engine.jobs import run_due_jobs
from app.engine.models import Incident
from app.engine.sandbox import SandboxEnvironment, SandboxError
from tests.support.engine import FIXTURES, deploy_paths, instance, open_tasks, start, write_variant

# An instance whose `deler` is over 100 loops for minutes without the budget: 10**6 rounds
# (within the iteration budget) of a sum that takes a fraction of a millisecond.
HOSTILE = (
    "uitkomst = resultaat + '!'\n"
    "teller = deler / 1\n"
    "while deler > 100 and teller < 10**6:\n"
    "    teller = teller + 1 + sum(range(10**4)) * 0\n"
)


def _jobs_variant(tmp_path: Path, script: str) -> Path:
    xml = (FIXTURES / "jobs.bpmn").read_text()
    old = "uitkomst = resultaat + '!'\nteller = deler / 1"
    assert old in xml
    return write_variant(tmp_path, "jobs.bpmn", xml.replace(old, script.replace("<", "&lt;")))


@pytest.mark.timeout(120)
def test_a_hostile_script_becomes_an_incident_within_its_budget_and_others_go_on(
    db, clock, settings, tmp_path
) -> None:
    deploy_paths(db, _jobs_variant(tmp_path, HOSTILE))
    hostile = start(db, "test_jobs", "VIJANDIG", {"deler": 1000})
    ordinary = start(db, "test_jobs", "GEWOON", {"deler": 4})
    spent: list[float] = []

    def worker() -> None:  # as `stroom worker` does: one batch of due jobs
        cpu = time.thread_time()
        run_due_jobs(db, settings, "w")
        spent.append(time.thread_time() - cpu)

    thread = threading.Thread(target=worker)
    thread.start()
    # Meanwhile a request starts another instance: on SQLite it waits for the worker's write
    # transaction, which the budget keeps short (SQLite gives up after 30 s, busy_timeout).
    waited = time.monotonic()
    third = start(db, "test_jobs", "INTUSSEN", {"deler": 4})
    waited = time.monotonic() - waited
    thread.join(timeout=90)
    assert not thread.is_alive()

    with db.session() as session:
        incident = session.scalars(select(Incident)).one()
    assert incident.instance_id == hostile and incident.element_id == "rekenen"
    assert "script van 'rekenen' (Rekenen), regel 3" in incident.message, incident.message
    assert "script loopt te lang: meer dan 1 s rekentijd" in incident.message
    assert instance(db, hostile).status == "error"
    # The ordinary instance in the same batch went on to its user task.
    assert [t.element_id for t in open_tasks(db, ordinary)] == ["kijken"]
    # The request got its instance (at its service task, or past it if the batch took it).
    assert instance(db, third).status in ("running", "waiting")
    # Two evaluations of the hostile instance at most (the budget, and the watchdog's
    # grace), and the rest of the batch: seconds of CPU, not minutes.
    assert spent[0] < Budget.MAX_SECONDS + 2.0, f"the batch took {spent[0]:.1f} s CPU"
    assert waited < 20, f"the other request waited {waited:.0f} s for the write lock"


LOOP = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    id="d" targetNamespace="t">
  <bpmn:process id="test_lus" name="Lus" isExecutable="true">
    <bpmn:startEvent id="gestart"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="rekenen" name="Rekenen" scriptFormat="python">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:incoming>f3</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>teller = teller + 1 + sum(sum(range(10**4)) for i in range(99)) * 0
      </bpmn:script>
    </bpmn:scriptTask>
    <bpmn:exclusiveGateway id="nogmaals" default="f3">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:outgoing>f4</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="f1" sourceRef="gestart" targetRef="rekenen" />
    <bpmn:sequenceFlow id="f2" sourceRef="rekenen" targetRef="nogmaals" />
    <bpmn:sequenceFlow id="f3" sourceRef="nogmaals" targetRef="rekenen" />
    <bpmn:sequenceFlow id="f4" sourceRef="nogmaals" targetRef="klaar">
      <bpmn:conditionExpression>teller &gt; 10**9</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:endEvent id="klaar"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""
LOOP_CATALOGUE = """proces: test_lus
verwerkingsactiviteit: test
partijen:
  behandelaar: {naam: Behandelaar}
fasen:
  alles: [gestart, rekenen, nogmaals, klaar]
velden:
  teller:
    omschrijving: Teller
    categorie: proces
    type: getal
    doel: test
    grondslag: publieke_taak
    bewaartermijn: P1M
    voorbeeld: 0
    lezen: {behandelaar: "*"}
start: {verplicht: [teller]}
"""


def test_a_loop_of_script_tasks_shares_one_budget_per_run(db, clock, tmp_path, monkeypatch) -> None:
    """Each round through the loop stays well within the budget of one evaluation; together
    they would hold the instance (and on SQLite the database) as long as the loop goes on."""
    monkeypatch.setattr(Budget, "RUN_SECONDS", 0.5)
    deploy_paths(db, write_variant(tmp_path, "lus.bpmn", LOOP, LOOP_CATALOGUE))
    cpu = time.thread_time()
    instance_id = start(db, "test_lus", "LUS", {"teller": 0})
    assert time.thread_time() - cpu < 0.5 + Budget.MAX_SECONDS + 1.0
    with db.session() as session:
        incident = session.scalars(select(Incident)).one()
    assert incident.instance_id == instance_id and incident.element_id == "rekenen"
    assert "alle berekeningen samen meer dan 0,5 s rekentijd" in incident.message


def test_the_run_budget_is_shared_by_every_evaluation_inside_it() -> None:
    from app.engine.budget import evaluation_budget

    env = SandboxEnvironment({})
    cpu = time.thread_time()
    with evaluation_budget(0.3), pytest.raises(SandboxError, match="samen meer dan 0,3 s"):
        for _ in range(10_000):
            env.execute("x = sum(sum(range(10**4)) for i in range(10))", {})
    assert time.thread_time() - cpu < 0.3 + Budget.MAX_SECONDS


# -- SIGTERM -----------------------------------------------------------------------------------


def _timer_variant(tmp_path: Path) -> Path:
    xml = (FIXTURES / "timer.bpmn").read_text()
    # Minutes of work without the budget: 10**6 steps (within the iteration budget) of a sum.
    script = "afgegaan = sum(sum(range(10**4)) for i in range(10**6)) &lt; 0"
    return write_variant(tmp_path, "timer.bpmn", xml.replace("afgegaan = True", script))


@pytest.mark.serial
@pytest.mark.slow
@pytest.mark.timeout(180)
def test_a_worker_told_to_stop_during_a_hostile_script_stops_within_the_budget(
    db, tmp_path
) -> None:
    """The worker runs timers in a thread pool and waits for them when SIGTERM comes: before
    the budget a hostile script kept it running for as long as the script ran."""
    from tests.engine.test_scheduler import _first_line, _worker_with_output

    deploy_paths(db, _timer_variant(tmp_path))
    worker = _worker_with_output(db)
    try:
        assert "gestart" in _first_line(worker)
        due = datetime.now(UTC) + timedelta(seconds=1)
        instance_id = start(db, "test_timer", "SIGTERM", {"wanneer": due.isoformat()})
        # The worker ticks every second: by now it is evaluating the script.
        time.sleep((due - datetime.now(UTC)).total_seconds() + 1.5)
        stopped = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
        stopped = time.monotonic() - stopped
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    with db.session() as session:
        incident = session.scalars(select(Incident)).one()
    assert incident.instance_id == instance_id and "te lang" in incident.message
    assert worker.returncode == 0
    assert stopped < 30, f"the worker took {stopped:.0f} s to stop"
