"""Issue 18: conditional events (intermediate catch and boundary) with Camunda 7's meaning.
The condition is evaluated when the event is reached and again whenever the process's
variables change (a task completed, a message with variables, a script); never on a clock.
Deploy translates and checks it like any condition, and refuses what cannot run."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.engine import service
from app.engine.deploy import parse_files
from app.engine.errors import DeploymentError
from app.engine.models import Incident, InstanceEvent
from app.engine.timers import fire_due_timers
from tests.support.camunda import write_diagram
from tests.support.engine import FIXTURES, deploy_paths, instance, open_tasks, start

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:message id="msg" name="bijgewerkt" />
  <bpmn:process id="{key}" isExecutable="true">
"""
TAIL = """
  </bpmn:process>
</bpmn:definitions>
"""


def condition(text: str, attributes: str = "") -> str:
    return (
        f"<bpmn:conditionalEventDefinition{attributes}>"
        f'<bpmn:condition xsi:type="bpmn:tFormalExpression">{text}</bpmn:condition>'
        "</bpmn:conditionalEventDefinition>"
    )


# Two branches: one waits until the amount is high, the other changes it twice.
WAIT = f"""
    <bpmn:startEvent id="s" />
    <bpmn:parallelGateway id="split" />
    <bpmn:userTask id="schatten" />
    <bpmn:userTask id="vaststellen" />
    <bpmn:endEvent id="e1" />
    <bpmn:intermediateCatchEvent id="hoog">{condition("${bedrag &gt; 1000}")}
    </bpmn:intermediateCatchEvent>
    <bpmn:scriptTask id="noteer" scriptFormat="python"><bpmn:script>pad = "hoog"</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:endEvent id="e2" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="split" />
    <bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="schatten" />
    <bpmn:sequenceFlow id="f3" sourceRef="schatten" targetRef="vaststellen" />
    <bpmn:sequenceFlow id="f4" sourceRef="vaststellen" targetRef="e1" />
    <bpmn:sequenceFlow id="f5" sourceRef="split" targetRef="hoog" />
    <bpmn:sequenceFlow id="f6" sourceRef="hoog" targetRef="noteer" />
    <bpmn:sequenceFlow id="f7" sourceRef="noteer" targetRef="e2" />"""


def boundary(cancel: str, text: str = "${schuld &gt; 5000}") -> str:
    """A long task with a conditional boundary beside a branch that changes the debt (by a
    task, or by a message with variables)."""
    return f"""
    <bpmn:startEvent id="s" />
    <bpmn:parallelGateway id="split" />
    <bpmn:userTask id="behandelen" />
    <bpmn:boundaryEvent id="te_hoog" attachedToRef="behandelen" cancelActivity="{cancel}">
      {condition(text)}
    </bpmn:boundaryEvent>
    <bpmn:userTask id="schuldhulp" />
    <bpmn:userTask id="bijwerken" />
    <bpmn:receiveTask id="wacht" messageRef="msg" />
    <bpmn:endEvent id="e1" /><bpmn:endEvent id="e2" /><bpmn:endEvent id="e3" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="split" />
    <bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="behandelen" />
    <bpmn:sequenceFlow id="f3" sourceRef="behandelen" targetRef="e1" />
    <bpmn:sequenceFlow id="f4" sourceRef="te_hoog" targetRef="schuldhulp" />
    <bpmn:sequenceFlow id="f5" sourceRef="schuldhulp" targetRef="e2" />
    <bpmn:sequenceFlow id="f6" sourceRef="split" targetRef="bijwerken" />
    <bpmn:sequenceFlow id="f7" sourceRef="bijwerken" targetRef="wacht" />
    <bpmn:sequenceFlow id="f8" sourceRef="wacht" targetRef="e3" />"""


FIELDS: dict[str, Any] = {"bedrag": 1, "schuld": 1, "deler": 1, "pad": "x", "verdubbeld": 1}


def deploy(db, tmp_path: Path, key: str, body: str) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / key
    folder.mkdir(exist_ok=True)
    xml = HEAD.format(key=key) + body + TAIL
    # What a condition reads is there when it is reached (Camunda 7 fails on an unknown
    # variable too): the start brings it.
    deploy_paths(
        db,
        write_diagram(
            folder, key, xml, FIELDS, ["bedrag", "schuld", "deler"], defaults={"verdubbeld": 0}
        ),
    )


