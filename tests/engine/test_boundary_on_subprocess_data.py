"""An interrupting boundary event on an embedded sub-process starts its path with what the
sub-process wrote before it was interrupted, as in Camunda 7 (a variable set inside an
embedded sub-process lives in the process scope). SpiffWorkflow started the path from the
data the sub-process was entered with, so those writes were lost."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from app.engine.timers import fire_due_timers
from tests.support.camunda import write_diagram
from tests.support.engine import deploy_paths, instance, start

XML = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:error id="fout" errorCode="E1" />
  <bpmn:process id="binnen_schrijven" isExecutable="true">
    <bpmn:startEvent id="s" />
    <bpmn:subProcess id="sub">
      <bpmn:startEvent id="ss" />
      <bpmn:scriptTask id="noteer" scriptFormat="python"><bpmn:script>stap = "binnen"
teller = teller + 1</bpmn:script></bpmn:scriptTask>
      <bpmn:intermediateCatchEvent id="wacht">
        <bpmn:timerEventDefinition><bpmn:timeDuration>PT2H</bpmn:timeDuration>
        </bpmn:timerEventDefinition>
      </bpmn:intermediateCatchEvent>
      <bpmn:endEvent id="se" />
      <bpmn:sequenceFlow id="i1" sourceRef="ss" targetRef="noteer" />
      <bpmn:sequenceFlow id="i2" sourceRef="noteer" targetRef="wacht" />
      <bpmn:sequenceFlow id="i3" sourceRef="wacht" targetRef="se" />
    </bpmn:subProcess>
    <bpmn:boundaryEvent id="te_laat" attachedToRef="sub">
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:scriptTask id="na_timer" scriptFormat="python"><bpmn:script>gezien = stap
teller = teller + 10</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="e1" />
    <bpmn:endEvent id="e2" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="sub" />
    <bpmn:sequenceFlow id="f2" sourceRef="sub" targetRef="e1" />
    <bpmn:sequenceFlow id="f3" sourceRef="te_laat" targetRef="na_timer" />
    <bpmn:sequenceFlow id="f4" sourceRef="na_timer" targetRef="e2" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_the_timer_path_sees_what_the_sub_process_wrote(db, clock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fields = {"stap": "x", "teller": 0, "gezien": "x"}
    path = write_diagram(
        tmp_path, "binnen_schrijven", XML, fields, ["teller"], defaults={"stap": "buiten"}
    )
    deploy_paths(db, path)
    instance_id = start(db, "binnen_schrijven", "B-1", {"teller": 0})
    row = instance(db, instance_id)
    assert row.status == "waiting", _incidents(db, instance_id)
    clock.advance(timedelta(hours=1, seconds=1))
    fire_due_timers(db, 100)
    row = instance(db, instance_id)
    assert row.status == "completed"
    assert (row.data["gezien"], row.data["stap"], row.data["teller"]) == ("binnen", "binnen", 11)


def _incidents(db, instance_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from app.engine.models import Incident

    with db.session() as session:
        return list(
            session.scalars(select(Incident.message).where(Incident.instance_id == instance_id))
        )


ERROR_XML = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:error id="fout" errorCode="E1" />
  <bpmn:process id="binnen_fout" isExecutable="true">
    <bpmn:startEvent id="s" />
    <bpmn:subProcess id="sub">
      <bpmn:startEvent id="ss" />
      <bpmn:scriptTask id="noteer" scriptFormat="python"><bpmn:script>stap = "binnen"
teller = teller + 1</bpmn:script></bpmn:scriptTask>
      <bpmn:endEvent id="gooi"><bpmn:errorEventDefinition errorRef="fout" /></bpmn:endEvent>
      <bpmn:sequenceFlow id="i1" sourceRef="ss" targetRef="noteer" />
      <bpmn:sequenceFlow id="i2" sourceRef="noteer" targetRef="gooi" />
    </bpmn:subProcess>
    <bpmn:boundaryEvent id="bij_fout" attachedToRef="sub">
      <bpmn:errorEventDefinition errorRef="fout" />
    </bpmn:boundaryEvent>
    <bpmn:scriptTask id="na_fout" scriptFormat="python"><bpmn:script>gezien = stap
teller = teller + 10</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="e1" />
    <bpmn:endEvent id="e2" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="sub" />
    <bpmn:sequenceFlow id="f2" sourceRef="sub" targetRef="e1" />
    <bpmn:sequenceFlow id="f3" sourceRef="bij_fout" targetRef="na_fout" />
    <bpmn:sequenceFlow id="f4" sourceRef="na_fout" targetRef="e2" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_the_error_path_sees_what_the_sub_process_wrote_before_it_threw(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fields = {"stap": "x", "teller": 0, "gezien": "x"}
    path = write_diagram(
        tmp_path, "binnen_fout", ERROR_XML, fields, ["teller"], defaults={"stap": "buiten"}
    )
    deploy_paths(db, path)
    row = instance(db, start(db, "binnen_fout", "B-2", {"teller": 0}))
    assert row.status == "completed", _incidents(db, row.id)
    assert (row.data["gezien"], row.data["stap"], row.data["teller"]) == ("binnen", "binnen", 11)
