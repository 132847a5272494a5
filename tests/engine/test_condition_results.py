"""A sequence flow's condition must come out true or false, as in Camunda 7 ("condition
expression returns non-Boolean"): a text, a number or nothing is an incident at the gateway,
never a path chosen by Python's truthiness (the text "false" would count as true). Deploy
refuses a catalogue field of another type used as a condition (test_condition_types.py); the
condition here is an item of a list, which deploy cannot type, so the run decides."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from app.engine.models import Incident
from tests.support.camunda import write_diagram
from tests.support.engine import deploy_paths, instance, start

XML = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="t">
  <bpmn:process id="kies" isExecutable="true">
    <bpmn:startEvent id="s" />
    <bpmn:exclusiveGateway id="gw" default="nee" />
    <bpmn:scriptTask id="ja_pad" scriptFormat="python"><bpmn:script>pad = "ja"</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:scriptTask id="nee_pad" scriptFormat="python"><bpmn:script>pad = "nee"</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:endEvent id="e1" />
    <bpmn:endEvent id="e2" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="gw" />
    <bpmn:sequenceFlow id="ja" sourceRef="gw" targetRef="ja_pad">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression"
        >${[akkoord][0]}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="nee" sourceRef="gw" targetRef="nee_pad" />
    <bpmn:sequenceFlow id="f3" sourceRef="ja_pad" targetRef="e1" />
    <bpmn:sequenceFlow id="f4" sourceRef="nee_pad" targetRef="e2" />
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture
def deployed(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    deploy_paths(
        db,
        write_diagram(
            tmp_path, "kies", XML, {"akkoord": "x", "pad": "x"}, [], defaults={"akkoord": False}
        ),
    )


@pytest.mark.parametrize(("value", "path"), [(True, "ja"), (False, "nee")])
def test_a_boolean_chooses_the_path(db, deployed, value: bool, path: str) -> None:  # type: ignore[no-untyped-def]
    row = instance(db, start(db, "kies", f"K-{value}", {"akkoord": value}))
    assert (row.status, row.data["pad"]) == ("completed", path)


@pytest.mark.parametrize("value", ["false", "ja", "", 0, 1, None, [], ["x"]])
def test_anything_else_is_an_incident_at_the_gateway(db, deployed, value: object) -> None:  # type: ignore[no-untyped-def]
    instance_id = start(db, "kies", "K-1", {"akkoord": value})
    row = instance(db, instance_id)
    assert row.status == "error" and "pad" not in row.data, row.data
    with db.session() as session:
        incident = session.scalars(
            select(Incident).where(Incident.instance_id == instance_id)
        ).one()
    assert incident.element_id == "gw"
    assert "geen waar of onwaar" in incident.message, incident.message


WAIT = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="t">
  <bpmn:process id="wacht" isExecutable="true">
    <bpmn:startEvent id="s" />
    <bpmn:intermediateCatchEvent id="tot_akkoord">
      <bpmn:conditionalEventDefinition>
        <bpmn:condition xsi:type="bpmn:tFormalExpression">${[akkoord][0]}</bpmn:condition>
      </bpmn:conditionalEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="e" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="tot_akkoord" />
    <bpmn:sequenceFlow id="f2" sourceRef="tot_akkoord" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.mark.parametrize(("value", "status"), [(True, "completed"), (False, "waiting")])
def test_a_conditional_event_waits_for_true(db, tmp_path: Path, value: bool, status: str) -> None:  # type: ignore[no-untyped-def]
    deploy_paths(db, write_diagram(tmp_path, "wacht", WAIT, {"akkoord": "x"}, ["akkoord"]))
    assert instance(db, start(db, "wacht", "W-1", {"akkoord": value})).status == status


def test_a_conditional_event_that_gets_no_boolean_is_an_incident(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    deploy_paths(db, write_diagram(tmp_path, "wacht", WAIT, {"akkoord": "x"}, ["akkoord"]))
    instance_id = start(db, "wacht", "W-1", {"akkoord": "false"})
    assert instance(db, instance_id).status == "error"
    with db.session() as session:
        incident = session.scalars(
            select(Incident).where(Incident.instance_id == instance_id)
        ).one()
    assert incident.element_id == "tot_akkoord"
    assert "geen waar of onwaar" in incident.message, incident.message
