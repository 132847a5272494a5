"""An instance's stored state may not grow past its limits (app/engine/state_limit.py): a
person's transition is refused with a 422 and nothing is stored; a timer's or a job's opens
an incident on the instance, and once the limit allows it the retry goes on; a transition
that does not grow the state, or ends the case, is never refused; a diagram that keeps
adding tasks stops at the limit instead of growing for ever."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.engine import failures, service, state_limit
from app.engine.errors import CaseTooLarge
from app.engine.jobs import run_due_jobs
from app.engine.models import Incident, Job
from app.engine.timers import drain_timers
from app.models import metadata
from tests.engine.test_timer_failures import start as start_timer
from tests.engine.test_timer_failures import timer_then_task
from tests.support.engine import (
    FIXTURES,
    SIMPLE,
    deploy_paths,
    instance,
    kinds,
    open_tasks,
    start,
    write_variant,
)

ENGINE_TABLES = (
    "process_instance",
    "human_task",
    "timer",
    "job",
    "message_subscription",
    "incident",
    "instance_event",
)


def stored(db) -> dict[str, list[tuple]]:
    """Every row of the engine's tables: what a refused transition must leave as it was."""
    with db.session() as session:
        return {
            name: sorted(
                (tuple(map(repr, row)) for row in session.execute(select(metadata.tables[name]))),
            )
            for name in ENGINE_TABLES
        }


@pytest.fixture
def limit():
    """limit(chars=..., tasks=...): the limits for this test; the settings' afterwards."""

    def set_limits(chars: int = 10**9, tasks: int = 10**9) -> None:
        state_limit.configure(state_limit.StateLimits(chars, tasks))

    yield set_limits
    state_limit.configure(None)


def state_size(db, instance_id: str) -> int:
    return len(instance(db, instance_id).state)


def test_the_defaults_come_from_the_settings(monkeypatch) -> None:
    monkeypatch.setenv("STROOM_STATE_MAX_CHARS", "1234")
    monkeypatch.setenv("STROOM_STATE_MAX_TASKS", "56")
    state_limit.configure(None)
    try:
        assert state_limit.limits() == state_limit.StateLimits(1234, 56)
    finally:
        monkeypatch.undo()
        state_limit.configure(None)
    assert state_limit.limits() == state_limit.StateLimits(8 * 1024 * 1024, 20000)


def test_a_completion_that_would_grow_the_case_too_large_is_refused(
    db, clock, settings, limit
) -> None:
    deploy_paths(db, SIMPLE)
    instance_id = start(db)
    run_due_jobs(db, settings, "w")
    [task] = open_tasks(db, instance_id)
    limit(chars=state_size(db, instance_id) + 10)
    before = stored(db)
    with pytest.raises(CaseTooLarge) as refused:
        with db.transaction() as session:
            service.complete_task(session, task.id, {"akkoord": True}, "piet")
    assert refused.value.status == 422 and refused.value.code == "case_too_large"
    assert "te groot" in refused.value.message and "proceseigenaar" in refused.value.message
    assert "tekens" in refused.value.detail
    assert stored(db) == before

    # Task count: the same refusal, naming the steps.
    limit(tasks=3)
    with pytest.raises(CaseTooLarge, match="te groot") as refused:
        with db.transaction() as session:
            service.complete_task(session, task.id, {"akkoord": True}, "piet")
    assert "stappen" in refused.value.detail
    assert stored(db) == before

    limit()  # with room the same completion goes through
    with db.transaction() as session:
        service.complete_task(session, task.id, {"akkoord": True}, "piet")
    assert instance(db, instance_id).status == "waiting"


def test_what_does_not_grow_the_state_or_ends_the_case_is_never_refused(
    db, clock, settings, limit
) -> None:
    deploy_paths(db, SIMPLE)
    instance_id = start(db)
    run_due_jobs(db, settings, "w")
    [task] = open_tasks(db, instance_id)
    limit(chars=10, tasks=1)  # the case is far past both already (a limit lowered)
    with db.transaction() as session:
        service.claim_task(session, task.id, "piet", "piet")
    with db.transaction() as session:
        service.cancel_instance(session, instance_id, "beheerder", "te groot geworden")
    assert instance(db, instance_id).status == "cancelled"


