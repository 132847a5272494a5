"""Issue 18: a Camunda 7 diagram runs as Camunda 7 runs it, or deploy refuses it with file,
element, line and a Dutch sentence naming the alternative. Every defect of the issue has a
test here: first the ones that now run, then the ones that are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.engine import service
from app.engine.deploy import parse_files
from app.engine.errors import DeploymentError, NotFound
from app.engine.models import HumanTask, InstanceEvent, MessageSubscription, ProcessVersion
from app.engine.timers import drain_timers
from tests.support.camunda import write_diagram
from tests.support.engine import FIXTURES, deploy_paths, instance, open_tasks, start

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="t">
  <bpmn:process id="regels" isExecutable="true">
"""
TAIL = """
  </bpmn:process>{extra}
</bpmn:definitions>
"""


def diagram(body: str, extra: str = "") -> str:
    return HEAD + body + TAIL.format(extra=extra)


def deploy_body(db, tmp_path: Path, body: str, fields: dict[str, Any], started: list[str]) -> None:
    path = write_diagram(tmp_path, "regels", diagram(body), fields, started)
    deploy_paths(db, path)


def run(
    db,
    tmp_path: Path,
    body: str,
    data: dict[str, Any] | None = None,
    fields: dict[str, Any] | None = None,
) -> str:
    """Deploy the body with a catalogue of `fields` (default: the start data) and start it."""
    data = data or {}
    deploy_body(db, tmp_path, body, {**data, **(fields or {})}, sorted(data))
    return start(db, "regels", "R-1", data)


def refusal(tmp_path: Path, xml: str, fields: dict[str, Any] | None = None) -> list:
    path = write_diagram(tmp_path, "regels", xml, fields or {}, sorted(fields or {}))
    with pytest.raises(DeploymentError) as caught:
        parse_files([path], FIXTURES)
    return caught.value.problems


