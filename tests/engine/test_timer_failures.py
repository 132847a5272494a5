"""A timer whose firing fails (its instance cannot be loaded or saved): retried with the jobs'
backoff, then an incident on the instance that the worker respects and a repair resolves;
the drain of due timers ends even when broken instances fill its batches; a worker killed
while recording leaves nothing half."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from app.engine import failures, service, timers
from app.engine.models import Incident, InstanceEvent, ProcessInstance, Timer
from app.engine.timers import drain_timers
from tests.support.engine import FIXTURES, deploy_paths, instance, kinds, open_tasks, write_variant

BROKEN = '{"kapot": '  # a state no JSON reader reads: the instance cannot be loaded


def timer_then_task(tmp_path: Path) -> Path:
    """test_timer with a person's task after the timer (the case goes on, not ends)."""
    xml = (FIXTURES / "timer.bpmn").read_text()
    xml = xml.replace(
        '<bpmn:endEvent id="klaar"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>',
        '<bpmn:userTask id="kijken" name="Kijken" camunda:candidateGroups="wijkteam">'
        '<bpmn:extensionElements><camunda:properties><camunda:property name="partij" '
        'value="team" /></camunda:properties></bpmn:extensionElements>'
        "<bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>"
        '<bpmn:endEvent id="klaar"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>'
        '<bpmn:sequenceFlow id="f4" sourceRef="kijken" targetRef="klaar" />',
    )
    xml = xml.replace(
        'sourceRef="noteren" targetRef="klaar"', 'sourceRef="noteren" targetRef="kijken"'
    )
    catalogue = (FIXTURES / "timer.catalogus.yaml").read_text()
    catalogue = catalogue.replace("noteren, klaar]", "noteren, kijken, klaar]")
    return write_variant(tmp_path, "timer_taak.bpmn", xml, catalogue)


@pytest.fixture
def deployed(db, clock, tmp_path):
    deploy_paths(db, timer_then_task(tmp_path))
    return db


def start(db, key: str, clock) -> str:
    moment = (clock.now() + timedelta(hours=1)).isoformat()
    with db.transaction() as session:
        row = service.start_instance(
            session, "test_timer", business_key=key, data={"wanneer": moment}, actor="test"
        )
        return row.id


def break_state(db, instance_id: str) -> str:
    """Make the instance unloadable; returns its good state, to put back as the repair."""
    with db.transaction() as session:
        good = session.get(ProcessInstance, instance_id).state
        session.execute(
            update(ProcessInstance).where(ProcessInstance.id == instance_id).values(state=BROKEN)
        )
    return good


def put_back(db, instance_id: str, state: str) -> None:
    with db.transaction() as session:
        session.execute(
            update(ProcessInstance).where(ProcessInstance.id == instance_id).values(state=state)
        )


def incidents(db, instance_id: str) -> list[Incident]:
    with db.session() as session:
        return list(
            session.scalars(
                select(Incident).where(Incident.instance_id == instance_id).order_by(Incident.id)
            )
        )


def timer_row(db, instance_id: str) -> Timer:
    with db.session() as session:
        return session.scalars(select(Timer).where(Timer.instance_id == instance_id)).one()


def failed_attempts(db, instance_id: str) -> list[dict]:
    with db.session() as session:
        return [
            e.details
            for e in session.scalars(
                select(InstanceEvent)
                .where(
                    InstanceEvent.instance_id == instance_id, InstanceEvent.kind == "timer_failed"
                )
                .order_by(InstanceEvent.id)
            )
        ]


@pytest.fixture
def rounds(monkeypatch):
    """Counts the batches a drain runs; more than 20 fails the test instead of hanging it."""
    count = [0]
    original = timers._fire

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        count[0] += 1
        if count[0] > 20:
            raise AssertionError("drain_timers loopt eindeloos")
        return original(*args, **kwargs)

    monkeypatch.setattr(timers, "_fire", counted)
    return count


def test_drain_ends_when_broken_instances_fill_its_batch(deployed, clock, settings, rounds) -> None:
    ids = [start(deployed, f"K{i}", clock) for i in range(2)]
    for instance_id in ids:
        break_state(deployed, instance_id)
    clock.advance(timedelta(hours=2))
    # Two broken instances in a batch of two: nothing advanced, so the drain ends.
    assert drain_timers(deployed, 2, "timer", settings) == 0
    assert rounds[0] <= 3