def opened(db, instance_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(t.element_id for t in open_tasks(db, instance_id))


def complete(db, instance_id: str, element: str, data: dict[str, Any] | None = None) -> None:  # type: ignore[no-untyped-def]
    [task] = [t for t in open_tasks(db, instance_id) if t.element_id == element]
    with db.transaction() as session:
        service.complete_task(session, task.id, data or {}, "test")


def met(db, instance_id: str) -> list[str | None]:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return list(
            session.scalars(
                select(InstanceEvent.element_id).where(
                    InstanceEvent.instance_id == instance_id,
                    InstanceEvent.kind == "condition_met",
                )
            )
        )


# -- intermediate catch -------------------------------------------------------------------------


def test_true_when_reached_continues_at_once(db, clock, tmp_path) -> None:
    deploy(db, tmp_path, "wacht", WAIT)
    instance_id = start(db, "wacht", "C-1", {"bedrag": 2000, "schuld": 0, "deler": 1})
    assert met(db, instance_id) == ["hoog"]
    assert opened(db, instance_id) == ["schatten"]


def test_the_instance_page_shows_what_a_waiting_condition_waits_for(db, clock, tmp_path) -> None:
    """No wait-state table holds a condition: the operator's instance page reads it from the
    instance itself, so an instance waiting only on data is not a case without a trace."""
    from app.engine.models import ProcessInstance
    from app.manage.instance import instance_page

    deploy(db, tmp_path, "wacht", WAIT)
    instance_id = start(db, "wacht", "C-1", {"bedrag": 0, "schuld": 0, "deler": 1})
    complete(db, instance_id, "schatten")
    complete(db, instance_id, "vaststellen")
    with db.session() as session:
        page = instance_page(session, session.get(ProcessInstance, instance_id))
        assert page.conditions == [("hoog", "bedrag > 1000")]
        assert page.tasks == [] and page.diagram["markers"]["current"] == ["hoog"]


def test_waits_until_a_change_elsewhere_makes_it_true_never_on_a_clock(db, clock, tmp_path) -> None:
    deploy(db, tmp_path, "wacht", WAIT)
    instance_id = start(db, "wacht", "C-1", {"bedrag": 0, "schuld": 0, "deler": 1})
    complete(db, instance_id, "schatten", {"bedrag": 500})
    assert met(db, instance_id) == []
    # Time passing changes nothing: the condition is not polled.
    clock.advance(timedelta(days=30))
    fire_due_timers(db, 100)
    assert met(db, instance_id) == []
    complete(db, instance_id, "vaststellen", {"bedrag": 1500})
    assert met(db, instance_id) == ["hoog"]
    row = instance(db, instance_id)
    assert row.status == "completed" and row.data["pad"] == "hoog"


# -- boundary events --------------------------------------------------------------------------


def test_interrupting_boundary_fires_when_another_branch_changes_a_variable(
    db, clock, tmp_path
) -> None:
    deploy(db, tmp_path, "grens", boundary("true"))
    instance_id = start(db, "grens", "C-1", {"bedrag": 0, "schuld": 1000, "deler": 1})
    assert opened(db, instance_id) == ["behandelen", "bijwerken"]
    complete(db, instance_id, "bijwerken", {"schuld": 4000})
    assert opened(db, instance_id) == ["behandelen"]
    # A message with variables is a change too.
    with db.transaction() as session:
        service.deliver_message(session, "bijgewerkt", "C-1", {"schuld": 6000}, "test")
    assert opened(db, instance_id) == ["schuldhulp"]  # the task was interrupted
    assert met(db, instance_id) == ["te_hoog"]


def test_non_interrupting_boundary_fires_at_each_change_that_leaves_it_true(
    db, clock, tmp_path
) -> None:
    deploy(db, tmp_path, "naast", boundary("false"))
    instance_id = start(db, "naast", "C-1", {"bedrag": 0, "schuld": 1000, "deler": 1})
    complete(db, instance_id, "bijwerken", {"schuld": 6000})
    assert opened(db, instance_id) == ["behandelen", "schuldhulp"]
    with db.transaction() as session:
        service.deliver_message(session, "bijgewerkt", "C-1", {"schuld": 7000}, "test")
    assert opened(db, instance_id) == ["behandelen", "schuldhulp", "schuldhulp"]
    # The host completes: it stops listening; what it spawned runs on.
    complete(db, instance_id, "behandelen")
    assert opened(db, instance_id) == ["schuldhulp", "schuldhulp"]
    assert met(db, instance_id) == ["te_hoog", "te_hoog"]


def test_non_interrupting_boundary_true_when_reached_starts_its_path_and_keeps_listening(
    db, clock, tmp_path
) -> None:
    deploy(db, tmp_path, "meteen", boundary("false"))
    instance_id = start(db, "meteen", "C-1", {"bedrag": 0, "schuld": 6000, "deler": 1})
    assert opened(db, instance_id) == ["behandelen", "bijwerken", "schuldhulp"]
    complete(db, instance_id, "bijwerken", {"schuld": 6500})
    assert opened(db, instance_id) == ["behandelen", "schuldhulp", "schuldhulp"]


def test_the_variables_a_task_completes_with_reach_its_own_boundary_first(
    db, clock, tmp_path
) -> None:
    """Camunda 7 sets them while the task is still active: an interrupting conditional
    boundary they make true takes over, and the task does not complete."""
    deploy(db, tmp_path, "zelf", boundary("true"))
    instance_id = start(db, "zelf", "C-1", {"bedrag": 0, "schuld": 1000, "deler": 1})
    complete(db, instance_id, "behandelen", {"schuld": 9000})
    assert opened(db, instance_id) == ["bijwerken", "schuldhulp"]
    with db.session() as session:
        kinds = [
            e.kind
            for e in session.scalars(
                select(InstanceEvent).where(
                    InstanceEvent.instance_id == instance_id,
                    InstanceEvent.element_id == "behandelen",
                )
            )
        ]
    assert "task_cancelled" in kinds and "task_completed" not in kinds


def test_a_failing_condition_is_an_incident_at_its_event(db, clock, tmp_path) -> None:
    deploy(db, tmp_path, "fout", boundary("true", "${schuld / deler &gt; 1}"))
    instance_id = start(db, "fout", "C-1", {"bedrag": 0, "schuld": 1000, "deler": 0})
    assert instance(db, instance_id).status == "error"
    with db.session() as session:
        [incident] = session.scalars(select(Incident)).all()
        assert incident.element_id == "te_hoog" and "ZeroDivisionError" in incident.message


# -- refused at deploy ------------------------------------------------------------------------


def refused(tmp_path: Path, body: str) -> list[Any]:
    xml = HEAD.format(key="geweigerd") + body + TAIL
    path = write_diagram(tmp_path, "geweigerd", xml, {"a": True}, ["a"])
    with pytest.raises(DeploymentError) as caught:
        parse_files([path], FIXTURES)
    return caught.value.problems


@pytest.mark.parametrize(
    ("body", "element", "words"),
    [
        (
            f'<bpmn:startEvent id="als">{condition("${a}")}</bpmn:startEvent>',
            "als",
            "voorwaardelijke start",
        ),
        (
            '<bpmn:startEvent id="s" /><bpmn:intermediateCatchEvent id="als">'
            + condition("${a}", ' camunda:variableName="a"')
            + "</bpmn:intermediateCatchEvent>",
            "als",
            "camunda:variableName",
        ),
        (
            '<bpmn:startEvent id="s" /><bpmn:intermediateCatchEvent id="als">'
            + condition("${a}", ' camunda:variableEvents="create"')
            + "</bpmn:intermediateCatchEvent>",
            "als",
            "camunda:variableEvents",
        ),
        (
            '<bpmn:startEvent id="s" /><bpmn:intermediateCatchEvent id="als">'
            + condition("${a &gt;}")
            + "</bpmn:intermediateCatchEvent>"
            + '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="als" />',
            "als",
            "voorwaarde",
        ),
        (
            '<bpmn:startEvent id="s" /><bpmn:subProcess id="sub" triggeredByEvent="true">'
            f'<bpmn:startEvent id="als">{condition("${a}")}</bpmn:startEvent></bpmn:subProcess>',
            "als",
            "event-subproces",
        ),
    ],
    ids=["process start", "variableName", "variableEvents", "syntax", "event sub-process"],
)
def test_refused_with_element_line_and_reason(
    tmp_path: Path, body: str, element: str, words: str
) -> None:
    problems = refused(tmp_path, body)
    mine = [p for p in problems if p.element == element]
    assert mine and mine[0].line, problems
    assert any(words in p.message for p in mine), [p.message for p in mine]


# -- other places a condition waits -----------------------------------------------------------

GATEWAY = f"""
    <bpmn:startEvent id="s" />
    <bpmn:parallelGateway id="split" />
    <bpmn:userTask id="bijwerken" />
    <bpmn:endEvent id="e1" />
    <bpmn:eventBasedGateway id="welke" />
    <bpmn:intermediateCatchEvent id="hoog">{condition("${bedrag &gt; 1000}")}
    </bpmn:intermediateCatchEvent>
    <bpmn:intermediateCatchEvent id="dag"><bpmn:timerEventDefinition>
      <bpmn:timeDuration>P1D</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="e2" /><bpmn:endEvent id="e3" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="split" />
    <bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="bijwerken" />
    <bpmn:sequenceFlow id="f3" sourceRef="bijwerken" targetRef="e1" />
    <bpmn:sequenceFlow id="f4" sourceRef="split" targetRef="welke" />
    <bpmn:sequenceFlow id="f5" sourceRef="welke" targetRef="hoog" />
    <bpmn:sequenceFlow id="f6" sourceRef="welke" targetRef="dag" />
    <bpmn:sequenceFlow id="f7" sourceRef="hoog" targetRef="e2" />
    <bpmn:sequenceFlow id="f8" sourceRef="dag" targetRef="e3" />"""


def test_a_conditional_branch_of_an_event_based_gateway_wins_and_withdraws_the_timer(
    db, clock, tmp_path
) -> None:
    from app.engine.models import Timer

    deploy(db, tmp_path, "poort", GATEWAY)
    instance_id = start(db, "poort", "C-1", {"bedrag": 0, "schuld": 0, "deler": 1})
    complete(db, instance_id, "bijwerken", {"bedrag": 5000})
    assert instance(db, instance_id).status == "completed"
    assert met(db, instance_id) == ["hoog"]
    with db.session() as session:
        assert session.scalars(select(Timer.status)).all() == ["cancelled"]


SERVICE = f"""
    <bpmn:startEvent id="s" />
    <bpmn:serviceTask id="verdubbel" camunda:type="external" camunda:topic="test.echo">
      <bpmn:extensionElements><camunda:inputOutput>
        <camunda:inputParameter name="waarde">${{schuld}}</camunda:inputParameter>
      </camunda:inputOutput></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:boundaryEvent id="te_hoog" attachedToRef="verdubbel">
      {condition("${verdubbeld &gt; 5000}")}
    </bpmn:boundaryEvent>
    <bpmn:scriptTask id="noteer" scriptFormat="python"><bpmn:script>pad = "normaal"</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:scriptTask id="hoog" scriptFormat="python"><bpmn:script>pad = "te hoog"</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:endEvent id="e1" /><bpmn:endEvent id="e2" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="verdubbel" />
    <bpmn:sequenceFlow id="f2" sourceRef="verdubbel" targetRef="noteer" />
    <bpmn:sequenceFlow id="f3" sourceRef="noteer" targetRef="e1" />
    <bpmn:sequenceFlow id="f4" sourceRef="te_hoog" targetRef="hoog" />
    <bpmn:sequenceFlow id="f5" sourceRef="hoog" targetRef="e2" />"""


@pytest.mark.parametrize(("debt", "path"), [(2000, "normaal"), (3000, "te hoog")])
def test_a_service_task_result_reaches_its_own_conditional_boundary(
    db, clock, settings, tmp_path, debt: int, path: str
) -> None:
    from app.engine.jobs import run_due_jobs

    deploy(db, tmp_path, "dienst", SERVICE)
    instance_id = start(db, "dienst", "C-1", {"bedrag": 0, "schuld": debt, "deler": 1})
    assert run_due_jobs(db, settings, "w") == 1
    row = instance(db, instance_id)
    assert row.status == "completed" and row.data["pad"] == path
    assert row.data["verdubbeld"] == 2 * debt


SUBPROCESS = f"""
    <bpmn:startEvent id="s" />
    <bpmn:subProcess id="deel">
      <bpmn:startEvent id="ds" />
      <bpmn:userTask id="eerst" />
      <bpmn:userTask id="dan" />
      <bpmn:endEvent id="de" />
      <bpmn:sequenceFlow id="d1" sourceRef="ds" targetRef="eerst" />
      <bpmn:sequenceFlow id="d2" sourceRef="eerst" targetRef="dan" />
      <bpmn:sequenceFlow id="d3" sourceRef="dan" targetRef="de" />
    </bpmn:subProcess>
    <bpmn:boundaryEvent id="te_hoog" attachedToRef="deel">
      {condition("${schuld &gt; 5000}")}
    </bpmn:boundaryEvent>
    <bpmn:userTask id="schuldhulp" />
    <bpmn:endEvent id="e1" /><bpmn:endEvent id="e2" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="deel" />
    <bpmn:sequenceFlow id="f2" sourceRef="deel" targetRef="e1" />
    <bpmn:sequenceFlow id="f3" sourceRef="te_hoog" targetRef="schuldhulp" />
    <bpmn:sequenceFlow id="f4" sourceRef="schuldhulp" targetRef="e2" />"""


def test_a_boundary_on_a_sub_process_sees_what_its_inner_tasks_write(db, clock, tmp_path) -> None:
    deploy(db, tmp_path, "grens_op_deel", SUBPROCESS)
    instance_id = start(db, "grens_op_deel", "C-1", {"bedrag": 0, "schuld": 1000, "deler": 1})
    complete(db, instance_id, "eerst", {"schuld": 8000})
    assert opened(db, instance_id) == ["schuldhulp"]  # the sub-process was interrupted
    assert met(db, instance_id) == ["te_hoog"]