def line_of(xml: str, needle: str) -> int:
    for number, line in enumerate(xml.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


# -- runs as Camunda 7 runs it ----------------------------------------------------------------


def test_a_sequence_flow_without_id_is_followed(db, clock, tmp_path: Path) -> None:
    body = """
    <bpmn:startEvent id="s" />
    <bpmn:scriptTask id="zet" scriptFormat="python"><bpmn:script>uitkomst = 1</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:endEvent id="e" />
    <bpmn:sequenceFlow sourceRef="s" targetRef="zet" />
    <bpmn:sequenceFlow sourceRef="zet" targetRef="e" />"""
    instance_id = run(db, tmp_path, body, {"uitkomst": 0})
    row = instance(db, instance_id)
    assert row.status == "completed" and row.data["uitkomst"] == 1


def test_plain_and_manual_tasks_pass_through(db, clock, tmp_path: Path) -> None:
    body = """
    <bpmn:startEvent id="s" />
    <bpmn:task id="taak" name="Iets" />
    <bpmn:manualTask id="handwerk" name="Met de hand" />
    <bpmn:endEvent id="e" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="taak" />
    <bpmn:sequenceFlow id="f2" sourceRef="taak" targetRef="handwerk" />
    <bpmn:sequenceFlow id="f3" sourceRef="handwerk" targetRef="e" />"""
    instance_id = run(db, tmp_path, body)
    assert open_tasks(db, instance_id) == []
    assert instance(db, instance_id).status == "completed"


def test_an_activity_without_outgoing_flow_ends_its_path(db, clock, tmp_path: Path) -> None:
    """Implicit end, in the process and in a sub-process: the sub-process completes when its
    last path ends, the process runs on after it, and ends when its branches have ended."""
    body = """
    <bpmn:startEvent id="s" />
    <bpmn:subProcess id="deel">
      <bpmn:startEvent id="ds" />
      <bpmn:scriptTask id="binnen" scriptFormat="python"><bpmn:script>a = 1</bpmn:script>
      </bpmn:scriptTask>
      <bpmn:sequenceFlow id="d1" sourceRef="ds" targetRef="binnen" />
    </bpmn:subProcess>
    <bpmn:parallelGateway id="split" />
    <bpmn:scriptTask id="links" scriptFormat="python"><bpmn:script>b = a + 1</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:task id="rechts" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="deel" />
    <bpmn:sequenceFlow id="f2" sourceRef="deel" targetRef="split" />
    <bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="links" />
    <bpmn:sequenceFlow id="f4" sourceRef="split" targetRef="rechts" />"""
    instance_id = run(db, tmp_path, body, {}, fields={"a": 0, "b": 0})
    row = instance(db, instance_id)
    assert row.status == "completed"
    assert row.data["a"] == 1 and row.data["b"] == 2


CHOICE = """
    <bpmn:startEvent id="s" />
    <bpmn:exclusiveGateway id="keuze" default="anders" />
    <bpmn:scriptTask id="ja" scriptFormat="python"><bpmn:script>pad = 'ja'</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:scriptTask id="nee" scriptFormat="python"><bpmn:script>pad = 'nee'</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:endEvent id="e1" /><bpmn:endEvent id="e2" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="keuze" />
    <bpmn:sequenceFlow id="waar" sourceRef="keuze" targetRef="ja">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">CONDITION
      </bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="anders" sourceRef="keuze" targetRef="nee" />
    <bpmn:sequenceFlow id="f3" sourceRef="ja" targetRef="e1" />
    <bpmn:sequenceFlow id="f4" sourceRef="nee" targetRef="e2" />"""


@pytest.mark.parametrize(
    ("condition", "data", "path"),
    [
        ("${a > 5 &amp;&amp; naam == 'x'}", {"a": 6, "naam": "x", "c": False}, "ja"),
        ("${a > 5 &amp;&amp; naam == 'x'}", {"a": 6, "naam": "y", "c": False}, "nee"),
        ("${a &lt; 5 || !c}", {"a": 9, "naam": "", "c": False}, "ja"),
        ("${naam != null}", {"a": 1, "naam": "x", "c": True}, "ja"),
        ("${empty naam}", {"a": 1, "naam": "x", "c": True}, "nee"),
        ("${not empty naam}", {"a": 1, "naam": "x", "c": True}, "ja"),
        ("${a gt 5 and c eq true}", {"a": 6, "naam": "", "c": True}, "ja"),
        ("${a > 5 ? c : !c}", {"a": 9, "naam": "", "c": False}, "nee"),
        ("${a > 5 ? c : !c}", {"a": 1, "naam": "", "c": False}, "ja"),
        ("${(a > 5 ? 'x' : 'y') == naam}", {"a": 1, "naam": "y", "c": False}, "ja"),
        # JUEL's remainder has the dividend's sign (Python's: the divisor's, -7 % 3 == 2)
        ("${a mod 3 == -1}", {"a": -7, "naam": "", "c": False}, "ja"),
        ("${a % -3 == 1}", {"a": 7, "naam": "", "c": False}, "ja"),
        ("${a % 2 == -1.5}", {"a": -7.5, "naam": "", "c": False}, "ja"),
        # with `*` and `/` before `+`, from left to right: (-3 * 2) % 5, then + 1
        ("${a * 2 % 5 + 1 == 0}", {"a": -3, "naam": "", "c": False}, "ja"),
        ("${'%s dagen' % a == '3 dagen'}", {"a": 3, "naam": "", "c": False}, "ja"),
    ],
)
def test_the_juel_subset_in_conditions(db, clock, tmp_path, condition, data, path) -> None:
    instance_id = run(db, tmp_path, CHOICE.replace("CONDITION", condition), {**data, "pad": ""})
    assert instance(db, instance_id).data["pad"] == path


def test_juel_mod_is_the_expressions_own_and_not_a_scripts_operator() -> None:
    from app.engine.expressions import plain_expression
    from app.engine.sandbox import check_source

    assert plain_expression("${a mod 3 + b % 2}") == "a @ 3 + b @ 2"
    assert plain_expression("${'50%'}") == "'50%'"
    assert plain_expression("a % 3") == "a % 3"  # not `${}`: Python already
    assert check_source("a @ 3", "eval") == []
    assert check_source("x = a @ 3", "exec") == ["regel 1: @ is niet toegestaan"]
    assert check_source("x @= 3", "exec") == ["regel 1: @ is niet toegestaan"]


def test_null_in_a_condition_is_none(db, clock, tmp_path: Path) -> None:
    """Passed deploy before and was a NameError on every run."""
    body = CHOICE.replace("CONDITION", "${naam == null}")
    instance_id = run(db, tmp_path, body, {"naam": "x", "pad": ""})
    assert instance(db, instance_id).data["pad"] == "nee"


def test_composite_expressions_are_text(db, clock, tmp_path: Path) -> None:
    body = """
    <bpmn:startEvent id="s" />
    <bpmn:userTask id="kijken" camunda:candidateGroups="team_${nummer}"
        camunda:assignee="kermit_${nummer}" />
    <bpmn:endEvent id="e" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="kijken" />
    <bpmn:sequenceFlow id="f2" sourceRef="kijken" targetRef="e" />
    <bpmn:extensionElements />"""
    body = body.replace("<bpmn:extensionElements />", "")
    body = body.replace(
        'camunda:assignee="kermit_${nummer}" />',
        'camunda:assignee="kermit_${nummer}"><bpmn:extensionElements><camunda:properties>'
        '<camunda:property name="partij" value="behandelaar" /></camunda:properties>'
        "</bpmn:extensionElements></bpmn:userTask>",
    )
    instance_id = run(db, tmp_path, body, {"nummer": 7})
    [task] = open_tasks(db, instance_id)
    assert task.assignee == "kermit_7"
    assert task.candidate_groups == ["team_7"]


def test_an_indented_script_runs_as_it_was_checked(db, clock, tmp_path: Path) -> None:
    body = """
    <bpmn:startEvent id="s" />
    <bpmn:scriptTask id="reken" scriptFormat="python">
      <bpmn:script>
        totaal = 0
        for n in [1, 2, 3]:
            totaal = totaal + n
      </bpmn:script>
    </bpmn:scriptTask>
    <bpmn:endEvent id="e" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="reken" />
    <bpmn:sequenceFlow id="f2" sourceRef="reken" targetRef="e" />"""
    instance_id = run(db, tmp_path, body, {"totaal": 0})
    row = instance(db, instance_id)
    assert row.status == "completed" and row.data["totaal"] == 6


def test_result_variable_takes_the_last_expression(db, clock, tmp_path: Path) -> None:
    body = """
    <bpmn:startEvent id="s" />
    <bpmn:scriptTask id="reken" scriptFormat="python" camunda:resultVariable="som">
      <bpmn:script>
        a + 1
      </bpmn:script>
    </bpmn:scriptTask>
    <bpmn:endEvent id="e" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="reken" />
    <bpmn:sequenceFlow id="f2" sourceRef="reken" targetRef="e" />"""
    instance_id = run(db, tmp_path, body, {"a": 41, "som": 0})
    assert instance(db, instance_id).data["som"] == 42


def test_result_variable_needs_an_expression_at_the_end(tmp_path: Path) -> None:
    xml = diagram("""
    <bpmn:startEvent id="s" />
    <bpmn:scriptTask id="reken" scriptFormat="python" camunda:resultVariable="som">
      <bpmn:script>x = 1</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="reken" />""")
    [problem] = refusal(tmp_path, xml, {"x": 0, "som": 0})
    assert problem.element == "reken" and "resultVariable" in problem.message


def test_link_events_continue_at_their_catch(db, clock, tmp_path: Path) -> None:
    body = """
    <bpmn:startEvent id="s" />
    <bpmn:scriptTask id="voor" scriptFormat="python"><bpmn:script>stap = 1</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:intermediateThrowEvent id="naar_b"><bpmn:linkEventDefinition name="B" />
    </bpmn:intermediateThrowEvent>
    <bpmn:intermediateCatchEvent id="van_a"><bpmn:linkEventDefinition name="B" />
    </bpmn:intermediateCatchEvent>
    <bpmn:scriptTask id="na" scriptFormat="python"><bpmn:script>stap = stap + 1</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:endEvent id="e" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="voor" />
    <bpmn:sequenceFlow id="f2" sourceRef="voor" targetRef="naar_b" />
    <bpmn:sequenceFlow id="f3" sourceRef="van_a" targetRef="na" />
    <bpmn:sequenceFlow id="f4" sourceRef="na" targetRef="e" />"""
    instance_id = run(db, tmp_path, body, {}, fields={"stap": 0})
    row = instance(db, instance_id)
    assert row.status == "completed" and row.data["stap"] == 2
    # The stored diagram is the one deployed, unchanged.
    with db.session() as session:
        stored = session.scalars(select(ProcessVersion.bpmn_xml)).one()
    assert "link_naar_b" not in stored and "linkEventDefinition" in stored


def test_error_code_and_message_variables(db, clock, tmp_path: Path) -> None:
    """camunda:errorCodeVariable / errorMessageVariable on an error boundary event: the code
    of the error caught and its camunda:errorMessage, as Camunda 7 sets them."""
    xml = diagram(
        """
    <bpmn:startEvent id="s" />
    <bpmn:subProcess id="deel">
      <bpmn:startEvent id="ds" />
      <bpmn:endEvent id="mis"><bpmn:errorEventDefinition errorRef="fout" /></bpmn:endEvent>
      <bpmn:sequenceFlow id="d1" sourceRef="ds" targetRef="mis" />
    </bpmn:subProcess>
    <bpmn:boundaryEvent id="gevangen" attachedToRef="deel">
      <bpmn:errorEventDefinition camunda:errorCodeVariable="code"
          camunda:errorMessageVariable="melding" />
    </bpmn:boundaryEvent>
    <bpmn:endEvent id="e1" /><bpmn:endEvent id="e2" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="deel" />
    <bpmn:sequenceFlow id="f2" sourceRef="deel" targetRef="e1" />
    <bpmn:sequenceFlow id="f3" sourceRef="gevangen" targetRef="e2" />""",
        '\n  <bpmn:error id="fout" errorCode="E42" camunda:errorMessage="Niet gelukt" />',
    )
    path = write_diagram(tmp_path, "regels", xml, {"code": "x", "melding": "x"}, [])
    deploy_paths(db, path)
    row = instance(db, start(db, "regels", "R-1", {}))
    assert row.status == "completed"
    assert row.data["code"] == "E42" and row.data["melding"] == "Niet gelukt"


def test_a_cycle_timer_keeps_what_it_spawned(db, clock, tmp_path: Path) -> None:
    """Non-interrupting R/ cycle: each firing opens a task; completing the host stops the
    timer but leaves the opened task (SpiffWorkflow cancelled it)."""
    clock.set(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    party = (
        '<bpmn:extensionElements><camunda:properties><camunda:property name="partij" '
        'value="behandelaar" /></camunda:properties></bpmn:extensionElements>'
    )
    body = f"""
    <bpmn:startEvent id="s" />
    <bpmn:userTask id="werk">{party}</bpmn:userTask>
    <bpmn:boundaryEvent id="elk_uur" attachedToRef="werk" cancelActivity="false">
      <bpmn:timerEventDefinition><bpmn:timeCycle>R/PT1H</bpmn:timeCycle>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:userTask id="gesprek">{party}</bpmn:userTask>
    <bpmn:endEvent id="e" /><bpmn:endEvent id="e2" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="werk" />
    <bpmn:sequenceFlow id="f2" sourceRef="werk" targetRef="e" />
    <bpmn:sequenceFlow id="f3" sourceRef="elk_uur" targetRef="gesprek" />
    <bpmn:sequenceFlow id="f4" sourceRef="gesprek" targetRef="e2" />"""
    instance_id = run(db, tmp_path, body)
    clock.advance(timedelta(hours=1, minutes=1))
    assert drain_timers(db, 10) == 1
    tasks = {t.element_id: t for t in open_tasks(db, instance_id)}
    assert set(tasks) == {"werk", "gesprek"}
    with db.transaction() as session:
        service.complete_task(session, tasks["werk"].id, {}, "anna")
    assert [t.element_id for t in open_tasks(db, instance_id)] == ["gesprek"]
    with db.session() as session:
        kinds = session.scalars(
            select(InstanceEvent.kind).where(InstanceEvent.element_id == "elk_uur")
        ).all()
    assert "timer_cancelled" in kinds  # stopped, not fired a second time
    clock.advance(timedelta(hours=3))
    assert drain_timers(db, 10) == 0
    [gesprek] = open_tasks(db, instance_id)
    with db.transaction() as session:
        service.complete_task(session, gesprek.id, {}, "anna")
    assert instance(db, instance_id).status == "completed"
    with db.session() as session:
        assert session.scalars(select(HumanTask).where(HumanTask.status == "open")).all() == []


@pytest.mark.parametrize("gateway", ["parallelGateway", "inclusiveGateway"])
def test_a_join_keeps_what_each_branch_wrote(db, clock, tmp_path: Path, gateway: str) -> None:
    """Camunda 7 has one variable per scope: a branch that did not touch `a` must not bring
    back its old copy at the join (SpiffWorkflow merged the copies whole, the last branch
    to arrive winning)."""
    party = (
        '<bpmn:extensionElements><camunda:properties><camunda:property name="partij" '
        'value="behandelaar" /></camunda:properties></bpmn:extensionElements>'
    )
    condition = (
        '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${true}'
        "</bpmn:conditionExpression>"
        if gateway == "inclusiveGateway"
        else ""
    )
    body = f"""
    <bpmn:startEvent id="s" />
    <bpmn:{gateway} id="split" />
    <bpmn:scriptTask id="schrijf" scriptFormat="python"><bpmn:script>a = 1</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:userTask id="wacht">{party}</bpmn:userTask>
    <bpmn:{gateway} id="join" />
    <bpmn:scriptTask id="na" scriptFormat="python"><bpmn:script>b = a + 1</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:endEvent id="e" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="split" />
    <bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="schrijf">{condition}</bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="wacht">{condition}</bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f4" sourceRef="schrijf" targetRef="join" />
    <bpmn:sequenceFlow id="f5" sourceRef="wacht" targetRef="join" />
    <bpmn:sequenceFlow id="f6" sourceRef="join" targetRef="na" />
    <bpmn:sequenceFlow id="f7" sourceRef="na" targetRef="e" />"""
    instance_id = run(db, tmp_path, body, {"a": 0}, fields={"b": 0})
    [task] = open_tasks(db, instance_id)
    with db.transaction() as session:
        service.complete_task(session, task.id, {}, "anna")
    row = instance(db, instance_id)
    assert row.status == "completed"
    assert row.data["a"] == 1 and row.data["b"] == 2


# -- refused at deploy, with element, line and the alternative --------------------------------

START = '<bpmn:startEvent id="s" />\n'

REFUSED: list[tuple[str, str, str, str, str]] = [
    # (name, body, element expected, needle for the line, words in the message)
    (
        "javascript",
        START + '<bpmn:scriptTask id="js" scriptFormat="javascript">'
        "<bpmn:script>execution.setVariable('a', 1)</bpmn:script></bpmn:scriptTask>",
        "js",
        'id="js"',
        "Python",
    ),
    (
        "groovy",
        START + '<bpmn:scriptTask id="gr" scriptFormat="groovy">'
        "<bpmn:script>a = 1</bpmn:script></bpmn:scriptTask>",
        "gr",
        'id="gr"',
        "Python",
    ),
    (
        "juel script",
        START + '<bpmn:scriptTask id="ju" scriptFormat="juel">'
        "<bpmn:script>#{echo}</bpmn:script></bpmn:scriptTask>",
        "ju",
        'id="ju"',
        "Python",
    ),
    (
        "java class",
        START + '<bpmn:serviceTask id="java" camunda:class="org.example.Delegate" />',
        "java",
        'id="java"',
        "external",
    ),
    (
        "java expression",
        START + '<bpmn:serviceTask id="expr" camunda:expression="${bean.doe()}" />',
        "expr",
        'id="expr"',
        "external",
    ),
    (
        "delegate expression",
        START + '<bpmn:serviceTask id="del" camunda:delegateExpression="${delegate}" />',
        "del",
        'id="del"',
        "external",
    ),
    (
        "dmn",
        START + '<bpmn:businessRuleTask id="dmn" camunda:decisionRef="besluit" />',
        "dmn",
        'id="dmn"',
        "scriptTask",
    ),
    (
        "compensation",
        START + '<bpmn:task id="boek" /><bpmn:boundaryEvent id="comp" attachedToRef="boek">'
        "<bpmn:compensateEventDefinition /></bpmn:boundaryEvent>",
        "comp",
        "<bpmn:compensateEventDefinition",
        "compensatie",
    ),
    (
        "cron cycle",
        START + '<bpmn:task id="t" /><bpmn:boundaryEvent id="cron" attachedToRef="t" '
        'cancelActivity="false"><bpmn:timerEventDefinition>\n'
        "<bpmn:timeCycle>0 0 9 * * ?</bpmn:timeCycle></bpmn:timerEventDefinition>"
        "</bpmn:boundaryEvent>",
        "cron",
        "<bpmn:timeCycle>",
        "CRON",
    ),
    (
        "execution listener",
        START + '<bpmn:task id="luister"><bpmn:extensionElements>\n'
        '<camunda:executionListener class="a.B" event="start" />'
        "</bpmn:extensionElements></bpmn:task>",
        "luister",
        "<camunda:executionListener",
        "scriptTask",
    ),
    (
        "task listener",
        START + '<bpmn:userTask id="tl"><bpmn:extensionElements>\n'
        '<camunda:taskListener class="a.B" event="create" />'
        "</bpmn:extensionElements></bpmn:userTask>",
        "tl",
        "<camunda:taskListener",
        "listeners",
    ),
    (
        "call activity calling a process that is not deployed with it",
        START + '<bpmn:callActivity id="roep" calledElement="ander" />',
        "roep",
        'id="roep"',
        "niet in deze deploy",
    ),
    (
        "camunda:in local",
        START + '<bpmn:callActivity id="roep" calledElement="ander"><bpmn:extensionElements>\n'
        '<camunda:in source="a" target="b" local="true" />'
        "</bpmn:extensionElements></bpmn:callActivity>",
        "roep",
        '<camunda:in source="a"',
        "local",
    ),
    (
        "camunda:in with two sources",
        START + '<bpmn:callActivity id="roep" calledElement="ander"><bpmn:extensionElements>\n'
        '<camunda:in source="a" sourceExpression="${a}" target="b" />'
        "</bpmn:extensionElements></bpmn:callActivity>",
        "roep",
        '<camunda:in source="a"',
        "precies één source",
    ),
    (
        "camunda:in with another business key",
        START + '<bpmn:callActivity id="roep" calledElement="ander"><bpmn:extensionElements>\n'
        '<camunda:in businessKey="${dossier}" />'
        "</bpmn:extensionElements></bpmn:callActivity>",
        "roep",
        "<camunda:in businessKey",
        "dezelfde zaak",
    ),
    (
        "camunda:out target that is no name",
        START + '<bpmn:callActivity id="roep" calledElement="ander"><bpmn:extensionElements>\n'
        '<camunda:out source="a" target="b c" />'
        "</bpmn:extensionElements></bpmn:callActivity>",
        "roep",
        "<camunda:out source",
        "geen geldige variabelenaam",
    ),
    (
        "errorCodeVariable off a boundary event",
        START + '<bpmn:subProcess id="deel"><bpmn:startEvent id="ds" />'
        '<bpmn:endEvent id="fout_einde"><bpmn:errorEventDefinition errorRef="fout"\n'
        ' camunda:errorCodeVariable="code" /></bpmn:endEvent></bpmn:subProcess>',
        "fout_einde",
        'camunda:errorCodeVariable="code"',
        "fout-grensgebeurtenis",
    ),
    (
        "event-based gateway with two branches on the same signal",
        START + '<bpmn:eventBasedGateway id="welke" />'
        '<bpmn:intermediateCatchEvent id="t1"><bpmn:signalEventDefinition signalRef="sg" />'
        "</bpmn:intermediateCatchEvent>"
        '<bpmn:intermediateCatchEvent id="t2"><bpmn:signalEventDefinition signalRef="sg" />'
        "</bpmn:intermediateCatchEvent>"
        '<bpmn:sequenceFlow id="g1" sourceRef="welke" targetRef="t1" />'
        '<bpmn:sequenceFlow id="g2" sourceRef="welke" targetRef="t2" />',
        "welke",
        'id="welke"',
        "hetzelfde signaal",
    ),
    (
        "link without catch",
        START + '<bpmn:intermediateThrowEvent id="naar"><bpmn:linkEventDefinition\n'
        ' name="A" /></bpmn:intermediateThrowEvent>',
        "naar",
        'id="naar"',
        "precies één",
    ),
    (
        "conditional start event of a process",
        '<bpmn:startEvent id="als"><bpmn:conditionalEventDefinition>\n'
        "<bpmn:condition>${a > 1}</bpmn:condition></bpmn:conditionalEventDefinition>"
        "</bpmn:startEvent>",
        "als",
        "<bpmn:conditionalEventDefinition>",
        "voorwaardelijke start",
    ),
    (
        "receive task without message",
        START + '<bpmn:receiveTask id="wacht" />',
        "wacht",
        'id="wacht"',
        "messageRef",
    ),
    (
        "signal without signalRef",
        START + '<bpmn:intermediateCatchEvent id="sein"><bpmn:signalEventDefinition\n'
        " /></bpmn:intermediateCatchEvent>",
        "sein",
        'id="sein"',
        "zonder signalRef",
    ),
    (
        "unknown element",
        START + '<bpmn:superTask id="super" />',
        "super",
        'id="super"',
        "niet ondersteund",
    ),
    (
        "unknown camunda attribute",
        START + '<bpmn:userTask id="raar" camunda:bestaatNiet="1" />',
        "raar",
        'id="raar"',
        "camunda:bestaatNiet",
    ),
    (
        "error boundary on a user task",
        START + '<bpmn:userTask id="st" />'
        '<bpmn:boundaryEvent id="st_fout" attachedToRef="st"><bpmn:errorEventDefinition />'
        "</bpmn:boundaryEvent>",
        "st_fout",
        'id="st_fout"',
        "BpmnError",
    ),
    (
        "input mapping on a user task",
        START + '<bpmn:userTask id="ut"><bpmn:extensionElements>\n<camunda:inputOutput>'
        '<camunda:inputParameter name="x">1</camunda:inputParameter></camunda:inputOutput>'
        "</bpmn:extensionElements></bpmn:userTask>",
        "ut",
        "<camunda:inputOutput>",
        "scriptTask",
    ),
    (
        "message start event",
        '<bpmn:startEvent id="bericht_start"><bpmn:messageEventDefinition messageRef="m" />'
        "</bpmn:startEvent>",
        "bericht_start",
        'id="bericht_start"',
        "gewone startgebeurtenis",
    ),
    (
        "multi-instance on a sub-process",
        START + '<bpmn:subProcess id="mi"><bpmn:multiInstanceLoopCharacteristics\n'
        ' camunda:collection="${lijst}" camunda:elementVariable="x" />'
        '<bpmn:startEvent id="ms" /></bpmn:subProcess>',
        "mi",
        "camunda:collection=",
        "op de user task of service task zelf",
    ),
    (
        "multi-instance element variable without collection",
        START + '<bpmn:userTask id="mi"><bpmn:multiInstanceLoopCharacteristics\n'
        ' camunda:elementVariable="x"><bpmn:loopCardinality>2</bpmn:loopCardinality>'
        "</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>",
        "mi",
        'camunda:elementVariable="x"',
        "gebruik loopCounter",
    ),
    (
        "multi-instance with BPMN data input",
        START + '<bpmn:userTask id="mi"><bpmn:multiInstanceLoopCharacteristics>\n'
        "<bpmn:loopDataInputRef>lijst</bpmn:loopDataInputRef>"
        "</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>",
        "mi",
        "<bpmn:loopDataInputRef>",
        "camunda:collection en camunda:elementVariable",
    ),
    (
        "message end event",
        START + '<bpmn:endEvent id="stuur"><bpmn:messageEventDefinition messageRef="m" />'
        "</bpmn:endEvent>",
        "stuur",
        'id="stuur"',
        "service task",
    ),
    (
        "start form",
        '<bpmn:startEvent id="sf" camunda:formKey="embedded:app:start.html" />',
        "sf",
        'id="sf"',
        "user task",
    ),
    (
        "groovy condition",
        CHOICE.replace("CONDITION", "a > 1").replace(
            'xsi:type="bpmn:tFormalExpression"',
            'xsi:type="bpmn:tFormalExpression" language="groovy"',
        ),
        "waar",
        'language="groovy"',
        "Python",
    ),
    (
        "java method in a condition",
        CHOICE.replace("CONDITION", "${naam.equals('x')}"),
        "keuze",
        'id="keuze"',
        "Java",
    ),
    (
        "camunda's execution object in a condition",
        CHOICE.replace("CONDITION", "${execution.getVariable('naam') == 'x'}"),
        "keuze",
        'id="keuze"',
        "'execution'",
    ),
    (
        "text compared with a number (JUEL would coerce)",
        CHOICE.replace("CONDITION", "${naam == 3}"),
        "waar",  # the flow that holds the condition
        'id="waar"',
        "JUEL",
    ),
    (
        "error caught only by an outer sub-process",
        START + '<bpmn:subProcess id="buiten"><bpmn:startEvent id="bs" />'
        '<bpmn:subProcess id="binnen"><bpmn:startEvent id="is" />\n'
        '<bpmn:endEvent id="gooi"><bpmn:errorEventDefinition errorRef="fout" /></bpmn:endEvent>'
        '<bpmn:sequenceFlow id="i1" sourceRef="is" targetRef="gooi" /></bpmn:subProcess>'
        '<bpmn:sequenceFlow id="b1" sourceRef="bs" targetRef="binnen" /></bpmn:subProcess>'
        '<bpmn:boundaryEvent id="vang" attachedToRef="buiten"><bpmn:errorEventDefinition '
        'errorRef="fout" /></bpmn:boundaryEvent>',
        "gooi",
        '<bpmn:endEvent id="gooi">',
        "binnen",
    ),
    (
        "an event definition with an id names its event",
        START + '<bpmn:task id="t" /><bpmn:boundaryEvent id="cron2" attachedToRef="t" '
        'cancelActivity="false"><bpmn:timerEventDefinition id="TimerEventDefinition_1">\n'
        "<bpmn:timeCycle>0 0 9 * * ?</bpmn:timeCycle></bpmn:timerEventDefinition>"
        "</bpmn:boundaryEvent>",
        "cron2",
        "<bpmn:timeCycle>",
        "CRON",
    ),
    (
        "zeebe extension",
        START + '<bpmn:serviceTask id="zb" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0">'
        '<bpmn:extensionElements>\n<zeebe:taskDefinition type="x" /></bpmn:extensionElements>'
        "</bpmn:serviceTask>",
        "zb",
        "<zeebe:taskDefinition",
        "onbekend element",
    ),
]


@pytest.mark.parametrize(
    ("body", "element", "needle", "words"),
    [r[1:] for r in REFUSED],
    ids=[r[0] for r in REFUSED],
)
def test_refused_with_element_line_and_alternative(
    tmp_path: Path, body: str, element: str, needle: str, words: str
) -> None:
    xml = diagram(
        body,
        '\n  <bpmn:message id="m" name="m" />\n  <bpmn:error id="fout" errorCode="E1" />'
        '\n  <bpmn:signal id="sg" name="sg" />',
    )
    problems = refusal(tmp_path, xml)
    mine = [p for p in problems if p.element == element]
    assert mine, problems
    problem = mine[0]
    assert problem.file.endswith("regels.bpmn")
    assert problem.line == line_of(xml, needle), (problem, needle)
    assert words in problem.message, problem.message


# -- a diagram that names no party: the catalogue's `taken` -----------------------------------

PLAIN_USER_TASK = """
    <bpmn:startEvent id="s" />
    <bpmn:userTask id="kijken" />
    <bpmn:endEvent id="e" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="kijken" />
    <bpmn:sequenceFlow id="f2" sourceRef="kijken" targetRef="e" />"""


def _with_catalogue(tmp_path: Path, change) -> Path:
    path = write_diagram(tmp_path, "regels", diagram(PLAIN_USER_TASK))
    catalogue = path.with_name("regels.catalogus.yaml")
    catalogue.write_text(change(catalogue.read_text()))
    return path


def test_a_user_task_without_party_is_refused_unless_the_catalogue_names_one(
    db, clock, tmp_path: Path
) -> None:
    path = _with_catalogue(tmp_path, lambda text: text.split("taken:")[0])
    with pytest.raises(DeploymentError) as caught:
        parse_files([path], FIXTURES)
    [problem] = caught.value.problems
    assert problem.element == "kijken" and "'taken'" in problem.message

    path = _with_catalogue(tmp_path, lambda text: text)  # taken: {kijken: behandelaar}
    deploy_paths(db, path)
    instance_id = start(db, "regels", "R-1", {})
    [task] = open_tasks(db, instance_id)
    assert task.party == "behandelaar"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda text: text.replace("kijken: behandelaar", "kijken: niemand"), "onbekende partij"),
        (lambda text: text.replace("kijken: behandelaar", "e: behandelaar"), "geen user task"),
    ],
    ids=["unknown party", "not a user task"],
)
def test_taken_names_known_parties_and_user_tasks(tmp_path: Path, change, words) -> None:
    path = _with_catalogue(tmp_path, change)
    with pytest.raises(DeploymentError) as caught:
        parse_files([path], FIXTURES)
    assert any(words in p.message for p in caught.value.problems), caught.value.problems