def test_a_timer_that_cannot_fire_is_retried_with_backoff_then_an_incident(
    deployed, clock, settings, rounds
) -> None:
    broken = start(deployed, "KAPOT", clock)
    healthy = start(deployed, "GOED", clock)
    due = timer_row(deployed, broken).due_at
    break_state(deployed, broken)
    clock.advance(timedelta(hours=2))
    t0 = clock.now()

    assert drain_timers(deployed, 10, "timer", settings) == 1  # the healthy one fired
    assert [t.element_id for t in open_tasks(deployed, healthy)] == ["kijken"]
    [first] = failed_attempts(deployed, broken)
    assert first["attempt"] == 1 and first["retry_at"] == (t0 + timedelta(seconds=10)).isoformat()
    assert "JSONDecodeError" in first["error"] and "Traceback" not in first["error"]
    assert timer_row(deployed, broken).due_at == t0 + timedelta(seconds=10)  # the next attempt
    assert instance(deployed, broken).status == "waiting"  # no incident yet
    assert drain_timers(deployed, 10, "timer", settings) == 0  # backoff: not yet
    assert len(failed_attempts(deployed, broken)) == 1

    for wait in (10, 20, 40):  # attempts 2, 3 and 4 (job_retries = 3)
        clock.advance(timedelta(seconds=wait))
        assert drain_timers(deployed, 10, "timer", settings) == 0
    assert [a["attempt"] for a in failed_attempts(deployed, broken)] == [1, 2, 3, 4]
    [incident] = incidents(deployed, broken)
    assert incident.kind == failures.FIRING and incident.status == "open"
    assert incident.element_id == "moment" and incident.spiff_task_id is not None
    assert incident.message.startswith("Timer ‘Moment bereikt’ (moment) kon niet afgaan na 4")
    assert "JSONDecodeError" in incident.message and "Traceback" not in incident.message
    assert incident.details is None  # nothing technical beyond the message (the log has it)
    assert instance(deployed, broken).status == "error"
    assert timer_row(deployed, broken).due_at == due  # the real due moment again

    # While the incident is open the worker leaves the timer alone, however late it gets.
    clock.advance(timedelta(days=3))
    assert drain_timers(deployed, 10, "timer", settings) == 0
    assert len(failed_attempts(deployed, broken)) == 4
    assert len(incidents(deployed, broken)) == 1


def test_retrying_the_incident_after_the_repair_fires_the_timer(deployed, clock, settings) -> None:
    instance_id = start(deployed, "K1", clock)
    good = break_state(deployed, instance_id)
    clock.advance(timedelta(hours=2))
    settings_now = dataclasses.replace(settings, job_retries=0)
    assert drain_timers(deployed, 10, "timer", settings_now) == 0
    [incident] = incidents(deployed, instance_id)
    assert incident.message.startswith("Timer ‘Moment bereikt’ (moment) kon niet afgaan: ")

    # Retried while still broken: the incident stays open, saying it failed again.
    with deployed.transaction() as session:
        service.retry_incident(session, incident.id, "user:olaf", "nog eens")
    [again] = incidents(deployed, instance_id)
    assert again.status == "open" and "opnieuw geprobeerd" in again.message
    assert instance(deployed, instance_id).status == "error"

    put_back(deployed, instance_id, good)  # the repair
    with deployed.transaction() as session:
        service.retry_incident(session, incident.id, "user:olaf", "toestand hersteld")
    [resolved] = incidents(deployed, instance_id)
    assert resolved.status == "resolved" and resolved.resolved_by == "user:olaf"
    assert instance(deployed, instance_id).status == "waiting"
    assert [t.element_id for t in open_tasks(deployed, instance_id)] == ["kijken"]
    timer = timer_row(deployed, instance_id)
    assert timer.status == "done" and timer.fired_at == clock.now()
    history = kinds(deployed, instance_id)
    assert history.count("timer_fired") == 1 and history.count("incident_raised") == 1
    assert "incident_retry_failed" in history and "incident_resolved" in history
    assert drain_timers(deployed, 10, "timer", settings) == 0  # never twice


class Killed(BaseException):
    """The worker dies (a BaseException: nothing on the way catches it)."""


def test_a_worker_killed_after_recording_the_failure_leaves_nothing(
    deployed, clock, settings, monkeypatch
) -> None:
    instance_id = start(deployed, "K1", clock)
    break_state(deployed, instance_id)
    before = timer_row(deployed, instance_id).due_at
    history = kinds(deployed, instance_id)
    clock.advance(timedelta(hours=2))
    real = timers.timer_failed

    def then_killed(*args, **kwargs):  # type: ignore[no-untyped-def]
        real(*args, **kwargs)
        raise Killed  # before the batch's commit

    monkeypatch.setattr(timers, "timer_failed", then_killed)
    settings_now = dataclasses.replace(settings, job_retries=0)
    with pytest.raises(Killed):
        drain_timers(deployed, 10, "timer", settings_now)
    assert incidents(deployed, instance_id) == []
    assert kinds(deployed, instance_id) == history
    assert timer_row(deployed, instance_id).due_at == before
    assert instance(deployed, instance_id).status == "waiting"


def test_a_recording_that_fails_halfway_leaves_no_half_incident(
    deployed, clock, settings, monkeypatch
) -> None:
    instance_id = start(deployed, "K1", clock)
    break_state(deployed, instance_id)
    history = kinds(deployed, instance_id)
    clock.advance(timedelta(hours=2))

    def refused(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("database weg")  # after the incident and its event were written

    monkeypatch.setattr(failures, "_touch", refused)
    settings_now = dataclasses.replace(settings, job_retries=0)
    assert drain_timers(deployed, 10, "timer", settings_now) == 0
    assert incidents(deployed, instance_id) == []
    assert kinds(deployed, instance_id) == history
    assert instance(deployed, instance_id).status == "waiting"
    # Not recorded: the next tick tries again, and then it is recorded.
    monkeypatch.undo()
    assert drain_timers(deployed, 10, "timer", settings_now) == 0
    [incident] = incidents(deployed, instance_id)
    assert incident.kind == failures.FIRING