def test_a_timer_that_would_grow_the_case_too_large_opens_an_incident_at_once(
    db, clock, settings, limit, tmp_path
) -> None:
    deploy_paths(db, timer_then_task(tmp_path))
    instance_id = start_timer(db, "K1", clock)
    limit(chars=state_size(db, instance_id) + 10)
    clock.advance(timedelta(hours=2))
    assert drain_timers(db, 10, "timer", settings) == 0
    with db.session() as session:
        [incident] = session.scalars(select(Incident)).all()
    assert incident.kind == failures.FIRING and incident.element_id == "moment"
    assert incident.message.startswith(
        "Timer ‘Moment bereikt’ (moment) kon niet afgaan: de zaak is te groot geworden: "
        "de opgeslagen toestand zou "
    )
    assert instance(db, instance_id).status == "error"
    assert open_tasks(db, instance_id) == []

    # Retried with the limit unchanged: still refused, the incident stays open.
    with db.transaction() as session:
        service.retry_incident(session, incident.id, "user:pim", "nog eens")
    with db.session() as session:
        assert session.get(Incident, incident.id).status == "open"

    limit()  # the process owner raised the limit
    with db.transaction() as session:
        service.retry_incident(session, incident.id, "user:pim", "grens verhoogd")
    assert [t.element_id for t in open_tasks(db, instance_id)] == ["kijken"]
    assert instance(db, instance_id).status == "waiting"


def test_a_job_result_that_would_grow_the_case_too_large_opens_an_incident_at_once(
    db, clock, settings, limit
) -> None:
    deploy_paths(db, FIXTURES / "jobs.bpmn")
    instance_id = start(db, "test_jobs", "J1", {"deler": 4})
    limit(chars=state_size(db, instance_id) + 10)
    assert run_due_jobs(db, settings, "w") == 1
    with db.session() as session:
        job = session.scalars(select(Job)).one()
        [incident] = session.scalars(select(Incident)).all()
    assert job.status == "incident" and job.attempts == 1  # no retries: it cannot pass
    assert incident.kind == "job" and incident.job_id == job.id
    assert "de zaak is te groot geworden" in incident.message
    assert instance(db, instance_id).status == "error"

    limit()
    with db.transaction() as session:
        service.retry_incident(session, incident.id, "user:pim", "grens verhoogd")
    assert run_due_jobs(db, settings, "w") == 1
    assert [t.element_id for t in open_tasks(db, instance_id)] == ["kijken"]


# A reminder task every hour, as long as the case waits at `wachten`: each firing adds a task.
GROWING = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Definitions_timer" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="test_timer" name="Groeiend" isExecutable="true">
    <bpmn:startEvent id="gestart"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="wachten" name="Wachten" camunda:candidateGroups="wijkteam">
      <bpmn:extensionElements><camunda:properties><camunda:property name="partij" value="team" /></camunda:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:boundaryEvent id="moment" name="Elk uur" cancelActivity="false" attachedToRef="wachten">
      <bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition id="td"><bpmn:timeCycle>R/PT1H</bpmn:timeCycle></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:userTask id="noteren" name="Herinnering" camunda:candidateGroups="wijkteam">
      <bpmn:extensionElements><camunda:properties><camunda:property name="partij" value="team" /></camunda:properties></bpmn:extensionElements>
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="klaar"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="genoteerd"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="gestart" targetRef="wachten" />
    <bpmn:sequenceFlow id="f2" sourceRef="wachten" targetRef="klaar" />
    <bpmn:sequenceFlow id="f3" sourceRef="moment" targetRef="noteren" />
    <bpmn:sequenceFlow id="f4" sourceRef="noteren" targetRef="genoteerd" />
  </bpmn:process>
