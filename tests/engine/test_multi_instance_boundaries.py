"""Issue 18: boundary events on a multi-instance activity, as Camunda 7 runs them. The
boundary sits on the multi-instance body: it fires once for the activity, not per
instance; an interrupting one cancels every open instance, a non-interrupting one starts
its path and leaves the instances open (app/engine/multi_instance.py)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.engine import service
from app.engine.jobs import run_due_jobs
from app.engine.models import HumanTask, Incident, Job
from app.engine.signals import broadcast
from app.engine.timers import drain_timers
from tests.engine.test_camunda_rules import diagram
from tests.engine.test_multi_instance import AFTER, PARALLEL, START, _complete, _mine, _task
from tests.support.camunda import teams_for, write_diagram
from tests.support.engine import deploy_paths, instance, open_tasks, start

HUURDERS = ["anna", "bram", "cor"]
EXTRA = (
    '<bpmn:message id="m_stop" name="stop" /><bpmn:signal id="s_stop" name="stopsein" />'
    '<bpmn:error id="err_te_hoog" errorCode="TE_HOOG" />'
)
DEFINITIONS = {
    "timer": "<bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration>"
    "</bpmn:timerEventDefinition>",
    "message": '<bpmn:messageEventDefinition messageRef="m_stop" />',
    "signal": '<bpmn:signalEventDefinition signalRef="s_stop" />',
    "conditional": "<bpmn:conditionalEventDefinition>"
    '<bpmn:condition xsi:type="bpmn:tFormalExpression">${klaar}</bpmn:condition>'
    "</bpmn:conditionalEventDefinition>",
}


def _boundary(kind: str, cancel: bool) -> str:
    return (
        f'<bpmn:boundaryEvent id="te" attachedToRef="mi" cancelActivity="{str(cancel).lower()}">'
        f"{DEFINITIONS[kind]}</bpmn:boundaryEvent>"
        '<bpmn:sequenceFlow id="f9" sourceRef="te" targetRef="laat" />'
        '<bpmn:userTask id="laat" camunda:candidateGroups="wijkteam" />'
    )


def _run(db, tmp_path: Path, kind: str, cancel: bool) -> str:  # type: ignore[no-untyped-def]
    fields = {"huurders": HUURDERS, "klaar": False, "gebeld": 0}
    path = write_diagram(
        tmp_path,
        "regels",
        diagram(START + _task(PARALLEL) + AFTER + _boundary(kind, cancel), EXTRA),
        fields,
        ["huurders"],
        defaults={"klaar": False, "gebeld": 0},
    )
    teams_for(db, path)
    deploy_paths(db, path)
    return start(db, "regels", "R-1", {"huurders": HUURDERS})


def _fire(db, clock, kind: str, instance_id: str) -> None:  # type: ignore[no-untyped-def]
    if kind == "timer":
        clock.advance(timedelta(hours=2))
        drain_timers(db, 10)
    elif kind == "message":
        with db.transaction() as session:
            service.deliver_message(session, "stop", "R-1", {})
    elif kind == "signal":
        with db.transaction() as session:
            broadcast(session, "stopsein", {}, "test")
    else:  # a second instance completes with the value that makes the condition true
        _complete(db, _mine(db, instance_id)[0].id, {"klaar": True})


def _statuses(db, instance_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return sorted(
            session.scalars(
                select(HumanTask.status).where(
                    HumanTask.instance_id == instance_id, HumanTask.element_id == "mi"
                )
            ).all()
        )


def _open(db, instance_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(t.element_id for t in open_tasks(db, instance_id))


@pytest.mark.parametrize("kind", ["timer", "message", "signal", "conditional"])
def test_an_interrupting_boundary_cancels_every_open_instance(
    db, clock, tmp_path: Path, kind: str
) -> None:
    instance_id = _run(db, tmp_path, kind, cancel=True)
    _complete(db, _mine(db, instance_id)[0].id, {"gebeld": 1})
    _fire(db, clock, kind, instance_id)
    assert _open(db, instance_id) == ["laat"]
    done = 2 if kind == "conditional" else 1
    assert _statuses(db, instance_id) == ["cancelled"] * (3 - done) + ["completed"] * done
    # What the completed instance wrote is in the process scope, also on the boundary's
    # path (it was lost with the interrupted body before).
    _complete(db, next(t for t in open_tasks(db, instance_id)).id)
    row = instance(db, instance_id)
    assert row.status == "completed" and row.data["gebeld"] == 1


@pytest.mark.parametrize("kind", ["timer", "message", "signal", "conditional"])
def test_a_non_interrupting_boundary_keeps_the_instances_and_fires_for_the_body(
    db, clock, tmp_path: Path, kind: str
) -> None:
    instance_id = _run(db, tmp_path, kind, cancel=False)
    _complete(db, _mine(db, instance_id)[0].id)
    _fire(db, clock, kind, instance_id)
    left = 1 if kind == "conditional" else 2
    # One path for the activity, not one per instance; the instances stay open.
    assert _open(db, instance_id) == ["laat"] + ["mi"] * left
    for task in _mine(db, instance_id):
        _complete(db, task.id)
    assert _open(db, instance_id) == ["daarna", "laat"]
    assert _statuses(db, instance_id) == ["completed"] * 3


def test_a_handler_error_in_one_instance_is_caught_by_the_boundary_of_the_activity(
    db, clock, settings, tmp_path: Path
) -> None:
    """Parallel service-task instances; one handler throws TE_HOOG: the error boundary on
    the activity catches it, the other instance's job is withdrawn, the flow goes on at the
    boundary."""
    body = (
        START + '<bpmn:serviceTask id="mi" camunda:type="external" camunda:topic="test.toets">'
        "<bpmn:extensionElements><camunda:inputOutput>"
        '<camunda:inputParameter name="waarde">${bedrag}'
        "</camunda:inputParameter></camunda:inputOutput></bpmn:extensionElements>"
        '<bpmn:multiInstanceLoopCharacteristics camunda:collection="bedragen"'
        ' camunda:elementVariable="bedrag" /></bpmn:serviceTask>\n'
        + AFTER
        + '<bpmn:boundaryEvent id="te" attachedToRef="mi">'
        '<bpmn:errorEventDefinition errorRef="err_te_hoog" /></bpmn:boundaryEvent>'
        '<bpmn:sequenceFlow id="f9" sourceRef="te" targetRef="laat" />'
        '<bpmn:userTask id="laat" camunda:candidateGroups="wijkteam" />'
    )
    fields = {"bedragen": [500, 50, 70], "verdubbeld": 0}
    path = write_diagram(
        tmp_path, "regels", diagram(body, EXTRA), fields, ["bedragen"], defaults={"verdubbeld": 0}
    )
    teams_for(db, path)
    deploy_paths(db, path)
    instance_id = start(db, "regels", "R-1", {"bedragen": [500, 50, 70]})
    run_due_jobs(db, settings, "w")
    run_due_jobs(db, settings, "w")
    assert _open(db, instance_id) == ["laat"]
    assert instance(db, instance_id).status == "waiting"
    with db.session() as session:
        jobs = session.scalars(select(Job).where(Job.instance_id == instance_id)).all()
    # The one that threw is cancelled; the others ran before it (done) or are withdrawn
    # with the activity (cancelled): none is left to run.
    assert {j.status for j in jobs} <= {"done", "cancelled"}
    assert [j.status for j in jobs if j.inputs.get("waarde") == 500] == ["cancelled"]
    assert _incidents(db, instance_id) == []


def _incidents(db, instance_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return list(
            session.scalars(select(Incident.message).where(Incident.instance_id == instance_id))
        )