# -- a handler's BPMN error, caught by the service task's error boundary ----------------------

TOETS = """
    <bpmn:startEvent id="s" />
    <bpmn:serviceTask id="toetsen" camunda:type="external" camunda:topic="test.toets">
      <bpmn:extensionElements><camunda:inputOutput>
        <camunda:inputParameter name="waarde">${bedrag}</camunda:inputParameter>
      </camunda:inputOutput></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:boundaryEvent id="te_hoog" attachedToRef="toetsen">
      <bpmn:errorEventDefinition errorRef="fout_te_hoog" camunda:errorCodeVariable="code"
          camunda:errorMessageVariable="melding" />
    </bpmn:boundaryEvent>
    <bpmn:endEvent id="goed" /><bpmn:endEvent id="afgewezen" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="toetsen" />
    <bpmn:sequenceFlow id="f2" sourceRef="toetsen" targetRef="goed" />
    <bpmn:sequenceFlow id="f3" sourceRef="te_hoog" targetRef="afgewezen" />"""
TOETS_ERROR = '\n  <bpmn:error id="fout_te_hoog" errorCode="TE_HOOG" />'


def _toets(db, tmp_path: Path, bedrag: int, xml: str | None = None) -> str:
    xml = xml or diagram(TOETS, TOETS_ERROR)
    fields = {"bedrag": 1, "verdubbeld": 1, "code": "x", "melding": "x"}
    deploy_paths(db, write_diagram(tmp_path, "regels", xml, fields, ["bedrag"]))
    return start(db, "regels", f"T-{bedrag}", {"bedrag": bedrag})