</bpmn:definitions>
"""  # noqa: E501


def test_a_case_that_keeps_growing_stops_at_the_task_limit(
    db, clock, settings, limit, tmp_path
) -> None:
    catalogue = (FIXTURES / "timer.catalogus.yaml").read_text()
    catalogue = catalogue.replace(
        "[gestart, moment, noteren, klaar]", "[gestart, wachten, moment, noteren, klaar, genoteerd]"
    ).replace("start: {verplicht: [wanneer]}", "")
    deploy_paths(db, write_variant(tmp_path, "groeiend.bpmn", GROWING, catalogue))
    instance_id = start(db, "test_timer", "G1", {})
    limit(tasks=40)
    fired = 0
    for _ in range(60):
        clock.advance(timedelta(hours=1))
        fired += drain_timers(db, 10, "timer", settings)
        if instance(db, instance_id).status == "error":
            break
    assert instance(db, instance_id).status == "error"
    assert 5 < fired < 60
    with db.session() as session:
        [incident] = session.scalars(select(Incident)).all()
    assert incident.kind == failures.FIRING and "stappen in de boom" in incident.message
    reminders = len(open_tasks(db, instance_id)) - 1
    clock.advance(timedelta(hours=5))
    assert drain_timers(db, 10, "timer", settings) == 0  # it stays where it stopped
    assert len(open_tasks(db, instance_id)) - 1 == reminders
    assert kinds(db, instance_id).count("timer_failed") == 1


def test_one_case_too_large_for_a_signal_does_not_keep_it_from_the_others(
    db, clock, tmp_path, limit
) -> None:
    """A broadcast goes to every waiting case; one that may not grow this large gets an
    incident and keeps waiting, the others receive the signal (before, the whole broadcast
    was refused because of that one case)."""
    from tests.engine.test_signals import SET_PATH, deploy, events, send, waiting

    catch = """
    <bpmn:startEvent id="s" />
    <bpmn:intermediateCatchEvent id="wacht"><bpmn:signalEventDefinition signalRef="sig_alarm" />
    </bpmn:intermediateCatchEvent>
    {steps}
    <bpmn:userTask id="na" />
    <bpmn:endEvent id="e" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="wacht" />
    <bpmn:sequenceFlow id="f2" sourceRef="wacht" targetRef="{first}" />
    {flows}
    <bpmn:sequenceFlow id="f9" sourceRef="na" targetRef="e" />"""
    deploy(db, tmp_path, "klein", catch.format(steps="", first="na", flows=""))
    steps = "".join(SET_PATH.format(id=f"stap{i}", path=f"stap {i}") for i in range(3))
    flows = (
        '<bpmn:sequenceFlow id="g0" sourceRef="stap0" targetRef="stap1" />'
        '<bpmn:sequenceFlow id="g1" sourceRef="stap1" targetRef="stap2" />'
        '<bpmn:sequenceFlow id="g2" sourceRef="stap2" targetRef="na" />'
    )
    deploy(db, tmp_path, "groot", catch.format(steps=steps, first="stap0", flows=flows))
    # The sizes each reaches with the signal, measured on a first pair.
    small, large = start(db, "klein", "K-1", {}), start(db, "groot", "G-1", {})
    send(db, "alarm")
    grown_small, grown_large = state_size(db, small), state_size(db, large)
    assert grown_large > grown_small

    small, large = start(db, "klein", "K-2", {}), start(db, "groot", "G-2", {})
    state_before = instance(db, large).state
    limit(chars=grown_small + (grown_large - grown_small) // 2)
    result = send(db, "alarm")
    assert result.received == [small] and result.refused == [large]
    assert [t.element_id for t in open_tasks(db, small)] == ["na"]
    # The large case is as it was, still waiting for the signal, with one incident.
    assert waiting(db) == [large]
    assert instance(db, large).state == state_before
    assert events(db, large, "signal_received") == []
    with db.session() as session:
        [incident] = session.scalars(select(Incident).where(Incident.instance_id == large))
    assert incident.kind == failures.STATE_LIMIT and incident.status == "open"
    assert "Signaal ‘alarm’" in incident.message and "te groot" in incident.message
    # A second broadcast it still cannot take updates the incident: no second one.
    assert send(db, "alarm").refused == [large]
    with db.session() as session:
        assert (
            len(session.scalars(select(Incident).where(Incident.instance_id == large)).all()) == 1
        )