@pytest.mark.parametrize(("bedrag", "end"), [(50, "goed"), (150, "afgewezen")])
def test_a_handler_bpmn_error_is_caught_by_the_boundary(
    db, clock, settings, tmp_path: Path, bedrag: int, end: str
) -> None:
    from app.engine.jobs import run_due_jobs

    instance_id = _toets(db, tmp_path, bedrag)
    run_due_jobs(db, settings, "w")
    row = instance(db, instance_id)
    assert row.status == "completed"
    with db.session() as session:
        kinds = session.scalars(
            select(InstanceEvent.kind).where(InstanceEvent.instance_id == instance_id)
        ).all()
    assert ("job_bpmn_error" in kinds) == (end == "afgewezen"), kinds
    if end == "afgewezen":
        assert row.data["code"] == "TE_HOOG" and row.data["melding"] == "150 is meer dan 100"
        assert "verdubbeld" not in row.data
    else:
        assert row.data["verdubbeld"] == 100


def test_an_undeclared_bpmn_error_is_an_incident(db, clock, settings, tmp_path: Path) -> None:
    from app.engine.jobs import run_due_jobs
    from app.engine.models import Incident

    instance_id = _toets(db, tmp_path, 666)
    for _ in range(settings.job_retries + 1):
        clock.advance(timedelta(hours=1))
        run_due_jobs(db, settings, "w")
    with db.session() as session:
        incident = session.scalars(select(Incident)).one()
    assert incident.instance_id == instance_id
    assert "NIET_GEDECLAREERD" in incident.message or "NIET_GEDECLAREERD" in (
        incident.details or ""
    )


def test_a_boundary_for_a_code_the_topic_never_throws_is_refused(tmp_path: Path) -> None:
    xml = diagram(TOETS, TOETS_ERROR.replace('errorCode="TE_HOOG"', 'errorCode="BESTAAT_NIET"'))
    problems = refusal(tmp_path, xml, {"bedrag": 1, "verdubbeld": 1, "code": "x", "melding": "x"})
    [problem] = [p for p in problems if p.element == "te_hoog"]
    assert "BESTAAT_NIET" in problem.message and problem.line == line_of(xml, 'id="te_hoog"')


# -- event-based gateway: the first event wins ------------------------------------------------

GATEWAY = """
    <bpmn:startEvent id="s" />
    <bpmn:eventBasedGateway id="wachten" />
    <bpmn:intermediateCatchEvent id="betaald">
      <bpmn:messageEventDefinition messageRef="m_betaald" />
    </bpmn:intermediateCatchEvent>
    <bpmn:receiveTask id="bezwaar" messageRef="m_bezwaar" />
    <bpmn:intermediateCatchEvent id="termijn">
      <bpmn:timerEventDefinition><bpmn:timeDuration>P5D</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:scriptTask id="na_betaling" scriptFormat="python">
      <bpmn:script>pad = 'betaald'</bpmn:script></bpmn:scriptTask>
    <bpmn:scriptTask id="na_bezwaar" scriptFormat="python">
      <bpmn:script>pad = 'bezwaar'</bpmn:script></bpmn:scriptTask>
    <bpmn:scriptTask id="na_termijn" scriptFormat="python">
      <bpmn:script>pad = 'termijn'</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="wachten" />
    <bpmn:sequenceFlow id="f1" sourceRef="wachten" targetRef="betaald" />
    <bpmn:sequenceFlow id="f2" sourceRef="wachten" targetRef="bezwaar" />
    <bpmn:sequenceFlow id="f3" sourceRef="wachten" targetRef="termijn" />
    <bpmn:sequenceFlow id="f4" sourceRef="betaald" targetRef="na_betaling" />
    <bpmn:sequenceFlow id="f5" sourceRef="bezwaar" targetRef="na_bezwaar" />
    <bpmn:sequenceFlow id="f6" sourceRef="termijn" targetRef="na_termijn" />"""
GATEWAY_MESSAGES = (
    '\n  <bpmn:message id="m_betaald" name="betaald" />'
    '\n  <bpmn:message id="m_bezwaar" name="bezwaar" />'
)


@pytest.mark.parametrize(
    ("event", "path"),
    [("betaald", "betaald"), ("bezwaar", "bezwaar"), ("timer", "termijn")],
)
def test_an_event_based_gateway_takes_the_first_event(
    db, clock, tmp_path: Path, event: str, path: str
) -> None:
    clock.set(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    xml = diagram(GATEWAY, GATEWAY_MESSAGES)
    deploy_paths(db, write_diagram(tmp_path, "regels", xml, {"pad": "x", "bedrag": 1}, []))
    instance_id = start(db, "regels", "R-1", {})
    with db.session() as session:
        waits = sorted(
            session.scalars(
                select(MessageSubscription.message_name).where(
                    MessageSubscription.instance_id == instance_id
                )
            ).all()
        )
    assert waits == ["betaald", "bezwaar"]  # and a timer, all at once
    if event == "timer":
        clock.advance(timedelta(days=5, minutes=1))
        assert drain_timers(db, 10) == 1
    else:
        with db.transaction() as session:
            service.deliver_message(session, event, "R-1", {})
    row = instance(db, instance_id)
    assert row.status == "completed" and row.data["pad"] == path
    # The others were withdrawn with it.
    for other in {"betaald", "bezwaar"} - {event}:
        with pytest.raises(NotFound), db.transaction() as session:
            service.deliver_message(session, other, "R-1", {})
    clock.advance(timedelta(days=10))
    assert drain_timers(db, 10) == 0
